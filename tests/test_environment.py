"""The conda path (environment.yml) and the pip path (requirements.lock, pyproject.toml) agree."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
NOT_ON_PIP_PATH = {"python", "pip", "quarto"}  # quarto-cli is the optional pip step (Makefile)


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[_normalise(name)] = version.strip()
    return pins


def conda_pins() -> dict[str, str]:
    deps = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    pins = {}
    for dep in deps:
        assert isinstance(dep, str), f"environment.yml: unexpected entry {dep!r}"
        name, _, version = dep.partition("=")
        pins[_normalise(name)] = version
    return pins


def pyproject_dependencies() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    return {_normalise(re.split(r"[<>=!~\[ ]", n)[0]) for n in names}


def test_every_conda_pin_equals_the_lock():
    lock = lock_pins()
    for name, version in conda_pins().items():
        if name in NOT_ON_PIP_PATH:
            continue
        assert name in lock, f"environment.yml pins {name}, which requirements.lock lacks"
        assert version == lock[name], f"{name}: environment.yml {version} != lock {lock[name]}"


def test_every_project_dependency_is_pinned_on_both_paths():
    lock, conda = lock_pins(), conda_pins()
    for name in pyproject_dependencies():
        assert name in lock, f"{name} (pyproject.toml) is not pinned in requirements.lock"
        assert name in conda, f"{name} (pyproject.toml) is missing from environment.yml"


def test_lock_pins_every_package_exactly():
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[\w.]+", line), f"not an exact pin: {line}"


def test_python_versions_agree():
    conda = conda_pins()["python"]
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == f">={conda}", f"pyproject requires {requires}, environment.yml {conda}"


def test_quarto_version_agrees_between_conda_and_the_optional_pip_step():
    makefile = (ROOT / "Makefile").read_text()
    pip_version = re.search(r"^QUARTO_VERSION := (\S+)$", makefile, re.M)
    assert pip_version is not None, "Makefile defines no QUARTO_VERSION"
    assert conda_pins()["quarto"] == pip_version.group(1)
