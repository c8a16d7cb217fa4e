"""The violation table of a data check: one row per broken rule (file, column, line, USUBJID,
value, rule) and the report (errors and warnings) that a check returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.data.csv_reader import LINE
from helpers.study import spec

REPORT_COLUMNS = ["file", "column", "line", "USUBJID", "value", "rule"]


@dataclass
class ValidationReport:
    """Errors (reject the folder) and warnings (accepted, counted), columns REPORT_COLUMNS."""

    errors: pd.DataFrame
    warnings: pd.DataFrame
    #: each domain's file name (dm -> dm.xpt); a domain not named here is shown as <domain>.csv
    files: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.errors.empty

    def format(self, max_rows: int = 50) -> str:
        """At most `max_rows` errors as a table (then "... and N more"), then warnings by rule."""
        lines = [f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)"]
        if not self.errors.empty:
            shown = self.errors.head(max_rows).astype({"line": "string"}).fillna({"line": ""})
            shown["file"] = shown["file"].map(lambda f: self.files.get(f, f"{f}.csv"))
            lines.append(shown.to_string(index=False))
            if len(self.errors) > max_rows:
                lines.append(f"... and {len(self.errors) - max_rows} more")
        if not self.warnings.empty:
            counts = self.warnings.groupby("rule").size().sort_index()
            lines.append("warnings by rule:")
            lines.extend(f"  {n:6d}  {rule}" for rule, n in counts.items())
        return "\n".join(lines)


def violation_table(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate violation frames and sort them: file (data-spec order), line, column, rule."""
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(
            {c: pd.Series(dtype="Int64" if c == "line" else object) for c in REPORT_COLUMNS}
        )
    out = pd.concat(parts, ignore_index=True)[REPORT_COLUMNS]
    out["line"] = out["line"].astype("Int64")
    return out.take(report_order(out)).reset_index(drop=True)


def report_order(table: pd.DataFrame) -> np.ndarray:
    """The row order of a violation table: by file (data-spec order), line, column, rule, value,
    missing first, ties in their order (a stable sort). Most rows are alone on their file and
    line (1.2M warnings at 100k patients), so the text is compared only among those that are not."""
    file = table["file"].map({f: i for i, f in enumerate(spec.FILES)}).fillna(-1).to_numpy()
    line = table["line"].to_numpy(dtype="float64", na_value=-1)
    order = np.lexsort((line, file))
    same = (file[order][1:] == file[order][:-1]) & (line[order][1:] == line[order][:-1])
    shared = np.zeros(len(table), dtype=bool)
    shared[order[1:][same]] = shared[order[:-1][same]] = True
    if not shared.any():
        return order
    text = []
    for column in ("value", "rule", "column"):  # lexsort: the last key is the most significant
        codes = np.zeros(len(table), dtype=np.intp)  # missing: -1, first
        codes[shared] = pd.factorize(table[column].to_numpy()[shared], sort=True)[0]
        text.append(codes)
    return np.lexsort((*text, line, file))


def file_problem(file: str, rule: str) -> pd.DataFrame:
    return pd.DataFrame(
        [{"file": file, "column": "", "line": pd.NA, "USUBJID": "", "value": "", "rule": rule}]
    )


def as_objects(s: pd.Series) -> pd.Series:
    """Cells as plain Python objects (categorical or not), same index."""
    return pd.Series(np.asarray(s, dtype=object), index=s.index)


def violation_rows(
    file: str,
    raw: pd.DataFrame,
    mask: pd.Series | np.ndarray,
    column: str,
    rule: str | pd.Series,
    value: pd.Series | None = None,
) -> pd.DataFrame:
    """One violation per row of `raw` where `mask` holds; a Series `rule` or `value` needs only
    the rows where `mask` holds (same index as `raw`)."""
    hit = raw.loc[np.asarray(mask, dtype=bool)]
    return pd.DataFrame(
        {
            "file": file,
            "column": column,
            "line": hit[LINE],
            "USUBJID": as_objects(hit["USUBJID"]) if "USUBJID" in hit else "",
            "value": as_objects(hit[column] if value is None else value.loc[hit.index]).astype(str),
            "rule": rule if isinstance(rule, str) else rule.loc[hit.index],
        }
    )
