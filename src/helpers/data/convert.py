"""Write a CSV study folder in another format of data-spec.md, File formats (the synthetic
cohort's `--format`): SAS transport version 8 (.xpt), Dataset-JSON 1.1 (.json) or its NDJSON
form (.ndjson). Numeric columns of the data spec are written as numbers (dataType integer when
every value is whole, else double), every other column as text; the same cohort gives the same
bytes (a fixed creation timestamp)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.data.formats import FORMATS

#: the Dataset-JSON version written, and the timestamp it states (fixed: the same bytes)
DATASET_JSON_VERSION = "1.1.0"
CREATED = "2024-01-01T00:00:00"
#: rows converted and written at once
WRITE_ROWS = 100_000


def convert_folder(folder: Path, fmt: str, domains: tuple[str, ...] | None = None) -> None:
    """Replace the CSV files of a study folder (all, or those of `domains`) by `fmt` files
    ("xpt", "json" or "ndjson"; module docstring)."""
    from helpers.data.schemas import COLUMNS, kind

    if fmt not in FORMATS[1:]:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS[1:])}")
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
        else:
            _write_dataset_json(frame, numeric, domain, target, ndjson=fmt == "ndjson")
        source.unlink()


def _write_xpt(frame: pd.DataFrame, domain: str, target: Path) -> None:
    import pyreadstat

    pyreadstat.write_xport(
        frame, str(target), table_name=domain.upper(), file_format_version=8
    )


def _write_dataset_json(
    frame: pd.DataFrame, numeric: list[str], domain: str, target: Path, ndjson: bool
) -> None:
    """Dataset-JSON 1.1: one object, or (ndjson) the metadata on line 1 and a row a line; the
    rows are written in chunks of WRITE_ROWS."""
    def data_type(column: str) -> str:
        if column not in numeric:
            return "string"
        values = frame[column].dropna()
        return "integer" if (values == values.round()).all() else "double"

    types = {c: data_type(c) for c in frame.columns}
    columns = [_json_values(frame[c], types[c]) for c in frame.columns]
    metadata: dict[str, Any] = {
        "datasetJSONCreationDateTime": CREATED,
        "datasetJSONVersion": DATASET_JSON_VERSION,
        "itemGroupOID": f"IG.{domain.upper()}",
        "records": len(frame),
        "name": domain.upper(),
        "label": domain.upper(),
        "columns": [
            {"itemOID": f"IT.{domain.upper()}.{c}", "name": c, "label": c, "dataType": types[c]}
            for c in frame.columns
        ],
    }
    encode = json.JSONEncoder(separators=(",", ":")).encode
    with target.open("w", encoding="utf-8", newline="\n") as f:
        f.write(encode(metadata) + "\n" if ndjson else encode(metadata)[:-1] + ',"rows":[')
        for start in range(0, len(frame), WRITE_ROWS):
            rows = list(zip(*(c[start:start + WRITE_ROWS] for c in columns), strict=True))
            if ndjson:
                f.write("".join(encode(row) + "\n" for row in rows))
            else:
                f.write(("," if start else "") + encode(rows)[1:-1])
        if not ndjson:
            f.write("]}\n")


def _json_values(column: pd.Series, data_type: str) -> list[Any]:
    """A column's values as JSON writes them: None for missing, int for an integer column."""
    missing = column.isna().tolist()
    values = column.fillna(0).astype("int64" if data_type == "integer" else object).tolist()
    return [None if m else v for v, m in zip(values, missing, strict=True)]
