"""Every command the README, params/ and the program's messages print runs as printed from the
repository root in a fresh shell (no activated environment): `.venv/bin/python -m helpers ...`
or a make target. Cheap commands are run; the others are parsed by the real argument parser."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.cli import build_parser
from helpers.pipeline.commands import python_command

ROOT = Path(__file__).resolve().parents[1]
VENV_PYTHON = ".venv/bin/python"
DOCS = [ROOT / "README.md", ROOT / "params" / "README.md", *sorted(ROOT.glob("params/*.yaml"))]
SOURCES = sorted((ROOT / "src" / "helpers").rglob("*.py"))
#: placeholders in documented commands and what a test substitutes for them
PLACEHOLDERS = {"DIR": "study-data", "FILE": "params/default.yaml", "N": "1", "F": "xpt",
                "output/<run>": "output/default", "params/<name>.yaml": "params/default.yaml"}


def helpers_commands(text: str) -> list[str]:
    """`... -m helpers <args>` commands in text (inline code or a code-block line)."""
    found = re.findall(r"(?:^|[`\s])([\w./-]*python -m helpers\s[^`#\n]*)", text, flags=re.M)
    return [c.strip() for c in found]


@pytest.mark.parametrize("path", DOCS + SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_bare_python_command_is_printed(path: Path):
    """`python -m helpers` without the venv's path answers `No module named helpers` outside an
    activated environment."""
    for command in helpers_commands(path.read_text(encoding="utf-8")):
        assert command.startswith(f"{VENV_PYTHON} -m helpers"), f"{path.name}: {command}"


def documented_commands() -> list[str]:
    commands = {c for doc in DOCS for c in helpers_commands(doc.read_text(encoding="utf-8"))}
    assert commands, "no documented command found"
    return sorted(commands)


@pytest.mark.parametrize("command", documented_commands())
def test_documented_helpers_commands_parse(command: str):
    words = shlex.split(re.sub(r"\[([^]]*)\]", r"\1", command))[3:]  # options shown as [--x N]
    words = [PLACEHOLDERS.get(w, w) for w in words]
    build_parser().parse_args(words)  # exits (SystemExit) on an unknown command or option
    for word in words:
        if word.startswith("params/") and word.endswith(".yaml") and "my-export" not in word:
            assert (ROOT / word).is_file(), f"{command}: {word} does not exist"


def test_documented_make_targets_exist():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([\w-]+):", makefile, flags=re.M))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"(?:^|`)make ([\w-]+)", readme, flags=re.M))
    assert documented and documented <= targets, documented - targets


def fresh_shell(command: str) -> subprocess.CompletedProcess:
    """command in sh from the repository root, with no virtual environment active."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    return subprocess.run(command, shell=True, cwd=ROOT, env=env, capture_output=True, text=True)


@pytest.mark.skipif(not (ROOT / VENV_PYTHON).exists(), reason="needs the project's .venv")
@pytest.mark.parametrize(
    "command",
    [
        f"{VENV_PYTHON} -m helpers --help",
        f"{VENV_PYTHON} -m helpers params",
        f"{VENV_PYTHON} -m helpers params params/country-nor.yaml",
        f"{VENV_PYTHON} -m helpers render --help",
    ],
)
def test_cheap_documented_commands_run_as_printed(command: str):
    assert command in "\n".join(documented_commands()) or command.endswith("--help")
    done = fresh_shell(command)
    assert done.returncode == 0, done.stderr


def test_a_message_names_the_interpreter_that_runs_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    """Messages spell commands with this interpreter, relative to the working directory."""
    monkeypatch.chdir(Path(sys.executable).parents[2])
    venv = Path(sys.executable).parents[1].name
    assert python_command("-m helpers render output/x") == (
        f"{venv}/bin/{Path(sys.executable).name} -m helpers render output/x"
    )
    monkeypatch.chdir(tmp_path)
    assert python_command("-m helpers --help").startswith(f"{sys.executable} ")
    assert fresh_shell(python_command("-m helpers --help")).returncode == 0
