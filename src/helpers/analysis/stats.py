"""Statistical tests and estimators used by the analyses and the key results.

Each function states its definition; tests/test_stats.py checks them against scipy, pandas or
lifelines called directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # lifelines and scipy take long to import: only the functions using them do
    from lifelines import KaplanMeierFitter

#: changes are rounded to this many decimals before ranking, so that float noise
#: (100*5/36 - 100*3/36) cannot decide whether two changes tie (study/published.yaml)
CHANGE_DECIMALS = 9
#: how scipy.stats.wilcoxon(method="auto") of the pinned scipy computes the p-value (counting
#: every change, zeros included): exact when there are at most SIGNED_RANK_EXACT_MAX_N changes,
#: none zero and none tied; by all sign permutations when there are at most
#: SIGNED_RANK_PERMUTATION_MAX_N changes with zeros or ties; else by the normal approximation
#: with tie-corrected variance and no continuity correction (R: wilcox.test(exact = FALSE,
#: correct = FALSE) on the non-zero changes)
SIGNED_RANK_EXACT_MAX_N = 50
SIGNED_RANK_PERMUTATION_MAX_N = 13


@dataclass(frozen=True)
class SignedRankResult:
    """Two-sided Wilcoxon signed-rank test of change from baseline.

    n: non-missing changes; statistic: scipy's W; p: two-sided p-value (NaN when n == 0 or all
    changes are zero); effect_size: matched-pairs rank-biserial correlation
    r = (sum of positive ranks - sum of negative ranks) / (sum of all ranks), zeros dropped.
    """

    n: int
    statistic: float
    p: float
    effect_size: float


def signed_rank_test(change: pd.Series) -> SignedRankResult:
    """Two-sided Wilcoxon signed-rank test that the median change is zero.

    Definition: scipy.stats.wilcoxon(chg, zero_method="wilcox", method="auto") on the non-missing
    changes, each rounded to CHANGE_DECIMALS first; zero changes are dropped ("wilcox"); the
    p-value is exact, by permutation or approximate as SIGNED_RANK_EXACT_MAX_N says.
    """
    from scipy import stats as sps

    chg = pd.to_numeric(change, errors="raise").dropna().round(CHANGE_DECIMALS).to_numpy()
    nonzero = chg[chg != 0]
    if nonzero.size == 0:
        return SignedRankResult(int(chg.size), np.nan, np.nan, np.nan)
    res = sps.wilcoxon(chg, zero_method="wilcox", method="auto")
    ranks = sps.rankdata(np.abs(nonzero))
    effect = (ranks[nonzero > 0].sum() - ranks[nonzero < 0].sum()) / ranks.sum()
    return SignedRankResult(int(chg.size), float(res.statistic), float(res.pvalue), float(effect))


def planned_sample_size(effect_size: float, alpha: float, power: float, dropout: float) -> int:
    """Patients to enrol for a two-sided one-sample (paired) t-test of the mean change.

    n = statsmodels TTestPower().solve_power(effect_size, alpha, power, alternative="two-sided"),
    rounded up, then inflated for drop-out: ceil(n / (1 - dropout)).
    """
    from statsmodels.stats.power import TTestPower

    n = TTestPower().solve_power(
        effect_size=effect_size, alpha=alpha, power=power, alternative="two-sided"
    )
    return int(np.ceil(np.ceil(n) / (1.0 - dropout)))


@dataclass(frozen=True)
class MeanCI:
    """Mean with a two-sided t confidence interval: mean +/- t(1 - alpha/2, n - 1) * SD / sqrt(n).

    n: non-missing values; lower/upper NaN when n < 2.
    """

    n: int
    mean: float
    lower: float
    upper: float


def mean_t_ci(values: pd.Series, alpha: float = 0.05) -> MeanCI:
    """Mean and its t-based (1 - alpha) confidence interval over the non-missing values."""
    from scipy import stats as sps

    x = pd.to_numeric(values, errors="raise").dropna().to_numpy(dtype=float)
    n = int(x.size)
    if n == 0:
        return MeanCI(0, np.nan, np.nan, np.nan)
    mean = float(x.mean())
    if n < 2:
        return MeanCI(n, mean, np.nan, np.nan)
    half = sps.t.ppf(1 - alpha / 2, n - 1) * x.std(ddof=1) / np.sqrt(n)
    return MeanCI(n, mean, float(mean - half), float(mean + half))


@dataclass(frozen=True)
class RateCI:
    """Event rate = events / exposure with the exact (Garwood, chi-square) Poisson interval.

    lower = chi2.ppf(alpha/2, 2k) / 2 / exposure (0 when k == 0);
    upper = chi2.ppf(1 - alpha/2, 2k + 2) / 2 / exposure.
    """

    events: int
    exposure: float
    rate: float
    lower: float
    upper: float


def poisson_rate_ci(events: int, exposure: float, alpha: float = 0.05) -> RateCI:
    """Rate events / exposure with its exact Poisson (1 - alpha) confidence interval."""
    from scipy import stats as sps

    if exposure <= 0:
        raise ValueError(f"exposure must be positive, got {exposure}")
    k = int(events)
    lower = 0.0 if k == 0 else float(sps.chi2.ppf(alpha / 2, 2 * k)) / 2
    upper = float(sps.chi2.ppf(1 - alpha / 2, 2 * k + 2)) / 2
    return RateCI(k, float(exposure), k / exposure, lower / exposure, upper / exposure)


@dataclass(frozen=True)
class KMSummary:
    """Kaplan-Meier summary: subjects, events, median time with the (1 - alpha) CI of lifelines
    (exponential Greenwood pointwise band, i.e. Greenwood's variance on the log(-log S) scale,
    R's survfit conf.type = "log-log"; each limit = the first time its band is <= 0.5); inf
    when not reached."""

    n: int
    events: int
    median: float
    lower: float
    upper: float


def kaplan_meier_fit(
    durations: pd.Series, observed: pd.Series, alpha: float = 0.05
) -> KaplanMeierFitter:
    """lifelines KaplanMeierFitter fitted on durations (time) and observed (1 = event)."""
    from lifelines import KaplanMeierFitter

    return KaplanMeierFitter(alpha=alpha).fit(
        durations.astype(float), observed.astype(bool), label="Patients"
    )


def kaplan_meier_summary(
    durations: pd.Series, observed: pd.Series, alpha: float = 0.05
) -> KMSummary:
    """Median time to event and its CI from lifelines (median_survival_times on the KM band)."""
    from lifelines.utils import median_survival_times

    kmf = kaplan_meier_fit(durations, observed, alpha)
    ci = median_survival_times(kmf.confidence_interval_).to_numpy().ravel()
    return KMSummary(
        len(durations),
        int(observed.astype(bool).sum()),
        float(kmf.median_survival_time_),
        float(ci[0]),
        float(ci[1]),
    )


def intraclass_correlation(
    ratings: pd.DataFrame, target: str, rater: str, value: str, alpha: float = 0.05
) -> pd.DataFrame:
    """Single-rater ICCs of Shrout and Fleiss (1979), from the two-way ANOVA mean squares of the
    n targets x k raters table (targets rated by every rater only): BMS between targets, JMS
    between raters, EMS residual.

    ICC(2,1) = two-way random effects, absolute agreement (McGraw and Wong "ICC(A,1)"):
    (BMS - EMS) / (BMS + (k-1) EMS + k (JMS - EMS) / n), limits with Satterthwaite's degrees of
    freedom (Shrout and Fleiss 1979, eq. for ICC(2,1)); ICC(3,1) = two-way mixed effects,
    consistency ("ICC(C,1)"): (BMS - EMS) / (BMS + (k-1) EMS), limits from F = BMS / EMS. The p
    of both tests ICC = 0: F = BMS / EMS on n-1 and (n-1)(k-1) degrees of freedom. Columns:
    type, icc, lower, upper (1 - alpha interval, unrounded), p.
    """
    from scipy import stats as sps

    y = ratings.pivot_table(index=target, columns=rater, values=value, aggfunc="first")
    y = y.dropna().to_numpy(dtype="float64")
    n, k = y.shape
    grand = y.mean()
    bms = k * ((y.mean(axis=1) - grand) ** 2).sum() / (n - 1)
    jms = n * ((y.mean(axis=0) - grand) ** 2).sum() / (k - 1)
    resid = y - y.mean(axis=1, keepdims=True) - y.mean(axis=0, keepdims=True) + grand
    ems = (resid**2).sum() / ((n - 1) * (k - 1))
    f_value, df1, df2 = bms / ems, n - 1, (n - 1) * (k - 1)
    q = 1 - alpha / 2
    icc3 = (bms - ems) / (bms + (k - 1) * ems)
    f_low, f_high = f_value / sps.f.ppf(q, df1, df2), f_value * sps.f.ppf(q, df2, df1)
    icc2 = (bms - ems) / (bms + (k - 1) * ems + k * (jms - ems) / n)
    a = n * (1 + (k - 1) * icc2) - k * icc2
    fj = jms / ems
    v = (k - 1) * (n - 1) * (k * icc2 * fj + a) ** 2 / ((n - 1) * (k * icc2 * fj) ** 2 + a**2)
    f_star, f_star2 = sps.f.ppf(q, n - 1, v), sps.f.ppf(q, v, n - 1)
    c = k * jms + (k * n - k - n) * ems
    p = float(sps.f.sf(f_value, df1, df2))
    return pd.DataFrame({
        "type": ["ICC(2,1)", "ICC(3,1)"],
        "icc": [icc2, icc3],
        "lower": [n * (bms - f_star * ems) / (f_star * c + n * bms),
                  (f_low - 1) / (f_low + k - 1)],
        "upper": [n * (f_star2 * bms - ems) / (c + n * f_star2 * bms),
                  (f_high - 1) / (f_high + k - 1)],
        "p": [p, p],
    })


@dataclass(frozen=True)
class BlandAltman:
    """Bland-Altman agreement of paired measurements a, b (difference = a - b).

    bias = mean difference; limits of agreement = bias +/- 1.96 SD of the differences (ddof=1).
    """

    n: int
    bias: float
    sd: float
    lower_loa: float
    upper_loa: float


def bland_altman(a: pd.Series, b: pd.Series) -> BlandAltman:
    """Bias and 95% limits of agreement over the pairs where both a and b are present."""
    both = pd.concat([a, b], axis=1, keys=["a", "b"]).dropna()
    diff = both["a"] - both["b"]
    sd = float(diff.std(ddof=1))
    bias = float(diff.mean())
    return BlandAltman(len(diff), bias, sd, bias - 1.96 * sd, bias + 1.96 * sd)


def describe(values: pd.Series) -> dict[str, float]:
    """n, mean, sd (ddof=1; NaN when n < 2), median, q1, q3 (linear interpolation), min, max of
    the non-missing values (numpy on the array; every value NaN but n when there are none)."""
    x = pd.to_numeric(values, errors="raise").dropna().to_numpy(dtype=float)
    if x.size == 0:
        return {"n": 0.0} | dict.fromkeys(("mean", "sd", "median", "q1", "q3", "min", "max"),
                                          np.nan)  # fmt: skip
    q1, q3 = np.quantile(x, [0.25, 0.75])
    return {
        "n": float(x.size),
        "mean": float(x.mean()),
        "sd": float(x.std(ddof=1)) if x.size > 1 else np.nan,
        "median": float(np.median(x)),
        "q1": float(q1),
        "q3": float(q3),
        "min": float(x.min()),
        "max": float(x.max()),
    }
