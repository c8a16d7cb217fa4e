"""A study data folder read into raw text frames: each domain's one file (dm.csv, dm.xpt, dm.json or
dm.ndjson: data-spec.md, File formats), read in its format (an XPT's text in the run's encoding),
and the file-level violations of those that cannot be read. Of an XPT or Dataset-JSON file only
the contract's columns are read (helpers.data.schemas.COLUMNS)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers.data import DEFAULT_ENCODING
from helpers.data.csv_reader import CsvFormatError, RawCsv, read_csv
from helpers.data.dataset_json import read_dataset_json
from helpers.data.formats import FORMATS, FormatError
from helpers.data.schemas import COLUMNS
from helpers.data.violations import file_problem, violation_table
from helpers.data.xpt import read_xpt
from helpers.study import spec


def domain_files(folder: Path) -> tuple[dict[str, Path], pd.DataFrame]:
    """Each domain's file in folder (dm.csv, .xpt, .json or .ndjson: data-spec.md, File formats),
    and the file-level errors: a domain with no file, or with more than one."""
    found: dict[str, Path] = {}
    problems: list[pd.DataFrame] = []
    for file in spec.FILES:
        paths = [Path(folder) / f"{file}.{fmt}" for fmt in FORMATS]
        present = [p for p in paths if p.is_file()]
        if not present:
            problems.append(file_problem(file, missing_file_rule(file)))
        elif len(present) > 1:
            names = " and ".join(p.name for p in present)
            problems.append(file_problem(file, f"{names}: one file per domain, in one format"))
        else:
            found[file] = present[0]
    return found, violation_table(problems)


def missing_file_rule(file: str) -> str:
    others = [f"{file}.{fmt}" for fmt in FORMATS[1:]]
    return (f"required file {file}.csv is missing (or {', '.join(others[:-1])} or "
            f"{others[-1]})")


def read_folder(
    folder: Path, encoding: str = DEFAULT_ENCODING
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, dict[str, str]]:
    """The raw frames of the files that could be read, the file-level errors of the others and
    each domain's file name; `encoding` is that of XPT text (helpers.data.ENCODINGS). A frame's
    attrs["file"] is its file's name."""
    paths, found_problems = domain_files(folder)
    raw: dict[str, pd.DataFrame] = {}
    problems: list[pd.DataFrame] = [found_problems]
    for file, path in paths.items():
        try:
            raw[file], read_problems = _read_file(file, path, encoding)
        except UnicodeDecodeError:
            problems.append(file_problem(file, f"{path.name} must be UTF-8 encoded"))
        except CsvFormatError as e:
            rule = f"{path.name} must be comma-separated with one header row ({e})"
            problems.append(file_problem(file, rule))
        except FormatError as e:
            problems.append(file_problem(file, f"{path.name}: {e}"))
        else:
            raw[file].attrs["file"] = path.name
            problems.append(read_problems)
    return raw, violation_table(problems), {file: path.name for file, path in paths.items()}


def _read_file(file: str, path: Path, encoding: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One domain's file as raw text cells, and its rows that could not be read as cells: a CSV
    line with the wrong number of fields, a Dataset-JSON value of the wrong type, an XPT text not
    valid in `encoding`."""
    if path.suffix == ".csv":
        csv_file = read_csv(path)
        return csv_file.frame, _ragged_rows(file, csv_file)
    if path.suffix == ".xpt":
        table = read_xpt(path, COLUMNS[file], encoding)
    else:
        table = read_dataset_json(path, COLUMNS[file])
    errors = table.cell_errors
    usubjid = table.frame.get("USUBJID")
    return table.frame, pd.DataFrame({
        "file": file, "column": errors["column"], "line": errors["line"],
        "USUBJID": "" if usubjid is None else [str(usubjid.iloc[i - 1]) for i in errors["line"]],
        "value": errors["value"], "rule": errors["rule"],
    })


def _ragged_rows(file: str, csv_file: RawCsv) -> pd.DataFrame:
    """One violation per line whose field count differs from the header's (the line is not read)."""
    ragged = csv_file.ragged
    n_fields = len(csv_file.frame.columns) - 1
    return pd.DataFrame({
        "file": file, "column": "", "line": ragged["line"], "USUBJID": "",
        "value": ragged["fields"].astype(str) + " fields",
        "rule": f"every line must have the {n_fields} fields of the header (line not read)",
    })
