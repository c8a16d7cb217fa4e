"""helpers.parallel.map_blocks: the plain loop's results, in block order, whatever the workers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import parallel


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_map_blocks_gives_the_loop_results_in_order(monkeypatch, workers):
    monkeypatch.setattr(parallel, "cores", lambda: workers)
    data = pd.DataFrame({"x": np.arange(100.0)})  # reached by the workers through the closure
    blocks = [slice(a, a + 7) for a in range(0, 100, 7)]

    def total(rows: slice) -> pd.DataFrame:
        return data.iloc[rows].sum().to_frame().T

    got = parallel.map_blocks(total, blocks)
    expected = [total(rows) for rows in blocks]
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        pd.testing.assert_frame_equal(g, e)


def test_map_blocks_raises_the_error_of_a_block(monkeypatch):
    monkeypatch.setattr(parallel, "cores", lambda: 2)

    def fails_on_three(block: int) -> int:
        if block == 3:
            raise ValueError("block 3 is bad")
        return block

    with pytest.raises(ValueError, match="block 3 is bad"):
        parallel.map_blocks(fails_on_three, list(range(6)))
