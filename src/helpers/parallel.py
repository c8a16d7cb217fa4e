"""Run one function over the blocks of a large dataset on every core, results in block order.

The blocks of qs (codes.subject_blocks) are independent: each holds whole subjects. Worker
processes are forked, so they read the data already in memory (shared, copy-on-write: nothing
is copied or pickled on the way in); only each block's result is sent back. The output is the
same, byte for byte, as that of the plain loop `[function(b) for b in blocks]`, which runs
instead with a single block or core, and where fork is not the platform's safe default (only
Linux forks here: macOS and Windows run the loop).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import TypeVar

Block = TypeVar("Block")
Result = TypeVar("Result")

#: the function and blocks of the running map, read by the forked workers
_task: tuple[Callable, Sequence] | None = None


def cores() -> int:
    """CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _run_block(position: int) -> object:
    function, blocks = _task
    return function(blocks[position])


def map_blocks(function: Callable[[Block], Result], blocks: Sequence[Block]) -> list[Result]:
    """[function(block) for block in blocks], the blocks shared among forked worker processes
    (one per core, at most one per block) when there are several of both, on Linux.

    `function` may be a closure over the data: the workers inherit it by fork. It must not use
    pyarrow (whose threads do not survive a fork). An exception in a block is raised here."""
    global _task
    workers = min(cores(), len(blocks))
    if workers < 2 or sys.platform != "linux":
        return [function(block) for block in blocks]
    _task = (function, blocks)
    try:
        with warnings.catch_warnings():
            # Python >= 3.12 warns on fork in a process with threads (pyarrow's, here): the
            # workers run numpy and pandas only, never the threads' code
            warnings.simplefilter("ignore", DeprecationWarning)
            context = multiprocessing.get_context("fork")
            with context.Pool(workers) as pool:
                return pool.map(_run_block, range(len(blocks)), chunksize=1)
    finally:
        _task = None
