"""Why did this number change? Two run folders compared statistic by statistic (their ARD rows)
and input by input (what each run's provenance.json and params.yaml record).

`.venv/bin/python -m helpers diff RUN_A RUN_B` prints both; exit 0 when nothing differs, 1
otherwise, 2 when a folder is not a run.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from helpers.analysis import ard

#: input kinds, in the order they are listed
DATA, PARAMS, CODE, STEP = "data file", "params key", "code file", "step"


class NotARunError(ValueError):
    """A folder that has no provenance.json and ard/ of a run."""


@dataclass(frozen=True)
class RunDiff:
    """statistics: ard.KEYS + notebook, old, new (NaN where the row is missing in that run);
    inputs: kind, name, old, new (text; "" where absent)."""

    statistics: pd.DataFrame
    inputs: pd.DataFrame

    @property
    def same(self) -> bool:
        return self.statistics.empty and self.inputs.empty


def _same_value(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def statistic_differences(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Rows of two ARDs (ard.read_ard) whose values differ, or that only one ARD has, matched on
    the key columns and the notebook; values compared exactly (both NaN = equal). Columns:
    ard.KEYS, notebook, old, new; in the order of `old`, then rows new in `new`."""
    keys = [*ard.KEYS, "notebook"]
    both = old[[*keys, "value"]].merge(new[[*keys, "value"]], on=keys, how="outer",
                                       suffixes=("_old", "_new"), indicator=True, sort=False)
    differs = [
        where != "both" or not _same_value(a, b)
        for where, a, b in zip(both["_merge"], both["value_old"], both["value_new"], strict=True)
    ]
    found = both[differs].rename(columns={"value_old": "old", "value_new": "new"})
    return found[[*keys, "old", "new"]].reset_index(drop=True)


def _flatten(mapping: Any, prefix: str = "") -> dict[str, str]:
    if not isinstance(mapping, dict):
        return {prefix.rstrip("."): json.dumps(mapping, sort_keys=True)}
    flat: dict[str, str] = {}
    for key, value in mapping.items():
        flat |= _flatten(value, f"{prefix}{key}.")
    return flat


def _changed(kind: str, old: dict[str, str], new: dict[str, str]) -> list[tuple[str, ...]]:
    return [(kind, name, old.get(name, ""), new.get(name, ""))
            for name in sorted(old.keys() | new.keys()) if old.get(name) != new.get(name)]


def input_differences(old: dict[str, Any], new: dict[str, Any]) -> pd.DataFrame:
    """What the two runs were made from, where it differs: each study data file (SHA-256),
    each params key (dotted; value as JSON), each code file (SHA-256 of src/helpers modules and
    the lock), and each step whose content key differs (helpers.pipeline.runner). `old`, `new`: a
    run's provenance.json with its params.yaml under "params_values"."""
    rows = [
        *_changed(DATA, old["data"]["sha256"], new["data"]["sha256"]),
        *_changed(PARAMS, _flatten(old["params_values"]), _flatten(new["params_values"])),
        *_changed(CODE, old.get("code_files", {}), new.get("code_files", {})),
        *_changed(STEP, old["steps"], new["steps"]),
    ]
    return pd.DataFrame(rows, columns=["kind", "name", "old", "new"])


def read_run(run_dir: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    """A run's record (provenance.json + params.yaml as "params_values") and its ARD rows."""
    run_dir = Path(run_dir)
    record, params = run_dir / "provenance.json", run_dir / "params.yaml"
    if not (record.is_file() and params.is_file() and (run_dir / "ard").is_dir()):
        raise NotARunError(f"{run_dir} is not a run folder (it needs provenance.json, params.yaml"
                           " and ard/, as `helpers run` writes them)")
    provenance = json.loads(record.read_text(encoding="utf-8"))
    provenance["params_values"] = yaml.safe_load(params.read_text(encoding="utf-8")) or {}
    return provenance, ard.read_ard(run_dir / "ard")


def diff_runs(old_dir: Path, new_dir: Path) -> RunDiff:
    """Every statistic and every input that differs between two run folders."""
    old, old_ard = read_run(old_dir)
    new, new_ard = read_run(new_dir)
    return RunDiff(statistic_differences(old_ard, new_ard), input_differences(old, new))


def _number(x: float) -> str:
    return "(none)" if math.isnan(x) else repr(float(x))


def format_diff(diff: RunDiff, old_name: str, new_name: str) -> str:
    """The differences as text: inputs by kind, then statistics grouped by analysis
    (`keys: old -> new`, full precision; "(none)" where a run has no such row)."""
    if diff.same:
        return f"{old_name} and {new_name}: no statistic and no input differs"
    lines = [f"{old_name} -> {new_name}"]
    for kind, rows in diff.inputs.groupby("kind", sort=False):
        lines.append(f"{kind}s that differ:")
        lines += [f"  {r.name}: {r.old or '(none)'} -> {r.new or '(none)'}"
                  for r in rows.itertuples(index=False)]
    stats = diff.statistics
    lines.append(f"{len(stats)} statistic(s) differ" + (":" if len(stats) else ""))
    for analysis, rows in stats.groupby("analysis", sort=False):
        lines.append(f"  {analysis} ({rows['notebook'].iloc[0]}):")
        for r in rows.itertuples(index=False):
            where = " ".join(str(getattr(r, k)) for k in ard.KEYS[1:] if getattr(r, k))
            lines.append(f"    {where}: {_number(r.old)} -> {_number(r.new)}")
    return "\n".join(lines)
