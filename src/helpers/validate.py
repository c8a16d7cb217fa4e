"""Check a study data folder against every rule of study/data-spec.md and report all violations.

Errors (the folder is rejected):
- files: dm ex qs ce ae cg present, UTF-8, comma-separated with one header row; dm ex qs have
  rows (ce ae cg may have only their header); every data-spec column present.
- cells (pandera schemas, helpers.schemas): types (int = whole number, float = finite number,
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
  collected score beside complete items equals their score (helpers.scoring). Each of these
  runs when the files it needs are present with all their data-spec columns.

Warnings (counted, the folder is accepted): lines with every cell empty (ignored), unanswered
qs rows (empty QSSTRESN), qs rows outside their visit window (post-baseline: |elapsed days -
30.4375 x target month| > 31; BASELINE: after elapsed day 0, so not a baseline; subjects never
given alemtuzumab have no day 0 and are not checked).

Every violation is one row of a table: file, column, line (CSV line, header = line 1; empty for
file-level problems), USUBJID, value, rule (a sentence naming the rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from helpers import spec
from helpers.schemas import COLUMNS, LINE, SCHEMAS, empty_rows, typed_frame
from helpers.scoring import collected_score_disagreements

REPORT_COLUMNS = ["file", "column", "line", "USUBJID", "value", "rule"]
DEATH = "DEATH"
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


@dataclass
class ValidationReport:
    """Errors (reject the folder) and warnings (accepted, counted), columns REPORT_COLUMNS."""

    errors: pd.DataFrame
    warnings: pd.DataFrame

    @property
    def ok(self) -> bool:
        return self.errors.empty

    def format(self, max_rows: int = 50) -> str:
        """At most `max_rows` errors as a table (then "... and N more"), then warnings by rule."""
        lines = [f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)"]
        if not self.errors.empty:
            shown = self.errors.head(max_rows).astype({"line": "string"}).fillna({"line": ""})
            shown["file"] = shown["file"] + ".csv"
            lines.append(shown.to_string(index=False))
            if len(self.errors) > max_rows:
                lines.append(f"... and {len(self.errors) - max_rows} more")
        if not self.warnings.empty:
            counts = self.warnings.groupby("rule").size().sort_index()
            lines.append("warnings by rule:")
            lines.extend(f"  {n:6d}  {rule}" for rule, n in counts.items())
        return "\n".join(lines)


def _table(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate violation frames and sort them: file (data-spec order), line, column, rule."""
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(
            {c: pd.Series(dtype="Int64" if c == "line" else object) for c in REPORT_COLUMNS}
        )
    out = pd.concat(parts, ignore_index=True)[REPORT_COLUMNS]
    out["line"] = out["line"].astype("Int64")
    order = out["file"].map({f: i for i, f in enumerate(spec.FILES)})
    out = out.assign(_f=order).sort_values(
        ["_f", "line", "column", "rule", "value"], na_position="first", kind="stable"
    )
    return out.drop(columns="_f").reset_index(drop=True)


def _file_problem(file: str, rule: str) -> pd.DataFrame:
    return pd.DataFrame(
        [{"file": file, "column": "", "line": pd.NA, "USUBJID": "", "value": "", "rule": rule}]
    )


def _rows(
    file: str,
    raw: pd.DataFrame,
    mask: pd.Series,
    column: str,
    rule: str | pd.Series,
    value: pd.Series | None = None,
) -> pd.DataFrame:
    """One violation per row of `raw` (indexed by _LINE) where `mask` holds."""
    hit = raw.loc[mask]
    return pd.DataFrame(
        {
            "file": file,
            "column": column,
            "line": hit[LINE],
            "USUBJID": hit.get("USUBJID", ""),
            "value": (hit[column] if value is None else value.loc[mask]).astype(str),
            "rule": rule if isinstance(rule, str) else rule.loc[mask],
        }
    )


# --- reading -------------------------------------------------------------------------------
def read_csv(path: Path) -> pd.DataFrame:
    """One CSV, every cell a string ("" when empty), plus _LINE (CSV line, header = line 1).

    _LINE counts the line breaks inside quoted cells, so it is the line where the row starts.
    """
    raw = pd.read_csv(
        path, dtype=str, keep_default_na=False, skip_blank_lines=False, encoding="utf-8-sig"
    )
    breaks = raw.apply(lambda col: col.str.count("\n")).sum(axis=1)
    raw[LINE] = 2 + np.arange(len(raw)) + (breaks.cumsum() - breaks)
    return raw


def read_folder(folder: Path) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The raw frames of the files that could be read, and the file-level errors of the others."""
    raw: dict[str, pd.DataFrame] = {}
    problems: list[pd.DataFrame] = []
    for file in spec.FILES:
        path = Path(folder) / f"{file}.csv"
        if not path.is_file():
            problems.append(_file_problem(file, f"required file {file}.csv is missing"))
            continue
        try:
            raw[file] = read_csv(path)
        except UnicodeDecodeError:
            problems.append(_file_problem(file, f"{file}.csv must be UTF-8 encoded"))
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as e:
            problems.append(
                _file_problem(
                    file,
                    f"{file}.csv must be comma-separated with one header row ({str(e).strip()})",
                )
            )
    return raw, _table(problems)


# --- per-file rules (pandera) ---------------------------------------------------------------
def _schema_violations(file: str, raw: pd.DataFrame) -> pd.DataFrame:
    """Pandera's failure cases of one file as violation rows (pandera's index = _LINE).

    A missing column becomes "required column X is missing"; any other failure keeps its line
    (empty when pandera gives none) and reads "<column> <check>".
    """
    try:
        SCHEMAS[file].validate(raw, lazy=True)
    except pa.errors.SchemaErrors as e:
        fc = e.failure_cases
    else:
        return _table([])
    missing = fc["check"].eq("column_in_dataframe")
    case = fc["failure_case"].astype(str)
    column = fc["column"].where(~missing, case).fillna("").astype(str)
    line = pd.to_numeric(fc["index"].where(~missing), errors="coerce").astype("Int64")
    usubjid = raw["USUBJID"] if "USUBJID" in raw else pd.Series("", index=raw.index)
    return pd.DataFrame(
        {
            "file": file,
            "column": column,
            "line": line,
            "USUBJID": usubjid.reindex(line).fillna("").to_numpy(),
            "value": case.where(~missing, ""),
            "rule": ("required column " + case + " is missing").where(
                missing, column + " " + fc["check"].astype(str)
            ),
        }
    )


# --- rules across rows, columns and files ----------------------------------------------------
def _duplicate_keys(file: str, raw: pd.DataFrame, typed: pd.DataFrame) -> pd.DataFrame:
    cols = KEYS[file]
    scope = typed[cols].notna().all(axis=1)
    if file == "ex":
        scope &= typed["EXTRT"].eq(spec.ALEMTUZUMAB)
    dup = scope & typed.loc[scope].duplicated(cols, keep=False).reindex(
        typed.index, fill_value=False
    )
    value = raw[cols[0]].str.cat(raw[cols[1:]], sep=" / ") if len(cols) > 1 else raw[cols[0]]
    rule = " + ".join(cols) + " must be unique" + (" (ALEMTUZUMAB rows)" if file == "ex" else "")
    return _rows(file, raw, dup, cols[-1], rule, value)


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


def _qs_rules(raw: pd.DataFrame, typed: pd.DataFrame) -> list[pd.DataFrame]:
    """QSTESTCD a code of its QSCAT, RESPONDENT allowed for it, QSSTRESN range and step."""
    code, cat = typed["QSTESTCD"], typed["QSCAT"]
    code_cat = code.map(spec.TESTCD_TO_QSCAT)
    known_cat = cat.isin(list(spec.INSTRUMENTS))
    respondent_ok = pd.MultiIndex.from_frame(typed[["QSCAT", "RESPONDENT"]]).isin(_RESPONDENT_PAIRS)
    x = typed["QSSTRESN"]
    low, high, step = (code.map(_RANGES[c]) for c in ("low", "high", "step"))
    off_step = x.notna() & step.notna() & ~np.isclose(x / step, np.round(x / step))
    return [
        _rows(
            "qs",
            raw,
            known_cat & code_cat.notna() & code_cat.ne(cat),
            "QSTESTCD",
            "QSTESTCD must be a code of its QSCAT (it is a " + code_cat.fillna("") + " code)",
        ),
        _rows(
            "qs",
            raw,
            known_cat & typed["RESPONDENT"].notna() & ~respondent_ok,
            "RESPONDENT",
            "RESPONDENT must be " + cat.map(_RESPONDENT_TEXT).fillna("") + " for " + cat.fillna(""),
        ),
        _rows(
            "qs",
            raw,
            x.lt(low) | x.gt(high),
            "QSSTRESN",
            "QSSTRESN of " + code.fillna("") + " must be within " + _fmt(low) + "-" + _fmt(high),
        ),
        _rows(
            "qs",
            raw,
            off_step,
            "QSSTRESN",
            "QSSTRESN of " + code.fillna("") + " must be in steps of " + _fmt(step),
        ),
    ]


def _ex_rules(raw: pd.DataFrame, typed: pd.DataFrame) -> list[pd.DataFrame]:
    """EXCOURSE present on ALEMTUZUMAB rows, empty on other therapies."""
    alemtuzumab = typed["EXTRT"].eq(spec.ALEMTUZUMAB)
    return [
        _rows(
            "ex",
            raw,
            alemtuzumab & raw["EXCOURSE"].eq(""),
            "EXCOURSE",
            f"EXCOURSE is required on {spec.ALEMTUZUMAB} rows",
        ),
        _rows(
            "ex",
            raw,
            typed["EXTRT"].notna() & ~alemtuzumab & raw["EXCOURSE"].ne(""),
            "EXCOURSE",
            f"EXCOURSE must be empty for therapies other than {spec.ALEMTUZUMAB}",
        ),
    ]


def _cross_rules(
    raw: dict[str, pd.DataFrame], typed: dict[str, pd.DataFrame]
) -> list[pd.DataFrame]:
    """Rules across rows, columns and files; `typed` holds the complete files only (present with
    every data-spec column) and each rule runs when the files it needs are complete."""
    out = [_duplicate_keys(f, raw[f], typed[f]) for f in KEYS if f in typed]
    out += [
        _rows(f, raw[f], typed[f][later].lt(typed[f][earlier]), later,
              f"{later} must be on or after {earlier}")
        for f, earlier, later in DATE_ORDER
        if f in typed
    ]  # fmt: skip
    if "dm" in typed:
        dm = typed["dm"]
        out += [
            _rows(f, raw[f], typed[f]["USUBJID"].notna() & ~typed[f]["USUBJID"].isin(dm["USUBJID"]),
                  "USUBJID", "USUBJID must exist in dm.csv")
            for f in typed
            if f != "dm"
        ]  # fmt: skip
        out.append(
            _rows(
                "dm",
                raw["dm"],
                raw["dm"]["DTHDTC"].ne("").ne(dm["DSDECOD"].eq(DEATH)),
                "DTHDTC",
                f"DTHDTC must be present if and only if DSDECOD is {DEATH}",
            )
        )
    if "ex" in typed:
        out += _ex_rules(raw["ex"], typed["ex"])
    if "qs" in typed:
        out += _qs_rules(raw["qs"], typed["qs"])
    if {"qs", "cg"} <= typed.keys():
        qs = typed["qs"]
        caregiver = qs["RESPONDENT"].eq("CAREGIVER") & ~qs["USUBJID"].isin(typed["cg"]["USUBJID"])
        out.append(
            _rows("qs", raw["qs"], caregiver, "RESPONDENT",
                  "a CAREGIVER row needs a row of its USUBJID in cg.csv")
        )  # fmt: skip
    return out


def _score_rules(raw: pd.DataFrame, typed: pd.DataFrame, errors: pd.DataFrame) -> pd.DataFrame:
    """A collected score beside complete items must equal their score (helpers.scoring).

    Rows that already have an error are left out (their items count as missing), so the scoring
    sees unique, in-range, well-coded rows.
    """
    bad = errors.loc[errors["file"].eq("qs"), "line"].dropna().astype("int64")
    clean = typed.loc[~typed.index.isin(bad)].reset_index(drop=True)
    found = collected_score_disagreements(clean).set_index(LINE)
    derived = found["derived"].reindex(raw.index)
    return _rows(
        "qs",
        raw,
        derived.notna(),
        "QSSTRESN",
        "QSSTRESN of a collected " + raw["QSTESTCD"] + " must equal the score of its "
        "complete items (" + _fmt(derived) + ")",
    )


def _window_warnings(raw: pd.DataFrame, qs: pd.DataFrame, ex: pd.DataFrame) -> list[pd.DataFrame]:
    """qs rows outside their visit window, in elapsed days from the first alemtuzumab infusion."""
    day0 = ex.loc[ex["EXTRT"].eq(spec.ALEMTUZUMAB)].groupby("USUBJID")["EXSTDTC"].min()
    elapsed = (qs["QSDTC"] - qs["USUBJID"].map(day0)).dt.days
    target = qs["VISIT"].map(spec.VISITS) * spec.DAYS_PER_MONTH
    baseline = qs["VISIT"].eq("BASELINE")
    return [
        _rows(
            "qs",
            raw,
            ~baseline & (elapsed - target).abs().gt(spec.VISIT_WINDOW_DAYS),
            "QSDTC",
            f"QSDTC outside the visit window (target month +/- "
            f"{spec.VISIT_WINDOW_DAYS} days from the first infusion)",
        ),
        _rows(
            "qs",
            raw,
            baseline & elapsed.gt(0),
            "QSDTC",
            "QSDTC of a BASELINE row after the first infusion (not a baseline)",
        ),
    ]


def _validate(raw: dict[str, pd.DataFrame], problems: pd.DataFrame) -> ValidationReport:
    errors: list[pd.DataFrame] = [problems]
    warnings: list[pd.DataFrame] = []
    data: dict[str, pd.DataFrame] = {}
    for file in spec.FILES:
        if file not in raw:
            if not problems["file"].eq(file).any():
                errors.append(_file_problem(file, f"required file {file}.csv is missing"))
            continue
        frame = raw[file].set_axis(raw[file][LINE].to_numpy())
        blank = empty_rows(frame)
        warnings.append(
            _rows(
                file,
                frame,
                blank,
                "",
                "line with every cell empty (ignored)",
                value=pd.Series("", index=frame.index),
            )
        )
        data[file] = frame.loc[~blank]
        if file in spec.FILES_NONEMPTY and data[file].empty:
            errors.append(_file_problem(file, f"{file}.csv must have at least one data row"))
        errors.append(_schema_violations(file, data[file]))
    typed = {
        f: typed_frame(f, df, "coerce") for f, df in data.items() if set(COLUMNS[f]) <= set(df)
    }
    errors.extend(_cross_rules(data, typed))
    if "qs" in typed:
        errors.append(_score_rules(data["qs"], typed["qs"], _table(errors)))
        empty = data["qs"]["QSSTRESN"].eq("")
        warnings.append(
            _rows("qs", data["qs"], empty, "QSSTRESN", "QSSTRESN is empty (not answered)")
        )
    if {"qs", "ex"} <= typed.keys():
        warnings.extend(_window_warnings(data["qs"], typed["qs"], typed["ex"]))
    return ValidationReport(_table(errors), _table(warnings))


def validate_raw(raw: dict[str, pd.DataFrame]) -> ValidationReport:
    """Every rule of data-spec.md on raw frames (read_raw: str cells + _LINE), all violations."""
    return _validate(raw, _table([]))


def validate_folder(folder: Path) -> ValidationReport:
    """Read a study data folder and check every rule; unreadable files are file-level errors."""
    return _validate(*read_folder(folder))
