"""Reading, typing and loading a study data folder (helpers.data.load)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from minimal_study import edit_csv, write_minimal_study

from helpers.data import schemas
from helpers.data.load import StudyData, StudyDataError, load_study, read_raw
from helpers.data.schemas import typed_frame

#: data-spec.md types, written out here independently of helpers.data.schemas
DATES = {
    "dm": ["RFICDTC", "DSSTDTC", "DTHDTC"],
    "ex": ["EXSTDTC", "EXENDTC"],
    "qs": ["QSDTC"],
    "ce": ["CESTDTC"],
    "ae": ["AESTDTC", "AEENDTC"],
    "cg": [],
}
NUMBERS = {
    "dm": ["AGE", "MSDURY", "NPRIORDMT"],
    "ex": ["EXCOURSE", "EXDOSE"],
    "qs": ["QSSTRESN"],
    "ce": [],
    "ae": ["AESEQ"],
    "cg": ["CGAGE", "CGYEARS"],
}
FILES = list(DATES)


@pytest.fixture
def study(tmp_path: Path) -> Path:
    return write_minimal_study(tmp_path / "study")


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_read_raw_keeps_every_cell_as_text(study: Path) -> None:
    raw = read_raw(study)
    assert sorted(raw) == sorted(FILES)
    for file in FILES:
        expected = pd.DataFrame(csv_rows(study / f"{file}.csv"))
        got = raw[file]
        assert got["_LINE"].tolist() == list(range(2, len(expected) + 2))
        cells = got.drop(columns="_LINE").reset_index(drop=True).astype(object)
        assert cells.map(type).eq(str).all().all()
        pd.testing.assert_frame_equal(cells, expected)
    assert raw["dm"].loc[0, "DTHDTC"] == ""  # empty stays "", not NaN


def test_quoted_header_and_cells_are_read_as_the_csv_module_reads_them(study: Path) -> None:
    path = study / "ae.csv"
    rows = csv_rows(path)
    rows[0]["AETERM"] = 'pain, "sharp"'
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0]), quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    got = read_raw(study)["ae"]
    assert got["_LINE"].tolist() == list(range(2, len(rows) + 2))
    pd.testing.assert_frame_equal(got.drop(columns="_LINE").astype(object), pd.DataFrame(rows))


def test_read_raw_missing_file_raises(study: Path) -> None:
    (study / "cg.csv").unlink()
    with pytest.raises(StudyDataError, match=r"required file cg\.csv is missing") as e:
        read_raw(study)
    assert e.value.report.errors["file"].tolist() == ["cg"]


def test_load_study_types(study: Path) -> None:
    data, report = load_study(study)
    assert isinstance(data, StudyData)
    assert report.ok and report.warnings.empty
    for file in FILES:
        df = getattr(data, file)
        if file == "qs":  # Polars (StudyData): codes and text Enum in string order, dates Date
            assert isinstance(df, pl.DataFrame)
            for col in ("USUBJID", "RESPONDENT", "QSCAT", "QSTESTCD", "VISIT"):
                categories = df[col].dtype.categories.to_list()
                assert categories == sorted(df[col].drop_nulls().unique().to_list())
            assert df.schema["QSDTC"] == pl.Date
            df = df.with_columns(pl.col("QSDTC").cast(pl.Datetime("ns"))).to_pandas()
        source = pd.DataFrame(csv_rows(study / f"{file}.csv"))
        if file == "qs":  # rows in file order, no _LINE (only validation reports lines)
            assert set(df.columns) == set(source.columns)
        else:
            assert df.columns[-1] == "_LINE" and df["_LINE"].dtype == np.int32
            assert set(df.columns) == {*source.columns, "_LINE"}
        for col in source.columns:
            cells = source[col].replace("", np.nan)
            if col in DATES[file]:
                assert df[col].dtype == "datetime64[ns]"
                expected = pd.Series([pd.Timestamp(c) for c in cells], dtype="datetime64[ns]")
            elif col in NUMBERS[file]:
                assert df[col].dtype == np.float64
                expected = cells.astype(float)
            else:
                assert isinstance(df[col].dtype, pd.CategoricalDtype)
                expected = cells
            got = df[col].astype(object) if col not in DATES[file] + NUMBERS[file] else df[col]
            pd.testing.assert_series_equal(got, expected, check_names=False)


def test_load_study_gives_day0_of_the_treated_subjects(study: Path) -> None:
    """StudyData.day0 = each treated subject's earliest alemtuzumab EXSTDTC (computed once, by
    validation); a subject without an alemtuzumab row has none."""
    data, _ = load_study(study)
    ex = pd.DataFrame(csv_rows(study / "ex.csv"))
    alemtuzumab = ex[ex["EXTRT"].eq("ALEMTUZUMAB")]
    expected = pd.to_datetime(alemtuzumab.groupby("USUBJID")["EXSTDTC"].min())
    assert data.day0.to_dict() == expected.to_dict()


def test_empty_cells_become_missing(study: Path) -> None:
    data, _ = load_study(study)
    assert data.dm.set_index("USUBJID")["DTHDTC"].isna().to_dict() == {
        "P01": True, "P02": True, "P03": False, "P04": True,
    }  # fmt: skip
    missing_course = data.ex.set_index("EXTRT")["EXCOURSE"].isna()
    assert missing_course.groupby(level=0, observed=True).all().to_dict() == {
        "ALEMTUZUMAB": False, "OCRELIZUMAB": True,
    }  # fmt: skip
    assert data.ae["AEENDTC"].isna().sum() == 1


def test_extra_columns_are_dropped(study: Path) -> None:
    edit_csv(study, "dm", 2, "COMMENT", "anything")
    data, _ = load_study(study)
    assert "COMMENT" not in data.dm.columns


def test_load_study_rejects_a_broken_folder(study: Path) -> None:
    edit_csv(study, "dm", 3, "AGE", "81")
    edit_csv(study, "ae", 2, "AESEV", "mild")
    with pytest.raises(StudyDataError) as e:
        load_study(study)
    errors = e.value.report.errors
    assert errors[["file", "column", "line"]].values.tolist() == [
        ["dm", "AGE", 3],
        ["ae", "AESEV", 2],
    ]
    assert "AGE must be an integer 18-80" in str(e.value)
    assert "AESEV must be one of MILD, MODERATE, SEVERE" in str(e.value)


def test_blank_lines_are_left_out_and_warned(study: Path) -> None:
    with (study / "ce.csv").open("a", encoding="utf-8") as f:
        f.write("\n")
    data, report = load_study(study)
    assert data.ce["_LINE"].tolist() == [2, 3]
    assert report.warnings["line"].tolist() == [4]


def test_line_numbers_follow_multiline_cells(study: Path) -> None:
    edit_csv(study, "ae", 2, "AETERM", "headache\nduring infusion")
    data, _ = load_study(study)
    assert data.ae["_LINE"].tolist() == [2, 4, 5]
    assert data.ae.loc[0, "AETERM"] == "headache\nduring infusion"


def test_utf8_with_byte_order_mark_is_read(study: Path) -> None:
    path = study / "dm.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    data, _ = load_study(study)
    assert data.dm.columns[0] == "USUBJID"


def test_typed_frame_refuses_cells_that_do_not_convert(study: Path) -> None:
    raw = read_raw(study)
    raw["dm"]["AGE"] = raw["dm"]["AGE"].astype(object)
    raw["dm"].loc[0, "AGE"] = "thirty"
    with pytest.raises(ValueError, match="AGE"):
        typed_frame("dm", raw["dm"], "raise")


def test_a_valid_cell_lost_in_conversion_is_an_error_not_a_silent_missing_value(
    study: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cells are converted only after they pass validation; should a converter still lose one
    (a bug), loading fails instead of returning NaN."""
    lossy = schemas.CONVERTERS["int"]
    monkeypatch.setitem(schemas.CONVERTERS, "int", lambda s: lossy(s).where(s.ne("35")))
    with pytest.raises(ValueError, match="AGE"):
        load_study(study)


def test_a_column_parsed_in_blocks_is_one_categorical_of_its_cells() -> None:
    from helpers.data.csv_reader import _categorical

    rng = np.random.default_rng(8)
    cells = [rng.choice(["b", "a", "é", "", "c"], size=n).tolist() for n in (5, 0, 9, 4)]
    chunks = [pa.array([v.encode() for v in c], pa.binary()).dictionary_encode() for c in cells]
    got = _categorical(pa.chunked_array(chunks, type=chunks[0].type))
    assert list(got) == [v for c in cells for v in c]
    assert got.categories.is_unique
