"""Disclosure control in a real run (issue 30): `helpers run params/country-nor-disclosed.yaml`
(min_cell 5, the report not rendered) run as printed gives outputs whose every count of 1-4 is
marked, by the run's own audit and by the audit read back; a planted leak (a view that shows a
suppressed count as its number) fails the run at its audit step, naming the file, with the
previous output left as it was and the attempt kept in <run>.failed/. Marked slow."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from helpers.analysis import disclosure
from helpers.pipeline.errors import RunError
from helpers.pipeline.params import load_params
from helpers.pipeline.runner import run
from helpers.results import disclosure_audit as audit

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
NAME = "country-nor-disclosed"


def disclosed_params(folder: Path, **changes: object) -> Path:
    """params/country-nor-disclosed.yaml without the render (and with `changes` to its
    disclosure block), as folder/country-nor-disclosed.yaml."""
    values = yaml.safe_load((ROOT / "params" / f"{NAME}.yaml").read_text(encoding="utf-8"))
    values["render"] = False
    values["disclosure"] |= changes
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{NAME}.yaml"
    path.write_text(yaml.safe_dump(values), encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}  # fmt: skip


@pytest.fixture(scope="module")
def disclosed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The NOR run with min_cell 5, by the command a user types; its folder and what it printed."""
    tmp = tmp_path_factory.mktemp("disclosed")
    params = disclosed_params(tmp / "params")
    done = subprocess.run(
        [".venv/bin/python", "-m", "helpers", "run", str(params), "--output", str(tmp / "out")],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return tmp / "out" / NAME, done.stdout


def test_the_run_audits_itself_and_every_output_passes_the_audit(disclosed):
    run_dir, printed = disclosed
    assert "[audit] disclosure.md: no count from 1 to 4 in any written output" in printed
    assert audit.scan(run_dir, 5) == []
    report = (run_dir / "disclosure.md").read_text(encoding="utf-8")
    assert "Leak scan: no count from 1 to 4 is shown in any written output." in report
    assert not (run_dir / disclosure.DECISIONS).exists()  # the published ARD carries them


def test_a_small_count_is_a_marker_in_every_output_and_blank_in_the_ard(disclosed):
    run_dir, _ = disclosed
    ard = pd.read_csv(run_dir / "ard" / "04-safety.csv", dtype=str, keep_default_na=False)
    primary = ard[ard["suppression"].eq("primary") & ard["stat"].eq("n")]
    assert len(primary) > 0 and primary["value"].eq("").all()
    soc_pt = (run_dir / "tables" / "04-safety" / "tbl-ae-soc-pt.md").read_text(encoding="utf-8")
    assert "<5" in soc_pt
    key_results = pd.read_csv(run_dir / "key_results.csv", dtype=str, keep_default_na=False)
    assert key_results.set_index("id").loc["n_severe_ae", "value"] == "<5"
    ledger = pd.read_csv(run_dir / "reproduction.csv", dtype=str, keep_default_na=False)
    assert "suppressed" in set(ledger["verdict"])
    shown = (run_dir / "notebooks" / "04-safety.ipynb").read_text(encoding="utf-8")
    assert "&lt;5" in shown or "<5" in shown


def test_a_planted_leak_fails_the_run_naming_the_file(disclosed, tmp_path, monkeypatch):
    """The key results shown without their markers (disclosure.marked a no-op; the ARD kept
    with its values, ard_inside): key_results.csv shows the number of severe AEs (1-4)."""
    run_dir, _ = disclosed
    before = snapshot(run_dir)
    params = load_params(disclosed_params(tmp_path / "params", ard_inside=True))
    monkeypatch.setattr(disclosure, "marked", lambda ard, min_cell: ard)
    with pytest.raises(RunError, match="step audit failed") as failure:
        run(params, run_dir.parent)
    assert "key_results.csv: table, row" in str(failure.value)
    assert snapshot(run_dir) == before
    failed = run_dir.with_name(f"{NAME}.failed")
    story = (failed / "error.txt").read_text(encoding="utf-8")
    assert story.startswith("step: audit\n") and "key_results.csv" in story
    assert "key_results.csv: table, row" in (failed / "disclosure.md").read_text(encoding="utf-8")
