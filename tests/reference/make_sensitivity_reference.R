# Reference results of the sensitivity analyses (src/helpers/sensitivity.py) computed with R for
# tests/test_sensitivity_reference_r.py, from the CSV inputs beside this script (written from the
# synthetic default run by export_sensitivity_inputs.py). Regenerate (Debian: apt-get install
# r-base-core r-cran-nlme r-cran-emmeans r-cran-mice):
#   Rscript tests/reference/make_sensitivity_reference.R
# Writes sensitivity_r_results.csv (statistic, dataset, quantity, value with 17 significant
# digits) and sensitivity_r_session.txt (R and package versions):
# - mixed model: nlme::lme(CHG ~ 0 + visit + BASE, random = ~ 1 | USUBJID, method = "REML");
#   emmeans at Month 36 and at the mean baseline of the subjects (its default degrees of
#   freedom for lme: the containment df, here subjects - 1 of the subject-level BASE), t CI;
# - Rubin's rules: mice::pool of lm(CHG ~ 1) fitted to each imputed data set (as.mira), the
#   imputed Month 36 changes of the dropouts shifted by delta = 0 and 10 points.
suppressPackageStartupMessages({
  library(nlme)
  library(emmeans)
  library(mice)
})

script <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
here <- dirname(normalizePath(script))
source(file.path(here, "common.R"))  # read_input, rows, add

visits <- c("MONTH 3", "MONTH 6", "MONTH 12", "MONTH 18", "MONTH 24", "MONTH 36")
mm <- read_input("sensitivity_mixed_model.csv")
for (d in unique(mm$dataset)) {
  data <- mm[mm$dataset == d, ]
  data$visit <- factor(data$AVISIT, levels = visits[visits %in% data$AVISIT])
  fit <- lme(CHG ~ 0 + visit + BASE, random = ~ 1 | USUBJID, data = data, method = "REML",
             control = lmeControl(opt = "optim", maxIter = 200, msMaxIter = 200,
                                  tolerance = 1e-12, msTol = 1e-12, returnObject = TRUE))
  base <- mean(data$BASE[!duplicated(data$USUBJID)])
  emm <- summary(emmeans(fit, ~ visit, at = list(BASE = base)), infer = c(TRUE, TRUE))
  m36 <- emm[emm$visit == "MONTH 36", ]
  add("mixed_model", d, "estimate", m36$emmean)
  add("mixed_model", d, "se", m36$SE)
  add("mixed_model", d, "df", m36$df)
  add("mixed_model", d, "lower", m36$lower.CL)
  add("mixed_model", d, "upper", m36$upper.CL)
  add("mixed_model", d, "p", m36$p.value)
  add("mixed_model", d, "sigma", fit$sigma)
  add("mixed_model", d, "tau", sqrt(getVarCov(fit)[1, 1]))
}

imputed <- read_input("sensitivity_imputed.csv")
for (delta in c(0, 10)) {
  shifted <- transform(imputed, CHG = CHG + delta * dropout)
  fits <- lapply(split(shifted, shifted$imputation), function(x) lm(CHG ~ 1, data = x))
  pooled <- summary(pool(as.mira(fits)), conf.int = TRUE)
  d <- sprintf("fsmc_delta_%g", delta)
  add("rubin_pool", d, "estimate", pooled$estimate)
  add("rubin_pool", d, "se", pooled$std.error)
  add("rubin_pool", d, "df", pooled$df)
  add("rubin_pool", d, "lower", pooled[["2.5 %"]])
  add("rubin_pool", d, "upper", pooled[["97.5 %"]])
  add("rubin_pool", d, "p", pooled$p.value)
}

write.csv(do.call(rbind, rows), file.path(here, "sensitivity_r_results.csv"), row.names = FALSE)
writeLines(c(R.version.string,
             sprintf("%s %s", c("nlme", "emmeans", "mice"),
                     sapply(c("nlme", "emmeans", "mice"),
                            function(p) as.character(packageVersion(p))))),
           file.path(here, "sensitivity_r_session.txt"))
