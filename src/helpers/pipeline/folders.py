"""The folders of a run beside its run folder output/<run>: where it is built (staging), where a
failed run is kept, its report; and replacing an output folder as a whole, so that a reader sees
the old folder or the new one, never a mix (the run folder, the rendered report)."""

from __future__ import annotations

import shutil
from pathlib import Path

REPORT_DIR = "report"  # output/<run>/report/: what a reader opens


def staging_folder(run_dir: Path) -> Path:
    """Where a run of run_dir is built before it is swapped in."""
    return run_dir.with_name(f".{run_dir.name}.staging")


def failed_folder(run_dir: Path) -> Path:
    """Where a failed run of run_dir keeps its partial output and error.txt."""
    return run_dir.with_name(f"{run_dir.name}.failed")


def aside(target: Path) -> Path:
    """Where swap_in keeps the previous `target` while the new one moves in."""
    return target.with_name(f".{target.name}.old")


def swap_in(fresh: Path, target: Path) -> None:
    """Put the complete folder `fresh` in place of `target` with two renames; the previous one is
    removed only afterwards, and put back when the second rename fails."""
    old = aside(target)
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    try:
        fresh.rename(target)
    except BaseException:
        if old.exists() and not target.exists():
            old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)
