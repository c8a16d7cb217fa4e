"""What a run prints while it works: one line per step, `[<step>] <message> (<seconds> s)`, the
seconds counted from the start of the run, and a progress bar over the notebooks."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tqdm import tqdm

_CLOCK = {"start": time.perf_counter()}


def start_clock() -> float:
    """Count the seconds of the progress lines from now; returns the start time."""
    _CLOCK["start"] = time.perf_counter()
    return _CLOCK["start"]


def say(step: str, message: str) -> None:
    """One progress line, with the seconds since the run started."""
    elapsed = time.perf_counter() - _CLOCK["start"]
    print(f"[{step}] {message} ({elapsed:.1f} s)", flush=True)


def bar(step: str, total: int, unit: str) -> tqdm:
    """A progress bar on stdout labelled `[<step>]`, to be updated once per finished unit."""
    from tqdm import tqdm

    return tqdm(total=total, desc=f"[{step}]", unit=unit, file=sys.stdout)
