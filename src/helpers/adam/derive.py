"""Derivation of the ADaM-like analysis datasets (ADSL, ADQS, ADAE, ADTTE) and the exclusion
counts of a run from the typed study data.

The datasets' columns are documented in helpers.adam.files.COLUMNS (with their CSV files); the
derivations live in helpers.adam.adsl, adqs, adae and adtte, the time axis and relapse rule in
helpers.adam.base, the instrument scores in helpers.adam.scoring.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from helpers.adam.adae import derive_adae
from helpers.adam.adqs import derive_adqs, stack_columns
from helpers.adam.adsl import derive_adsl
from helpers.adam.adtte import derive_adtte
from helpers.adam.base import first_infusion
from helpers.adam.files import COLUMNS, Adam, conform, read_adam, write_adam
from helpers.codes import subject_block, subject_blocks
from helpers.memory import release_freed_memory
from helpers.parallel import map_blocks

if TYPE_CHECKING:
    from helpers.data.load import StudyData

#: read_adam and write_adam live in helpers.adam.files; importable from here too
__all__ = ["COLUMNS", "Adam", "conform", "derive_adam", "read_adam", "write_adam"]


def derive_adam(study: StudyData, exclude_out_of_window: bool = False) -> Adam:
    """All analysis datasets of a typed study, conformed, and every exclusion counted.

    exclude_out_of_window: out-of-window post-baseline ADQS records get ANLFL = N and enter no
    baseline, change or EOS (they stay in ADQS, flagged and counted). ADQS is derived in blocks
    of whole subjects (codes.BLOCK_ROWS qs rows) on every core (helpers.parallel), which bounds
    memory and time on a large qs.
    """
    day0 = first_infusion(study.ex)
    adqs, ex_qs = _adqs_by_subject_blocks(study.qs, day0, exclude_out_of_window)
    adsl, ex_sl = derive_adsl(study.dm, study.ex, study.ce, study.cg, day0, adqs)
    adae, ex_ae = derive_adae(study.ae, study.ex, day0)
    adtte, ex_tte = derive_adtte(adsl, adqs, study.ce)
    exclusions = pd.DataFrame([*ex_sl, *ex_qs, *ex_ae, *ex_tte])
    return Adam(
        adsl=conform(adsl, "adsl"),
        adqs=adqs,
        adae=conform(adae, "adae"),
        adtte=conform(adtte, "adtte"),
        exclusions=conform(exclusions, "exclusions"),
    )


def _adqs_by_subject_blocks(
    qs: pd.DataFrame, day0: pd.Series, exclude_out_of_window: bool
) -> tuple[pd.DataFrame, list[dict]]:
    """Conformed ADQS and its exclusion rows, derived block by block: blocks hold whole subjects
    in string order, so the conformed blocks one after another are in SORT_KEYS order, and the
    counts of each reason add up (a subject is in one block only)."""
    columns: dict[str, list[pd.Series]] = {c.name: [] for c in COLUMNS["adqs"]}
    excluded = []

    def adqs_of_block(rows: slice | np.ndarray) -> tuple[pd.DataFrame, list[dict]]:
        adqs, reasons = derive_adqs(subject_block(qs, rows), day0, exclude_out_of_window)
        return conform(adqs, "adqs"), reasons

    for adqs, reasons in map_blocks(adqs_of_block, [*subject_blocks(qs["USUBJID"])]):
        for name, values in adqs.items():
            columns[name].append(values)
        excluded.append(pd.DataFrame(reasons))
    release_freed_memory()  # the blocks' work arrays
    counts = pd.concat(excluded).groupby(["dataset", "reason"], sort=False).sum()
    return stack_columns(columns, release_memory=True), counts.reset_index().to_dict("records")
