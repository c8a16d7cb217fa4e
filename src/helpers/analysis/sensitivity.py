"""Sensitivity analyses of the change from baseline to the missing data (ICH E9(R1)).

ARD analysis "sensitivity", variable CHG, one cell per outcome (PARAMCD of OUTCOMES) x approach
(group, APPROACHES) with the stats n, estimate (mean change), lcl, ucl (1 - alpha CI) and p
(two-sided, H0: no change). The analysed subjects of an outcome are those of
change_from_baseline.analysed_records (a baseline and at least one post-baseline value) of the
efficacy set:

- EOS: each subject's last post-baseline value (EOSFL Y; the published analysis), t interval
  and one-sample t test.
- OC: observed cases at Month 36, t interval and t test.
- COMP: the completers (COMPFL Y) of the efficacy set at EOS (population COMP), t interval.
- WINDOW: only assessments in their visit window (AWINFL Y, +/- spec.VISIT_WINDOW_DAYS days);
  EOS = the last of them by visit (the sensitivity-window rule), t interval.
- LMM: a linear mixed model under missing at random (MAR) of all post-baseline changes:
  CHG ~ visit (factor, no intercept) + BASE, a random intercept per subject, fitted by REML
  (statsmodels MixedLM); estimate = the Month 36 mean change at the subjects' mean baseline
  (the emmeans estimate), Wald t CI and test with emmeans' containment degrees of freedom
  for nlme (subjects - 1, the df of the subject-level covariate BASE), the fixed effects'
  covariance (X' V^-1 X)^-1 of nlme. Why a random intercept (compound symmetry): an
  unstructured-covariance MMRM has no well-kept Python solver (statsmodels has none; MixedLM
  with 6 x 6 random visit effects cannot separate them from the residual variance).
- MI: multiple imputation under MAR by chained equations of the changes at the scheduled
  visits (each visit's change regressed on BASE and the other visits' changes; Bayesian
  linear regression draws, van Buuren's "norm" method), `imputations` data sets after
  MI_ITERATIONS cycles each, seeded by `seed`; the Month 36 mean change of each data set
  (variance s^2 / n, complete-data df n - 1) pooled by Rubin's rules with the Barnard-Rubin
  degrees of freedom (mice::pool).
- MI_DELTA (FSMC total, TIPPING_PARAMCD): delta-adjusted MI, the imputed Month 36 changes of
  the subjects without a Month 36 value shifted by delta points towards worse (level = delta);
  stat "tipping_point" (group MI_DELTA, level "") = the smallest delta of the grid at which
  the pooled CI contains 0 (inf when none does; NaN when the CI is not computable).

References: Rubin DB, Multiple imputation for nonresponse in surveys (1987); Barnard J, Rubin DB,
Biometrika 1999;86:948-955; van Buuren S, Flexible imputation of missing data, 2nd ed (2018),
algorithm 3.1; ICH E9(R1) (2019); Mallinckrodt CH et al., Drug Inf J 2008;42:303-319.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.analysis import ard, change_from_baseline, stats
from helpers.study import spec

ANALYSIS = "sensitivity"
#: the main outcomes (ADQS PARAMCD) in table order
OUTCOMES = ("FSMCTOT", "FSMCCOG", "FSMCMOT", "SDMTTOT", "BDITOT", "MSISPHYS", "MSISPSY", "EDSS")
#: approach code (ARD group) -> reader-facing name, in table order
APPROACHES: dict[str, str] = {
    "EOS": "Last post-baseline value (EOS; published)",
    "OC": "Observed cases at Month 36",
    "COMP": "Completers (EOS)",
    "WINDOW": "In-window assessments only (EOS)",
    "LMM": "Linear mixed model, MAR (Month 36)",
    "MI": "Multiple imputation, MAR (Month 36)",
}
REFERENCE_APPROACH = "EOS"
DELTA_GROUP = "MI_DELTA"
TIPPING_PARAMCD = "FSMCTOT"
FINAL_VISIT = spec.POST_BASELINE_VISITS[-1]
#: chained-equation cycles per imputed data set
MI_ITERATIONS = 10
#: mice's floor of the fraction of missing information in the Barnard-Rubin df
MIN_LAMBDA = 1e-4


@dataclass(frozen=True)
class Estimate:
    """A mean change with its (1 - alpha) CI and two-sided p: n subjects, df of the t."""

    n: int
    estimate: float
    se: float
    df: float
    lower: float
    upper: float
    p: float


def t_estimate(estimate: float, se: float, df: float, n: int, alpha: float) -> Estimate:
    """Wald t interval and two-sided t test of `estimate` with standard error `se` and `df`."""
    from scipy import stats as sps

    if not (np.isfinite(se) and se > 0 and df > 0):
        return Estimate(n, estimate, se, df, np.nan, np.nan, np.nan)
    half = sps.t.ppf(1 - alpha / 2, df) * se
    p = 2 * sps.t.sf(abs(estimate / se), df)
    return Estimate(n, estimate, se, df, estimate - half, estimate + half, float(p))


def mean_change(values: pd.Series, alpha: float) -> Estimate:
    """Mean of the changes with its t interval (stats.mean_t_ci) and one-sample t test p."""
    x = pd.to_numeric(values).dropna().to_numpy(dtype=float)
    if x.size < 2:
        return Estimate(x.size, float(x.mean()) if x.size else np.nan, np.nan, np.nan, np.nan,
                        np.nan, np.nan)  # fmt: skip
    ci = stats.mean_t_ci(pd.Series(x), alpha)
    found = t_estimate(ci.mean, x.std(ddof=1) / np.sqrt(x.size), x.size - 1, x.size, alpha)
    return Estimate(found.n, ci.mean, found.se, found.df, ci.lower, ci.upper, found.p)


def _rows(found: Estimate, paramcd: str, approach: str, visit: str, population: str,
          method: str, level: str = "") -> pd.DataFrame:  # fmt: skip
    return ard.rows(ANALYSIS, population,
                    {"n": found.n, "estimate": found.estimate, "lcl": found.lower,
                     "ucl": found.upper, "p": found.p},
                    paramcd=paramcd, variable="CHG", visit=visit, group=approach, level=level,
                    method=method)  # fmt: skip


def last_in_window(records: pd.DataFrame) -> pd.DataFrame:
    """The post-baseline records in their visit window (AWINFL Y) that are the last such record
    (by AVISITN, then ADY) of their subject x parameter."""
    post = records[records["ABLFL"].ne("Y") & records["AWINFL"].eq("Y")]
    post = post.sort_values(["USUBJID", "PARAMCD", "AVISITN", "ADY"])
    return post.drop_duplicates(["USUBJID", "PARAMCD"], keep="last")


def observed_ard(records: pd.DataFrame, completers: Iterable[str], population: str,
                 alpha: float) -> pd.DataFrame:  # fmt: skip
    """Rows of the approaches EOS, OC, COMP and WINDOW (t intervals of observed changes) of
    the analysed records `records` (change_from_baseline.analysed_records) of every outcome."""
    completers = set(completers)
    eos = records[records["EOSFL"].eq("Y") & records["CHG"].notna()]
    oc = records[records["AVISIT"].eq(FINAL_VISIT) & records["CHG"].notna()]
    window = last_in_window(records)
    method = ard.method_name(mean_change, f": t interval and one-sample t test, alpha {alpha}")
    cells = []
    for code in OUTCOMES:
        chosen = {
            "EOS": (eos, "EOS", population),
            "OC": (oc, FINAL_VISIT, population),
            "COMP": (eos[eos["USUBJID"].isin(completers)], "EOS", "COMP"),
            "WINDOW": (window, "EOS", population),
        }
        for approach, (rec, visit, pop) in chosen.items():
            found = mean_change(rec.loc[rec["PARAMCD"].eq(code), "CHG"], alpha)
            cells.append(_rows(found, code, approach, visit, pop,
                               f"{method}; {APPROACHES[approach]}"))  # fmt: skip
    return ard.combine(cells)


def visit_design(post: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Fixed-effects design of the mixed model: one indicator per scheduled visit present (no
    intercept), then BASE; and the column names."""
    visits = [v for v in spec.POST_BASELINE_VISITS if v in set(post["AVISIT"])]
    x = np.column_stack([*(post["AVISIT"].eq(v).to_numpy(float) for v in visits),
                         post["BASE"].to_numpy(float)])  # fmt: skip
    return x, [*visits, "BASE"]


def gls_covariance(x: np.ndarray, groups: np.ndarray, sigma2: float, tau2: float) -> np.ndarray:
    """(X' V^-1 X)^-1 of a random-intercept model, V = sigma2 I + tau2 J per group (nlme's
    varFix; statsmodels' cov_params is the inverse of the joint observed information instead):
    V_i^-1 = (I - c_i J) / sigma2 with c_i = tau2 / (sigma2 + n_i tau2)."""
    information = np.zeros((x.shape[1], x.shape[1]))
    for group in pd.unique(groups):
        xi = x[groups == group]
        total = xi.sum(axis=0)
        c = tau2 / (sigma2 + len(xi) * tau2)
        information += (xi.T @ xi - c * np.outer(total, total)) / sigma2
    return np.linalg.inv(information)


def mixed_model(post: pd.DataFrame, alpha: float) -> Estimate:
    """Month 36 mean change at the mean baseline from the REML random-intercept model
    CHG ~ 0 + visit + BASE, (1 | USUBJID) (statsmodels MixedLM) of one outcome's
    post-baseline records `post` (USUBJID, AVISIT, BASE, CHG); mean baseline over subjects,
    t with the containment df (subjects - 1), as emmeans for nlme::lme."""
    import warnings

    from statsmodels.regression.mixed_linear_model import MixedLM

    post = post.sort_values(["USUBJID", "AVISIT"], kind="stable")
    x, names = visit_design(post)
    n = post["USUBJID"].nunique()
    not_estimable = Estimate(n, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan)
    # estimable: Month 36 observed, more subjects than fixed effects, a full-rank design
    if FINAL_VISIT not in names or n <= len(names) or np.linalg.matrix_rank(x) < len(names):
        return not_estimable
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter; the fit is checked against R
        try:
            fit = MixedLM(post["CHG"].to_numpy(float), x, groups=post["USUBJID"].to_numpy(),
                          exog_re=np.ones((len(post), 1))).fit(
                reml=True, method=["lbfgs"], gtol=1e-10, maxiter=1000)  # fmt: skip
        except np.linalg.LinAlgError:  # a singular variance (e.g. no within-subject variation)
            return not_estimable
    contrast = np.zeros(len(names))
    contrast[names.index(FINAL_VISIT)] = 1.0
    contrast[-1] = post.drop_duplicates("USUBJID")["BASE"].mean()
    beta = np.asarray(fit.fe_params)
    cov = gls_covariance(x, post["USUBJID"].to_numpy(), fit.scale,
                         float(np.asarray(fit.cov_re)[0, 0]))
    return t_estimate(float(contrast @ beta), float(np.sqrt(contrast @ cov @ contrast)), n - 1,
                      n, alpha)  # fmt: skip


def mixed_model_ard(records: pd.DataFrame, population: str, alpha: float) -> pd.DataFrame:
    """Rows of the approach LMM (mixed_model) of every outcome."""
    post = records[records["ABLFL"].ne("Y") & records["CHG"].notna()]
    method = ard.method_name(
        mixed_model, ": REML linear mixed model CHG ~ visit + BASE with a random subject "
        "intercept (statsmodels MixedLM); Month 36 mean at the mean baseline, containment df, "
        f"alpha {alpha}")  # fmt: skip
    return ard.combine(
        _rows(mixed_model(post[post["PARAMCD"].eq(code)], alpha), code, "LMM", FINAL_VISIT,
              population, method)
        for code in OUTCOMES
    )  # fmt: skip


def wide_changes(records: pd.DataFrame) -> pd.DataFrame:
    """One outcome's analysed subjects (rows, sorted) x BASE and the change at each scheduled
    post-baseline visit (columns; NaN = no analysed value)."""
    post = records[records["ABLFL"].ne("Y") & records["CHG"].notna()]
    wide = post.pivot(index="USUBJID", columns="AVISIT", values="CHG")
    base = records.drop_duplicates("USUBJID").set_index("USUBJID")["BASE"]
    wide = wide.reindex(index=sorted(base.index), columns=list(spec.POST_BASELINE_VISITS))
    return pd.concat([base.rename("BASE"), wide], axis=1)


def _norm_draw(y: np.ndarray, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Coefficients drawn from the posterior of a Bayesian linear regression of y on x with a
    flat prior (van Buuren 2018, algorithm 3.1): sigma^2 ~ SSR / chi2(n - k), beta ~
    N(beta_hat, sigma^2 (X'X)^-1); returns (beta, sigma)."""
    xtx = x.T @ x
    xtx += np.eye(len(xtx)) * 1e-5 * np.diag(xtx).mean()  # mice's ridge against collinearity
    inverse = np.linalg.inv(xtx)
    beta_hat = inverse @ x.T @ y
    residual = y - x @ beta_hat
    sigma = np.sqrt(residual @ residual / rng.chisquare(max(len(y) - x.shape[1], 1)))
    beta = beta_hat + sigma * np.linalg.cholesky(inverse) @ rng.standard_normal(len(beta_hat))
    return np.append(beta, sigma)


def impute_chained(wide: pd.DataFrame, imputations: int, rng: np.random.Generator,
                   iterations: int = MI_ITERATIONS) -> np.ndarray:  # fmt: skip
    """Imputed copies (imputations x subjects x columns) of `wide` (complete first column,
    BASE) by chained equations: missing values start as random draws of the column's observed
    values; each cycle imputes each incomplete column from an intercept and every other column
    (_norm_draw, predicted value + a normal residual); after `iterations` cycles the copy is
    kept. A column without at least 3 observed values more than predictors stays missing."""
    data = wide.to_numpy(float)
    missing = np.isnan(data)
    columns = [j for j in range(data.shape[1]) if missing[:, j].any()
               and (~missing[:, j]).sum() >= data.shape[1] + 3]  # fmt: skip
    out = np.empty((imputations, *data.shape))
    for i in range(imputations):
        filled = data.copy()
        for j in columns:
            filled[missing[:, j], j] = rng.choice(data[~missing[:, j], j], missing[:, j].sum())
        for _ in range(iterations):
            for j in columns:
                x = np.column_stack([np.ones(len(filled)), np.delete(filled, j, axis=1)])
                observed = ~missing[:, j]
                draw = _norm_draw(filled[observed, j], x[observed], rng)
                rows = missing[:, j]
                filled[rows, j] = x[rows] @ draw[:-1] + draw[-1] * rng.standard_normal(rows.sum())
        out[i] = filled
    return out


@dataclass(frozen=True)
class Pooled:
    """Rubin's rules (mice::pool): estimate = mean of the m estimates, within = mean of their
    variances, between = their variance, total = within + (1 + 1/m) between; df Barnard-Rubin
    with the complete-data df; CI and p from the t with df."""

    m: int
    estimate: float
    within: float
    between: float
    total: float
    df: float
    fmi_lambda: float


def rubin_pool(estimates: Sequence[float], variances: Sequence[float],
               dfcom: float) -> Pooled:  # fmt: skip
    """Pool m complete-data estimates and variances by Rubin's rules; lambda = (1 + 1/m) B / T
    (at least MIN_LAMBDA, as mice), df_old = (m - 1) / lambda^2, df_obs = (dfcom + 1) /
    (dfcom + 3) dfcom (1 - lambda), df = df_old df_obs / (df_old + df_obs)."""
    q, u = np.asarray(estimates, float), np.asarray(variances, float)
    m = len(q)
    within, between = float(u.mean()), float(q.var(ddof=1))
    total = within + (1 + 1 / m) * between
    lam = max((1 + 1 / m) * between / total, MIN_LAMBDA)
    df_old = (m - 1) / lam**2
    df_obs = (dfcom + 1) / (dfcom + 3) * dfcom * (1 - lam)
    return Pooled(m, float(q.mean()), within, between, total, df_old * df_obs / (df_old + df_obs),
                  lam)  # fmt: skip


def pooled_mean_change(imputed: np.ndarray, alpha: float) -> Estimate:
    """Rubin-pooled mean of the imputed changes `imputed` (imputations x subjects): per data
    set the mean with variance s^2 / n and complete-data df n - 1."""
    n = imputed.shape[1]
    pooled = rubin_pool(imputed.mean(axis=1), imputed.var(axis=1, ddof=1) / n, n - 1)
    return t_estimate(pooled.estimate, float(np.sqrt(pooled.total)), pooled.df, n, alpha)


def imputed_final_changes(records: pd.DataFrame, paramcd: str, imputations: int,
                          seed: int) -> tuple[pd.DataFrame, np.ndarray]:  # fmt: skip
    """For one outcome: its wide_changes and the Month 36 change of each subject in each
    imputed data set (impute_chained; random stream seeded by (seed, the outcome's position in
    OUTCOMES), so that each outcome's imputations are the same whichever others run)."""
    wide = wide_changes(records[records["PARAMCD"].eq(paramcd)])
    rng = np.random.default_rng([seed, OUTCOMES.index(paramcd)])
    imputed = impute_chained(wide, imputations, rng)
    return wide, imputed[:, :, list(wide.columns).index(FINAL_VISIT)]


def multiple_imputation_ard(records: pd.DataFrame, population: str, alpha: float,
                            imputations: int, seed: int,
                            deltas: Iterable[float]) -> pd.DataFrame:  # fmt: skip
    """Rows of the approaches MI (every outcome) and MI_DELTA with the tipping point
    (TIPPING_PARAMCD) of the module docstring."""
    settings = (f"chained equations (Bayesian linear regression draws), {imputations} "
                f"imputations x {MI_ITERATIONS} cycles, seed {seed}; Rubin's rules, "
                f"Barnard-Rubin df, alpha {alpha}")  # fmt: skip
    cells = []
    for code in OUTCOMES:
        wide, final = imputed_final_changes(records, code, imputations, seed)
        if wide.empty or np.isnan(final).all():
            continue
        cells.append(_rows(pooled_mean_change(final, alpha), code, "MI", FINAL_VISIT, population,
                           ard.method_name(pooled_mean_change,
                                           f": multiple imputation under MAR: {settings}")))
        if code != TIPPING_PARAMCD:
            continue
        worse = -1.0 if spec.INSTRUMENTS["FSMC"].higher_is_better else 1.0
        dropout = wide[FINAL_VISIT].isna().to_numpy()
        tipping = np.inf
        for delta in deltas:
            shifted = final + worse * delta * dropout
            found = pooled_mean_change(shifted, alpha)
            cells.append(_rows(found, code, DELTA_GROUP, FINAL_VISIT, population,
                               ard.method_name(pooled_mean_change,
                                               ": delta-adjusted multiple imputation (imputed"
                                               f" Month 36 changes + {worse * delta:g} x delta):"
                                               f" {settings}"),
                               level=f"{delta:g}"))  # fmt: skip
            if tipping == np.inf and not found.lower > 0 and not found.upper < 0:
                tipping = delta if np.isfinite(found.lower) else np.nan  # NaN: no CI
        cells.append(ard.rows(ANALYSIS, population, {"tipping_point": tipping}, paramcd=code,
                              variable="CHG", visit=FINAL_VISIT, group=DELTA_GROUP,
                              method=ard.method_name(
                                  multiple_imputation_ard,
                                  ": smallest delta whose pooled CI contains 0 (inf: none; NaN:"
                                  " no CI)")))
    return ard.combine(cells)


def sensitivity_ard(adqs: pd.DataFrame, efficacy_set: pd.DataFrame, population: str,
                    alpha: float, imputations: int, seed: int,
                    deltas: Iterable[float]) -> pd.DataFrame:  # fmt: skip
    """ARD "sensitivity" of the efficacy set's patients (ADSL rows `efficacy_set`, population
    `population`; the completers are its COMPFL Y rows): every approach of APPROACHES for
    every outcome of OUTCOMES, then the delta-adjusted rows (module docstring)."""
    records = change_from_baseline.analysed_records(adqs, efficacy_set["USUBJID"], "PATIENT",
                                                    OUTCOMES)
    completers = efficacy_set.loc[efficacy_set["COMPFL"].eq("Y"), "USUBJID"]
    out = ard.combine([
        observed_ard(records, completers, population, alpha),
        mixed_model_ard(records, population, alpha),
        multiple_imputation_ard(records, population, alpha, imputations, seed, deltas),
    ])  # fmt: skip
    order = {(code, approach): i for i, (code, approach) in
             enumerate((c, a) for c in OUTCOMES for a in [*APPROACHES, DELTA_GROUP])}  # fmt: skip
    rank = [order[key] for key in zip(out["paramcd"], out["group"], strict=True)]
    return out.iloc[np.argsort(rank, kind="stable")].reset_index(drop=True)
