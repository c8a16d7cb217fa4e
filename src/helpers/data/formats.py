"""Study data files in SAS transport (.xpt) and CDISC Dataset-JSON 1.1 (.json), read into the
form that a CSV is read into (helpers.data.csv_reader), so that one contract and the same
messages apply whatever the format (data-spec.md, File formats).

Each cell becomes the text that a CSV would hold: a character value as it is, a SAS missing or
a JSON null as "" (empty), a number in its shortest round-trip form ("45", "3.5",
"0.3333333333"; an integral number without decimals). `_LINE` is the record number (first data
record = 1): the file has no lines. In Dataset-JSON a cell must agree with its column's
`dataType` (a number in a numeric column, text in a string or date column); one that does not
is a violation of that record.

`convert_folder` writes a CSV study folder in another format (the synthetic cohort's
`--format`): numeric columns of the data spec as numbers, every other column as text.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers.data.csv_reader import LINE, line_dtype

#: the file endings a domain may have, in the order they are looked for
FORMATS = ("csv", "xpt", "json")
NUMERIC_TYPES = ("integer", "float", "double", "decimal")
#: the Dataset-JSON version that convert_folder writes (and the timestamp it states: fixed, so
#: that the same cohort gives the same bytes)
DATASET_JSON_VERSION = "1.1.0"
CREATED = "2024-01-01T00:00:00"


class FormatError(ValueError):
    """The file is not a readable XPT or Dataset-JSON file (str(e) says why)."""


@dataclass(frozen=True)
class RawTable:
    """One file read as text: `frame` has a categorical str column per variable plus _LINE;
    `type_errors` a row (column, line, value, rule) per cell whose type contradicts its column's
    declared type (Dataset-JSON only; empty for XPT)."""

    frame: pd.DataFrame
    type_errors: pd.DataFrame


def cell_text(value: Any) -> str:
    """The CSV text of one value: "" for None or NaN, a number in its shortest round-trip form
    (integral numbers without decimals), text as it is."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        return str(int(number)) if number.is_integer() and abs(number) < 2**53 else repr(number)
    return str(value)


def _text_frame(columns: dict[str, list[Any]], n_rows: int) -> pd.DataFrame:
    frame = pd.DataFrame(
        {name: pd.Categorical([cell_text(v) for v in values]) for name, values in columns.items()}
    )
    frame[LINE] = np.arange(1, n_rows + 1, dtype=line_dtype(n_rows))
    return frame


#: columns of RawTable.type_errors
TYPE_ERROR_COLUMNS = ["column", "line", "value", "rule"]


def _no_type_errors() -> pd.DataFrame:
    return pd.DataFrame(columns=TYPE_ERROR_COLUMNS)


def read_xpt(path: Path) -> RawTable:
    """A SAS transport file (version 5 or 8). Raises FormatError when it cannot be read."""
    import pyreadstat

    try:
        frame, _ = pyreadstat.read_xport(str(path))
    except Exception as exc:  # pyreadstat raises its own ReadstatError and others
        raise FormatError(f"not a readable SAS transport file ({exc})") from exc
    columns = {name: frame[name].tolist() for name in frame.columns}
    return RawTable(_text_frame(columns, len(frame)), _no_type_errors())


def read_dataset_json(path: Path) -> RawTable:
    """A CDISC Dataset-JSON 1.1 file: `columns` (name, dataType) and `rows` (arrays).

    Raises FormatError when the file is not JSON of that shape."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"not UTF-8 JSON ({exc})") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("columns"), list):
        raise FormatError("Dataset-JSON needs a `columns` list of {name, dataType}")
    if not all(isinstance(c, dict) and "name" in c and "dataType" in c for c in doc["columns"]):
        raise FormatError("every entry of `columns` needs a name and a dataType")
    names = [c["name"] for c in doc["columns"]]
    if len(set(names)) != len(names):
        raise FormatError(f"column names must be unique: {names}")
    rows = doc.get("rows", [])
    if not isinstance(rows, list) or not all(
        isinstance(r, list) and len(r) == len(names) for r in rows
    ):
        raise FormatError(f"`rows` must be a list of arrays of {len(names)} values (one a column)")
    columns = {name: [row[i] for row in rows] for i, name in enumerate(names)}
    errors = [
        (c["name"], line, cell_text(value), _type_rule(c["name"], c["dataType"]))
        for c in doc["columns"]
        for line, value in enumerate(columns[c["name"]], start=1)
        if not _agrees(value, c["dataType"])
    ]
    type_errors = pd.DataFrame(errors, columns=TYPE_ERROR_COLUMNS)
    return RawTable(_text_frame(columns, len(rows)), type_errors)


def _agrees(value: Any, data_type: str) -> bool:
    """A JSON value fits its column's dataType: null always; a number (not a boolean) in a
    numeric column; text in any other column."""
    if value is None:
        return True
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    return is_number if data_type in NUMERIC_TYPES else isinstance(value, str)


def _type_rule(column: str, data_type: str) -> str:
    kind = "a JSON number" if data_type in NUMERIC_TYPES else "JSON text"
    return f"{column} is a {data_type} column: each value must be {kind} or null"


def convert_folder(folder: Path, fmt: str, domains: tuple[str, ...] | None = None) -> None:
    """Replace the CSV files of a study folder (all, or those of `domains`) by `fmt` files
    ("xpt": SAS transport version 8; "json": Dataset-JSON 1.1). Columns of a numeric type in
    the data spec (helpers.data.schemas) are written as numbers, every other column as text."""
    from helpers.data.schemas import COLUMNS, kind

    folder = Path(folder)
    for domain in domains or tuple(COLUMNS):
        source = folder / f"{domain}.csv"
        text = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        numeric = [c for c in text.columns if c in COLUMNS[domain] and kind(domain, c) in
                   ("int", "float")]
        frame = text.astype(object)
        for column in numeric:
            frame[column] = pd.to_numeric(text[column].where(text[column] != ""))
        target = folder / f"{domain}.{fmt}"
        if fmt == "xpt":
            _write_xpt(frame, domain, target)
        elif fmt == "json":
            _write_dataset_json(frame, numeric, domain, target)
        else:
            raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
        source.unlink()


def _write_xpt(frame: pd.DataFrame, domain: str, target: Path) -> None:
    import pyreadstat

    pyreadstat.write_xport(
        frame, str(target), table_name=domain.upper(), file_format_version=8
    )


def _write_dataset_json(
    frame: pd.DataFrame, numeric: list[str], domain: str, target: Path
) -> None:
    def data_type(column: str) -> str:
        if column not in numeric:
            return "string"
        values = frame[column].dropna()
        return "integer" if (values == values.round()).all() else "double"

    types = {c: data_type(c) for c in frame.columns}
    rows = [
        [None if pd.isna(v) else int(v) if types[c] == "integer" else v
         for c, v in zip(frame.columns, record, strict=True)]
        for record in frame.itertuples(index=False, name=None)
    ]
    doc = {
        "datasetJSONCreationDateTime": CREATED,
        "datasetJSONVersion": DATASET_JSON_VERSION,
        "itemGroupOID": f"IG.{domain.upper()}",
        "records": len(rows),
        "name": domain.upper(),
        "label": domain.upper(),
        "columns": [
            {"itemOID": f"IT.{domain.upper()}.{c}", "name": c, "label": c, "dataType": types[c]}
            for c in frame.columns
        ],
        "rows": rows,
    }
    target.write_text(json.dumps(doc, separators=(",", ":")) + "\n", encoding="utf-8")
