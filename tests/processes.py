"""Processes of a run, for the tests that check none is left behind: found by working directory,
awaited by their exit event (pidfd), never by sleeping."""

from __future__ import annotations

import os
import select
from pathlib import Path

#: the longest a process of a failed run may take to exit before the test calls it stray; a
#: guard against a hang, not a timing assumption (the test waits for the exit event)
HANG_GUARD_SECONDS = 300


def processes_working_in(folder: Path) -> list[int]:
    """Processes whose working directory is folder or below it."""
    found = []
    for cwd in Path("/proc").glob("[0-9]*/cwd"):
        try:
            if Path(cwd.readlink()).is_relative_to(folder):
                found.append(int(cwd.parent.name))
        except OSError:  # ended meanwhile, or not ours to read
            continue
    return found


def wait_for_exit(pid: int) -> bool:
    """Wait for process `pid` to exit (its pidfd becomes readable); False if it is still running
    after HANG_GUARD_SECONDS."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        ready, _, _ = select.select([fd], [], [], HANG_GUARD_SECONDS)
        return bool(ready)
    finally:
        os.close(fd)
