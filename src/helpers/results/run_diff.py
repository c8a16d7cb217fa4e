"""Why did this number change? Two run folders compared statistic by statistic (their ARD rows),
published figure by published figure (their reproduction.csv verdicts) and input by input (what
each run's provenance.json and params.yaml record).

Statistics are paired on the ARD key columns. A params key whose value is part of the row key
(PAIRED_KEYS: the efficacy `population`) pairs across its two values: when one run analyses FAS
and the other COMP, the old run's FAS rows are compared with the new run's COMP rows.

`.venv/bin/python -m helpers diff RUN_A RUN_B` prints a summary (statistics changed, published
figures whose verdict changed), the inputs that differ, then every statistic that differs,
grouped by analysis, largest change first; exit 0 when nothing differs, 1 otherwise, 2 when a
folder is not a run.
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
from helpers.analysis.population import POPULATION_FLAGS

#: input kinds, in the order they are listed
DATA, PARAMS, CODE, STEP = "data file", "params key", "code file", "step"
#: params keys whose value is an ARD key column's value (params key -> ARD column)
PAIRED_KEYS = {"population": "population"}


class NotARunError(ValueError):
    """A folder that has no provenance.json and ard/ of a run (`folder`: which one)."""

    def __init__(self, folder: Path) -> None:
        super().__init__(f"{folder} is not a run folder (it needs provenance.json, params.yaml"
                         " and ard/, as `helpers run` writes them)")
        self.folder = folder


@dataclass(frozen=True)
class RunDiff:
    """statistics: ard.KEYS + notebook, old, new (NaN where the row is missing in that run;
    the keys are the new run's); inputs: kind, name, old, new (text; "" where absent);
    verdicts: id, old, new (published figures whose verdict differs: "match -> differs");
    key_results: id, old, new (key_results.csv values that differ, as text); pairings: one
    "column: old (n N) -> new (n N)" line per paired key (PAIRED_KEYS)."""

    statistics: pd.DataFrame
    inputs: pd.DataFrame
    verdicts: pd.DataFrame
    key_results: pd.DataFrame
    pairings: list[str]

    @property
    def same(self) -> bool:
        return all(f.empty for f in (self.statistics, self.inputs, self.verdicts,
                                     self.key_results))


def _same_value(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def paired(old: pd.DataFrame, old_params: dict[str, Any], new_params: dict[str, Any]
           ) -> tuple[pd.DataFrame, dict[str, tuple[str, str]]]:
    """The old run's ARD rows keyed as the new run's: for each PAIRED_KEYS params key whose
    value differs between the runs, that ARD column's old value replaced by the new one. Also
    returns the pairings made (ARD column -> (old value, new value))."""
    pairings = {}
    for key, column in PAIRED_KEYS.items():
        before, after = old_params.get(key), new_params.get(key)
        if before != after and before is not None and after is not None:
            pairings[column] = (str(before), str(after))
            old = old.assign(**{column: old[column].replace({str(before): str(after)})})
    return old, pairings


def population_size(results: pd.DataFrame, population: str) -> str:
    """The enrolled patients of `population` in a run (its disposition row of the population's
    flag, stat n), as text; "?" when the run has no such row."""
    flag = POPULATION_FLAGS.get(population, "")
    row = ard.select(results, analysis="disposition", paramcd=flag, stat="n", group="")
    return f"{row['value'].iloc[0]:.0f}" if len(row) == 1 else "?"


def statistic_differences(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Rows of two ARDs (ard.read_ard) whose values differ, or that only one ARD has, matched on
    the key columns and the notebook; values compared exactly (both NaN = equal). Columns:
    ard.KEYS, notebook, old, new; grouped by analysis (in the order of `old`, then analyses new
    in `new`), within an analysis the largest |new - old| first, rows of one run only last."""
    keys = [*ard.KEYS, "notebook"]
    both = old[[*keys, "value"]].merge(new[[*keys, "value"]], on=keys, how="outer",
                                       suffixes=("_old", "_new"), indicator=True, sort=False)
    differs = [
        where != "both" or not _same_value(a, b)
        for where, a, b in zip(both["_merge"], both["value_old"], both["value_new"], strict=True)
    ]
    found = both[differs].rename(columns={"value_old": "old", "value_new": "new"})
    analyses = {a: i for i, a in enumerate(pd.unique(found["analysis"]))}
    size = (found["new"] - found["old"]).abs().fillna(-1.0)  # one run only: last
    order = pd.DataFrame({"a": found["analysis"].map(analyses), "size": -size,
                          "pos": range(len(found))}, index=found.index)
    found = found.loc[order.sort_values(["a", "size", "pos"]).index]
    return found[[*keys, "old", "new"]].reset_index(drop=True)


def _text_differences(old: pd.DataFrame, new: pd.DataFrame, column: str) -> pd.DataFrame:
    """id, old, new of the ids whose `column` differs between two tables with an id column
    (reproduction.csv, key_results.csv), in the old table's order; "" where absent."""
    both = old[["id", column]].merge(new[["id", column]], on="id", how="outer",
                                     suffixes=("_old", "_new"), sort=False).fillna("")
    both = both.rename(columns={f"{column}_old": "old", f"{column}_new": "new"})
    return both[both["old"] != both["new"]].reset_index(drop=True)


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


@dataclass(frozen=True)
class Run:
    """One run folder read back: record (provenance.json + params.yaml as "params_values"),
    results (its ARD rows), reproduction (reproduction.csv) and key_results (key_results.csv),
    the two tables as text."""

    record: dict[str, Any]
    results: pd.DataFrame
    reproduction: pd.DataFrame
    key_results: pd.DataFrame


def _text_table(path: Path, columns: list[str]) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame(columns=columns)
    return pd.read_csv(path, dtype=str, keep_default_na=False)[columns]


def read_run(run_dir: Path) -> Run:
    """A run folder as `helpers run` writes it; NotARunError when it is not one."""
    run_dir = Path(run_dir)
    record, params = run_dir / "provenance.json", run_dir / "params.yaml"
    if not (record.is_file() and params.is_file() and (run_dir / "ard").is_dir()):
        raise NotARunError(run_dir)
    provenance = json.loads(record.read_text(encoding="utf-8"))
    provenance["params_values"] = yaml.safe_load(params.read_text(encoding="utf-8")) or {}
    return Run(provenance, ard.read_ard(run_dir / "ard"),
               _text_table(run_dir / "reproduction.csv", ["id", "verdict"]),
               _text_table(run_dir / "key_results.csv", ["id", "value"]))


def diff_runs(old_dir: Path, new_dir: Path) -> RunDiff:
    """Every statistic, published verdict, key result and input that differs between two run
    folders, the old run's statistics paired with the new run's (paired)."""
    old, new = read_run(old_dir), read_run(new_dir)
    old_results, pairings = paired(old.results, old.record["params_values"],
                                   new.record["params_values"])
    shown = [f"{column}: {a} (n {population_size(old.results, a)}) -> {b} (n "
             f"{population_size(new.results, b)})" for column, (a, b) in pairings.items()]
    return RunDiff(statistic_differences(old_results, new.results),
                   input_differences(old.record, new.record),
                   _text_differences(old.reproduction, new.reproduction, "verdict"),
                   _text_differences(old.key_results, new.key_results, "value"), shown)


def _number(x: float) -> str:
    return "(none)" if math.isnan(x) else repr(float(x))


def _statistic_lines(stats: pd.DataFrame) -> list[str]:
    lines = []
    for analysis, rows in stats.groupby("analysis", sort=False):
        lines.append(f"  {analysis} ({rows['notebook'].iloc[0]}):")
        for r in rows.itertuples(index=False):
            where = " ".join(str(getattr(r, k)) for k in ard.KEYS[1:] if getattr(r, k))
            lines.append(f"    {where}: {_number(r.old)} -> {_number(r.new)}")
    return lines


def format_diff(diff: RunDiff, old_name: str, new_name: str, only_key_results: bool = False
                ) -> str:
    """The differences as text: the pairings, a summary (how many statistics changed in how many
    analyses; the published figures whose verdict changed, by id), the key results that changed,
    then (unless `only_key_results`) the inputs by kind and every statistic grouped by analysis,
    largest change first (`keys: old -> new`, full precision; "(none)" where a run has no such
    row)."""
    if diff.same:
        return f"{old_name} and {new_name}: no statistic and no input differs"
    stats = diff.statistics
    lines = [f"{old_name} -> {new_name}"]
    lines += [f"paired across {p}" for p in diff.pairings]
    n_analyses = stats["analysis"].nunique()
    lines.append(f"summary: {len(stats)} statistic(s) differ in {n_analyses} analysis(es);"
                 f" {len(diff.verdicts)} published figure(s) changed verdict"
                 + (":" if len(diff.verdicts) else ""))
    lines += [f"  {r.id}: {r.old or '(none)'} -> {r.new or '(none)'}"
              for r in diff.verdicts.itertuples(index=False)]
    lines.append(f"{len(diff.key_results)} key result(s) differ"
                 + (":" if len(diff.key_results) else ""))
    lines += [f"  {r.id}: {r.old or '(none)'} -> {r.new or '(none)'}"
              for r in diff.key_results.itertuples(index=False)]
    if only_key_results:
        return "\n".join(lines)
    for kind, rows in diff.inputs.groupby("kind", sort=False):
        lines.append(f"{kind}s that differ:")
        lines += [f"  {r.name}: {r.old or '(none)'} -> {r.new or '(none)'}"
                  for r in rows.itertuples(index=False)]
    lines.append(f"{len(stats)} statistic(s) differ, by analysis, largest change first"
                 + (":" if len(stats) else ""))
    return "\n".join([*lines, *_statistic_lines(stats)])
