"""Statistical tests and estimators used by the analyses and the key results.

Each function states its definition; tests/test_stats.py checks them against scipy, pandas or
lifelines called directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

#: changes are rounded to this many decimals before ranking, so that float noise
#: (100*5/36 - 100*3/36) cannot decide whether two changes tie (study/published.yaml)
CHANGE_DECIMALS = 9


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
    changes, each rounded to CHANGE_DECIMALS first; zero changes are dropped ("wilcox").
    """
    chg = pd.to_numeric(change, errors="raise").dropna().round(CHANGE_DECIMALS).to_numpy()
    nonzero = chg[chg != 0]
    if nonzero.size == 0:
        return SignedRankResult(int(chg.size), np.nan, np.nan, np.nan)
    res = sps.wilcoxon(chg, zero_method="wilcox", method="auto")
    ranks = sps.rankdata(np.abs(nonzero))
    effect = (ranks[nonzero > 0].sum() - ranks[nonzero < 0].sum()) / ranks.sum()
    return SignedRankResult(int(chg.size), float(res.statistic), float(res.pvalue), float(effect))


def kaplan_meier_median(durations: pd.Series, observed: pd.Series) -> float:
    """Kaplan-Meier median time (lifelines KaplanMeierFitter); inf when the curve stays above 0.5.

    durations: time to event or censoring; observed: 1/True = event, 0/False = censored.
    """
    from lifelines import KaplanMeierFitter

    kmf = KaplanMeierFitter().fit(durations.astype(float), observed.astype(bool))
    return float(kmf.median_survival_time_)


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
