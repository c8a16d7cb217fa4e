# Shared by the reference scripts of this folder (sourced after they set `here`, the folder):
# read_input(name) reads a CSV input beside them; add(statistic, dataset, quantity, value) appends
# one row (value with 17 significant digits) to `rows`, which each script writes out.
read_input <- function(name) read.csv(file.path(here, name), stringsAsFactors = FALSE)

rows <- list()
add <- function(statistic, dataset, quantity, value) {
  rows[[length(rows) + 1]] <<- data.frame(
    statistic = statistic, dataset = dataset, quantity = quantity,
    value = sprintf("%.17g", as.numeric(value))
  )
}
