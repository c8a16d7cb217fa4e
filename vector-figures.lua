-- Typst (PDF) gets each figure as vector graphics: an image that Quarto extracted from an
-- executed notebook's PNG output (index_files/figure-typst/notebooks-<nb>-<label>-output-1.png)
-- is replaced by the SVG that helpers.figures.save_figure wrote beside that PNG, which
-- helpers.manuscript.stage copies to figures/<nb>/<label>.svg. An image without an SVG stays.
local function exists(path)
  local file = io.open(path, "r")
  if file then file:close() end
  return file ~= nil
end

function Image(image)
  local notebook, label = image.src:match("notebooks%-(%d%d%-[%w%-]-)%-(fig%-[%w%-]-)%-output%-%d+%.png$")
  if notebook then
    local svg = "figures/" .. notebook .. "/" .. label .. ".svg"
    if exists(svg) then
      image.src = svg
    end
  end
  return image
end
