"""The reading, validation and derivation code gives the outputs captured before its rewrite
(tests/rewrite/capture.py: ADaM CSVs, exclusions, validation reports and warnings of three
synthetic cohorts; the printed reports of the failing fixtures)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "rewrite"))

from capture import differences


@pytest.mark.slow
def test_the_captured_references_are_reproduced() -> None:
    assert differences() == []
