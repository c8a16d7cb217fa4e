"""helpers.analysis.ard: rows, the deterministic writer (shortest round-trip floats), look-ups,
and the method of every analysis's rows naming a function that exists."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from adam_fixture import adae, adqs, adsl, adtte

from helpers.analysis import ard, baseline, caregiver, disposition, efficacy, safety, sample_size
from helpers.analysis import change_from_baseline as cfb
from helpers.analysis.stats import describe, mean_t_ci


def _example() -> pd.DataFrame:
    return ard.combine([
        ard.rows("outcomes", "FAS", {"mean": 1 / 3, "p": 1e-17, "sd": np.nan}, paramcd="X",
                 visit="EOS", method="m"),
        ard.rows("km", "FAS", {"median": np.inf}, paramcd="T"),
        ard.n_pct("disp", "ENR", pd.Series([True, False, True, True])),
    ])


def test_rows_have_the_stable_columns_and_full_precision(tmp_path: Path) -> None:
    results = _example()
    assert list(results.columns) == list(ard.COLUMNS)
    path = ard.write_ard(results, tmp_path, "nb")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(ard.COLUMNS)
    assert lines[1].endswith(",mean,0.3333333333333333,m")  # repr: shortest round trip
    back = ard.read_ard(tmp_path)
    assert back["value"].iloc[0] == 1 / 3 and back["value"].iloc[1] == 1e-17
    assert np.isnan(back["value"].iloc[2]) and np.isinf(back["value"].iloc[3])
    assert back["notebook"].eq("nb").all()


def test_the_writer_gives_the_same_bytes_twice(tmp_path: Path) -> None:
    a = ard.write_ard(_example(), tmp_path / "a", "nb").read_bytes()
    assert a == ard.write_ard(_example(), tmp_path / "b", "nb").read_bytes()


def test_n_pct_counts_the_condition_over_the_rows() -> None:
    results = _example()
    assert ard.value(results, analysis="disp", stat="n") == 3
    assert ard.value(results, analysis="disp", stat="N") == 4
    assert ard.value(results, analysis="disp", stat="pct") == 75.0


def test_continuous_rows_are_describe_with_its_method() -> None:
    values = pd.Series([3.0, np.nan, 1.0, 8.0])
    rows = ard.continuous("baseline", "ENR", values, paramcd="AGE")
    assert dict(zip(rows["stat"], rows["value"], strict=True)) == describe(values)
    assert rows["method"].eq("helpers.analysis.stats.describe").all()
    assert rows["paramcd"].eq("AGE").all()


def test_a_statistic_is_one_row(tmp_path: Path) -> None:
    twice = ard.combine([_example(), _example()])
    with pytest.raises(ValueError, match="share their keys"):
        ard.write_ard(twice, tmp_path, "nb")
    with pytest.raises(KeyError, match="2 ARD rows"):
        ard.value(twice, analysis="outcomes", stat="mean")


# --- method references ---------------------------------------------------------------------
#: a function reference in a method text: the dotted name of a helpers function
REFERENCE = re.compile(r"helpers(?:\.\w+)+")


def resolve(reference: str) -> Callable[..., object]:
    """The function a dotted reference names: its longest importable module prefix, then the
    attributes after it; LookupError when there is none or it is known by another name (an
    import elsewhere, not the function's own module and qualified name)."""
    parts = reference.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            found = getattr(found, name, None)
        if callable(found) and ard.method_name(found) == reference:
            return found
        break
    raise LookupError(f"{reference} names no function of its own module")


def stale_methods(results: pd.DataFrame) -> list[str]:
    """The method texts of ARD rows that do not start with a function reference, or name a
    function reference that does not resolve."""
    stale = []
    for method in results["method"].unique():
        references = REFERENCE.findall(method)
        if not references or not method.startswith(references[0]):
            stale.append(f"{method!r}: no function reference first")
        for reference in references:
            try:
                resolve(reference)
            except LookupError as error:
                stale.append(f"{method!r}: {error}")
    return stale


def every_analysis() -> pd.DataFrame:
    """The ARD of every analysis function on the hand-made fixture (tests/adam_fixture.py)."""
    adsl_, adqs_, adae_, adtte_ = adsl(), adqs(), adae(), adtte()
    fas, saf = adsl_[adsl_["FASFL"].eq("Y")], adsl_[adsl_["SAFFL"].eq("Y")]
    cg = adsl_[adsl_["CGPOPFL"].eq("Y")]
    records = cfb.analysed_records(adqs_, fas["USUBJID"], "PATIENT", ["FSMCTOT", "MSISPHYS"])
    tte = efficacy.tte_subset(adtte_, "TTFSMCI", fas["USUBJID"])
    te = safety.teae(adae_, saf)
    return ard.combine([
        disposition.disposition_ard(adsl_), disposition.disposition_country_ard(adsl_),
        disposition.flow_ard(adsl_), baseline.baseline_ard(fas, adqs_, "FAS"),
        sample_size.sample_size_ard(0.4, 0.05, 0.9, 0.15),
        sample_size.sample_size_grid_ard([0.4], [0.9], [0.15], 0.05),
        cfb.summary_ard(records, ["FSMCTOT", "MSISPHYS"], "outcomes", "FAS"),
        efficacy.fsmc_shift_ard(records, "FAS"), efficacy.km_ard(tte, "km", "FAS"),
        efficacy.km_curve_ard(tte, "km_curve", "FAS"), efficacy.relapse_ard(saf, adtte_),
        efficacy.retreatment_ard(saf), efficacy.edss_improvement_ard(adqs_, fas["USUBJID"], "FAS"),
        caregiver.characteristics_ard(cg), caregiver.baseline_ard(adqs_, cg, ["MSISPHYS"]),
        caregiver.agreement_ard(caregiver.agreement_pairs(adqs_, cg["USUBJID"], ["MSISPHYS"])),
        safety.overview_ard(te, saf), safety.pt_ard(te, len(saf)),
        safety.soc_pt_ard(te, len(saf)), safety.year_ard(te, saf), safety.iar_ard(te, len(saf)),
    ])  # fmt: skip


def test_method_name_is_the_function_as_python_names_it() -> None:
    assert ard.method_name(describe) == "helpers.analysis.stats.describe"
    assert ard.method_name(mean_t_ci, ", alpha 0.05") == (
        "helpers.analysis.stats.mean_t_ci, alpha 0.05")


def test_every_method_of_every_analysis_names_a_function_that_exists() -> None:
    results = every_analysis()
    assert set(results["analysis"]) >= {"disposition", "flow", "baseline", "sample_size",
                                        "sample_size_grid", "outcomes", "fsmc_shift", "km",
                                        "km_curve", "relapses", "retreatment",
                                        "edss_improvement", "cg_characteristics",
                                        "cg_baseline", "cg_agreement", "ae_overview", "ae_pt",
                                        "ae_soc_pt", "ae_year", "ae_iar"}  # fmt: skip
    assert stale_methods(results) == []


@pytest.mark.parametrize("method", [
    "helpers.analysis.disposition.baseline_ard: n (%) of the population",  # moved away
    "helpers.analysis.stats.describe_all",  # no such function
    "helpers.analysis.stats.sps",  # not a function
    "helpers.analysis.stats.dataclass",  # known there by import only (not its own module)
    "stats.describe",  # not a reference
    "n (%) of helpers.analysis.stats.describe",  # not first
])  # fmt: skip
def test_a_stale_or_hand_written_method_is_found(method: str) -> None:
    assert len(stale_methods(pd.DataFrame({"method": [method]}))) == 1
