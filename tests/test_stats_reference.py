"""helpers.analysis.stats pinned by values worked out by hand or by exact enumeration, and by a
published worked example, not by the library call the code itself makes.

- Wilcoxon signed-rank (published.yaml: zero_method "wilcox", changes rounded to 9 decimals):
  W = the smaller of the positive and negative rank sums (midranks for ties, zeros dropped);
  with n <= 50 the two-sided p is exact: the share of the 2^n sign assignments of the ranks
  whose positive rank sum is at least as extreme, p = min(1, 2 x min(P(R+ <= r), P(R+ >= r))).
- ICC: Shrout and Fleiss (1979), Psychological Bulletin 86(2), 420-428, Table 2 (6 targets
  rated by 4 judges), whose Table 3 gives the mean squares and Table 4 the ICCs.
"""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from helpers.analysis import stats


def exact_p(ranks: list[float], positive_sum: float) -> float:
    """Two-sided p of a positive rank sum by enumerating every sign assignment of the ranks."""
    sums = [sum(r for r, s in zip(ranks, signs, strict=True) if s)
            for signs in product((False, True), repeat=len(ranks))]
    low = sum(s <= positive_sum + 1e-9 for s in sums) / len(sums)
    high = sum(s >= positive_sum - 1e-9 for s in sums) / len(sums)
    return min(1.0, 2 * min(low, high))


@pytest.mark.parametrize(("changes", "n", "w", "ranks", "positive_sum"), [
    # no ties: |1| |2| |3| |4| -> ranks 1 2 3 4; R- = 3 (the -3), R+ = 7; W = 3.
    # Sums <= 3 among the 16 assignments: {}, {1}, {2}, {3}, {1,2} = 5 -> p = 2 x 5/16 = 0.625
    ([1.0, 2.0, -3.0, 4.0], 4, 3.0, [1, 2, 3, 4], 7.0),
    # zeros are dropped ("wilcox"), n counts every non-missing change: the same ranks as above
    ([0.0, 0.0, 1.0, 2.0, -3.0, 4.0], 6, 3.0, [1, 2, 3, 4], 7.0),
    # a tie: |0.2| twice -> midranks 1.5, 1.5, then 3 4 5; R- = 1.5, R+ = 13.5; W = 1.5.
    # Sums <= 1.5 among 32: {}, {1.5a}, {1.5b} = 3 -> p = 2 x 3/32 = 0.1875.
    # 0.3 - 0.1 = 0.19999999999999998 in floats: rounded to 9 decimals it ties with -0.2.
    ([0.3 - 0.1, -0.2, 0.5, 0.7, 0.9], 5, 1.5, [1.5, 1.5, 3, 4, 5], 13.5),
    # all negative: R+ = 0 = W; only the empty set has sum <= 0: p = 2 x 1/32 = 0.0625
    ([-1.0, -2.0, -3.0, -4.0, -5.0], 5, 0.0, [1, 2, 3, 4, 5], 0.0),
    # ties and a zero: 0 dropped; |1| |1| |2| |2| -> midranks 1.5 1.5 3.5 3.5; R+ = 1.5 + 3.5
    # = 5 (the +1 and +2), R- = 5; W = 5; p = 1 (the observed sum is the centre)
    ([0.0, 1.0, -1.0, 2.0, -2.0], 5, 5.0, [1.5, 1.5, 3.5, 3.5], 5.0),
])  # fmt: skip
def test_signed_rank_by_exact_enumeration(changes: list[float], n: int, w: float,
                                          ranks: list[float], positive_sum: float) -> None:
    res = stats.signed_rank_test(pd.Series(changes))
    assert res.n == n
    assert res.statistic == pytest.approx(w)
    assert res.p == pytest.approx(exact_p(ranks, positive_sum))
    # rank-biserial r = (R+ - R-) / (R+ + R-)
    total = sum(ranks)
    assert res.effect_size == pytest.approx((2 * positive_sum - total) / total)


def test_signed_rank_worked_p_values() -> None:
    """The enumerations above give these fractions (a check of the checker)."""
    assert exact_p([1, 2, 3, 4], 7.0) == 10 / 16
    assert exact_p([1.5, 1.5, 3, 4, 5], 13.5) == 6 / 32
    assert exact_p([1, 2, 3, 4, 5], 0.0) == 2 / 32


# --- ICC: Shrout and Fleiss (1979), Table 2 ------------------------------------------------------
SF_RATINGS = np.array([  # rows: targets 1-6; columns: judges 1-4
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
], dtype=float)
#: Table 3: between-targets, within-target, between-judges and residual mean squares
SF_MEAN_SQUARES = {"BMS": 11.24, "WMS": 6.26, "JMS": 32.49, "EMS": 1.02}
#: Table 4: ICC(2,1) = .29, ICC(3,1) = .71
SF_ICC = {"ICC(2,1)": 0.29, "ICC(3,1)": 0.71}


def mean_squares(y: np.ndarray) -> dict[str, float]:
    n, k = y.shape
    grand = y.mean()
    resid = y - y.mean(axis=1, keepdims=True) - y.mean(axis=0, keepdims=True) + grand
    return {
        "BMS": k * ((y.mean(axis=1) - grand) ** 2).sum() / (n - 1),
        "WMS": ((y - y.mean(axis=1, keepdims=True)) ** 2).sum() / (n * (k - 1)),
        "JMS": n * ((y.mean(axis=0) - grand) ** 2).sum() / (k - 1),
        "EMS": (resid**2).sum() / ((n - 1) * (k - 1)),
    }


def shrout_fleiss(y: np.ndarray, alpha: float = 0.05) -> dict[str, tuple[float, ...]]:
    """(icc, lower, upper, p) of ICC(2,1) and ICC(3,1) by Shrout and Fleiss's formulas (ICC(2,1)
    limits with Satterthwaite's degrees of freedom; p of F = BMS / EMS)."""
    n, k = y.shape
    ms = mean_squares(y)
    bms, jms, ems = ms["BMS"], ms["JMS"], ms["EMS"]
    f_value = bms / ems
    df1, df2 = n - 1, (n - 1) * (k - 1)
    p = sps.f.sf(f_value, df1, df2)
    icc3 = (bms - ems) / (bms + (k - 1) * ems)
    f_low = f_value / sps.f.ppf(1 - alpha / 2, df1, df2)
    f_high = f_value * sps.f.ppf(1 - alpha / 2, df2, df1)
    icc3_limits = ((f_low - 1) / (f_low + k - 1), (f_high - 1) / (f_high + k - 1))
    icc2 = (bms - ems) / (bms + (k - 1) * ems + k * (jms - ems) / n)
    fj = jms / ems
    a = n * (1 + (k - 1) * icc2) - k * icc2
    v = (k - 1) * (n - 1) * (k * icc2 * fj + a) ** 2 / ((n - 1) * k**2 * icc2**2 * fj**2 + a**2)
    f_star = sps.f.ppf(1 - alpha / 2, n - 1, v)
    f_star2 = sps.f.ppf(1 - alpha / 2, v, n - 1)
    c = k * jms + (k * n - k - n) * ems
    icc2_limits = (n * (bms - f_star * ems) / (f_star * c + n * bms),
                   n * (f_star2 * bms - ems) / (c + n * f_star2 * bms))
    return {"ICC(2,1)": (icc2, *icc2_limits, p), "ICC(3,1)": (icc3, *icc3_limits, p)}


def test_shrout_fleiss_table_reproduced_by_the_reference_formulas() -> None:
    ms = mean_squares(SF_RATINGS)
    for name, published in SF_MEAN_SQUARES.items():
        assert round(ms[name], 2) == published, name
    for name, published in SF_ICC.items():
        assert round(shrout_fleiss(SF_RATINGS)[name][0], 2) == published, name


def test_intraclass_correlation_on_shrout_fleiss_table_2() -> None:
    n, k = SF_RATINGS.shape
    long = pd.DataFrame({"target": np.repeat(np.arange(n), k),
                         "judge": np.tile(["J1", "J2", "J3", "J4"], n),
                         "rating": SF_RATINGS.ravel()})
    res = stats.intraclass_correlation(long, "target", "judge", "rating").set_index("type")
    for name, (icc, lower, upper, p) in shrout_fleiss(SF_RATINGS).items():
        assert round(res.loc[name, "icc"], 2) == SF_ICC[name]
        assert res.loc[name, "icc"] == pytest.approx(icc, abs=1e-9)
        assert res.loc[name, "lower"] == pytest.approx(lower, abs=1e-6), name
        assert res.loc[name, "upper"] == pytest.approx(upper, abs=1e-6), name
        assert res.loc[name, "p"] == pytest.approx(p, rel=1e-6)
    # pingouin, an independent implementation, rounds its limits to 2 decimals
    import pingouin as pg

    ref = pg.intraclass_corr(long, targets="target", raters="judge", ratings="rating")
    ref = ref.set_index("Type").rename(index={"ICC(A,1)": "ICC(2,1)", "ICC(C,1)": "ICC(3,1)"})
    for name in SF_ICC:
        assert res.loc[name, "icc"] == pytest.approx(ref.loc[name, "ICC"])
        assert res.loc[name, "p"] == pytest.approx(ref.loc[name, "pval"])
        assert [round(res.loc[name, c], 2) for c in ("lower", "upper")] == list(
            ref.loc[name, "CI95"])
    # the limits worked out above, for the reader: ICC(2,1) 0.290 [0.019, 0.761],
    # ICC(3,1) 0.715 [0.342, 0.946], p = 0.000135 (F = 11.03 on 5 and 15 df)
    assert res.loc["ICC(2,1)", ["lower", "upper"]].round(3).tolist() == [0.019, 0.761]
    assert res.loc["ICC(3,1)", ["lower", "upper"]].round(3).tolist() == [0.342, 0.946]
