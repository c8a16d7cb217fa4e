"""The planned sample size recomputed from its assumptions, and over a grid of them (notebook
01; stats.planned_sample_size). The grid table is a view of these rows
(helpers.report.views.sample_size).
"""

from __future__ import annotations

import itertools

import pandas as pd

from helpers.analysis import ard, stats


def sample_size_ard(effect_size: float, alpha: float, power: float,
                    dropout: float) -> pd.DataFrame:  # fmt: skip
    """ARD "sample_size": the planned number of patients to enrol (stats.planned_sample_size)."""
    n = stats.planned_sample_size(effect_size, alpha, power, dropout)
    method = ard.method_name(stats.planned_sample_size, f"(effect_size={effect_size}, "
                             f"alpha={alpha}, power={power}, dropout={dropout})")  # fmt: skip
    return ard.rows("sample_size", "", {"n": n}, method=method)


def sample_size_grid_ard(effect_sizes: list[float], powers: list[float], dropouts: list[float],
                         alpha: float) -> pd.DataFrame:  # fmt: skip
    """ARD "sample_size_grid": stats.planned_sample_size over every combination of the
    assumptions, one cell per combination (group "1", "2", ... in effect size, power, drop-out
    order) holding the assumptions (effect_size, power, dropout, alpha) and the planned n."""
    combinations = itertools.product(effect_sizes, powers, dropouts)
    return ard.combine(
        ard.rows("sample_size_grid", "",
                 {"effect_size": d, "power": p, "dropout": q, "alpha": alpha,
                  "n": stats.planned_sample_size(d, alpha, p, q)},
                 group=str(i), method=ard.method_name(stats.planned_sample_size))
        for i, (d, p, q) in enumerate(combinations, 1)
    )  # fmt: skip
