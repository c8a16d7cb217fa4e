"""The readers' own rules (data-spec.md, File formats): files cut short, XPT text encodings,
Dataset-JSON 1.1 structure and value types, NDJSON, and that numbers read as the text that
cell_text gives them. Small files are made in each test; the contract's messages in every format
are tested in test_formats.py."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from minimal_study import edit_csv, find_line, write_minimal_study

from helpers.cli import main
from helpers.data import dataset_json, xpt
from helpers.data.convert import convert_folder
from helpers.data.csv_reader import LINE
from helpers.data.dataset_json import read_dataset_json
from helpers.data.formats import FormatError, cell_text, distinct_texts, text_column
from helpers.data.validate import validate_folder
from helpers.data.xpt import ibm_to_float, read_xpt

TRUNCATED = "the file looks truncated (cut short)"


# --- numbers as text -----------------------------------------------------------------------------
#: floats whose shortest text is tricky (IBM floating point holds 5.4e-79 to 7.2e75)
TRICKY = [0.1, 0.2 + 0.1, 1 / 3, 2 / 3, 1e-05, 0.0001, 123456789.123, -7.0, -0.0, 0.0, 45.0,
          2.0**53, 2.0**53 + 2, 1e16, 1.5e-70, 7.2e74, -2.5, 99.99, 1e15 + 0.3, 1e-60]


def test_distinct_texts_give_cell_text_of_every_value():
    values = [*TRICKY, None, math.nan, "P01", "", *TRICKY]
    column = text_column([distinct_texts(values)])
    assert column.astype(str).tolist() == [cell_text(v) for v in values]
    assert "" in column.categories and column.categories.is_unique


def test_text_columns_of_chunks_share_one_category_per_text():
    column = text_column([distinct_texts([1.0, None]), distinct_texts(["1", "a", None])])
    assert column.astype(str).tolist() == ["1", "", "1", "a", ""]
    assert sorted(column.categories) == ["", "1", "a"]
    assert text_column([distinct_texts(["a"])]).categories.tolist() == ["a"]  # no unused ""


def test_sas_numbers_read_as_the_text_of_the_float_they_were(tmp_path: Path):
    """pyreadstat writes IBM floating point; ibm_to_float gives back the float exactly."""
    frame = pd.DataFrame({"X": [*TRICKY, math.nan]})
    path = tmp_path / "x.xpt"
    pyreadstat.write_xport(frame, str(path), file_format_version=8)
    table = read_xpt(path, ["X"])
    assert table.frame["X"].astype(str).tolist() == [cell_text(v) for v in frame["X"]]
    theirs, _ = pyreadstat.read_xport(str(path))
    assert table.frame["X"].astype(str).tolist() == [cell_text(v) for v in theirs["X"]]


def test_sas_missing_values_are_nan_and_short_numbers_are_padded():
    fields = np.array([b".\0\0\0\0\0\0\0", b"Z\0\0\0\0\0\0\0", b"_\0\0\0\0\0\0\0",
                       b"A\0\0\0\0\0\0\1", b"\0" * 8, b"\x41\x10\0\0\0\0\0\0",
                       b"\xc1\x10\0\0\0\0\0\0"], dtype="S8")
    got = ibm_to_float(fields)
    assert np.isnan(got[:3]).all()
    assert got[3] == 16.0**1 * 2.0**-56  # "A" with a fraction is a number, not missing .A
    assert got[4:].tolist() == [0.0, 1.0, -1.0]
    assert ibm_to_float(np.array([b"\x41\x10\0"], dtype="S3")).tolist() == [1.0]  # length 3


# --- SAS transport cut short ---------------------------------------------------------------------
def write_xpt(path: Path, frame: pd.DataFrame, version: int) -> bytes:
    pyreadstat.write_xport(frame, str(path), table_name="T", file_format_version=version)
    return path.read_bytes()


def xpt_error(path: Path) -> str:
    with pytest.raises(FormatError) as info:
        read_xpt(path, ["A", "B"])
    return str(info.value)


@pytest.mark.parametrize("version", [5, 8])
def test_an_xpt_whose_length_is_not_whole_records_is_cut_short(tmp_path: Path, version: int):
    frame = pd.DataFrame({"A": ["x" * 16] * 10, "B": np.arange(10.0)})  # 24-byte observations
    data = write_xpt(tmp_path / "t.xpt", frame, version)
    assert len(read_xpt(tmp_path / "t.xpt", ["A", "B"]).frame) == 10  # the whole file: read
    (tmp_path / "t.xpt").write_bytes(data[:-1])  # one byte short
    assert xpt_error(tmp_path / "t.xpt") == (
        f"{len(data) - 1} bytes is not a whole number of 80-byte records: {TRUNCATED}")


def test_an_xpt_whose_last_observation_is_incomplete_is_cut_short(tmp_path: Path):
    """10 observations of 24 bytes = 3 records; cut to 2 records: 6 observations and 16 bytes of
    the 7th (not blank padding)."""
    frame = pd.DataFrame({"A": ["x" * 16] * 10, "B": np.arange(10.0)})
    data = write_xpt(tmp_path / "t.xpt", frame, 5)
    (tmp_path / "t.xpt").write_bytes(data[:-80])
    assert xpt_error(tmp_path / "t.xpt") == (
        f"its last observation is incomplete (16 of 24 bytes): {TRUNCATED}")


def test_a_version_8_xpt_with_fewer_observations_than_stated_is_cut_short(tmp_path: Path):
    """4 observations of 80 bytes = 4 records, all read; cut 1 record: 3 whole observations
    (no byte left over), 4 stated."""
    frame = pd.DataFrame({"A": ["y" * 72] * 4, "B": np.arange(4.0)})
    data = write_xpt(tmp_path / "t.xpt", frame, 8)
    assert len(read_xpt(tmp_path / "t.xpt", ["A", "B"]).frame) == 4
    (tmp_path / "t.xpt").write_bytes(data[:-80])
    assert xpt_error(tmp_path / "t.xpt") == (
        f"its header states 4 observations, it holds 3: {TRUNCATED}")


def test_a_version_8_xpt_with_more_observations_than_stated_is_an_error(tmp_path: Path):
    frame = pd.DataFrame({"A": ["y" * 72] * 4, "B": np.arange(4.0)})
    data = write_xpt(tmp_path / "t.xpt", frame, 8)
    header = data.index(b"HEADER RECORD*******OBSV8")
    stated = data[header + 48:header + 80]
    (tmp_path / "t.xpt").write_bytes(data.replace(stated, stated.replace(b"4", b"3")))
    assert xpt_error(tmp_path / "t.xpt") == (
        "it holds more observations than the 3 its header states")


def test_version_5_blank_padding_is_not_an_observation(tmp_path: Path):
    """3 observations of 16 bytes fill 48 of 80 bytes: the 32 blank bytes (2 blank
    observations' worth) are padding, as pyreadstat reads them too."""
    frame = pd.DataFrame({"A": ["ab", "", "c"], "B": [1.0, 2.0, math.nan]})
    write_xpt(tmp_path / "t.xpt", frame, 5)
    table = read_xpt(tmp_path / "t.xpt", ["A", "B"])
    assert table.frame.drop(columns=LINE).astype(str).values.tolist() == [
        ["ab", "1"], ["", "2"], ["c", ""]]
    assert table.frame[LINE].tolist() == [1, 2, 3]
    assert len(pyreadstat.read_xport(str(tmp_path / "t.xpt"))[0]) == 3


def test_a_file_that_is_no_transport_file_is_not_called_cut_short(tmp_path: Path):
    (tmp_path / "t.xpt").write_bytes(b"A,B\n1,2\n")
    assert xpt_error(tmp_path / "t.xpt").startswith("not a readable SAS transport file")


def test_only_the_contract_columns_of_an_xpt_are_read(tmp_path: Path):
    frame = pd.DataFrame({"A": ["a"], "EXTRA": ["\xf8"], "B": [1.0]})
    write_xpt(tmp_path / "t.xpt", frame, 8)
    table = read_xpt(tmp_path / "t.xpt", ["B", "A"])
    assert list(table.frame.columns) == ["A", "B", LINE] and table.cell_errors.empty


# --- SAS transport text encodings ----------------------------------------------------------------
def test_a_label_in_another_encoding_does_not_stop_the_read(tmp_path: Path):
    pyreadstat.write_xport(pd.DataFrame({"A": ["x"]}), str(tmp_path / "t.xpt"),
                           column_labels=["V#gt"], file_format_version=8)
    data = (tmp_path / "t.xpt").read_bytes()
    (tmp_path / "t.xpt").write_bytes(data.replace(b"V#gt", b"V\xe6gt"))  # WLATIN1 "Vægt"
    assert read_xpt(tmp_path / "t.xpt", ["A"]).frame["A"].tolist() == ["x"]


def wlatin1_study(tmp_path: Path, byte: bytes) -> tuple[Path, int]:
    """The minimal study with ae.xpt as SAS writes WLATIN1: `byte` in one AETERM (the file is
    written by pyreadstat, then the placeholder's byte patched), and the record it is in."""
    csv = write_minimal_study(tmp_path / "csv")
    line = find_line(csv, "ae", AETERM="sepsis")
    edit_csv(csv, "ae", line, "AETERM", "s#psis")
    folder = tmp_path / "xpt"
    shutil.copytree(csv, folder)
    convert_folder(folder, "xpt", ("ae",))
    data = (folder / "ae.xpt").read_bytes()
    assert data.count(b"s#psis") == 1
    (folder / "ae.xpt").write_bytes(data.replace(b"s#psis", b"s" + byte + b"psis"))
    return folder, line - 1


def test_a_wlatin1_xpt_is_read_with_its_encoding_and_rejected_clearly_without(tmp_path: Path):
    folder, record = wlatin1_study(tmp_path, b"\xf8")
    report = validate_folder(folder, "windows-1252")
    assert report.ok, report.format()
    row = validate_folder(folder).errors.iloc[0]  # UTF-8, the default
    assert (row["file"], row["column"], row["line"], row["USUBJID"], row["value"]) == (
        "ae", "AETERM", record, "P03", "s\\xf8psis")
    assert row["rule"] == (
        "AETERM is not valid utf-8 text; if the file is in another encoding (SAS WLATIN1 = "
        "windows-1252), set params data_encoding (or --encoding) to it")
    table = read_xpt(folder / "ae.xpt", ["AETERM"], "windows-1252")
    assert table.frame["AETERM"].astype(str).tolist()[record - 1] == "søpsis"
    assert main(["validate", str(folder), "--encoding", "windows-1252"]) == 0
    assert main(["validate", str(folder)]) == 1


def test_a_byte_that_windows_1252_leaves_undefined_is_an_error_there_not_in_latin_1(
    tmp_path: Path,
):
    folder, record = wlatin1_study(tmp_path, b"\x81")
    errors = validate_folder(folder, "windows-1252").errors
    assert errors[["column", "line", "value"]].values.tolist() == [
        ["AETERM", record, "s\\x81psis"]]
    assert validate_folder(folder, "latin-1").ok


# --- Dataset-JSON --------------------------------------------------------------------------------
COLUMNS = [("USUBJID", "string"), ("AGE", "integer"), ("WEIGHT", "decimal")]


def document(columns: list[tuple[str, str]] = COLUMNS, rows: list[list[Any]] | None = None,
             **metadata: Any) -> dict[str, Any]:
    rows = [["P01", 45, "70.5"], ["P02", None, " -7"]] if rows is None else rows
    return {
        "datasetJSONCreationDateTime": "2024-01-01T00:00:00", "datasetJSONVersion": "1.1.0",
        "itemGroupOID": "IG.T", "records": len(rows), "name": "T", "label": "T",
        "columns": [{"itemOID": f"IT.{n}", "name": n, "label": n, "dataType": t}
                    for n, t in columns],
        "rows": rows,
    } | metadata


def write_json(path: Path, doc: dict[str, Any]) -> Path:
    if path.suffix == ".ndjson":
        metadata = {k: v for k, v in doc.items() if k != "rows"}
        lines = [json.dumps(metadata), *map(json.dumps, doc["rows"])]
        path.write_text("".join(line + "\n" for line in lines))
    else:
        path.write_text(json.dumps(doc))
    return path


def read(path: Path, wanted: tuple[str, ...] = ("USUBJID", "AGE", "WEIGHT")) -> pd.DataFrame:
    return read_dataset_json(path, wanted).frame.drop(columns=LINE).astype(str)


def json_error(path: Path) -> str:
    with pytest.raises(FormatError) as info:
        read_dataset_json(path, ("USUBJID", "AGE", "WEIGHT"))
    return str(info.value)


@pytest.mark.parametrize("suffix", [".json", ".ndjson"])
def test_decimal_strings_are_numbers_without_their_padding(tmp_path: Path, suffix: str):
    path = write_json(tmp_path / f"t{suffix}", document())
    assert read(path).values.tolist() == [["P01", "45", "70.5"], ["P02", "", "-7"]]
    assert read_dataset_json(path, ("AGE",)).cell_errors.empty


@pytest.mark.parametrize(
    ("value", "ok"),
    [("30.8983", True), (" -7", True), ("+1e3", True), (".5", True), (12.25, True),
     ("1,5", False), ("NA", False), ("", False), ("1.2.3", False), (True, False)],
)
def test_a_decimal_value_is_a_decimal_string_or_a_number(tmp_path: Path, value: Any, ok: bool):
    path = write_json(tmp_path / "t.json", document(rows=[["P01", 1, value]]))
    errors = read_dataset_json(path, ("WEIGHT",)).cell_errors
    assert errors.empty == ok
    if not ok:
        assert errors["rule"].tolist() == [
            'WEIGHT is a decimal column: each value must be a decimal number as a JSON string '
            '("." as decimal separator, e.g. "30.8983") or a JSON number or null']


@pytest.mark.parametrize(
    ("data_type", "good", "bad"),
    [("integer", [1, 2.0, None], ["1", True]), ("double", [0.5], [False, "0.5"]),
     ("string", ["x", None], [1, True]), ("date", ["2021-03-04"], [20210304]),
     ("boolean", [True, False, None], [1, "true"])],
)
@pytest.mark.parametrize(("suffix", "chunk"), [(".json", None), (".json", 16), (".ndjson", 16)])
def test_each_data_type_has_its_json_type(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          data_type: str, good: list[Any], bad: list[Any],
                                          suffix: str, chunk: int | None):
    """true and 1 are equal in Python: a boolean among 1s is still found (booleans in a chunk
    make every value's type checked; in small chunks most have none: each distinct value's
    type is checked)."""
    if chunk:
        monkeypatch.setattr(dataset_json, "CHUNK_BYTES", chunk)
    rows = [["P01", v] for v in [*good, *bad]]
    doc = document(columns=[("USUBJID", "string"), ("X", data_type)], rows=rows)
    errors = read_dataset_json(write_json(tmp_path / f"t{suffix}", doc), ("X",)).cell_errors
    assert errors["line"].tolist() == list(range(len(good) + 1, len(rows) + 1))
    assert errors["value"].tolist() == [cell_text(v) for v in bad]


def test_ignored_columns_are_neither_read_nor_checked(tmp_path: Path):
    doc = document(columns=[*COLUMNS, ("FLAG", "boolean"), ("LEVEL", "decimal")],
                   rows=[["P01", 45, "70.5", True, "not a number"], ["P02", 3, "1", 7, [1]]])
    table = read_dataset_json(write_json(tmp_path / "t.json", doc), ("USUBJID", "AGE"))
    assert list(table.frame.columns) == ["USUBJID", "AGE", LINE] and table.cell_errors.empty


def test_nan_is_not_json(tmp_path: Path):
    (tmp_path / "t.json").write_text(json.dumps(document(rows=[["P01", math.nan, "1"]])))
    assert json_error(tmp_path / "t.json") == "NaN is not JSON (a number must be finite)"


@pytest.mark.parametrize("suffix", [".json", ".ndjson"])
def test_records_must_equal_the_rows(tmp_path: Path, suffix: str):
    ok = write_json(tmp_path / f"ok{suffix}", document(records=2))
    assert len(read(ok)) == 2
    more = write_json(tmp_path / f"more{suffix}", document(records=3))
    assert json_error(more) == f"`records` says 3 but the file holds 2 rows: {TRUNCATED}"
    fewer = write_json(tmp_path / f"fewer{suffix}", document(records=1))
    assert json_error(fewer) == "`records` says 1 but the file holds 2 rows"


def test_a_json_cut_short_looks_truncated(tmp_path: Path):
    text = json.dumps(document())
    (tmp_path / "t.json").write_text(text[:text.index('"P02"') + 3])
    assert json_error(tmp_path / "t.json").endswith(TRUNCATED)
    (tmp_path / "t.json").write_text("")
    assert json_error(tmp_path / "t.json") == "the file is empty"


def test_an_ndjson_whose_last_line_is_cut_looks_truncated(tmp_path: Path):
    text = write_json(tmp_path / "t.ndjson", document()).read_text()
    (tmp_path / "t.ndjson").write_text(text[:-5])  # the last row without its end
    assert json_error(tmp_path / "t.ndjson") == (
        f"line 3, the last, is not a complete row: {TRUNCATED}")
    (tmp_path / "t.ndjson").write_text(text[:-1])  # complete, without the last line break
    assert len(read(tmp_path / "t.ndjson")) == 2
    lines = text.splitlines(keepends=True)
    (tmp_path / "t.ndjson").write_text("".join(lines[:2]))  # cut after a whole row
    assert json_error(tmp_path / "t.ndjson") == (
        f"`records` says 2 but the file holds 1 rows: {TRUNCATED}")
    (tmp_path / "t.ndjson").write_text("".join([lines[0], "[1,\n", lines[2]]))
    assert json_error(tmp_path / "t.ndjson").startswith("line 2 is not a JSON row (")


@pytest.mark.parametrize("suffix", [".json", ".ndjson"])
def test_a_byte_order_mark_is_allowed(tmp_path: Path, suffix: str):
    path = write_json(tmp_path / f"t{suffix}", document())
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert len(read(path)) == 2


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["columns"][1].pop("dataType"),
         "`columns` entry 2 (AGE): 'dataType' is a required property"),
        (lambda d: d["columns"][2].update(dataType="number"),
         "`columns` entry 3 (WEIGHT), dataType: 'number' is not one of ['string', 'integer', "
         "'decimal', 'float', 'double', 'boolean', 'datetime', 'date', 'time', 'URI']"),
        (lambda d: d["columns"][0].pop("itemOID"),
         "`columns` entry 1 (USUBJID): 'itemOID' is a required property"),
        (lambda d: d.update(datasetJSONVersion="1.0.0"),
         "`datasetJSONVersion`: '1.0.0' does not match '^1\\\\.1(\\\\.(0|[1-9][0-9]*))?$'"),
        (lambda d: d.update(datasetJSONVersion="1.1"), None),
        (lambda d: d.update(datasetJSONVersion="1.1.12"), None),
        (lambda d: d.pop("records"), "'records' is a required property"),
        (lambda d: d["columns"][1].update(name="USUBJID"),
         "column names must be unique: USUBJID repeated"),
        (lambda d: d["rows"][1].pop(), "row 2 has 2 values; `columns` has 3 (one value each)"),
        (lambda d: d["rows"].__setitem__(0, "P01"),
         "row 1 is not an array; `columns` has 3 (one value each)"),
        (lambda d: (d.update(label=[]), d["columns"][0].update(label=[])), None),  # R: label []
        (lambda d: d.update(sourceSystem={"name": "R"}, extra=1), None),  # other keys: ignored
    ],
)
def test_a_structural_error_says_what_is_wrong_where(tmp_path: Path, edit: Any,
                                                      message: str | None):
    doc = document()
    edit(doc)
    path = write_json(tmp_path / "t.json", doc)
    if message is None:
        assert len(read(path)) == 2
        return
    assert json_error(path) == message


def test_an_ndjson_short_row_is_named_by_its_line(tmp_path: Path):
    doc = document()
    doc["rows"][1].pop()
    path = write_json(tmp_path / "t.ndjson", doc)
    assert json_error(path) == "line 3 (a row) has 2 values; `columns` has 3 (one value each)"


def test_the_1_0_layout_is_named(tmp_path: Path):
    (tmp_path / "t.json").write_text(json.dumps({"clinicalData": {"itemGroupData": {}}}))
    assert json_error(tmp_path / "t.json").startswith(
        "this is the Dataset-JSON 1.0 layout (clinicalData / referenceData)")


def test_rows_in_small_chunks_read_as_in_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Chunks end at a "]," after CHUNK_BYTES: one inside a text, metadata after `rows` and the
    NDJSON form read the same rows."""
    rows = [[f"P{i:02}", i, f"{i}.5"] for i in range(40)] + [["a], [\"b\"],", 1, "2"]]
    rows += [["c", 2, "3"]]
    doc = document(rows=rows)
    expected = read(write_json(tmp_path / "one.json", doc))
    monkeypatch.setattr(dataset_json, "CHUNK_BYTES", 16)
    assert read(write_json(tmp_path / "chunked.json", doc)).equals(expected)
    assert read(write_json(tmp_path / "chunked.ndjson", doc)).equals(expected)
    rows_first = {"rows": doc["rows"], **{k: v for k, v in doc.items() if k != "rows"}}
    assert read(write_json(tmp_path / "rows-first.json", rows_first)).equals(expected)
    assert expected.values.tolist()[-2:] == [['a], ["b"],', "1", "2"], ["c", "2", "3"]]


def test_ndjson_lines_read_by_arrow_as_by_json_loads(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch):
    """The fast path (pyarrow splits the lines at commas, each distinct token decoded) gives the
    cells and cell errors of json.loads, and leaves a file with a comma in a text to it."""
    columns = [*COLUMNS, ("X", "boolean"), ("D", "date")]
    rows = [["P01", 45, "70.5", True, "2021-03-04"], ["P02", None, " -7", None, None],
            ["P03", True, "1;5", 1, 20210304], ["P\u00f804 \"q\"", 1.0, 2, False, "x"]]
    path = write_json(tmp_path / "t.ndjson", document(columns=columns, rows=rows))
    wanted = ("USUBJID", "AGE", "WEIGHT", "X", "D")
    fast = read_dataset_json(path, wanted)
    assert dataset_json._rows_by_arrow(path, dataset_json._Columns(
        document(columns=columns)["columns"], wanted, ndjson=True))
    monkeypatch.setattr(dataset_json, "_rows_by_arrow", lambda *_: False)
    slow = read_dataset_json(path, wanted)
    pd.testing.assert_frame_equal(fast.frame.astype(str), slow.frame.astype(str))
    pd.testing.assert_frame_equal(fast.cell_errors, slow.cell_errors)
    assert fast.frame["USUBJID"].tolist()[3] == 'P\u00f804 "q"'
    assert fast.cell_errors[["column", "line"]].values.tolist() == [
        ["AGE", 3], ["WEIGHT", 3], ["X", 3], ["D", 3]]
    comma = write_json(tmp_path / "comma.ndjson", document(rows=[["P,01", 1, "2"]]))
    assert not dataset_json._rows_by_arrow(comma, dataset_json._Columns(
        document()["columns"], wanted, ndjson=True))


def test_compact_json_rows_read_by_arrow_as_by_json_loads(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch):
    """Compact JSON ("],[" between rows) takes the fast path; a "],[" inside a text splits a
    row in two (a row more than `records`): then json.loads reads the file, the same cells."""
    rows = [["P01", 45, "70.5"], ["P02", None, " -7"], ["P03", True, "x"],
            ['a"],["b', 1, "2"]]
    wanted = ("USUBJID", "AGE", "WEIGHT")
    path = tmp_path / "t.json"
    path.write_text(json.dumps(document(rows=rows), separators=(",", ":")))
    data = bytearray(path.read_bytes())
    found = dataset_json._ROWS.search(data)
    fast = dataset_json._json_rows_by_arrow(data, found, document()["columns"], wanted)
    assert fast is None  # the "],[" in a text
    path.write_text(json.dumps(document(rows=rows[:3]), separators=(",", ":")))
    data = bytearray(path.read_bytes())
    fast = dataset_json._json_rows_by_arrow(data, dataset_json._ROWS.search(data),
                                            document()["columns"], wanted)
    assert fast is not None
    monkeypatch.setattr(dataset_json, "_json_rows_by_arrow", lambda *_: None)
    slow = read_dataset_json(path, wanted)
    pd.testing.assert_frame_equal(fast.frame.astype(str), slow.frame.astype(str))
    pd.testing.assert_frame_equal(fast.cell_errors, slow.cell_errors)
    path.write_text(json.dumps(document(rows=rows), separators=(",", ":")))
    assert read(path).values.tolist()[-1] == ['a"],["b', "1", "2"]


def test_xpt_chunks_of_observations_read_as_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Chunks of CHUNK_ROWS observations: the same cells, and an encoding error in a later
    chunk at its own record."""
    folder, record = wlatin1_study(tmp_path, b"\xf8")
    whole = read_xpt(folder / "ae.xpt", ["USUBJID", "AESEQ", "AETERM"])
    monkeypatch.setattr(xpt, "CHUNK_ROWS", 1)
    chunked = read_xpt(folder / "ae.xpt", ["USUBJID", "AESEQ", "AETERM"])
    pd.testing.assert_frame_equal(chunked.frame.astype(str), whole.frame.astype(str))
    assert record > 1 and chunked.cell_errors["line"].tolist() == [record]
    pd.testing.assert_frame_equal(chunked.cell_errors, whole.cell_errors)
