-- Figures and wide blocks of the manuscript, per format (listed under typst and html in
-- _quarto.yml).
--
-- Typst (PDF) gets each figure as vector graphics: an image that Quarto extracted from an
-- executed notebook's PNG output (index_files/figure-typst/notebooks-<nb>-<label>-output-1.png)
-- is replaced by the SVG that helpers.figures.save_figure wrote beside that PNG, which
-- helpers.manuscript.stage copies to figures/<nb>/<label>.svg. An image without an SVG stays.
--
-- Typst: a landscape block is wrapped in the function `sideways` of _typst-tables.typ (set
-- sideways on a page of its own when it fits one, else on landscape pages), in place of
-- Quarto's landscape pages; and a group row of a table (helpers.report.tables.group_rows: its
-- first cell bold, the others empty) is set as the first line of the first cell of the row it
-- heads (whose numbers _typst-tables.typ aligns with the cell's last line), so that a page never
-- breaks between a group's name and its first row (Typst keeps a row whole; it has no
-- keep-with-next between rows). An embedded notebook output is not wrapped in a block of
-- its own (Quarto's quarto-embed-nb-cell div): a figure or table inside a block cannot float
-- to the next page alone, the block goes with it and leaves the rest of this page empty.
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

local function empty(cell)
  return #cell.contents == 0 or pandoc.utils.stringify(cell.contents) == ""
end

local function is_group_row(row)
  local first = row.cells[1].contents
  if #row.cells < 2 or #first ~= 1 or #first[1].content ~= 1 or first[1].content[1].t ~= "Strong" then
    return false
  end
  for i = 2, #row.cells do
    if not empty(row.cells[i]) then
      return false
    end
  end
  return true
end

-- a cell's text as the line after the group's name
local function below(name, cell)
  local inlines = pandoc.Inlines(name)
  inlines:insert(pandoc.LineBreak())
  inlines:extend(pandoc.utils.blocks_to_inlines(cell.contents))
  cell.contents = { pandoc.Plain(inlines) }
end

function Table(tbl)
  if not quarto.doc.is_format("typst") then
    return nil
  end
  for _, body in ipairs(tbl.bodies) do
    local rows, i = pandoc.List(), 1
    while i <= #body.body do
      local row, next_row = body.body[i], body.body[i + 1]
      if next_row and is_group_row(row) and not is_group_row(next_row) then
        below(pandoc.utils.blocks_to_inlines(row.cells[1].contents), next_row.cells[1])
        i = i + 1
      end
      rows:insert(body.body[i])
      i = i + 1
    end
    body.body = rows
  end
  return tbl
end

local function sideways(div)
  local blocks = pandoc.List({ pandoc.RawBlock("typst", "#sideways[") })
  blocks:extend(div.content)
  blocks:insert(pandoc.RawBlock("typst", "]"))
  return blocks
end

function Div(div)
  if quarto.doc.is_format("typst") and div.classes:includes("quarto-embed-nb-cell") then
    return div.content
  end
  if not div.classes:includes("landscape") then
    return nil
  end
  if quarto.doc.is_format("typst") then
    return sideways(div)
  end
  if not quarto.doc.is_format("html") then
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
