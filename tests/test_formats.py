"""Study data in SAS transport (.xpt), Dataset-JSON 1.1 (.json) and its NDJSON form (.ndjson): the
same contract, the same messages and the same analysis datasets as CSV (data-spec.md, File
formats). The readers' own rules (truncation, encodings, the Dataset-JSON structure and value
types) are tested in test_readers.py."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from minimal_study import edit_csv, find_line, write_minimal_study
from test_validate import BREAKS, Break

from helpers.adam.derive import derive_adam, write_adam
from helpers.data.convert import convert_folder
from helpers.data.csv_reader import LINE
from helpers.data.folder import read_folder
from helpers.data.formats import cell_text
from helpers.data.load import load_study
from helpers.data.schemas import kind
from helpers.data.validate import validate_folder

FORMATS = ("xpt", "json", "ndjson")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""), (math.nan, ""), (45, "45"), (45.0, "45"), (-0.0, "0"), (3.5, "3.5"),
        (1 / 3, "0.3333333333333333"), (1e-05, "1e-05"), ("P01", "P01"), ("", ""),
        ("2021-03-04", "2021-03-04"),
    ],
)
def test_a_cell_reads_as_the_text_a_csv_would_hold(value: object, text: str):
    assert cell_text(value) == text


@pytest.fixture
def csv_study(tmp_path: Path) -> Path:
    return write_minimal_study(tmp_path / "csv")


def converted(csv_study: Path, fmt: str, domains: tuple[str, ...] | None = None) -> Path:
    folder = csv_study.parent / f"{fmt}-{'-'.join(domains or ('all',))}"
    shutil.copytree(csv_study, folder)
    convert_folder(folder, fmt, domains)
    return folder


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_domain_reads_as_the_same_text_cells(csv_study: Path, fmt: str):
    expected, problems, _ = read_folder(csv_study)
    assert problems.empty
    got, problems, files = read_folder(converted(csv_study, fmt))
    assert problems.empty, problems
    assert files == {d: f"{d}.{fmt}" for d in expected}
    for domain, frame in expected.items():
        # a CSV's first row is line 2 (header = line 1); an XPT or JSON file's first record is 1
        pd.testing.assert_frame_equal(
            got[domain].drop(columns=LINE).astype(str),
            frame.drop(columns=LINE).astype(str)[list(got[domain].columns.drop(LINE))],
        )
        assert (got[domain][LINE] == frame[LINE] - 1).all()


def test_numeric_columns_are_numbers_in_dataset_json(csv_study: Path):
    doc = json.loads((converted(csv_study, "json") / "dm.json").read_text())
    types = {c["name"]: c["dataType"] for c in doc["columns"]}
    assert types["AGE"] == "integer" and types["MSDURY"] in ("integer", "double")
    assert types["USUBJID"] == "string" and types["RFICDTC"] == "string"
    age = [row[[c["name"] for c in doc["columns"]].index("AGE")] for row in doc["rows"]]
    assert all(isinstance(a, int) for a in age)
    assert doc["datasetJSONVersion"] == "1.1.0" and doc["records"] == len(doc["rows"])


def test_sas_transport_version_5_is_read_too(csv_study: Path):
    """Version 5 holds names of up to 8 characters: ex fits (EXCOURSE has 8)."""
    folder = converted(csv_study, "xpt", ("ex",))
    frame, _ = pyreadstat.read_xport(str(folder / "ex.xpt"))
    pyreadstat.write_xport(frame, str(folder / "ex.xpt"), table_name="EX", file_format_version=5)
    assert validate_folder(folder).ok
    raw, _, _ = read_folder(folder)
    assert raw["ex"]["EXCOURSE"].astype(str).tolist()[:2] == ["1", "2"]


def adam_bytes(folder: Path, out: Path) -> dict[str, bytes]:
    study, report = load_study(folder)
    assert report.ok, report.format()
    write_adam(derive_adam(study, exclude_out_of_window=False), out)
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_and_a_mixed_folder_give_byte_identical_analysis_datasets(
    csv_study: Path, tmp_path: Path, fmt: str
):
    expected = adam_bytes(csv_study, tmp_path / "adam-csv")
    assert adam_bytes(converted(csv_study, fmt), tmp_path / f"adam-{fmt}") == expected
    mixed = converted(csv_study, fmt, ("dm", "qs"))  # dm and qs in fmt, the others CSV
    assert adam_bytes(mixed, tmp_path / f"adam-mixed-{fmt}") == expected


def as_r_writes_it(folder: Path) -> None:
    """Rewrite each .json of folder as the datasetjson R package writes it (R Consortium pilot
    5): every numeric column dataType decimal with its values as strings, padded to one width as
    R's format() pads them (" -7"), column labels [], and extra columns the contract does not
    list (a boolean, a decimal of "NA" text) that must be ignored."""
    for path in folder.glob("*.json"):
        doc = json.loads(path.read_text())
        for i, column in enumerate(doc["columns"]):
            column["label"] = []
            if column["dataType"] in ("integer", "double"):
                column |= {"dataType": "decimal", "targetDataType": "decimal"}
                texts = [None if row[i] is None else cell_text(row[i]) for row in doc["rows"]]
                width = max((len(t) for t in texts if t is not None), default=0)
                for row, text in zip(doc["rows"], texts, strict=True):
                    row[i] = None if text is None else text.rjust(width)
        doc["columns"] += [{"itemOID": f"IT.{name}", "name": name, "label": [], "dataType": kind}
                           for name, kind in (("XFLAG", "boolean"), ("XLEVEL", "decimal"))]
        for k, row in enumerate(doc["rows"]):
            row += [k % 2 == 0, "NA"]
        path.write_text(json.dumps(doc))


def test_dataset_json_as_r_writes_it_gives_byte_identical_analysis_datasets(
    csv_study: Path, tmp_path: Path
):
    folder = converted(csv_study, "json")
    as_r_writes_it(folder)
    doc = json.loads((folder / "dm.json").read_text())
    assert any(isinstance(v, str) and v.startswith(" ") for row in doc["rows"] for v in row)
    expected = adam_bytes(csv_study, tmp_path / "adam-csv")
    assert adam_bytes(folder, tmp_path / "adam-r") == expected


def test_two_files_of_one_domain_are_an_error_naming_both(csv_study: Path):
    folder = converted(csv_study, "json", ("dm",))
    shutil.copy(csv_study / "dm.csv", folder / "dm.csv")
    report = validate_folder(folder)
    rule = "dm.csv and dm.json: one file per domain, in one format"
    assert report.errors["rule"].tolist() == [rule]


def test_a_missing_domain_names_every_accepted_file(csv_study: Path):
    (csv_study / "ce.csv").unlink()
    report = validate_folder(csv_study)
    rule = "required file ce.csv is missing (or ce.xpt, ce.json or ce.ndjson)"
    assert rule in report.errors["rule"].tolist()


def test_an_unreadable_file_is_a_file_level_error(csv_study: Path):
    (csv_study / "ae.csv").unlink()
    (csv_study / "ae.xpt").write_bytes(b"not a transport file")
    (csv_study / "cg.csv").unlink()
    (csv_study / "cg.json").write_text('{"columns": [{"name": "USUBJID"}]}')
    rules = validate_folder(csv_study).errors["rule"].tolist()
    assert any(r.startswith("ae.xpt: not a readable SAS transport file") for r in rules), rules
    assert ("cg.json: 'datasetJSONCreationDateTime' is a required property") in rules, rules


def test_a_json_value_of_the_wrong_type_names_file_column_record_and_rule(csv_study: Path):
    folder = converted(csv_study, "json", ("dm",))
    doc = json.loads((folder / "dm.json").read_text())
    names = [c["name"] for c in doc["columns"]]
    doc["rows"][1][names.index("AGE")] = "45"  # text in an integer column
    (folder / "dm.json").write_text(json.dumps(doc))
    report = validate_folder(folder)
    row = report.errors.iloc[0]
    assert (row["file"], row["column"], row["line"], row["USUBJID"], row["value"]) == (
        "dm", "AGE", 2, doc["rows"][1][names.index("USUBJID")], "45"
    )
    assert row["rule"] == "AGE is an integer column: each value must be a JSON number or null"
    assert "dm.json" in report.format()


def _expressible(brk: Break) -> bool:
    """A break that an XPT or JSON file can hold: a numeric column holds numbers or nothing."""
    if brk.column not in ("USUBJID",) and kind(brk.file, brk.column) in ("int", "float"):
        try:
            float(brk.value or "0")
        except ValueError:
            return False
    return brk.value not in ("-99", ".")  # sentinels are text; -99 is a number, tested in CSV


#: each expressible break, in one of the formats (in turn: the suite stays quick)
FORMAT_BREAKS = [
    (FORMATS[i % len(FORMATS)], b) for i, b in enumerate(b for b in BREAKS if _expressible(b))
]


@pytest.mark.parametrize(
    ("fmt", "brk"), FORMAT_BREAKS, ids=lambda x: x if isinstance(x, str) else
    f"{x.file}-{x.column}-{x.value}",
)
def test_a_broken_rule_gives_the_csv_message_in_every_format(
    csv_study: Path, fmt: str, brk: Break
):
    """The same violation (file, column, subject, rule) as the CSV, at record = CSV line - 1."""
    line = find_line(csv_study, brk.file, **brk.where)
    edit_csv(csv_study, brk.file, line, brk.column, brk.value)
    expected = validate_folder(csv_study).errors
    folder = converted(csv_study, fmt, (brk.file,))
    got = validate_folder(folder)
    in_file = expected["file"].eq(brk.file)
    expected.loc[in_file, "line"] = expected.loc[in_file, "line"] - 1
    columns = ["file", "column", "line", "USUBJID", "value", "rule"]
    pd.testing.assert_frame_equal(got.errors[columns], expected[columns])
    assert got.files[brk.file] == f"{brk.file}.{fmt}"
    assert f"{brk.file}.{fmt} " in got.format(max_rows=len(got.errors))
