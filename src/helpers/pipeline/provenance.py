"""Where a run's results came from: code commit, inputs, params, software.

provenance.json holds no clock time, so that a rerun with nothing changed gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
#: packages whose versions decide the numbers and the rendering
RECORDED_PACKAGES = (
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "pingouin",
    "lifelines",
    "pandera",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
    "nbclient",
    "ipykernel",
    "pyyaml",
)


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_folder(folder: Path, pattern: str = "*") -> dict[str, str]:
    """SHA-256 of every file matching pattern in a folder (not recursive), by name, sorted."""
    return {p.name: sha256_file(p) for p in sorted(folder.glob(pattern)) if p.is_file()}


def git_state(repo: Path = REPO_ROOT) -> dict[str, object]:
    """The code commit and whether tracked files differ from it (None when not a git checkout)."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
            )
        except (OSError, subprocess.CalledProcessError):
            return None
        return done.stdout.strip()

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def package_versions() -> dict[str, str]:
    """Installed versions of RECORDED_PACKAGES."""
    versions = {}
    for name in RECORDED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def provenance_record(
    params_path: Path,
    data_files: dict[str, str],
    data_source: str,
    steps: dict[str, str],
    summary: str,
    code_files: dict[str, str],
) -> dict[str, object]:
    """The content of provenance.json.

    data_files: SHA-256 by file name of the study data folder; data_source: "synthetic (seed,
    n)" or the folder's path; steps: the content key of each step (see helpers.pipeline.runner);
    summary: the reproduction check's summary line; code_files: SHA-256 by path of the helper
    code and the lock file (what the code key is made of; `helpers diff` names a changed one).
    """
    return {
        "code_files": code_files,
        "summary": summary,
        "code": git_state(),
        "params": {"file": str(params_path), "sha256": sha256_file(params_path)},
        "data": {"source": data_source, "sha256": data_files},
        "steps": steps,
        "python": sys.version.split()[0],
        "platform": platform.platform(terse=True),
        "packages": package_versions(),
    }


def write_json(record: dict[str, object], path: Path) -> None:
    """Stable JSON: sorted keys, two-space indent, final newline."""
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
