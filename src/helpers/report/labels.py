"""The one label table of the report: the reader-facing names of the analysed parameters and of
the coded values of the data, and how the parameters are grouped in tables and figures.

Codes come from spec (INSTRUMENTS plus the derived HRPQ totals of ADQS, and the codelists); only
the labels and the grouping are defined here. Every view turns a code into row text through
`label` or `value_label`; the codes themselves are shown only in the number ledger and the data
dictionary of the appendix.
"""

from __future__ import annotations

from helpers.report import tables
from helpers.study import instruments, spec

#: derived ADQS parameters of the HRPQ (spec.SUM_PARAMETERS: HRPQWTOT = HRPQWMIS + HRPQWRED, ...)
HRPQ_TOTALS = tuple(code for code, (qscat, _) in spec.SUM_PARAMETERS.items() if qscat == "HRPQ")

#: the event of the time to FSMC improvement (ADTTE TTFSMCI), from its rule's threshold
FSMC_IMPROVED = tables.typeset(
    f"Proportion improved (FSMC total change <= {instruments.FSMC_IMPROVEMENT_CHANGE:g})")

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


def _by_meaning(groups: dict[str, tuple[str, ...]], group: str,
                parts: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """`groups` with `group` replaced, in its place, by `parts`, which hold exactly its
    parameters."""
    if sorted(p for part in parts.values() for p in part) != sorted(groups[group]):
        raise ValueError(f"the parts of {group} do not hold its parameters")
    out: dict[str, tuple[str, ...]] = {}
    for name, params in groups.items():
        out.update(parts if name == group else {name: params})
    return out


#: the panels of the change-over-time figures: the groups, with the larger ones split by what
#: their parameters measure (HRPQ paid and household work; SF-36 physical and mental health,
#: each with its component summary), so that no panel holds more than five series
PATIENT_PANELS = _by_meaning(PATIENT_GROUPS, "HRPQ", {
    "HRPQ paid work": ("HRPQWMIS", "HRPQWRED", "HRPQWTOT"),
    "HRPQ household work": ("HRPQHMIS", "HRPQHRED", "HRPQHTOT"),
})  # fmt: skip
CAREGIVER_PANELS = _by_meaning(CAREGIVER_GROUPS, "SF-36", {
    "SF-36 physical health": ("SF36PF", "SF36RP", "SF36BP", "SF36GH", "SF36PCS"),
    "SF-36 mental health": ("SF36VT", "SF36SF", "SF36RE", "SF36MH", "SF36MCS"),
})  # fmt: skip

_SEX = dict(zip(spec.SEX, ("Female", "Male"), strict=True))
#: reader-facing words of the coded values a table shows, by the column (ARD paramcd) that
#: holds them, one word for each value of spec's codelist (COUNTRY: the study's three countries;
#: any other ISO code is shown as it is); a column not listed shows its values as they are
VALUE_LABELS: dict[str, dict[str, str]] = {
    "SEX": _SEX,
    "CGSEX": _SEX,
    "COUNTRY": {"DNK": "Denmark", "NOR": "Norway", "ITA": "Italy"},  # the study's countries
    "CGREL": dict(zip(spec.CGREL, ("Spouse or partner", "Parent", "Child", "Sibling", "Other"),
                      strict=True)),
    "CGEMPLOY": dict(zip(spec.CGEMPLOY, ("Full-time", "Part-time", "Not employed", "Retired",
                                         "Student"), strict=True)),
    "CGCHILD": dict(zip(spec.YES_NO, ("Yes", "No"), strict=True)),
    "DCSREAS": {code: code.capitalize() for code in spec.DSDECOD},
    "AVISIT": {code: code.title() for code in spec.VISITS},
}


def label(paramcd: str) -> str:
    """Reader-facing name of a parameter code (the code itself when it has no label)."""
    return PARAM_LABELS.get(paramcd, paramcd)


def value_label(column: str, value: str) -> str:
    """Reader-facing word of a coded value of `column` (VALUE_LABELS; the value itself when it
    has none): value_label("CGEMPLOY", "FULL-TIME") == "Full-time"."""
    return VALUE_LABELS.get(column, {}).get(value, value)
