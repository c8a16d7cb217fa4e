"""Each rule of data-spec.md, broken once in the minimal study, gives an error naming it."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest
from minimal_study import edit_csv, find_line, read_csv, write_minimal_study

from helpers.data.validate import check_raw, validate_folder
from helpers.data.violations import REPORT_COLUMNS, ValidationReport


class Break(NamedTuple):
    file: str
    where: dict[str, str]  # cells identifying the row to edit
    column: str
    value: str
    rule: str  # expected text of the rule
    reported: str | None = None  # column named by the error, when not `column`


P01 = {"USUBJID": "P01"}
P03 = {"USUBJID": "P03"}
FSMC01_BL = {"USUBJID": "P01", "QSTESTCD": "FSMC01", "VISIT": "BASELINE"}
EDSS_BL = {"USUBJID": "P01", "QSTESTCD": "EDSS", "VISIT": "BASELINE"}
ZBI01_BL = {"USUBJID": "P01", "QSTESTCD": "ZBI01", "VISIT": "BASELINE"}
COURSE2 = {"USUBJID": "P01", "EXCOURSE": "2"}
OTHER_DMT = {"USUBJID": "P04"}
AE1 = {"USUBJID": "P01", "AESEQ": "1"}

BREAKS = [
    Break("dm", P01, "AGE", "17", "AGE must be an integer 18-80"),
    Break("dm", P01, "AGE", "35.5", "AGE must be an integer 18-80"),
    Break("dm", P01, "AGE", "-99", "AGE must not hold a sentinel code"),
    Break("dm", P01, "SITEID", "NA", "SITEID must not hold a sentinel code"),
    Break("dm", P01, "SITEID", "", "SITEID is required"),
    Break("dm", P01, "SEX", "female", "SEX must be one of F, M"),
    Break("dm", P01, "COUNTRY", "dk", "COUNTRY must be an ISO alpha-3 code"),
    Break("dm", P01, "MSDURY", "six", "MSDURY must be a number >= 0"),
    Break("dm", P01, "MSDURY", "-1", "MSDURY must be a number >= 0"),
    Break("dm", P01, "NPRIORDMT", "-1", "NPRIORDMT must be an integer >= 0"),
    Break("dm", P01, "RFICDTC", "2020-02-30", "RFICDTC must be a real date YYYY-MM-DD"),
    Break("dm", P01, "RFICDTC", "02/01/2020", "RFICDTC must be a real date YYYY-MM-DD"),
    Break("dm", P01, "DSDECOD", "", "DSDECOD is required"),
    Break("dm", P01, "DSDECOD", "Completed", "DSDECOD must be one of COMPLETED, ADVERSE EVENT"),
    Break("dm", P01, "DSSTDTC", "2019-12-31", "DSSTDTC must be on or after RFICDTC"),
    Break("dm", P01, "DTHDTC", "2022-01-01", "DTHDTC must be present if and only if DSDECOD"),
    Break("dm", P03, "DTHDTC", "", "DTHDTC must be present if and only if DSDECOD is DEATH"),
    Break("dm", {"USUBJID": "P04"}, "USUBJID", "P03", "USUBJID must be unique"),
    Break("ex", COURSE2, "USUBJID", "P99", "USUBJID must exist in dm.csv"),
    Break("ex", COURSE2, "EXENDTC", "2021-01-10", "EXENDTC must be on or after EXSTDTC"),
    Break("ex", COURSE2, "EXCOURSE", "", "EXCOURSE is required on ALEMTUZUMAB rows"),
    Break("ex", COURSE2, "EXCOURSE", "0", "EXCOURSE must be an integer >= 1"),
    Break("ex", COURSE2, "EXCOURSE", "1", "USUBJID + EXCOURSE must be unique (ALEMTUZUMAB rows)"),
    Break("ex", OTHER_DMT, "EXCOURSE", "1", "EXCOURSE must be empty for therapies other than"),
    Break("ex", COURSE2, "EXDOSE", "twelve", "EXDOSE must be a number"),
    Break("ex", COURSE2, "EXSTDTC", "", "EXSTDTC is required"),
    Break("qs", FSMC01_BL, "QSSTRESN", "6", "QSSTRESN of FSMC01 must be within 1-5"),
    Break("qs", FSMC01_BL, "QSSTRESN", ".", "QSSTRESN must not hold a sentinel code"),
    Break("qs", FSMC01_BL, "QSSTRESN", "x", "QSSTRESN must be a number"),
    Break("qs", EDSS_BL, "QSSTRESN", "3.3", "QSSTRESN of EDSS must be in steps of 0.5"),
    Break("qs", EDSS_BL, "QSSTRESN", "10.5", "QSSTRESN of EDSS must be within 0-10"),
    Break("qs", {"QSTESTCD": "SDMTTOT"}, "QSSTRESN", "45.5", "SDMTTOT must be in steps of 1"),
    Break("qs", ZBI01_BL, "QSSTRESN", "5", "QSSTRESN of ZBI01 must be within 0-4"),
    Break("qs", FSMC01_BL, "QSTESTCD", "BDI01", "QSTESTCD must be a code of its QSCAT"),
    Break("qs", FSMC01_BL, "QSTESTCD", "FSMC99", "QSTESTCD must be an item or score code"),
    Break("qs", FSMC01_BL, "QSCAT", "FATIGUE", "QSCAT must be one of FSMC, SDMT"),
    Break("qs", FSMC01_BL, "RESPONDENT", "CAREGIVER", "RESPONDENT must be PATIENT for FSMC"),
    Break("qs", FSMC01_BL, "RESPONDENT", "SELF", "RESPONDENT must be one of PATIENT, CAREGIVER"),
    Break(
        "qs",
        ZBI01_BL,
        "USUBJID",
        "P02",
        "a CAREGIVER row needs a row of its USUBJID in cg",
        "RESPONDENT",
    ),
    Break("qs", FSMC01_BL, "USUBJID", "P99", "USUBJID must exist in dm.csv"),
    Break("qs", FSMC01_BL, "VISIT", "MONTH 9", "VISIT must be one of BASELINE, MONTH 3"),
    Break("qs", FSMC01_BL, "QSDTC", "2020-1-3", "QSDTC must be a real date YYYY-MM-DD"),
    Break(
        "qs",
        {"USUBJID": "P01", "QSTESTCD": "FSMC02", "VISIT": "BASELINE"},
        "QSTESTCD",
        "FSMC01",
        "USUBJID + RESPONDENT + VISIT + QSTESTCD must be unique",
    ),
    Break(
        "qs",
        {"USUBJID": "P01", "QSTESTCD": "FSMCTOT"},
        "QSSTRESN",
        "71",
        "QSSTRESN of a collected FSMCTOT must equal the score of its complete items (70)",
    ),
    Break(
        "ce", {"CESTDTC": "2020-09-01"}, "CEDECOD", "RELAPSE", "CEDECOD must be one of MS RELAPSE"
    ),
    Break("ce", {"CESTDTC": "2020-09-01"}, "CESTDTC", "", "CESTDTC is required"),
    Break("ce", {"CESTDTC": "2020-09-01"}, "USUBJID", "P99", "USUBJID must exist in dm.csv"),
    Break("ae", AE1, "AESEQ", "1.5", "AESEQ must be an integer"),
    Break("ae", AE1, "AESEQ", "2", "USUBJID + AESEQ must be unique"),
    Break("ae", AE1, "AESEV", "mild", "AESEV must be one of MILD, MODERATE, SEVERE"),
    Break("ae", AE1, "AESER", "YES", "AESER must be one of Y, N"),
    Break("ae", AE1, "AEREL", "yes", "AEREL must be one of Y, N"),
    Break("ae", AE1, "AEOUT", "RESOLVED", "AEOUT must be one of RECOVERED/RESOLVED"),
    Break("ae", AE1, "AEACN", "NONE", "AEACN must be one of DRUG WITHDRAWN"),
    Break("ae", AE1, "AEENDTC", "2020-01-05", "AEENDTC must be on or after AESTDTC"),
    Break("ae", AE1, "AEDECOD", "", "AEDECOD is required"),
    Break("cg", P01, "CGAGE", "17", "CGAGE must be an integer 18-100"),
    Break("cg", P01, "CGAGE", "101", "CGAGE must be an integer 18-100"),
    Break("cg", P01, "CGSEX", "W", "CGSEX must be one of F, M"),
    Break("cg", P01, "CGREL", "FRIEND", "CGREL must be one of SPOUSE/PARTNER"),
    Break("cg", P01, "CGYEARS", "-0.5", "CGYEARS must be a number >= 0"),
    Break("cg", P01, "CGEMPLOY", "FULL TIME", "CGEMPLOY must be one of FULL-TIME"),
    Break("cg", P01, "CGCHILD", "2", "CGCHILD must be one of Y, N"),
    Break("cg", P01, "USUBJID", "P99", "USUBJID must exist in dm.csv"),
]


@pytest.fixture
def study(tmp_path: Path) -> Path:
    return write_minimal_study(tmp_path / "study")


def errors_at(report: ValidationReport, file: str, column: str, line: int | None) -> pd.DataFrame:
    e = report.errors
    at = e["line"].isna() if line is None else e["line"].eq(line)
    return e[e["file"].eq(file) & e["column"].eq(column) & at]


def test_minimal_study_is_clean(study: Path) -> None:
    report = validate_folder(study)
    assert report.ok, report.format()
    assert report.warnings.empty, report.format()
    assert list(report.errors.columns) == REPORT_COLUMNS


@pytest.mark.parametrize("b", BREAKS, ids=lambda b: f"{b.file}-{b.column}-{b.value!r}")
def test_broken_rule_is_reported(study: Path, b: Break) -> None:
    line = find_line(study, b.file, **b.where)
    edit_csv(study, b.file, line, b.column, b.value)
    report = validate_folder(study)
    hits = errors_at(report, b.file, b.reported or b.column, line)
    assert hits["rule"].str.contains(b.rule, regex=False).any(), report.format()
    assert not report.ok
    usubjid = read_csv(study, b.file).loc[line - 2, "USUBJID"]
    assert set(hits["USUBJID"]) == {usubjid}


def test_one_error_per_bad_cell(study: Path) -> None:
    """A sentinel is reported as such, not also as a type or range error."""
    edit_csv(study, "dm", 2, "AGE", "-99")
    report = validate_folder(study)
    assert len(report.errors) == 1
    assert report.errors.iloc[0][["file", "column", "line", "USUBJID", "value"]].tolist() == [
        "dm", "AGE", 2, "P01", "-99",
    ]  # fmt: skip


def test_duplicate_key_reports_both_lines(study: Path) -> None:
    edit_csv(study, "ae", find_line(study, "ae", **AE1), "AESEQ", "2")
    report = validate_folder(study)
    dup = report.errors[report.errors["rule"].eq("USUBJID + AESEQ must be unique")]
    assert sorted(dup["line"]) == [2, 3]
    assert set(dup["value"]) == {"P01 / 2"}


@pytest.mark.parametrize("code", ["FSMC99", "ZBI01"])
def test_repeated_qs_key_is_found_whatever_its_code(study: Path, code: str) -> None:
    """qs keys are counted one instrument's codes at a time: a repeated key of a code of no
    instrument (also a code error), or of another instrument's code, is still found."""
    lines = [find_line(study, "qs", **FSMC01_BL),
             find_line(study, "qs", **{**FSMC01_BL, "QSTESTCD": "FSMC02"})]
    for line in lines:
        edit_csv(study, "qs", line, "QSTESTCD", code)
    report = validate_folder(study)
    dup = report.errors[
        report.errors["rule"].eq("USUBJID + RESPONDENT + VISIT + QSTESTCD must be unique")]
    assert sorted(dup["line"]) == sorted(lines)
    assert set(dup["value"]) == {f"P01 / PATIENT / BASELINE / {code}"}


def test_other_country_code_is_accepted(study: Path) -> None:
    edit_csv(study, "dm", 2, "COUNTRY", "SWE")
    assert validate_folder(study).ok


def test_errors_are_collected_not_first_only(study: Path) -> None:
    edit_csv(study, "dm", 2, "AGE", "90")
    edit_csv(study, "cg", 2, "CGREL", "FRIEND")
    errors = validate_folder(study).errors
    assert errors[["file", "column", "line"]].values.tolist() == [
        ["dm", "AGE", 2],
        ["cg", "CGREL", 2],
    ]


def test_line_numbers_count_line_breaks_inside_quoted_cells(study: Path) -> None:
    edit_csv(study, "ae", 2, "AETERM", "headache\nduring infusion")
    edit_csv(study, "ae", 3, "AESEV", "mild")
    errors = validate_folder(study).errors
    assert errors[["file", "column", "line"]].values.tolist() == [["ae", "AESEV", 4]]


@pytest.mark.parametrize(
    ("damage", "file", "column", "rule"),
    [
        ("delete", "ae", "", "required file ae.csv is missing"),
        ("latin1", "dm", "", "dm.csv must be UTF-8 encoded"),
        ("zero_bytes", "qs", "", "qs.csv must be comma-separated with one header row"),
        ("header_only", "dm", "", "dm.csv must have at least one data row"),
        ("repeated_name", "dm", "", "dm.csv must be comma-separated with one header row"),
        ("drop_column", "cg", "CGAGE", "required column CGAGE is missing"),
    ],
)
def test_file_level_problem(study: Path, damage: str, file: str, column: str, rule: str) -> None:
    path = study / f"{file}.csv"
    header = path.read_text(encoding="utf-8").splitlines()[0]
    if damage == "delete":
        path.unlink()
    elif damage == "latin1":
        path.write_bytes(path.read_bytes().replace(b"P04,S02", "P04,Sø".encode("latin-1")))
    elif damage == "zero_bytes":
        path.write_bytes(b"")
    elif damage == "repeated_name":
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(header, header + ",AGE", 1), encoding="utf-8")
    elif damage == "header_only":
        path.write_text(header + "\n", encoding="utf-8")
    else:
        read_csv(study, file).drop(columns=column).to_csv(path, index=False)
    report = validate_folder(study)
    hits = errors_at(report, file, column, None)
    assert hits["rule"].str.startswith(rule).any(), report.format()


def test_lines_with_too_many_or_too_few_fields_are_errors_with_their_line(study: Path) -> None:
    edit_csv(study, "ae", 2, "AETERM", "headache\nduring infusion")  # lines 2-3
    path = study / "ae.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    n_fields = len(lines[0].split(","))
    lines[3] += ",extra"  # file line 4: the second data row
    lines.insert(5, "P01,1")  # file line 6, after the third data row
    path.write_text("\n".join(lines), encoding="utf-8")
    errors = validate_folder(study).errors
    assert errors[["file", "line", "value"]].values.tolist() == [
        ["ae", 4, f"{n_fields + 1} fields"],
        ["ae", 6, "2 fields"],
    ]
    assert errors["rule"].str.contains(f"the {n_fields} fields of the header").all()


@pytest.mark.parametrize("file", ["ce", "ae", "cg"])
def test_optional_files_may_have_no_rows(study: Path, file: str) -> None:
    qs = read_csv(study, "qs")
    if file == "cg":  # caregiver rows need a caregiver
        qs[qs["RESPONDENT"].ne("CAREGIVER")].to_csv(study / "qs.csv", index=False)
    path = study / f"{file}.csv"
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    assert validate_folder(study).ok


def test_extra_columns_are_ignored(study: Path) -> None:
    edit_csv(study, "dm", 2, "COMMENT", "NA")
    assert validate_folder(study).ok


@pytest.mark.parametrize(
    ("where", "column", "value", "rule"),
    [
        (FSMC01_BL, "QSSTRESN", "", "QSSTRESN is empty (not answered)"),
        (EDSS_BL, "QSDTC", "2020-01-07", "QSDTC of a BASELINE row after the first infusion"),
        (
            {"USUBJID": "P01", "QSTESTCD": "EDSS", "VISIT": "MONTH 12"},
            "QSDTC",
            "2021-02-10",  # elapsed 401 days, target 365.25
            "QSDTC outside the visit window",
        ),
    ],
)
def test_warnings_are_reported_but_accepted(
    study: Path, where: dict[str, str], column: str, value: str, rule: str
) -> None:
    line = find_line(study, "qs", **where)
    edit_csv(study, "qs", line, column, value)
    report = validate_folder(study)
    assert report.ok, report.format()
    assert report.warnings[["file", "column", "line"]].values.tolist() == [["qs", column, line]]
    assert report.warnings["rule"].str.startswith(rule).all()
    assert f"1  {rule}" in report.format()


def test_visit_window_edge_is_inside(study: Path) -> None:
    """MONTH 12 target = 365.25 days; 365.25 + 31 = 396.25, so elapsed day 396 is inside."""
    day0 = pd.Timestamp("2020-01-06")  # P01's first infusion
    line = find_line(study, "qs", USUBJID="P01", QSTESTCD="EDSS", VISIT="MONTH 12")
    for elapsed, warned in ((396, False), (397, True)):
        edit_csv(study, "qs", line, "QSDTC", (day0 + pd.Timedelta(days=elapsed)).date().isoformat())
        assert (not validate_folder(study).warnings.empty) is warned


def test_blank_lines_are_warned_and_ignored(study: Path) -> None:
    with (study / "ce.csv").open("a", encoding="utf-8") as f:
        f.write("\n,,\n")
    report = validate_folder(study)
    assert report.ok
    assert report.warnings["line"].tolist() == [4, 5]
    assert report.warnings["rule"].eq("line with every cell empty (ignored)").all()


def test_format_truncates(study: Path) -> None:
    qs = read_csv(study, "qs")
    fsmc_items = qs["QSTESTCD"].str.fullmatch(r"FSMC\d\d")
    qs.loc[fsmc_items, "QSSTRESN"] = "9"
    qs.to_csv(study / "qs.csv", index=False)
    report = validate_folder(study)
    n = int(fsmc_items.sum())
    assert len(report.errors) == n
    text = report.format(max_rows=5)
    assert f"... and {n - 5} more" in text
    assert text.count("must be within 1-5") == 5


def test_check_raw_reports_missing_frames(study: Path) -> None:
    raw = {f: read_csv(study, f).assign(_LINE=lambda d: d.index + 2) for f in ("dm", "ex", "qs")}
    errors = check_raw(raw)[0].errors
    assert errors[["file", "rule"]].values.tolist() == [
        [f, f"required file {f}.csv is missing (or {f}.xpt, {f}.json or {f}.ndjson)"]
        for f in ("ce", "ae", "cg")
    ]


def test_missing_file_does_not_hide_rules_of_other_files(study: Path) -> None:
    (study / "ae.csv").unlink()
    edit_csv(study, "ex", find_line(study, "ex", **COURSE2), "EXCOURSE", "1")
    rules = set(validate_folder(study).errors["rule"])
    assert rules == {
        "required file ae.csv is missing (or ae.xpt, ae.json or ae.ndjson)",
        "USUBJID + EXCOURSE must be unique (ALEMTUZUMAB rows)",
    }


def test_report_order_is_a_stable_sort_by_file_line_column_rule_value_missing_first():
    """Against pandas' stable multi-key sort (missing first), on a table with ties on file and
    line, missing lines and text, an unknown file and fully equal rows."""
    from helpers.data.violations import report_order
    from helpers.study import spec

    rng = np.random.default_rng(7)
    n = 3000
    table = pd.DataFrame({
        "file": rng.choice(["qs", "dm", "ae", "zz"], n),
        "column": rng.choice(["QSDTC", "QSSTRESN", "", None], n),
        "line": pd.array(np.where(rng.random(n) < 0.05, None, rng.integers(1, 400, n)),
                         dtype="Int64"),
        "USUBJID": [f"S{i}" for i in range(n)],  # tells equal rows apart
        "value": rng.choice(["", "1", "10", "2", np.nan], n),
        "rule": rng.choice(["a rule", "b rule"], n),
    })
    rank = {f: i for i, f in enumerate(spec.FILES)}  # data-spec order; zz: unknown, missing
    expected = (table.assign(_f=table["file"].map(rank))
                .sort_values(["_f", "line", "column", "rule", "value"], na_position="first",
                             kind="stable").index.to_numpy())
    np.testing.assert_array_equal(report_order(table), expected)
    alone = table.drop_duplicates(["file", "line"]).reset_index(drop=True)
    expected_alone = (alone.assign(_f=alone["file"].map(rank))
                      .sort_values(["_f", "line"], na_position="first", kind="stable").index)
    np.testing.assert_array_equal(report_order(alone), expected_alone.to_numpy())
