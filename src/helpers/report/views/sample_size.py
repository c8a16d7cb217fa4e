"""The planned sample size over the grid of assumptions, a view of the
helpers.analysis.sample_size rows."""

from __future__ import annotations

import pandas as pd

from helpers.analysis import ard
from helpers.report import tables


def sample_size_grid(results: pd.DataFrame, target: int) -> pd.DataFrame:
    """The planned sample size over the grid of assumptions (sample_size_grid_ard rows, one
    table row per combination) and whether each gives `target`."""
    cells = ard.select(results, analysis="sample_size_grid")
    wide = cells.pivot(index="group", columns="stat", values="value")
    wide = wide.loc[sorted(wide.index, key=int)]
    n = wide["n"].astype(int)
    return pd.DataFrame({
        "Effect size (d)": wide["effect_size"].map("{:.2f}".format),
        "Power": wide["power"].map("{:.2f}".format),
        "Drop-out": wide["dropout"].map(tables.fmt_share),
        "\u03b1 (two-sided)": wide["alpha"].map("{:.2f}".format),
        "N to enrol": n,
        f"Gives N = {target}": ["yes" if k == target else "" for k in n],
    }).reset_index(drop=True)  # fmt: skip
