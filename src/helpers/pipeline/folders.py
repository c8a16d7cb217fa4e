"""Replacing an output folder as a whole: a reader sees the old folder or the new one, never a
mix (the run folder, the rendered report)."""

from __future__ import annotations

import shutil
from pathlib import Path


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
