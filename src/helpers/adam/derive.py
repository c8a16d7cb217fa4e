"""Derivation of the ADaM-like analysis datasets (ADSL, ADQS, ADAE, ADTTE) and the exclusion
counts of a run from the typed study data.

The datasets' columns are documented in helpers.adam.files.COLUMNS (with their CSV files); the
derivations live in helpers.adam.adsl, adqs, adae and adtte, the relapse rule in
helpers.adam.base, the time axis in helpers.study.time_axis, the instrument scores in
helpers.study.instruments. ADQS, the large one (its qs has 75M rows at 100k patients), is derived
with Polars; the others with pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import polars as pl

from helpers.adam.adae import derive_adae
from helpers.adam.adqs import derive_adqs
from helpers.adam.adsl import derive_adsl
from helpers.adam.adtte import derive_adtte
from helpers.adam.files import COLUMNS, Adam, conform, read_adam, write_adam
from helpers.study.time_axis import by_subject

if TYPE_CHECKING:
    from helpers.data.load import StudyData

#: read_adam and write_adam live in helpers.adam.files; importable from here too
__all__ = ["COLUMNS", "Adam", "conform", "derive_adam", "read_adam", "write_adam"]


def derive_adam(study: StudyData, exclude_out_of_window: bool = False) -> Adam:
    """All analysis datasets of a typed study, conformed, and every exclusion counted.

    exclude_out_of_window: out-of-window post-baseline ADQS records get ANLFL = N and enter no
    baseline, change or EOS (they stay in ADQS, flagged and counted).
    """
    day0 = study.day0
    adqs, ex_qs = derive_adqs(study.qs, by_subject(day0), exclude_out_of_window)
    adqs = conform(_as_pandas(adqs), "adqs")
    adsl, ex_sl = derive_adsl(study.dm, study.ex, study.ce, study.cg, day0, adqs)
    adae, ex_ae = derive_adae(study.ae, study.ex, day0)
    adtte, ex_tte = derive_adtte(adsl, adqs, study.ce)
    exclusions = pd.DataFrame([*ex_sl, *ex_qs, *ex_ae, *ex_tte])
    return Adam(
        adsl=conform(adsl, "adsl"),
        adqs=adqs,
        adae=conform(adae, "adae"),
        adtte=conform(adtte, "adtte"),
        exclusions=conform(exclusions, "exclusions"),
    )


def _as_pandas(frame: pl.DataFrame) -> pd.DataFrame:
    """A Polars frame as pandas, text as categorical (a few bytes per cell on a large study),
    dates as datetime64[ns] (_pandas_column). Column by column, each taken out of `frame` (left
    empty) as it is converted, so that the large ADQS is never held twice (nor as an Arrow copy
    beside both frames)."""
    return pd.DataFrame({name: _pandas_column(frame.drop_in_place(name)) for name in frame.columns},
                        copy=False)


def _pandas_column(column: pl.Series) -> pd.Series:
    """Text (Enum) as categorical of the values present, in string order, unordered (as pandas'
    own text categories), built from the Enum's codes; dates as datetime64[ns]; numbers as
    float64."""
    if isinstance(column.dtype, pl.Enum):
        present = sorted(column.drop_nulls().unique().cast(pl.String).to_list())
        codes = column.cast(pl.Enum(present)).to_physical().cast(pl.Int32).fill_null(-1)
        return pd.Series(pd.Categorical.from_codes(codes.to_numpy(), categories=present))
    if column.dtype == pl.Date:
        column = column.cast(pl.Datetime("ns"))
    return column.to_pandas()
