"""The command line: help on every command, exit codes, and messages that name the problem."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from minimal_study import edit_csv, write_minimal_study

from helpers.cli import build_parser, main

COMMANDS = ("synth", "validate", "derive", "run", "render", "params")


def test_every_command_has_help():
    argv = [sys.executable, "-m", "helpers", "--help"]
    done = subprocess.run(argv, capture_output=True, text=True)
    assert done.returncode == 0
    for command in COMMANDS:
        assert command in done.stdout
        with pytest.raises(SystemExit) as info:
            build_parser().parse_args([command, "--help"])
        assert info.value.code == 0


def test_validate_accepts_a_valid_folder_and_rejects_a_broken_one(tmp_path: Path, capsys):
    folder = write_minimal_study(tmp_path / "study")
    assert main(["validate", str(folder)]) == 0
    edit_csv(folder, "ex", 2, "EXSTDTC", "2020-13-40")
    assert main(["validate", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "ex.csv" in out and "EXSTDTC" in out and "2020-13-40" in out


def test_derive_writes_the_analysis_datasets(tmp_path: Path):
    folder = write_minimal_study(tmp_path / "study")
    assert main(["derive", str(folder), "--out", str(tmp_path / "adam")]) == 0
    for name in ("adsl", "adqs", "adae", "adtte", "exclusions"):
        assert (tmp_path / "adam" / f"{name}.csv").is_file()


def test_run_with_a_bad_params_file_fails_before_anything_runs(tmp_path: Path, capsys):
    params = tmp_path / "typo.yaml"
    params.write_text("populaton: FAS\n")
    assert main(["run", str(params), "--output", str(tmp_path / "out")]) == 1
    assert "unknown key 'populaton'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_params_command_checks_a_file(tmp_path: Path, capsys):
    root = Path(__file__).resolve().parents[1]
    assert main(["params", str(root / "params" / "default.yaml")]) == 0
    assert "valid" in capsys.readouterr().out
