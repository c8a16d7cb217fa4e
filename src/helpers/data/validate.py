"""Check a study data folder against every rule of study/data-spec.md and report all violations.

Errors (the folder is rejected):
- files: dm ex qs ce ae cg present, UTF-8, comma-separated with one header row; dm ex qs have
  rows (ce ae cg may have only their header); every data-spec column present.
- cells (pandera schemas, helpers.data.schemas): types (int = whole number, float = finite number,
  date = real calendar date YYYY-MM-DD), code lists of spec.py (COUNTRY: any ISO alpha-3-looking
  code of 3 upper-case letters is accepted), ranges (AGE 18-80, CGAGE 18-100, ...), required
  cells (DSDECOD empty = ongoing, an error in a final analysis), no sentinel (spec.SENTINELS) in
  any data-spec column (extra columns are ignored, as data-spec says).
- rows and files: unique keys (dm USUBJID; ex USUBJID + EXCOURSE of ALEMTUZUMAB rows; qs USUBJID
  + RESPONDENT + VISIT + QSTESTCD; ae USUBJID + AESEQ; cg USUBJID); every USUBJID in dm;
  QSTESTCD a code of its QSCAT; RESPONDENT allowed for the instrument; a CAREGIVER row needs a cg
  row; QSSTRESN within the range (and step: EDSS 0.5, SDMT 1) of its QSTESTCD in
  spec.INSTRUMENTS; DTHDTC present iff DSDECOD = DEATH; EXCOURSE present on ALEMTUZUMAB rows and
  empty on other therapies; DSSTDTC >= RFICDTC, EXENDTC >= EXSTDTC, AEENDTC >= AESTDTC; a
  collected score beside complete items equals their score (helpers.study.instruments). Each of
  these runs when the files it needs are present with all their data-spec columns.

Warnings (counted, the folder is accepted): lines with every cell empty (ignored), unanswered
qs rows (empty QSSTRESN), qs rows outside their visit window (post-baseline: |elapsed days -
30.4375 x target month| > 31; BASELINE: after elapsed day 0, so not a baseline; subjects never
given alemtuzumab have no day 0 and are not checked).

Every violation is one row of a table: file, column, line (CSV line, header = line 1; empty for
file-level problems), USUBJID, value, rule (a sentence naming the rule).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import polars as pl

from helpers.data import DEFAULT_ENCODING
from helpers.data.folder import missing_file_rule, read_folder
from helpers.data.schemas import (
    COLUMNS,
    LINE,
    SCHEMAS,
    distinct_values,
    empty_rows,
    polars_typed_frame,
    to_number,
    typed_frame,
)
from helpers.data.violations import (
    ValidationReport,
    as_objects,
    file_problem,
    violation_rows,
    violation_table,
)
from helpers.study import spec
from helpers.study.instruments import collected_score_disagreements, is_code_repeated
from helpers.study.time_axis import (
    by_subject,
    first_infusion,
    in_visit_window,
    is_after_day0,
    with_subject_type,
)

ROW = "_ROW"  # a row's position in its frame
DEATH = spec.DEATH
#: the rule of a row whose USUBJID has no dm row (pandas files and the Polars qs alike)
UNKNOWN_SUBJECT = "USUBJID must exist in dm.csv"
KEYS: dict[str, list[str]] = {
    "dm": ["USUBJID"],
    "ex": ["USUBJID", "EXCOURSE"],  # ALEMTUZUMAB rows only
    "qs": ["USUBJID", "RESPONDENT", "VISIT", "QSTESTCD"],
    "ae": ["USUBJID", "AESEQ"],
    "cg": ["USUBJID"],
}
DATE_ORDER = (
    ("dm", "RFICDTC", "DSSTDTC"),
    ("ex", "EXSTDTC", "EXENDTC"),
    ("ae", "AESTDTC", "AEENDTC"),
)


# --- per-file rules (pandera) ---------------------------------------------------------------
def _failures(file: str, raw: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Pandera's failure cases of `columns`, each distinct value checked once: one row per cell
    and failed check, with the cell's row position (`row`), `column`, `check`, `failure_case`."""
    out = [pd.DataFrame(columns=["row", "column", "check", "failure_case"])]
    for column in columns:
        codes, values = distinct_values(raw[column])
        try:
            SCHEMAS[file].columns[column].validate(pd.DataFrame({column: values}), lazy=True)
        except pa.errors.SchemaErrors as e:
            cases = e.failure_cases[["index", "column", "check", "failure_case"]]
        else:
            continue
        failing = np.flatnonzero(np.isin(codes, cases["index"].to_numpy(dtype=np.int64)))
        rows = pd.DataFrame({"row": failing, "index": codes[failing]})
        out.append(rows.merge(cases.astype({"index": "int64"}), on="index"))
    return pd.concat(out, ignore_index=True)


def _schema_violations(file: str, raw: pd.DataFrame) -> pd.DataFrame:
    """Per-column rules (pandera schema of `file`) as violation rows.

    A missing column becomes "required column X is missing"; any other failure keeps its CSV line
    and reads "<column> <check>".
    """
    missing = [c for c in COLUMNS[file] if c not in raw]
    fc = _failures(file, raw, [c for c in COLUMNS[file] if c in raw])
    rows = fc["row"].to_numpy(dtype=np.intp)
    usubjid = raw["USUBJID"].iloc[rows] if "USUBJID" in raw else pd.Series("", index=rows)
    return violation_table(
        [
            pd.DataFrame(
                {
                    "file": file,
                    "column": missing,
                    "line": pd.NA,
                    "USUBJID": "",
                    "value": "",
                    "rule": [f"required column {c} is missing" for c in missing],
                }
            ),
            pd.DataFrame(
                {
                    "file": file,
                    "column": fc["column"].to_numpy(),
                    "line": raw[LINE].to_numpy()[rows],
                    "USUBJID": as_objects(usubjid).fillna("").to_numpy(),
                    "value": fc["failure_case"].astype(str).to_numpy(),
                    "rule": (fc["column"] + " " + fc["check"].astype(str)).to_numpy(),
                }
            ),
        ]
    )


# --- rules across rows, columns and files ----------------------------------------------------
def _duplicate_keys(file: str, raw: pd.DataFrame, typed: pl.DataFrame) -> pd.DataFrame:
    """Rows whose key (KEYS; ex: ALEMTUZUMAB rows only; rows with an empty key cell are not
    checked) is the key of another row.

    Two rows with one key share all its columns but the last (for qs: one administration,
    USUBJID + RESPONDENT + VISIT): the groups of rows that share those columns and repeat a
    value of the last one are found by the streaming engine, one part of the rows at a time
    (_key_parts), and only their rows are searched for the repeated keys."""
    cols = KEYS[file]
    group = cols[:-1] or cols
    in_scope = pl.all_horizontal(pl.col(cols).is_not_null())
    if file == "ex":
        in_scope &= pl.col("EXTRT") == spec.ALEMTUZUMAB
    checked = (typed.lazy().select(*cols, *(["EXTRT"] if file == "ex" else []))
               .with_row_index(ROW).filter(in_scope))
    with_repeats = pl.concat([
        checked.filter(part).group_by(group).agg(repeated=is_repeated).filter("repeated")
        .select(group).collect(engine="streaming")
        for part, is_repeated in _key_parts(file)
    ]).unique()
    repeated = pl.Series(ROW, [], dtype=pl.UInt32)
    if not with_repeats.is_empty():
        rows = checked.join(with_repeats.lazy(), on=group, how="semi").collect()
        repeated = rows.filter(rows.select(cols).is_duplicated())[ROW]
    dup = _mask(len(typed), repeated)
    hit = raw.loc[dup, cols]
    value = (
        as_objects(hit[cols[0]])
        .astype(str)
        .str.cat([as_objects(hit[c]).astype(str) for c in cols[1:]], sep=" / ")
    )
    rule = " + ".join(cols) + " must be unique" + (" (ALEMTUZUMAB rows)" if file == "ex" else "")
    return violation_rows(file, raw, dup, cols[-1], rule, value)


def _key_parts(file: str) -> list[tuple[pl.Expr, pl.Expr]]:
    """Parts of a file's rows by the last key column, a repeated key within one part, each with
    the rule that finds a repeated value of that column in a group of its rows. qs: the QSTESTCDs
    of each instrument, a count per code (instruments.is_code_repeated: the cheapest aggregation),
    then every other code; other files: one part. Otherwise: more rows than distinct values."""
    more_rows_than_values = pl.len() > pl.col(KEYS[file][-1]).n_unique()
    if file != "qs":
        return [(pl.lit(True), more_rows_than_values)]
    codes = [list({**ins.items, **ins.scores}) for ins in spec.INSTRUMENTS.values()]
    known = [code for part in codes for code in part]
    return [*((pl.col("QSTESTCD").is_in(part), is_code_repeated(part)) for part in codes),
            (~pl.col("QSTESTCD").is_in(known), more_rows_than_values)]


#: QSTESTCD -> allowed (low, high) and step; QSCAT -> allowed respondents
_RANGES = (
    pd.DataFrame(
        [
            {"QSTESTCD": code, "low": low, "high": high, "step": ins.step}
            for ins in spec.INSTRUMENTS.values()
            for code, (low, high) in {**ins.items, **ins.scores}.items()
        ]
    )
    .set_index("QSTESTCD")
    .astype(float)
)
_RESPONDENT_PAIRS = pd.MultiIndex.from_tuples(
    [(cat, r) for cat, ins in spec.INSTRUMENTS.items() for r in ins.respondents]
)
_RESPONDENT_TEXT = {cat: "/".join(ins.respondents) for cat, ins in spec.INSTRUMENTS.items()}


def _fmt(x: pd.Series) -> pd.Series:
    return x.map("{:g}".format)


def _rows_of_distinct(
    file: str, raw: pd.DataFrame, rows: pl.DataFrame, distinct: pd.DataFrame,
    mask: pd.Series, column: str, rule: pd.Series,
) -> pd.DataFrame:
    """_rows for a rule computed on the distinct rows of `rows` (`mask` and `rule` per row of
    `distinct`): the rows of `raw` that hold a distinct row where `mask` holds, looked up only
    when there is one."""
    holds = mask.to_numpy(dtype=bool)
    if not holds.any():
        return violation_rows(file, raw, np.zeros(len(raw), dtype=bool), column, rule)
    broken = distinct.loc[holds].assign(_rule=rule.to_numpy()[holds])
    found = rows.with_row_index(ROW).join(
        pl.from_pandas(broken).cast(dict(rows.schema)),
        on=rows.columns, how="inner", nulls_equal=True)
    hit = _mask(len(raw), found[ROW])
    rule_of_row = pd.Series(found["_rule"].to_numpy(), index=raw.index[found[ROW].to_numpy()])
    return violation_rows(file, raw, hit, column, rule_of_row)


def _qs_rules(raw: pd.DataFrame, typed: pl.DataFrame) -> list[pd.DataFrame]:
    """QSTESTCD a code of its QSCAT, RESPONDENT allowed for it, QSSTRESN range and step.

    Checked once per distinct (QSTESTCD, QSCAT, RESPONDENT, QSSTRESN cell), the distinct rows
    found by the engine's group_by."""
    rows = typed.select("QSTESTCD", "QSCAT", "RESPONDENT").with_columns(
        pl.from_pandas(raw["QSSTRESN"]).alias("QSSTRESN"))
    cells = (rows.lazy().group_by(rows.columns).agg().with_columns(pl.all().cast(pl.String))
             .collect(engine="streaming"))
    distinct = cells.sort(cells.columns, nulls_last=False).to_pandas().astype(object)
    distinct = distinct.where(distinct.notna(), np.nan)
    code, cat = distinct["QSTESTCD"], distinct["QSCAT"]
    code_cat = code.map(spec.TESTCD_TO_QSCAT)
    known_cat = cat.isin(list(spec.INSTRUMENTS))
    respondent_ok = pd.MultiIndex.from_frame(distinct[["QSCAT", "RESPONDENT"]]).isin(
        _RESPONDENT_PAIRS
    )
    x = to_number(distinct["QSSTRESN"])
    low, high, step = (code.map(_RANGES[c]) for c in ("low", "high", "step"))
    off_step = x.notna() & step.notna() & ~np.isclose(x / step, np.round(x / step))
    rules = [
        (
            known_cat & code_cat.notna() & code_cat.ne(cat),
            "QSTESTCD",
            "QSTESTCD must be a code of its QSCAT (it is a " + code_cat.fillna("") + " code)",
        ),
        (
            known_cat & distinct["RESPONDENT"].notna() & ~respondent_ok,
            "RESPONDENT",
            "RESPONDENT must be " + cat.map(_RESPONDENT_TEXT).fillna("") + " for " + cat.fillna(""),
        ),
        (
            x.lt(low) | x.gt(high),
            "QSSTRESN",
            "QSSTRESN of " + code.fillna("") + " must be within " + _fmt(low) + "-" + _fmt(high),
        ),
        (
            off_step,
            "QSSTRESN",
            "QSSTRESN of " + code.fillna("") + " must be in steps of " + _fmt(step),
        ),
    ]
    return [_rows_of_distinct("qs", raw, rows, distinct, mask, col, rule)
            for mask, col, rule in rules]


def _ex_rules(raw: pd.DataFrame, typed: pd.DataFrame) -> list[pd.DataFrame]:
    """EXCOURSE present on ALEMTUZUMAB rows, empty on other therapies."""
    alemtuzumab = typed["EXTRT"].eq(spec.ALEMTUZUMAB)
    return [
        violation_rows(
            "ex",
            raw,
            alemtuzumab & raw["EXCOURSE"].eq(""),
            "EXCOURSE",
            f"EXCOURSE is required on {spec.ALEMTUZUMAB} rows",
        ),
        violation_rows(
            "ex",
            raw,
            typed["EXTRT"].notna() & ~alemtuzumab & raw["EXCOURSE"].ne(""),
            "EXCOURSE",
            f"EXCOURSE must be empty for therapies other than {spec.ALEMTUZUMAB}",
        ),
    ]


def _unknown_subjects(file: str, raw: pd.DataFrame, typed: pd.DataFrame, in_dm: pd.Index
                      ) -> pd.DataFrame:
    unknown = typed["USUBJID"].notna() & ~typed["USUBJID"].isin(in_dm)
    return violation_rows(file, raw, unknown, "USUBJID", UNKNOWN_SUBJECT)


def _subjects(typed: dict[str, pd.DataFrame]) -> dict[str, pd.Index]:
    """The distinct USUBJIDs of dm and cg, of those complete (in `typed`)."""
    return {f: pd.Index(typed[f]["USUBJID"].dropna().unique(), dtype=object)
            for f in ("dm", "cg") if f in typed}


def _cross_rules(
    raw: dict[str, pd.DataFrame], typed: dict[str, pd.DataFrame], subjects: dict[str, pd.Index]
) -> list[pd.DataFrame]:
    """Rules across rows, columns and files but those of qs rows (`_qs_rows_rules`); `typed`
    holds the complete files only (present with every data-spec column) and each rule runs when
    the files it needs are complete; `subjects` as _subjects."""
    out = [_duplicate_keys(f, raw[f], pl.from_pandas(typed[f])) for f in KEYS
           if f in typed and f != "qs"]
    out += [
        violation_rows(f, raw[f], typed[f][later].lt(typed[f][earlier]), later,
              f"{later} must be on or after {earlier}")
        for f, earlier, later in DATE_ORDER
        if f in typed
    ]  # fmt: skip
    if "dm" in typed:
        dm = typed["dm"]
        out += [_unknown_subjects(f, raw[f], typed[f], subjects["dm"])
                for f in typed if f not in ("dm", "qs")]
        out.append(
            violation_rows(
                "dm",
                raw["dm"],
                raw["dm"]["DTHDTC"].ne("").ne(dm["DSDECOD"].eq(DEATH)),
                "DTHDTC",
                f"DTHDTC must be present if and only if DSDECOD is {DEATH}",
            )
        )
    if "ex" in typed:
        out += _ex_rules(raw["ex"], typed["ex"])
    return out


def _qs_subject_rules(
    raw: pd.DataFrame, qs: pl.DataFrame, subjects: dict[str, pd.Index]
) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """Errors and warnings of the qs rules on each row's subject (`raw` and the typed `qs` the
    same rows; `subjects` of the complete dm and cg, _subjects): known subject, caregiver row;
    unanswered items."""
    present = qs["USUBJID"].unique().drop_nulls()

    def holds(rule: pl.Expr) -> np.ndarray:
        return qs.select(rule.fill_null(False)).to_series().to_numpy()

    def subject_not_in(file: str) -> pl.Expr:  # each subject looked up once
        absent = present.filter(~present.is_in(subjects[file].to_list()))
        return pl.col("USUBJID").is_in(absent.implode())

    found = []
    if "dm" in subjects:
        unknown = holds(subject_not_in("dm"))
        found.append(violation_rows("qs", raw, unknown, "USUBJID", UNKNOWN_SUBJECT))
    if "cg" in subjects:
        caregiver = (pl.col("RESPONDENT") == "CAREGIVER") & subject_not_in("cg")
        found.append(
            violation_rows("qs", raw, holds(caregiver), "RESPONDENT",
                  "a CAREGIVER row needs a row of its USUBJID in cg.csv")
        )  # fmt: skip
    empty = raw["QSSTRESN"].eq("")
    return found, [violation_rows("qs", raw, empty, "QSSTRESN", "QSSTRESN is empty (not answered)")]


def _qs_rows_rules(
    raw: pd.DataFrame, qs: pl.DataFrame, errors: pd.DataFrame, day0: pd.Series | None
) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """Errors and warnings of the other qs rules, on the typed qs (polars_typed_frame; `errors`
    found so far, whose rows the score rule leaves out; `day0` the first infusions, None without
    a complete ex): unique key, codes, ranges, collected scores; visit windows."""
    found = [_duplicate_keys("qs", raw, qs), *_qs_rules(raw, qs)]
    found.append(_score_rules(raw, qs, violation_table([errors, *found])))
    return found, [] if day0 is None else _window_warnings(raw, qs, day0)


def _score_rules(raw: pd.DataFrame, qs: pl.DataFrame, errors: pd.DataFrame) -> pd.DataFrame:
    """A collected score beside complete items must equal their score (helpers.study.instruments).

    `qs` is typed (polars_typed_frame). Rows that already have an error are left out (their
    items count as missing), so the scoring sees unique, in-range, well-coded rows.
    """
    bad = errors.loc[errors["file"].eq("qs"), "line"].dropna().astype("int64").tolist()
    clean = qs.filter(~pl.col(LINE).cast(pl.Int64).is_in(bad)) if bad else qs
    disagreements = collected_score_disagreements(clean)
    found = disagreements.to_pandas().set_index(LINE)["derived"]
    mask = raw[LINE].isin(found.index)
    derived = raw.loc[mask, LINE].map(found)
    return violation_rows(
        "qs",
        raw,
        mask,
        "QSSTRESN",
        "QSSTRESN of a collected " + as_objects(raw.loc[mask, "QSTESTCD"]) + " must equal the "
        "score of its complete items (" + _fmt(derived) + ")",
    )


def _window_warnings(raw: pd.DataFrame, qs: pl.DataFrame, day0: pd.Series) -> list[pd.DataFrame]:
    """qs rows outside their visit window, in elapsed days from the first alemtuzumab infusion
    (day0, time_axis.first_infusion; subjects without one are not checked), by the rules ADQS
    derives with: post-baseline outside time_axis.in_visit_window, BASELINE
    time_axis.is_after_day0 (undated rows are not flagged). `qs` typed (polars_typed_frame).

    The rule depends on USUBJID, VISIT and QSDTC only: it is checked once per distinct triple,
    and the rows of the triples that break it are then looked up."""
    first = with_subject_type(by_subject(day0.rename("day0")), qs.schema["USUBJID"])
    target = pl.col("VISIT").cast(pl.String).replace_strict(spec.VISITS, default=None,
                                                        return_dtype=pl.Float64)
    elapsed = (pl.col("QSDTC") - pl.col("day0")).dt.total_days()
    when = ["USUBJID", "VISIT", "QSDTC"]
    outside_dates = (
        qs.lazy().group_by(when).agg()
        .join(first.lazy(), on="USUBJID", how="inner")
        .select(*when, outside=(target != 0) & ~in_visit_window(elapsed, target),
                late=(target == 0) & is_after_day0(elapsed))
        .filter(pl.col("outside") | pl.col("late"))
        .collect(engine="streaming")
    )
    flagged = (qs.lazy().select(when).with_row_index(ROW)
               .join(outside_dates.lazy(), on=when, how="inner")
               .collect(engine="streaming"))
    outside = (
        f"QSDTC outside the visit window (target month +/- "
        f"{spec.VISIT_WINDOW_DAYS} days from the first infusion)"
    )
    late = "QSDTC of a BASELINE row after the first infusion (not a baseline)"
    return [violation_rows("qs", raw, _mask(len(raw), flagged.filter(rule)[ROW]), "QSDTC", text)
            for rule, text in (("outside", outside), ("late", late))]


def _mask(n: int, rows: pl.Series) -> np.ndarray:
    """A boolean mask of n rows, True at the positions `rows`."""
    mask = np.zeros(n, dtype=bool)
    mask[rows.to_numpy()] = True
    return mask


def check_raw(
    raw: dict[str, pd.DataFrame],
    problems: pd.DataFrame | None = None,
    files: dict[str, str] | None = None,
) -> tuple[ValidationReport, dict[str, pd.DataFrame], pd.Series | None]:
    """Every rule on raw frames (+ file-level `problems` of read_folder, and the file name of each
    domain; by default each frame's attrs["file"]): the report; the typed frames (as
    StudyData: categorical codes, index 0..n-1; qs as Polars, polars_typed_frame) of the files
    present with all data-spec columns, lines of only empty cells left out; and elapsed day 0
    of each treated subject (time_axis.first_infusion of the typed ex; None without a complete
    ex), which the visit-window rules used. Complete when the report is ok."""
    if files is None:
        files = {f: df.attrs["file"] for f, df in raw.items() if "file" in df.attrs}
    problems = violation_table([]) if problems is None else problems
    errors: list[pd.DataFrame] = [problems]
    warnings: list[pd.DataFrame] = []
    data: dict[str, pd.DataFrame] = {}
    has_cell_errors: dict[str, bool] = {}
    for file in spec.FILES:
        if file not in raw:
            if not problems["file"].eq(file).any():
                errors.append(file_problem(file, missing_file_rule(file)))
            continue
        frame = raw[file]
        if not frame.index.equals(pd.RangeIndex(len(frame))):
            frame = frame.reset_index(drop=True)
        blank = empty_rows(frame)
        warnings.append(
            violation_rows(
                file,
                frame,
                blank,
                "",
                "line with every cell empty (ignored)",
                value=pd.Series("", index=frame.index),
            )
        )
        data[file] = frame.loc[~blank].reset_index(drop=True) if blank.any() else frame
        if file in spec.FILES_NONEMPTY and data[file].empty:
            errors.append(file_problem(file, f"{file}.csv must have at least one data row"))
        violations = _schema_violations(file, data[file])
        errors.append(violations)
        has_cell_errors[file] = not violations.empty
    # a file whose every cell passed has nothing to coerce: a cell lost there is a bug, raised
    typed = {
        f: (polars_typed_frame if f == "qs" else typed_frame)(
            f, df, "coerce" if has_cell_errors[f] else "raise")
        for f, df in data.items()
        if set(COLUMNS[f]) <= set(df)
    }
    subjects = _subjects(typed)
    errors.extend(_cross_rules(data, typed, subjects))
    day0 = first_infusion(typed["ex"]) if "ex" in typed else None
    if "qs" in typed:
        found, warned = _qs_subject_rules(data["qs"], typed["qs"], subjects)
        more_found, more_warned = _qs_rows_rules(data["qs"], typed["qs"],
                                                 violation_table([*errors, *found]), day0)
        errors += found + more_found
        warnings += warned + more_warned
    report = ValidationReport(violation_table(errors), violation_table(warnings), files)
    return report, typed, day0


def validate_folder(folder: Path, encoding: str = DEFAULT_ENCODING) -> ValidationReport:
    """Read a study data folder (XPT text in `encoding`) and check every rule; unreadable files
    are file-level errors."""
    return check_raw(*read_folder(folder, encoding))[0]
