"""helpers.analysis.sensitivity against reference results computed with R
(tests/reference/make_sensitivity_reference.R: nlme + emmeans for the mixed model, mice::pool for
Rubin's rules) on the inputs exported from the synthetic default run beside it
(export_sensitivity_inputs.py); R is needed only to regenerate sensitivity_r_results.csv."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.analysis import sensitivity

REFERENCE = Path(__file__).parent / "reference"
#: two REML optimisers (statsmodels L-BFGS, nlme optim) agree to about 1e-8
TOLERANCE = {"rel": 1e-6, "abs": 1e-9}


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / name, float_precision="round_trip")


R = read("sensitivity_r_results.csv").set_index(["statistic", "dataset", "quantity"])["value"]


def r_values(statistic: str, dataset: str, quantities: tuple[str, ...]) -> dict[str, float]:
    return {q: R.loc[(statistic, dataset, q)] for q in quantities}


QUANTITIES = ("estimate", "se", "df", "lower", "upper", "p")


def as_dict(found: sensitivity.Estimate) -> dict[str, float]:
    return {"estimate": found.estimate, "se": found.se, "df": found.df, "lower": found.lower,
            "upper": found.upper, "p": found.p}  # fmt: skip


@pytest.mark.parametrize("dataset", ["FSMCTOT", "SDMTTOT", "EDSS"])
def test_mixed_model_month36_estimate_matches_nlme_emmeans(dataset: str) -> None:
    data = read("sensitivity_mixed_model.csv")
    found = sensitivity.mixed_model(data[data["dataset"].eq(dataset)], alpha=0.05)
    assert as_dict(found) == pytest.approx(r_values("mixed_model", dataset, QUANTITIES),
                                           **TOLERANCE)  # fmt: skip


@pytest.mark.parametrize("delta", [0, 10])
def test_rubin_pooling_matches_mice_pool(delta: int) -> None:
    data = read("sensitivity_imputed.csv")
    wide = data.pivot(index="imputation", columns="USUBJID", values="CHG")
    dropout = data.drop_duplicates("USUBJID").set_index("USUBJID")["dropout"]
    shifted = wide.to_numpy() + delta * dropout.reindex(wide.columns).to_numpy()
    found = sensitivity.pooled_mean_change(shifted, alpha=0.05)
    expected = r_values("rubin_pool", f"fsmc_delta_{delta}", QUANTITIES)
    assert as_dict(found) == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert np.isfinite(found.df)
