"""helpers.analysis.stats against independent computations with numpy, scipy and lifelines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from scipy import stats as sps

from helpers.analysis import stats

RNG = np.random.default_rng(7)


def test_signed_rank_matches_scipy_and_rank_biserial_by_hand() -> None:
    chg = pd.Series([-5.0, -3.0, 2.0, -8.0, 0.0, -1.0, 4.0, -6.0, np.nan, -2.0])
    res = stats.signed_rank_test(chg)
    x = chg.dropna().to_numpy()
    ref = sps.wilcoxon(x, zero_method="wilcox")
    assert res.n == 9
    assert res.p == pytest.approx(ref.pvalue)
    nz = pd.Series(x[x != 0])
    ranks = nz.abs().rank()
    expected_r = (ranks[nz > 0].sum() - ranks[nz < 0].sum()) / ranks.sum()
    assert res.effect_size == pytest.approx(expected_r)
    assert res.effect_size < 0  # mostly negative changes


def test_signed_rank_rounds_float_noise_into_ties() -> None:
    # 0.3 - 0.1 = 0.19999999999999998 in floats: without rounding it would rank below 0.2
    noisy = pd.Series([0.3 - 0.1, -0.2, -1.0, 3.0, 4.0])
    clean = pd.Series([0.2, -0.2, -1.0, 3.0, 4.0])
    assert noisy[0] != 0.2
    res, ref = stats.signed_rank_test(noisy), sps.wilcoxon(clean)
    assert (res.statistic, res.p) == pytest.approx((ref.statistic, ref.pvalue))


def test_signed_rank_all_zero_is_nan() -> None:
    res = stats.signed_rank_test(pd.Series([0.0, 0.0]))
    assert res.n == 2 and np.isnan(res.p)


def test_mean_t_ci_matches_scipy_interval() -> None:
    x = pd.Series(RNG.normal(3, 2, 25))
    res = stats.mean_t_ci(pd.concat([x, pd.Series([np.nan])]), alpha=0.1)
    lo, hi = sps.t.interval(0.9, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
    assert (res.n, res.mean) == (25, pytest.approx(x.mean()))
    assert (res.lower, res.upper) == (pytest.approx(lo), pytest.approx(hi))


def test_mean_t_ci_single_value_has_no_interval() -> None:
    res = stats.mean_t_ci(pd.Series([2.0]))
    assert res.mean == 2.0 and np.isnan(res.lower)


@pytest.mark.parametrize(("events", "years"), [(0, 10.0), (1, 3.5), (17, 80.2)])
def test_poisson_rate_ci_matches_gamma_quantiles(events: int, years: float) -> None:
    res = stats.poisson_rate_ci(events, years)
    lower = 0.0 if events == 0 else sps.gamma.ppf(0.025, events) / years
    upper = sps.gamma.ppf(0.975, events + 1) / years
    assert res.rate == pytest.approx(events / years)
    assert (res.lower, res.upper) == (pytest.approx(lower), pytest.approx(upper))
    # exactness: the tail probabilities at the limits are alpha/2
    assert sps.poisson.sf(events - 1, upper * years) > 0.975 - 1e-9
    if events:
        assert sps.poisson.cdf(events - 1, lower * years) == pytest.approx(0.975)


def test_poisson_rate_ci_rejects_zero_exposure() -> None:
    with pytest.raises(ValueError):
        stats.poisson_rate_ci(1, 0.0)


def _km_median_by_hand(t: pd.Series, e: pd.Series) -> float:
    d = pd.DataFrame({"t": t, "e": e})
    events = d.groupby("t")["e"].sum()
    at_risk = d.groupby("t").size()[::-1].cumsum()[::-1]
    surv = (1 - events / at_risk).cumprod()
    below = surv[surv <= 0.5]
    return float(below.index[0]) if len(below) else np.inf


def test_kaplan_meier_summary_median_by_hand_and_ci_from_lifelines() -> None:
    t = pd.Series([3.0, 5, 6, 6, 8, 10, 12, 12, 15, 20, 24, 30])
    e = pd.Series([1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 0])
    res = stats.kaplan_meier_summary(t, e)
    assert (res.n, res.events) == (12, 7)
    assert res.median == pytest.approx(_km_median_by_hand(t, e))
    kmf = KaplanMeierFitter().fit(t, e.astype(bool))
    band = kmf.confidence_interval_
    lower_col, upper_col = band.columns
    # CI of the median = first times at which the band's limits reach 0.5
    assert res.lower == pytest.approx(band.index[band[lower_col] <= 0.5][0])
    upper_hits = band.index[band[upper_col] <= 0.5]
    assert res.upper == (pytest.approx(upper_hits[0]) if len(upper_hits) else np.inf)


def test_kaplan_meier_not_reached_is_inf() -> None:
    res = stats.kaplan_meier_summary(pd.Series([1.0, 2, 3, 4]), pd.Series([1, 0, 0, 0]))
    assert np.isinf(res.median)


def _mean_squares(y: np.ndarray) -> tuple[float, float, float]:
    """Two-way ANOVA mean squares of an n x k table: rows (targets), columns (raters), error."""
    n, k = y.shape
    grand = y.mean()
    msr = k * ((y.mean(axis=1) - grand) ** 2).sum() / (n - 1)
    msc = n * ((y.mean(axis=0) - grand) ** 2).sum() / (k - 1)
    sse = ((y - y.mean(axis=1, keepdims=True) - y.mean(axis=0, keepdims=True) + grand) ** 2).sum()
    return msr, msc, sse / ((n - 1) * (k - 1))


def _icc_by_hand(y: np.ndarray) -> tuple[float, float]:
    """Shrout and Fleiss ICC(2,1), ICC(3,1) from the two-way ANOVA mean squares (n x k)."""
    n, k = y.shape
    msr, msc, mse = _mean_squares(y)
    icc2 = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
    icc3 = (msr - mse) / (msr + (k - 1) * mse)
    return icc2, icc3


def _icc3_ci_by_hand(y: np.ndarray, alpha: float = 0.05) -> tuple[float, float]:
    """Shrout and Fleiss (1979) F-based CI of ICC(3,1)."""
    n, k = y.shape
    msr, _, mse = _mean_squares(y)
    f0, df1, df2 = msr / mse, n - 1, (n - 1) * (k - 1)
    f_low = f0 / sps.f.ppf(1 - alpha / 2, df1, df2)
    f_up = f0 * sps.f.ppf(1 - alpha / 2, df2, df1)
    return (f_low - 1) / (f_low + k - 1), (f_up - 1) / (f_up + k - 1)


def test_intraclass_correlation_matches_anova_formulas() -> None:
    truth = RNG.normal(50, 20, 30)
    y = np.column_stack([truth + RNG.normal(0, 8, 30), truth + 5 + RNG.normal(0, 8, 30)])
    long = pd.DataFrame(
        {"subject": np.repeat(np.arange(30), 2), "rater": ["P", "C"] * 30, "y": y.ravel()}
    )
    res = stats.intraclass_correlation(long, "subject", "rater", "y").set_index("type")
    icc2, icc3 = _icc_by_hand(y)
    assert res.loc["ICC(2,1)", "icc"] == pytest.approx(icc2)
    assert res.loc["ICC(3,1)", "icc"] == pytest.approx(icc3)
    assert (res["lower"] <= res["icc"]).all() and (res["icc"] <= res["upper"]).all()
    # confidence limits at full precision (pingouin would round them to 2 decimals)
    limits = res.loc["ICC(3,1)", ["lower", "upper"]].tolist()
    assert limits == pytest.approx(_icc3_ci_by_hand(y), rel=1e-12)
    assert all(round(v, 2) != v for v in limits)


def test_bland_altman_by_hand() -> None:
    a = pd.Series([10.0, 20, 30, np.nan, 50])
    b = pd.Series([12.0, 18, 33, 40, np.nan])
    res = stats.bland_altman(a, b)
    d = np.array([-2.0, 2.0, -3.0])
    assert res.n == 3
    assert res.bias == pytest.approx(d.mean())
    assert res.upper_loa == pytest.approx(d.mean() + 1.96 * d.std(ddof=1))
    assert res.lower_loa == pytest.approx(d.mean() - 1.96 * d.std(ddof=1))


def _n_by_noncentral_t(d: float, alpha: float, power: float) -> int:
    """Smallest n whose two-sided one-sample t-test reaches `power` (noncentral t)."""
    for n in range(3, 2000):
        crit = sps.t.ppf(1 - alpha / 2, n - 1)
        nc = d * np.sqrt(n)
        achieved = sps.nct.sf(crit, n - 1, nc) + sps.nct.cdf(-crit, n - 1, nc)
        if achieved >= power:
            return n
    raise AssertionError("not reached")


@pytest.mark.parametrize(
    ("d", "power", "dropout"), [(0.4, 0.8, 0.15), (0.4, 0.9, 0.15), (0.35, 0.8, 0.1)]
)
def test_planned_sample_size_matches_noncentral_t(d: float, power: float, dropout: float) -> None:
    n = _n_by_noncentral_t(d, 0.05, power)
    assert stats.planned_sample_size(d, 0.05, power, dropout) == int(np.ceil(n / (1 - dropout)))


def _normal_approximation_p(changes: np.ndarray) -> float:
    """Two-sided signed-rank p by the normal approximation, zeros dropped, tie-corrected
    variance, no continuity correction (written out)."""
    d = changes[changes != 0]
    n = d.size
    ranks = sps.rankdata(np.abs(d))
    _, ties = np.unique(np.abs(d), return_counts=True)
    variance = n * (n + 1) * (2 * n + 1) / 24 - (ties**3 - ties).sum() / 48
    z = (ranks[d > 0].sum() - n * (n + 1) / 4) / np.sqrt(variance)
    return float(2 * sps.norm.sf(abs(z)))


@pytest.mark.parametrize("n", [stats.SIGNED_RANK_EXACT_MAX_N, stats.SIGNED_RANK_EXACT_MAX_N + 1])
def test_signed_rank_p_is_exact_up_to_its_limit_then_approximate(n: int) -> None:
    """Distinct non-zero changes: exact p at the limit (methods text), normal just past it."""
    changes = np.arange(1, n + 1) * np.where(np.arange(n) % 3 == 0, 1.0, -1.0)
    got = stats.signed_rank_test(pd.Series(changes)).p
    if n <= stats.SIGNED_RANK_EXACT_MAX_N:
        assert got == pytest.approx(sps.wilcoxon(changes, method="exact").pvalue, rel=1e-12)
    else:
        assert got == pytest.approx(_normal_approximation_p(changes), rel=1e-12)


@pytest.mark.parametrize(
    "n", [stats.SIGNED_RANK_PERMUTATION_MAX_N, stats.SIGNED_RANK_PERMUTATION_MAX_N + 1]
)
def test_signed_rank_p_with_ties_by_permutation_up_to_its_limit_then_approximate(n: int) -> None:
    """Changes with a tie and a zero: all sign permutations at the limit, normal just past it."""
    changes = np.concatenate([[0.0, 2.0, -2.0], np.arange(3, n) * -1.0 + 0.5])
    got = stats.signed_rank_test(pd.Series(changes)).p
    approximate = _normal_approximation_p(changes)
    if n <= stats.SIGNED_RANK_PERMUTATION_MAX_N:
        nonzero = changes[changes != 0]
        signs = np.array(np.meshgrid(*[[-1, 1]] * nonzero.size)).reshape(nonzero.size, -1).T
        ranks = sps.rankdata(np.abs(nonzero))
        plus = (signs > 0) @ ranks
        observed = ranks[nonzero > 0].sum()
        centre = ranks.sum() / 2
        exact = np.mean(np.abs(plus - centre) >= abs(observed - centre) - 1e-9)
        assert got == pytest.approx(exact, rel=1e-9) and got != pytest.approx(approximate)
    else:
        assert got == pytest.approx(approximate, rel=1e-12)
