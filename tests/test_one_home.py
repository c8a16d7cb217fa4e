"""Rules with one home: the texts and the lists that quote a rule are built from its one
definition (the populations, the infusion-associated window, the summed parameters, the end-of-
study codes)."""

from __future__ import annotations

import pytest

from helpers.adam import files
from helpers.pipeline.params import with_defaults
from helpers.report import labels, methods_text
from helpers.study import spec


@pytest.fixture(scope="module")
def methods() -> str:
    return methods_text.methods_markdown(with_defaults({}), None)


@pytest.mark.parametrize("code", list(spec.POPULATIONS))
def test_methods_text_quotes_each_population_definition(methods: str, code: str) -> None:
    assert spec.POPULATIONS[code].definition in methods


def test_adsl_documents_each_population_flag_by_its_definition() -> None:
    documented = {c.name: c.definition for c in files.COLUMNS["adsl"]}
    for population in spec.POPULATIONS.values():
        assert population.definition in documented[population.flag]


def test_iar_window_is_the_constant_of_the_rule(methods: str) -> None:
    days = spec.IAR_DAYS_AFTER_INFUSION
    assert f"{days} day" in files.IAR_WINDOW
    assert files.IAR_WINDOW in methods
    assert files.IAR_WINDOW in {c.name: c.definition for c in files.COLUMNS["adae"]}["IARFL"]


def test_hrpq_totals_are_the_summed_parameters() -> None:
    assert tuple(spec.SUM_PARAMETERS) == labels.HRPQ_TOTALS


def test_end_of_study_codes_are_completed_and_the_discontinuation_reasons() -> None:
    assert (spec.COMPLETED, *spec.DISCONTINUATION_REASONS) == spec.DSDECOD
    assert set(spec.DSDECOD_AE) <= set(spec.DISCONTINUATION_REASONS)
    assert spec.RELAPSE in spec.CEDECOD
