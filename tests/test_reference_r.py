"""helpers.analysis.stats against reference results computed with R
(tests/reference/make_reference.R) on the small fixed datasets beside it; R is needed only to
regenerate r_results.csv."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from helpers.analysis import stats

REFERENCE = Path(__file__).parent / "reference"
#: R and scipy compute quantiles and tail areas by different algorithms
TOLERANCE = {"rel": 1e-9, "abs": 1e-14}


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / name, float_precision="round_trip")


def by_dataset(name: str) -> dict[str, pd.DataFrame]:
    return dict(tuple(read(name).groupby("dataset")))


R = read("r_results.csv").set_index(["statistic", "dataset", "quantity"])["value"]


def r_values(statistic: str, dataset: str) -> dict[str, float]:
    return R.loc[(statistic, dataset)].to_dict()


@pytest.mark.parametrize("dataset", sorted(by_dataset("signed_rank.csv")))
def test_signed_rank_p_matches_r(dataset: str) -> None:
    result = stats.signed_rank_test(by_dataset("signed_rank.csv")[dataset]["change"])
    expected = r_values("signed_rank", dataset)
    assert result.n == expected["n"]
    assert result.p == pytest.approx(expected["p"], **TOLERANCE)


@pytest.mark.parametrize("dataset", sorted(by_dataset("kaplan_meier.csv")))
def test_kaplan_meier_median_and_log_log_ci_match_r(dataset: str) -> None:
    data = by_dataset("kaplan_meier.csv")[dataset]
    km = stats.kaplan_meier_summary(data["time"], data["event"].eq(1))
    got = {"median": km.median, "lower": km.lower, "upper": km.upper}
    assert got == pytest.approx(r_values("kaplan_meier", dataset), **TOLERANCE)


@pytest.mark.parametrize("dataset", ["none", "few", "many"])
def test_exact_poisson_rate_ci_matches_r(dataset: str) -> None:
    row = by_dataset("poisson.csv")[dataset].iloc[0]
    ci = stats.poisson_rate_ci(int(row["events"]), float(row["exposure"]))
    got = {"rate": ci.rate, "lower": ci.lower, "upper": ci.upper}
    assert got == pytest.approx(r_values("poisson_rate", dataset), **TOLERANCE)


@pytest.mark.parametrize("dataset", sorted(by_dataset("t_interval.csv")))
def test_t_interval_matches_r(dataset: str) -> None:
    ci = stats.mean_t_ci(by_dataset("t_interval.csv")[dataset]["value"])
    got = {"mean": ci.mean, "lower": ci.lower, "upper": ci.upper}
    assert got == pytest.approx(r_values("mean_t_ci", dataset), **TOLERANCE)


@pytest.mark.parametrize("dataset", sorted(by_dataset("agreement.csv")))
def test_icc_and_bland_altman_match_r(dataset: str) -> None:
    data = by_dataset("agreement.csv")[dataset]
    icc = stats.intraclass_correlation(data, "subject", "rater", "value").set_index("type")
    got = {f"{t} {q}": icc.loc[t, q] for t in icc.index for q in ("icc", "lower", "upper", "p")}
    assert got == pytest.approx(r_values("intraclass_correlation", dataset), **TOLERANCE)
    wide = data.pivot(index="subject", columns="rater", values="value")
    ba = stats.bland_altman(wide["PATIENT"], wide["CAREGIVER"])
    got = {"bias": ba.bias, "sd": ba.sd, "lower_loa": ba.lower_loa, "upper_loa": ba.upper_loa}
    assert got == pytest.approx(r_values("bland_altman", dataset), **TOLERANCE)
