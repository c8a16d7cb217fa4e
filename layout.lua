-- Figures and wide blocks of the manuscript, per format (listed under typst and html in
-- _quarto.yml).
--
-- Typst (PDF) gets each figure as vector graphics: an image that Quarto extracted from an
-- executed notebook's PNG output (index_files/figure-typst/notebooks-<nb>-<label>-output-1.png)
-- is replaced by the SVG that helpers.figures.save_figure wrote beside that PNG, which
-- helpers.manuscript.stage copies to figures/<nb>/<label>.svg. An image without an SVG stays.
--
-- HTML: a landscape block (a wide table, the number ledger) takes the page's width of Quarto's
-- article grid (class column-page) instead of the text column, and a heading inside it is
-- lifted out of it, so that the table of contents lists that section (Quarto's table of
-- contents leaves out headings inside a div).
local function exists(path)
  local file = io.open(path, "r")
  if file then file:close() end
  return file ~= nil
end

function Image(image)
  if not quarto.doc.is_format("typst") then
    return nil
  end
  local notebook, label = image.src:match("notebooks%-(%d%d%-[%w%-]-)%-(fig%-[%w%-]-)%-output%-%d+%.png$")
  if notebook then
    local svg = "figures/" .. notebook .. "/" .. label .. ".svg"
    if exists(svg) then
      image.src = svg
    end
  end
  return image
end

function Div(div)
  if not quarto.doc.is_format("html") or not div.classes:includes("landscape") then
    return nil
  end
  local blocks, wide = pandoc.List(), pandoc.List()
  local function close()
    if #wide > 0 then
      blocks:insert(pandoc.Div(wide, pandoc.Attr("", { "landscape", "column-page" })))
      wide = pandoc.List()
    end
  end
  for _, block in ipairs(div.content) do
    if block.t == "Header" then
      close()
      blocks:insert(block)
    else
      wide:insert(block)
    end
  end
  close()
  return blocks
end
