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


def test_every_help_says_what_it_reads_prints_and_its_exit_status():
    for command in (*COMMANDS, "diff"):
        done = subprocess.run([sys.executable, "-m", "helpers", command, "--help"],
                              capture_output=True, text=True)
        assert done.returncode == 0, command
        for part in ("reads:", "prints:", "exit:"):
            assert f"\n{part}" in done.stdout, (command, part)
        assert "0 " in done.stdout.split("exit:")[1], command


@pytest.mark.parametrize("reader", ["true", "head -c 10"])
def test_a_reader_that_stops_early_ends_the_command_quietly(reader: str):
    """`helpers params | head` (the schema is long): no BrokenPipeError traceback, and the
    status a shell expects of a writer whose reader went away (141, 128 + SIGPIPE)."""
    script = (f'"{sys.executable}" -m helpers params | {reader} >/dev/null; '
              'echo "status ${PIPESTATUS[0]}"')
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
    assert done.stderr == ""
    assert done.stdout.strip() in ("status 141", "status 0")  # 0: all written before it left
    # a reader that reads nothing always leaves before the schema is written
    if reader == "true":
        assert done.stdout.strip() == "status 141"


def test_diff_of_a_missing_run_folder_names_the_command_that_makes_it(tmp_path: Path):
    (tmp_path / "params").mkdir()
    for name in ("default", "completers"):
        (tmp_path / "params" / f"{name}.yaml").write_text("render: false\n")
    (tmp_path / "output").mkdir()
    diff = [sys.executable, "-m", "helpers", "diff"]
    done = subprocess.run([*diff, "output/completers", "output/default"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 2
    message = done.stderr.strip()
    command = f"{sys.executable} -m helpers run params/completers.yaml"
    assert message.startswith("error: output/completers is not a run folder")
    assert message.endswith(f": make it with {command}")
    build_parser().parse_args(command.split()[3:])  # the command as printed parses
    # elsewhere than output/, the command says where; without a params file, no command
    done = subprocess.run([*diff, "runs/completers", "elsewhere/x"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.stderr.strip().endswith("params/completers.yaml --output runs")
    done = subprocess.run([*diff, "output/x", "output/x"], cwd=tmp_path, capture_output=True,
                          text=True)
    assert "make it with" not in done.stderr and "is not a run folder" in done.stderr
