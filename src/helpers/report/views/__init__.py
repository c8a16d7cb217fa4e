"""The tables and figure data of each analysis, as views of its ARD rows: one module per module
of helpers.analysis (`views.disposition.disposition_table(results)`); number formats in
helpers.report.tables, drawing in helpers.report.figures."""

from helpers.report.views import (
    baseline,
    caregiver,
    change_from_baseline,
    disposition,
    efficacy,
    safety,
    sample_size,
)

__all__ = ["baseline", "caregiver", "change_from_baseline", "disposition", "efficacy", "safety",
           "sample_size"]  # fmt: skip
