"""Analysis sets (study/data-spec.md, Populations) as ADSL flags: their codes, flags and
definitions are helpers.study.spec.POPULATIONS (CG: one ADSL row per patient whose caregiver is in
CG).
"""

from __future__ import annotations

import pandas as pd

from helpers.study import spec

#: population code -> its ADSL flag
POPULATION_FLAGS: dict[str, str] = {code: p.flag for code, p in spec.POPULATIONS.items()}


def analysis_set(adsl: pd.DataFrame, population: str, country: str | None = None) -> pd.DataFrame:
    """ADSL rows of `population` (a key of POPULATION_FLAGS), of `country` when given."""
    if population not in POPULATION_FLAGS:
        raise ValueError(
            f"unknown population {population!r}; expected one of {', '.join(POPULATION_FLAGS)}"
        )
    keep = adsl[POPULATION_FLAGS[population]].eq("Y")
    if country is not None:
        keep &= adsl["COUNTRY"].eq(country)
    return adsl[keep]
