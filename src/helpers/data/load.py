"""Read a study data folder (study/data-spec.md) into typed DataFrames.

Every file (CSV, SAS transport or Dataset-JSON) is read with every cell as a string (nothing
coerced; categorical columns, so that each distinct string is stored and checked once),
validated against every rule of data-spec.md (helpers.data.validate), and only then converted to
types. A folder that breaks a rule is
rejected with the whole table of violations; warnings (e.g. rows outside their visit window) are
returned beside the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import polars as pl

from helpers.data import DEFAULT_ENCODING
from helpers.data.csv_reader import LINE
from helpers.data.folder import read_folder
from helpers.data.validate import check_raw
from helpers.data.violations import ValidationReport
from helpers.study import spec


@dataclass(frozen=True)
class StudyData:
    """The six files of a study data folder, typed, and elapsed day 0 of its treated subjects.

    Only the columns of data-spec.md are kept, plus `_LINE` (the row's line number in its CSV
    file, header = line 1; int32 below 2^31 lines). Dates are datetime64[ns] (NaT when empty),
    numeric columns float64, code and text columns categorical (NaN when empty; categories in
    no set order). qs, the large one (75M rows at 100k patients), is a Polars frame of the
    data-spec columns only, a few bytes a cell (codes and text Enum, numbers Float64, dates Date,
    null when empty: helpers.data.schemas.polars_typed_frame), as helpers.adam.adqs derives
    from it; its rows in file order, without _LINE (only validation reports lines).
    day0: the first alemtuzumab infusion of each treated subject (index USUBJID, values TRTSDT:
    helpers.study.time_axis.first_infusion of ex), computed once, by validation, for the run.
    """

    dm: pd.DataFrame
    ex: pd.DataFrame
    qs: pl.DataFrame
    ce: pd.DataFrame
    ae: pd.DataFrame
    cg: pd.DataFrame
    day0: pd.Series


class StudyDataError(Exception):
    """A study data folder that breaks data-spec.md; str(e) is the formatted violation table."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(report.format())
        self.report = report


def read_raw(folder: Path, encoding: str = DEFAULT_ENCODING) -> dict[str, pd.DataFrame]:
    """The six files of `folder` (CSV, XPT, Dataset-JSON or NDJSON, data.folder.read_folder; XPT
    text in `encoding`) as str frames ("" when empty) with `_LINE` (a CSV's line, header = line
    1; an XPT or JSON record).

    The cells are categorical columns of the exact strings (a cell is one of its column's
    categories; set a new string with `.cat.add_categories` or cast the column to object first).

    Raises StudyDataError when a domain has no file or two, or a file cannot be read.
    """
    raw, problems, files = read_folder(Path(folder), encoding)
    if not problems.empty:
        raise StudyDataError(ValidationReport(problems, problems.iloc[0:0], files))
    return raw


def load_study(
    folder: Path, encoding: str = DEFAULT_ENCODING
) -> tuple[StudyData, ValidationReport]:
    """Read (XPT text in `encoding`), validate and type a study data folder; raises
    StudyDataError if any rule is broken."""
    report, typed, day0 = check_raw(read_raw(folder, encoding))
    if not report.ok:
        raise StudyDataError(report)
    typed["qs"] = typed["qs"].drop(LINE)
    return StudyData(**{f: typed[f] for f in spec.FILES}, day0=day0), report
