"""Analysis results data (ARD): every statistic of a run as one row (CDISC ARS, {cards}).

Columns (all text except `value`):
- analysis: stable id of the analysis, e.g. "outcomes_eos", "baseline", "ae_pt"
- population: analysis set (ENR, SAF, FAS, COMP, CG)
- paramcd: ADQS/ADTTE parameter or ADSL variable the statistic describes ("" when none)
- variable: the analysed column (AVAL, CHG, BASE, ...; "" when none)
- visit: timepoint (BASELINE, MONTH 3, ..., EOS; "" when none)
- group / level: the group and category a statistic is per ("" when none)
- stat: n, N, pct, mean, sd, median, q1, q3, min, max, estimate, lcl, ucl, p, r, events, rank, ...
- value: the statistic at full precision (float; NaN when not computable, inf when not reached)
- method: the function that computed the statistic, as Python names it (method_name:
  "helpers.analysis.stats.describe"), then any detail of how it was called (", alpha 0.05")

Formatting (decimals, "<0.001") happens only where a row is displayed. The CSV writer gives
deterministic bytes: the shortest text that reads back as the same float (Python's repr).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pandas as pd

from helpers.analysis import stats

COLUMNS = ("analysis", "population", "paramcd", "variable", "visit", "group", "level", "stat",
           "value", "method")  # fmt: skip
KEYS = tuple(c for c in COLUMNS if c not in ("value", "method"))


def method_name(function: Callable[..., object], detail: str = "") -> str:
    """The `method` of the ARD rows that `function` computed: its module and qualified name
    ("helpers.analysis.stats.describe"), then `detail` as given (", alpha 0.05", ": n (%) of
    ENR"). Taken from the function object, so that a moved or renamed function renames its
    rows; tests/test_ard.py resolves every such name of a run's ARD to an importable function."""
    return f"{function.__module__}.{function.__qualname__}{detail}"


def rows(analysis: str, population: str, values: Mapping[str, float], *, method: str = "",
         paramcd: str = "", variable: str = "", visit: str = "", group: str = "",
         level: str = "") -> pd.DataFrame:  # fmt: skip
    """ARD rows of one analysis cell: one row per (stat, value) of `values`."""
    return pd.DataFrame(
        [
            (analysis, population, paramcd, variable, visit, group, level, stat, float(v), method)
            for stat, v in values.items()
        ],
        columns=list(COLUMNS),
    )


def continuous(analysis: str, population: str, values: pd.Series, **keys: str) -> pd.DataFrame:
    """ARD rows of the summary statistics of a continuous variable ({cards} ard_continuous):
    stats.describe of `values` (n, mean, sd, median, q1, q3, min, max), method stats.describe."""
    return rows(analysis, population, stats.describe(values),
                method=method_name(stats.describe), **keys)  # fmt: skip


def combine(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """One ARD frame of several, in the given order."""
    frames = list(frames)
    if not frames:
        return pd.DataFrame(columns=list(COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(COLUMNS)]


def _text(x: float) -> str:
    """Shortest round-trip text of a float; "" for NaN."""
    return "" if math.isnan(x) else repr(float(x))


def write_ard(ard: pd.DataFrame, folder: str | Path, notebook: str) -> Path:
    """Write <folder>/<notebook>.csv (UTF-8, "\\n" line ends, values as shortest round-trip text).

    Raises ValueError when two rows share every key column (a statistic must be one row)."""
    dup = ard.duplicated(list(KEYS), keep=False)
    if dup.any():
        raise ValueError(f"ARD of {notebook}: rows share their keys:\n{ard[dup].head()}")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{notebook}.csv"
    text = ard[list(COLUMNS)].astype({c: str for c in COLUMNS if c != "value"})
    text = text.assign(value=[_text(v) for v in ard["value"]])
    text.to_csv(path, index=False, lineterminator="\n")
    return path


def read_ard(folder: str | Path) -> pd.DataFrame:
    """Every <folder>/*.csv ARD, with a `notebook` column; value as float, keys as text."""
    frames = [
        pd.read_csv(path, dtype=str, keep_default_na=False).assign(notebook=path.stem)
        for path in sorted(Path(folder).glob("*.csv"))
    ]
    ard = pd.concat(frames, ignore_index=True) if frames else combine([]).assign(notebook="")
    return ard.assign(value=[float(v) if v else math.nan for v in ard["value"]])


def select(ard: pd.DataFrame, **keys: str) -> pd.DataFrame:
    """The rows whose key columns equal `keys` (unnamed keys: any value)."""
    mask = pd.Series(True, index=ard.index)
    for name, value in keys.items():
        mask &= ard[name].eq(value)
    return ard[mask]


def value(ard: pd.DataFrame, **keys: str) -> float:
    """The value of the one row matching `keys`; KeyError naming the keys when not exactly one."""
    found = select(ard, **keys)
    if len(found) != 1:
        raise KeyError(f"{len(found)} ARD rows match {keys}, expected 1")
    return float(found["value"].iloc[0])


def n_pct(analysis: str, population: str, mask: pd.Series, *, method: str = "",
          paramcd: str = "", level: str = "", **keys: str) -> pd.DataFrame:  # fmt: skip
    """ARD rows n, N and pct (100 n / N; NaN when N = 0) of a condition over a population's
    rows (`mask`: one boolean per row)."""
    return counts(analysis, population, [(paramcd, level, int(mask.sum()))], len(mask),
                  method=method, **keys)


def counts(analysis: str, population: str, counted: Iterable[tuple[str, str, int]],
           denominator: int, *, method: str = "", **keys: str) -> pd.DataFrame:  # fmt: skip
    """ARD rows n, N and pct (100 n / N; NaN when N = 0) of each (paramcd, level, n) of
    `counted`, all over one denominator N."""
    def pct(n: int) -> float:
        return 100.0 * n / denominator if denominator else math.nan

    return combine(
        rows(analysis, population, {"n": n, "N": denominator, "pct": pct(n)}, method=method,
             paramcd=paramcd, level=level, **keys)
        for paramcd, level, n in counted
    )


def categories(analysis: str, population: str, values: pd.Series, levels: Iterable[str], *,
               method: str = "", **keys: str) -> pd.DataFrame:  # fmt: skip
    """n_pct of each level of a categorical column over all its rows: `levels` first (shown
    even when empty), then any other value sorted, a missing value as the level "Missing"."""
    levels = tuple(levels)
    filled = values.fillna("Missing")
    ordered = [*levels, *sorted(set(filled) - set(levels))]
    return combine(n_pct(analysis, population, filled.eq(level), level=level, method=method,
                         **keys) for level in ordered)  # fmt: skip
