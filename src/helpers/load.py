"""Read a study data folder (study/data-spec.md) into typed DataFrames.

(Helper A completes this module: read_raw, to_typed, load_study.)
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class StudyData:
    """The six files of a study data folder, typed.

    Only the columns of data-spec.md are kept, plus `_LINE` (the row's line number in its CSV
    file, header = line 1). Dates are datetime64[ns] (NaT when empty), numeric columns float64,
    code and text columns object with NaN when empty.
    """

    dm: pd.DataFrame
    ex: pd.DataFrame
    qs: pd.DataFrame
    ce: pd.DataFrame
    ae: pd.DataFrame
    cg: pd.DataFrame
