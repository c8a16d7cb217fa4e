# Reference results computed with R for tests/test_reference_r.py, from the CSV inputs beside
# this script. Regenerate (needs R with the survival and psych packages; Debian: apt-get install
# r-base-core r-cran-survival r-cran-psych):
#   Rscript tests/reference/make_reference.R
# Writes r_results.csv (statistic, dataset, quantity, value with 17 significant digits) and
# r_session.txt (R and package versions). Each statistic follows the project's conventions
# (src/helpers/stats.py, the methods text), computed the R way:
# - Wilcoxon signed-rank: changes rounded to 9 decimals, zeros dropped; exact p when there are
#   at most 50 changes, none zero or tied, else the normal approximation without continuity
#   correction (wilcox.test(exact = FALSE, correct = FALSE); R's default corrects).
# - Kaplan-Meier median and its CI with the log-log transform (R's default is "log").
# - exact Poisson rate CI (poisson.test), t interval of a mean (t.test),
# - ICC(2,1) and ICC(3,1) with their F-based CIs (psych::ICC), Bland-Altman bias and limits.
suppressPackageStartupMessages({
  library(survival)
  library(psych)
})

script <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
here <- dirname(normalizePath(script))
source(file.path(here, "common.R"))  # read_input, rows, add

signed_rank <- read_input("signed_rank.csv")
for (d in unique(signed_rank$dataset)) {
  changes <- round(signed_rank$change[signed_rank$dataset == d], 9)
  nonzero <- changes[changes != 0]
  exact <- length(changes) <= 50 && length(nonzero) == length(changes) &&
    !any(duplicated(abs(nonzero)))
  test <- wilcox.test(nonzero, exact = exact, correct = FALSE)
  add("signed_rank", d, "p", test$p.value)
  add("signed_rank", d, "n", length(changes))
}

km_data <- read_input("kaplan_meier.csv")
for (d in unique(km_data$dataset)) {
  fit <- survfit(Surv(time, event) ~ 1, data = km_data[km_data$dataset == d, ],
                 conf.type = "log-log")
  table <- summary(fit)$table
  add("kaplan_meier", d, "median", table[["median"]])
  add("kaplan_meier", d, "lower", table[["0.95LCL"]])
  add("kaplan_meier", d, "upper", table[["0.95UCL"]])
}

poisson <- read_input("poisson.csv")
for (i in seq_len(nrow(poisson))) {
  test <- poisson.test(poisson$events[i], poisson$exposure[i])
  add("poisson_rate", poisson$dataset[i], "rate", test$estimate)
  add("poisson_rate", poisson$dataset[i], "lower", test$conf.int[1])
  add("poisson_rate", poisson$dataset[i], "upper", test$conf.int[2])
}

t_values <- read_input("t_interval.csv")
for (d in unique(t_values$dataset)) {
  test <- t.test(t_values$value[t_values$dataset == d])
  add("mean_t_ci", d, "mean", test$estimate)
  add("mean_t_ci", d, "lower", test$conf.int[1])
  add("mean_t_ci", d, "upper", test$conf.int[2])
}

agreement <- read_input("agreement.csv")
for (d in unique(agreement$dataset)) {
  long <- agreement[agreement$dataset == d, ]
  wide <- reshape(long[, c("subject", "rater", "value")], idvar = "subject",
                  timevar = "rater", direction = "wide")
  ratings <- wide[, c("value.PATIENT", "value.CAREGIVER")]
  icc <- psych::ICC(ratings, lmer = FALSE)$results
  rownames(icc) <- icc$type
  for (type in c("ICC2", "ICC3")) {
    name <- sprintf("ICC(%s,1)", substr(type, 4, 4))
    add("intraclass_correlation", d, paste(name, "icc"), icc[type, "ICC"])
    add("intraclass_correlation", d, paste(name, "lower"), icc[type, "lower bound"])
    add("intraclass_correlation", d, paste(name, "upper"), icc[type, "upper bound"])
    add("intraclass_correlation", d, paste(name, "p"), icc[type, "p"])
  }
  difference <- ratings$value.PATIENT - ratings$value.CAREGIVER
  add("bland_altman", d, "bias", mean(difference))
  add("bland_altman", d, "sd", sd(difference))
  add("bland_altman", d, "lower_loa", mean(difference) - 1.96 * sd(difference))
  add("bland_altman", d, "upper_loa", mean(difference) + 1.96 * sd(difference))
}

write.csv(do.call(rbind, rows), file.path(here, "r_results.csv"), row.names = FALSE,
          quote = 1:3)
writeLines(c(R.version.string,
             paste("survival", as.character(packageVersion("survival"))),
             paste("psych", as.character(packageVersion("psych")))),
           file.path(here, "r_session.txt"))
