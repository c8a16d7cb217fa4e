"""Analysis sets (study/data-spec.md, Populations) as ADSL flags.

ENR every enrolled patient; SAF at least one alemtuzumab course; FAS SAF with a baseline and at
least one post-baseline FSMC total; COMP DSDECOD = COMPLETED; CG caregivers of FAS patients with a
baseline caregiver assessment (one ADSL row per patient whose caregiver is in CG).
"""

from __future__ import annotations

import pandas as pd

POPULATION_FLAGS: dict[str, str] = {
    "ENR": "ENRFL",
    "SAF": "SAFFL",
    "FAS": "FASFL",
    "COMP": "COMPFL",
    "CG": "CGPOPFL",
}


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
