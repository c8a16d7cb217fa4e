"""Reader-facing names of the analysed parameters and how they are grouped in tables and figures.

Codes come from spec.INSTRUMENTS (plus the derived HRPQ totals of ADQS); only the labels and the
grouping are defined here.
"""

from __future__ import annotations

from helpers.study import spec

#: derived ADQS parameters of the HRPQ (spec.SUM_PARAMETERS: HRPQWTOT = HRPQWMIS + HRPQWRED, ...)
HRPQ_TOTALS = tuple(code for code, (qscat, _) in spec.SUM_PARAMETERS.items() if qscat == "HRPQ")

PARAM_LABELS: dict[str, str] = {
    "FSMCTOT": "FSMC total",
    "FSMCCOG": "FSMC cognitive",
    "FSMCMOT": "FSMC motor",
    "SDMTTOT": "SDMT",
    "BDITOT": "BDI-II total",
    "MSISPHYS": "MSIS-29 physical",
    "MSISPSY": "MSIS-29 psychological",
    "TSQMEFF": "TSQM effectiveness",
    "TSQMSE": "TSQM side effects",
    "TSQMCON": "TSQM convenience",
    "TSQMGLO": "TSQM global satisfaction",
    "HRPQWMIS": "HRPQ paid work missed (h)",
    "HRPQWRED": "HRPQ paid work reduced (h)",
    "HRPQWTOT": "HRPQ paid work lost, total (h)",
    "HRPQHMIS": "HRPQ household work missed (h)",
    "HRPQHRED": "HRPQ household work reduced (h)",
    "HRPQHTOT": "HRPQ household work lost, total (h)",
    "EDSS": "EDSS",
    "SF36PF": "SF-36 physical functioning",
    "SF36RP": "SF-36 role physical",
    "SF36BP": "SF-36 bodily pain",
    "SF36GH": "SF-36 general health",
    "SF36VT": "SF-36 vitality",
    "SF36SF": "SF-36 social functioning",
    "SF36RE": "SF-36 role emotional",
    "SF36MH": "SF-36 mental health",
    "SF36PCS": "SF-36 PCS",
    "SF36MCS": "SF-36 MCS",
    "ZBITOT": "ZBI-22 total",
}


def _scores(qscat: str) -> tuple[str, ...]:
    return tuple(spec.INSTRUMENTS[qscat].scores)


#: patient-reported and clinician-rated parameters (RESPONDENT = PATIENT), one group per panel
PATIENT_GROUPS: dict[str, tuple[str, ...]] = {
    "FSMC": _scores("FSMC"),
    "SDMT": _scores("SDMT"),
    "BDI-II": _scores("BDI-II"),
    "MSIS-29": _scores("MSIS-29"),
    "TSQM": _scores("TSQM"),
    "HRPQ": (*_scores("HRPQ"), *HRPQ_TOTALS),
    "EDSS": _scores("EDSS"),
}

#: caregiver-reported parameters (RESPONDENT = CAREGIVER)
CAREGIVER_GROUPS: dict[str, tuple[str, ...]] = {
    "MSIS-29 (proxy)": _scores("MSIS-29"),
    "SF-36": _scores("SF-36"),
    "ZBI-22": _scores("ZBI"),
}


def label(paramcd: str) -> str:
    """Reader-facing name of a parameter code (the code itself when it has no label)."""
    return PARAM_LABELS.get(paramcd, paramcd)
