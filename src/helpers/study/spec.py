"""The study data contract as constants (study/data-spec.md, study/instruments.md).

Everything that names a file, a column, a code, a visit or an instrument item lives here, once,
so that validation, scoring, derivation and the synthetic cohort cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- time ------------------------------------------------------------------------------------
#: the column every reader adds: a row's line in its file (CSV, header = line 1) or its record
#: number (XPT, JSON; first record = 1)
LINE = "_LINE"
DAYS_PER_MONTH = 30.4375
DAYS_PER_YEAR = 365.25
VISIT_WINDOW_DAYS = 31  # target month +/- 1 month
STUDY_YEARS = (1, 2, 3)

#: scheduled visits and their target month (AVISITN)
VISITS: dict[str, int] = {
    "BASELINE": 0,
    "MONTH 3": 3,
    "MONTH 6": 6,
    "MONTH 12": 12,
    "MONTH 18": 18,
    "MONTH 24": 24,
    "MONTH 36": 36,
}
POST_BASELINE_VISITS = tuple(v for v, m in VISITS.items() if m > 0)

# --- code lists ------------------------------------------------------------------------------
SEX = ("F", "M")
#: end-of-study status (DSDECOD): completed, or one of the discontinuation reasons
COMPLETED = "COMPLETED"
DEATH = "DEATH"
DISCONTINUATION_REASONS = (
    "ADVERSE EVENT",
    DEATH,
    "LOST TO FOLLOW-UP",
    "WITHDRAWAL BY SUBJECT",
    "PHYSICIAN DECISION",
    "LACK OF EFFICACY",
    "OTHER",
)
DSDECOD = (COMPLETED, *DISCONTINUATION_REASONS)
DSDECOD_AE = ("ADVERSE EVENT", DEATH)  # discontinued because of an adverse event
ALEMTUZUMAB = "ALEMTUZUMAB"
RETREATMENT_FIRST_COURSE = 3  # course 3 or later = retreatment
#: days after the last infusion day of a course in which an AE onset is still
#: infusion-associated (IARFL)
IAR_DAYS_AFTER_INFUSION = 1
RESPONDENTS = ("PATIENT", "CAREGIVER")
#: the clinical event that is a relapse (CEDECOD), and the code list of ce.csv
RELAPSE = "MS RELAPSE"
CEDECOD = (RELAPSE,)
AESEV = ("MILD", "MODERATE", "SEVERE")
YES_NO = ("Y", "N")
AEOUT = (
    "RECOVERED/RESOLVED",
    "RECOVERING/RESOLVING",
    "NOT RECOVERED/NOT RESOLVED",
    "RECOVERED/RESOLVED WITH SEQUELAE",
    "FATAL",
    "UNKNOWN",
)
AEACN = ("DRUG WITHDRAWN", "DOSE NOT CHANGED", "NOT APPLICABLE", "UNKNOWN")
CGREL = ("SPOUSE/PARTNER", "PARENT", "CHILD", "SIBLING", "OTHER")
CGEMPLOY = ("FULL-TIME", "PART-TIME", "NOT EMPLOYED", "RETIRED", "STUDENT")

#: text that data-spec.md forbids as a missing-value code
SENTINELS = ("-99", "-999", "NA", "N/A", ".", "NULL", "NaN", "nan", "None")

# --- populations (data-spec.md, Populations) ------------------------------------------------
@dataclass(frozen=True)
class Population:
    """An analysis set: its ADSL flag (Y = in the set) and its definition."""

    flag: str
    definition: str


#: code -> the analysis set; the one definition the ADSL flags, the methods text and the docs quote
POPULATIONS: dict[str, Population] = {
    "ENR": Population("ENRFL", "every enrolled patient (one per row of the demographics file)"),
    "SAF": Population("SAFFL", "enrolled patients with at least one alemtuzumab course"),
    "FAS": Population("FASFL", "SAF patients with a baseline and at least one post-baseline "
                               "FSMC total"),
    "COMP": Population("COMPFL", "patients who completed the study (end-of-study status "
                                 "completed)"),
    "CG": Population("CGPOPFL", "caregivers of FAS patients with a baseline caregiver "
                                "assessment"),
}

# --- files -----------------------------------------------------------------------------------
FILES = ("dm", "ex", "qs", "ce", "ae", "cg")
#: files that must have at least one row (the others may be empty but must exist)
FILES_NONEMPTY = ("dm", "ex", "qs")


# --- instruments -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Instrument:
    """One questionnaire or assessment of qs.csv.

    items: item code -> (lowest, highest) allowed value
    scores: score code -> (lowest, highest) allowed value (None = unbounded, e.g. SF-36 PCS)
    higher_is_better: direction of the scores (for narrative and improvement flags)
    step: allowed step of values (EDSS: 0.5); None = any value in range
    """

    qscat: str
    respondents: tuple[str, ...]
    items: dict[str, tuple[float, float]]
    scores: dict[str, tuple[float | None, float | None]]
    higher_is_better: bool = False
    step: float | None = None


def _items(prefix: str, n: int, low: float, high: float) -> dict[str, tuple[float, float]]:
    return {f"{prefix}{i:02d}": (low, high) for i in range(1, n + 1)}


_TSQM_ITEM_RANGES = {
    **{i: (1, 7) for i in (1, 2, 3, 9, 10, 11, 14)},
    **{i: (1, 5) for i in (5, 6, 7, 8, 12, 13)},
    4: (0, 1),
}

INSTRUMENTS: dict[str, Instrument] = {
    ins.qscat: ins
    for ins in (
        Instrument(
            "FSMC",
            ("PATIENT",),
            _items("FSMC", 20, 1, 5),
            {"FSMCTOT": (20, 100), "FSMCCOG": (10, 50), "FSMCMOT": (10, 50)},
        ),
        Instrument("SDMT", ("PATIENT",), {}, {"SDMTTOT": (0, 110)}, higher_is_better=True, step=1),
        Instrument("BDI-II", ("PATIENT",), _items("BDI", 21, 0, 3), {"BDITOT": (0, 63)}),
        Instrument(
            "MSIS-29",
            ("PATIENT", "CAREGIVER"),
            _items("MSIS", 29, 1, 5),
            {"MSISPHYS": (0, 100), "MSISPSY": (0, 100)},
        ),
        Instrument(
            "TSQM",
            ("PATIENT",),
            {f"TSQM{i:02d}": _TSQM_ITEM_RANGES[i] for i in range(1, 15)},
            {"TSQMEFF": (0, 100), "TSQMSE": (0, 100), "TSQMCON": (0, 100), "TSQMGLO": (0, 100)},
            higher_is_better=True,
        ),
        Instrument(
            "HRPQ",
            ("PATIENT",),
            {},
            {
                "HRPQWMIS": (0, 168),
                "HRPQWRED": (0, 168),
                "HRPQHMIS": (0, 168),
                "HRPQHRED": (0, 168),
            },
        ),
        Instrument("EDSS", ("PATIENT",), {}, {"EDSS": (0, 10)}, step=0.5),
        Instrument(
            "SF-36",
            ("CAREGIVER",),
            {},
            {
                **{f"SF36{d}": (0, 100) for d in ("PF", "RP", "BP", "GH", "VT", "SF", "RE", "MH")},
                "SF36PCS": (None, None),
                "SF36MCS": (None, None),
            },
            higher_is_better=True,
        ),
        Instrument("ZBI", ("CAREGIVER",), _items("ZBI", 22, 0, 4), {"ZBITOT": (0, 88)}),
    )
}

#: every QSTESTCD -> its QSCAT
TESTCD_TO_QSCAT: dict[str, str] = {
    code: ins.qscat for ins in INSTRUMENTS.values() for code in (*ins.items, *ins.scores)
}
#: parameters of ADQS summed from scores (data-spec.md): code -> (instrument, components)
SUM_PARAMETERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "HRPQWTOT": ("HRPQ", ("HRPQWMIS", "HRPQWRED")),
    "HRPQHTOT": ("HRPQ", ("HRPQHMIS", "HRPQHRED")),
}
