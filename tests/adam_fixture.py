"""A small hand-made ADaM-like fixture (contract columns) for the analysis and table tests.

Six patients; written out value by value so that a reader can check the expected numbers by hand.
Not derived from the synthetic generator.
"""

from __future__ import annotations

import pandas as pd

ADSL_COLUMNS = [
    "USUBJID", "COUNTRY", "SEX", "AGE", "MSDURY", "NPRIORDMT", "SAFFL", "FASFL", "COMPFL",
    "EOSSTT", "DCSREAS", "DTHFL", "EOSDY", "YRSSTUDY", "NREL", "NALEMCRS", "RETRTFL", "OTHTRTFL",
    "CGPOPFL", "CGSEX", "CGAGE", "CGREL", "CGYEARS", "CGEMPLOY", "CGCHILD",
]  # fmt: skip
ADSL_ROWS = [
    ("P01", "DNK", "F", 30, 5.0, 2, "Y", "Y", "Y", "COMPLETED", None, "N", 1100, 1100 / 365.25, 1,
     3, "Y", "N", "Y", "M", 40, "SPOUSE/PARTNER", 5.0, "FULL-TIME", "Y"),
    ("P02", "DNK", "M", 40, 10.0, 3, "Y", "Y", "Y", "COMPLETED", None, "N", 1096, 1096 / 365.25, 0,
     2, "N", "N", "Y", "F", 50, "PARENT", 0.5, "RETIRED", "N"),
    ("P03", "NOR", "F", 35, 2.0, 1, "Y", "Y", "N", "DISCONTINUED", "ADVERSE EVENT", "N", 400,
     400 / 365.25, 2, 2, "N", "Y", "Y", "M", 45, "SPOUSE/PARTNER", 3.0, "PART-TIME", "Y"),
    ("P04", "NOR", "F", 50, 8.0, 4, "Y", "Y", "N", "DISCONTINUED", "DEATH", "Y", 200, 200 / 365.25,
     0, 1, "N", "N", "N", None, None, None, None, None, None),
    ("P05", "ITA", "M", 25, 1.0, 0, "Y", "N", "N", "DISCONTINUED", "LOST TO FOLLOW-UP", "N", 800,
     800 / 365.25, 1, 2, "N", "N", "N", None, None, None, None, None, None),
    ("P06", "ITA", "F", 45, 12.0, 5, "N", "N", "N", "DISCONTINUED", "WITHDRAWAL BY SUBJECT", "N",
     None, None, 0, 0, "N", "N", "N", None, None, None, None, None, None),
]  # fmt: skip

#: DSRAEFL: discontinued because of an ADVERSE EVENT (P03) or DEATH (P04); the others N
DISCONTINUED_FOR_AE = ("P03", "P04")

# (USUBJID, RESPONDENT, PARAMCD, AVISIT, AVAL, ANLFL)
ADQS_ROWS = [
    ("P01", "PATIENT", "FSMCTOT", "BASELINE", 70, "Y"),
    ("P01", "PATIENT", "FSMCTOT", "MONTH 3", 60, "Y"),
    ("P01", "PATIENT", "FSMCTOT", "MONTH 12", 50, "Y"),
    ("P02", "PATIENT", "FSMCTOT", "BASELINE", 55, "Y"),
    ("P02", "PATIENT", "FSMCTOT", "MONTH 3", 58, "Y"),
    ("P02", "PATIENT", "FSMCTOT", "MONTH 12", 40, "Y"),
    ("P03", "PATIENT", "FSMCTOT", "BASELINE", 64, "Y"),
    ("P03", "PATIENT", "FSMCTOT", "MONTH 3", 61, "Y"),
    ("P03", "PATIENT", "FSMCTOT", "MONTH 12", 30, "N"),  # excluded (out of window)
    ("P04", "PATIENT", "FSMCTOT", "BASELINE", 45, "Y"),
    ("P04", "PATIENT", "FSMCTOT", "MONTH 3", 47, "Y"),
    ("P05", "PATIENT", "FSMCTOT", "MONTH 3", 50, "Y"),  # no baseline: not analysed
    ("P01", "PATIENT", "MSISPHYS", "BASELINE", 40.0, "Y"),
    ("P01", "PATIENT", "MSISPHYS", "MONTH 3", 30.0, "Y"),
    ("P02", "PATIENT", "MSISPHYS", "BASELINE", 60.0, "Y"),
    ("P02", "PATIENT", "MSISPHYS", "MONTH 3", 45.0, "Y"),
    ("P03", "PATIENT", "MSISPHYS", "BASELINE", 20.0, "Y"),  # no post-baseline: not analysed
    ("P01", "CAREGIVER", "MSISPHYS", "BASELINE", 35.0, "Y"),
    ("P01", "CAREGIVER", "MSISPHYS", "MONTH 3", 32.0, "Y"),
    ("P02", "CAREGIVER", "MSISPHYS", "BASELINE", 50.0, "Y"),
    ("P02", "CAREGIVER", "MSISPHYS", "MONTH 3", 50.0, "Y"),
    ("P03", "CAREGIVER", "MSISPHYS", "BASELINE", 30.0, "Y"),
    ("P03", "CAREGIVER", "MSISPHYS", "MONTH 3", 20.0, "Y"),
    ("P01", "PATIENT", "EDSS", "BASELINE", 3.0, "Y"),
    ("P01", "PATIENT", "EDSS", "MONTH 3", 2.0, "Y"),
    ("P01", "PATIENT", "EDSS", "MONTH 12", 2.0, "Y"),  # improvement confirmed at month 12
    ("P02", "PATIENT", "EDSS", "BASELINE", 6.0, "Y"),
    ("P02", "PATIENT", "EDSS", "MONTH 3", 5.5, "Y"),
    ("P02", "PATIENT", "EDSS", "MONTH 12", 6.0, "Y"),  # not sustained
]

#: FSMC total severity (AVALCAT1) of each FSMCTOT value above: from 43 mild, 53 moderate, 63 severe
FSMC_SEVERITY = {30: "No fatigue", 40: "No fatigue", 45: "Mild", 47: "Mild", 50: "Mild",
                 55: "Moderate", 58: "Moderate", 60: "Moderate", 61: "Moderate", 64: "Severe",
                 70: "Severe"}  # fmt: skip
#: CRIT1FL of the post-baseline EDSS records: P01 -1.0 at month 3 confirmed at month 12 (Y), the
#: last record N; P02 -0.5 from 6.0 at month 3, not sustained (N)
EDSS_CRIT1FL = {("P01", "MONTH 3"): "Y", ("P01", "MONTH 12"): "N", ("P02", "MONTH 3"): "N",
                ("P02", "MONTH 12"): "N"}  # fmt: skip

# (USUBJID, AEDECOD, AEBODSYS, AESEV, AESER, AEREL, AEOUT, AEACN, TRTEMFL, AYEAR, IARFL)
ADAE_ROWS = [
    ("P01", "Headache", "Nervous system disorders", "MILD", "N", "Y", "RECOVERED/RESOLVED",
     "DOSE NOT CHANGED", "Y", 1, "Y"),
    ("P01", "Headache", "Nervous system disorders", "MODERATE", "N", "Y", "RECOVERED/RESOLVED",
     "DOSE NOT CHANGED", "Y", 2, "Y"),
    ("P02", "Headache", "Nervous system disorders", "MILD", "N", "Y", "RECOVERED/RESOLVED",
     "DOSE NOT CHANGED", "Y", 1, "Y"),
    ("P02", "Rash", "Skin and subcutaneous tissue disorders", "MILD", "N", "Y",
     "RECOVERED/RESOLVED", "DOSE NOT CHANGED", "Y", 1, "Y"),
    ("P03", "Hypothyroidism", "Endocrine disorders", "SEVERE", "Y", "Y", "RECOVERING/RESOLVING",
     "DRUG WITHDRAWN", "Y", 2, "N"),
    ("P04", "Sepsis", "Infections and infestations", "SEVERE", "Y", "Y", "FATAL",
     "NOT APPLICABLE", "Y", 1, "N"),
    ("P04", "Dizziness", "Nervous system disorders", "MILD", "N", "N", "RECOVERED/RESOLVED",
     "NOT APPLICABLE", "N", None, "N"),  # before day 0: not treatment-emergent
    ("P05", "Pyrexia", "General disorders and administration site conditions", "MILD", "N", "Y",
     "RECOVERED/RESOLVED", "DOSE NOT CHANGED", "Y", 1, "Y"),
]  # fmt: skip


def adsl() -> pd.DataFrame:
    """ADSL of the six patients."""
    df = pd.DataFrame(ADSL_ROWS, columns=ADSL_COLUMNS)
    return df.assign(DSRAEFL=df["USUBJID"].isin(DISCONTINUED_FOR_AE).map({True: "Y", False: "N"}))


def adqs() -> pd.DataFrame:
    """ADQS with BASE, CHG, ABLFL, EOSFL, AVALCAT1, BASECAT1, CRIT1FL filled in as the contract
    defines them."""
    visits = {"BASELINE": 0, "MONTH 3": 3, "MONTH 12": 12}
    df = pd.DataFrame(
        ADQS_ROWS, columns=["USUBJID", "RESPONDENT", "PARAMCD", "AVISIT", "AVAL", "ANLFL"]
    )
    df["AVAL"] = df["AVAL"].astype(float)
    df["AVISITN"] = df["AVISIT"].map(visits)
    df["ADY"] = df["AVISITN"] * 30
    df["ABLFL"] = df["AVISIT"].eq("BASELINE").map({True: "Y", False: ""})
    key = ["USUBJID", "RESPONDENT", "PARAMCD"]
    base = df[df["ABLFL"].eq("Y")].set_index(key)["AVAL"].rename("BASE")
    df = df.join(base, on=key)
    df["CHG"] = (df["AVAL"] - df["BASE"]).where(df["AVISITN"].gt(0))
    post = df[df["AVISITN"].gt(0) & df["ANLFL"].eq("Y")]
    last = post.groupby(key)["AVISITN"].transform("max")
    df["EOSFL"] = ""
    df.loc[last.index[post["AVISITN"].eq(last)], "EOSFL"] = "Y"
    df["PARCAT"] = df["PARAMCD"].str[:4]
    fsmc = df["PARAMCD"].eq("FSMCTOT")
    df["AVALCAT1"] = df["AVAL"].map(FSMC_SEVERITY).where(fsmc)
    df["BASECAT1"] = df["BASE"].map(FSMC_SEVERITY).where(fsmc)
    df["CRIT1FL"] = [EDSS_CRIT1FL.get(k) for k in zip(df["USUBJID"], df["AVISIT"], strict=True)]
    df["CRIT1FL"] = df["CRIT1FL"].where(df["PARAMCD"].eq("EDSS"))
    return df


def adae() -> pd.DataFrame:
    """ADAE rows."""
    cols = ["USUBJID", "AEDECOD", "AEBODSYS", "AESEV", "AESER", "AEREL", "AEOUT", "AEACN",
            "TRTEMFL", "AYEAR", "IARFL"]  # fmt: skip
    df = pd.DataFrame(ADAE_ROWS, columns=cols)
    return df.assign(AESEQ=df.groupby("USUBJID").cumcount() + 1)


def adtte() -> pd.DataFrame:
    """ADTTE: TTFSMCI for the FAS patients, RELY1-RELY3 for patients in study at each year start."""
    rows = [
        ("P01", "TTFSMCI", 12.0, 0),
        ("P02", "TTFSMCI", 12.0, 0),
        ("P03", "TTFSMCI", 3.0, 1),
        ("P04", "TTFSMCI", 3.0, 1),
        ("P01", "RELY1", 1.0, None),
        ("P02", "RELY1", 0.0, None),
        ("P03", "RELY1", 2.0, None),
        ("P04", "RELY1", 0.0, None),
        ("P05", "RELY1", 1.0, None),
        ("P01", "RELY2", 0.0, None),
        ("P02", "RELY2", 0.0, None),
        ("P03", "RELY2", 0.0, None),
        ("P05", "RELY2", 0.0, None),
        ("P01", "RELY3", 0.0, None),
        ("P02", "RELY3", 0.0, None),
    ]
    return pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "AVAL", "CNSR"])
