"""A tiny, hand-written study data folder that meets every rule of study/data-spec.md.

Use it in any test that needs a valid folder: `folder = write_minimal_study(tmp_path)`. Break one
thing with `edit_csv` to test a rule. The folder validates with no errors and no warnings.

Content (day 0 = first alemtuzumab infusion):
- P01 DNK F 35, COMPLETED; alemtuzumab courses 1, 2 and 3 (retreatment), day 0 2020-01-06;
  caregiver (cg row); FSMC items at BASELINE, MONTH 12, MONTH 24 with a collected FSMCTOT at
  BASELINE (70 = sum of its items); EDSS and SDMT; caregiver ZBI items (+ collected ZBITOT 33 at
  BASELINE) and SF-36 scores at BASELINE and MONTH 12; AEs: Headache on day 0 (infusion-
  associated), Hypothyroidism (ongoing).
- P02 NOR M 42, COMPLETED; courses 1 and 2, day 0 2020-02-10; FSMCTOT and EDSS given as scores
  only; relapses on 2020-02-05 (before day 0) and 2020-09-01.
- P03 ITA F 29, DEATH on 2020-06-20 (DTHDTC); course 1, day 0 2020-03-09; FSMC items and EDSS
  at BASELINE only; AE Sepsis, serious, related, FATAL.
- P04 DNK M 50, WITHDRAWAL BY SUBJECT; no alemtuzumab (another therapy, OCRELIZUMAB, without
  EXCOURSE); FSMCTOT at BASELINE.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

DM = """\
USUBJID,SITEID,COUNTRY,SEX,AGE,MSDURY,NPRIORDMT,RFICDTC,DSDECOD,DSSTDTC,DTHDTC
P01,S01,DNK,F,35,6.5,2,2020-01-02,COMPLETED,2023-01-10,
P02,S01,NOR,M,42,10,3,2020-02-03,COMPLETED,2023-02-15,
P03,S02,ITA,F,29,3.2,1,2020-03-02,DEATH,2020-06-20,2020-06-20
P04,S02,DNK,M,50,12,4,2020-04-01,WITHDRAWAL BY SUBJECT,2020-04-20,
"""

EX = """\
USUBJID,EXTRT,EXCOURSE,EXSTDTC,EXENDTC,EXDOSE
P01,ALEMTUZUMAB,1,2020-01-06,2020-01-10,12
P01,ALEMTUZUMAB,2,2021-01-11,2021-01-13,12
P01,ALEMTUZUMAB,3,2022-03-07,2022-03-09,12
P02,ALEMTUZUMAB,1,2020-02-10,2020-02-14,12
P02,ALEMTUZUMAB,2,2021-02-15,2021-02-17,12
P03,ALEMTUZUMAB,1,2020-03-09,2020-03-13,12
P04,OCRELIZUMAB,,2020-04-10,2020-04-10,300
"""

CE = """\
USUBJID,CEDECOD,CESTDTC
P02,MS RELAPSE,2020-02-05
P02,MS RELAPSE,2020-09-01
"""

AE = """\
USUBJID,AESEQ,AETERM,AEDECOD,AEBODSYS,AESEV,AESER,AEREL,AESTDTC,AEENDTC,AEOUT,AEACN
P01,1,headache during infusion,Headache,Nervous system disorders,MILD,N,Y,2020-01-06,2020-01-07,RECOVERED/RESOLVED,DOSE NOT CHANGED
P01,2,underactive thyroid,Hypothyroidism,Endocrine disorders,MODERATE,N,Y,2021-08-02,,NOT RECOVERED/NOT RESOLVED,NOT APPLICABLE
P03,1,sepsis,Sepsis,Infections and infestations,SEVERE,Y,Y,2020-06-01,2020-06-20,FATAL,NOT APPLICABLE
"""  # noqa: E501

CG = """\
USUBJID,CGSEX,CGAGE,CGREL,CGYEARS,CGEMPLOY,CGCHILD
P01,M,37,SPOUSE/PARTNER,4.5,FULL-TIME,Y
"""


def _items(prefix: str, answers: str) -> dict[str, float]:
    """Item codes prefix01, prefix02, ... with the answers given as one digit each."""
    return {f"{prefix}{i:02d}": float(a) for i, a in enumerate(answers, start=1)}


#: USUBJID, RESPONDENT, QSCAT, VISIT, QSDTC, {QSTESTCD: QSSTRESN}
QS: list[tuple[str, str, str, str, str, dict[str, float]]] = [
    ("P01", "PATIENT", "FSMC", "BASELINE", "2020-01-03",
     {**_items("FSMC", "43344334433443344334"), "FSMCTOT": 70}),
    ("P01", "PATIENT", "FSMC", "MONTH 12", "2021-01-05", _items("FSMC", "33233223322332233223")),
    ("P01", "PATIENT", "FSMC", "MONTH 24", "2022-01-05", _items("FSMC", "22222222222222222222")),
    ("P01", "PATIENT", "EDSS", "BASELINE", "2020-01-03", {"EDSS": 3.5}),
    ("P01", "PATIENT", "EDSS", "MONTH 12", "2021-01-05", {"EDSS": 2.5}),
    ("P01", "PATIENT", "EDSS", "MONTH 24", "2022-01-05", {"EDSS": 2.0}),
    ("P01", "PATIENT", "SDMT", "BASELINE", "2020-01-03", {"SDMTTOT": 45}),
    ("P01", "PATIENT", "SDMT", "MONTH 12", "2021-01-05", {"SDMTTOT": 50}),
    ("P01", "CAREGIVER", "ZBI", "BASELINE", "2020-01-03",
     {**_items("ZBI", "2121212121212121212121"), "ZBITOT": 33}),
    ("P01", "CAREGIVER", "ZBI", "MONTH 12", "2021-01-05", _items("ZBI", "1111111111111111111111")),
    ("P01", "CAREGIVER", "SF-36", "BASELINE", "2020-01-03",
     {"SF36RE": 55.6, "SF36PCS": 48.2, "SF36MCS": 41.5}),
    ("P01", "CAREGIVER", "SF-36", "MONTH 12", "2021-01-05",
     {"SF36RE": 66.7, "SF36PCS": 49.0, "SF36MCS": 45.1}),
    ("P02", "PATIENT", "FSMC", "BASELINE", "2020-02-07", {"FSMCTOT": 62}),
    ("P02", "PATIENT", "FSMC", "MONTH 12", "2021-02-09", {"FSMCTOT": 50}),
    ("P02", "PATIENT", "FSMC", "MONTH 24", "2022-02-10", {"FSMCTOT": 55}),
    ("P02", "PATIENT", "EDSS", "BASELINE", "2020-02-07", {"EDSS": 4.0}),
    ("P02", "PATIENT", "EDSS", "MONTH 12", "2021-02-09", {"EDSS": 4.0}),
    ("P03", "PATIENT", "FSMC", "BASELINE", "2020-03-05", _items("FSMC", "45454545454545454545")),
    ("P03", "PATIENT", "EDSS", "BASELINE", "2020-03-05", {"EDSS": 5.5}),
    ("P04", "PATIENT", "FSMC", "BASELINE", "2020-04-02", {"FSMCTOT": 48}),
]  # fmt: skip


def qs_frame() -> pd.DataFrame:
    """The qs rows of QS in long format, every cell a string (as in the CSV)."""
    return pd.DataFrame(
        [
            {"USUBJID": s, "RESPONDENT": r, "QSCAT": cat, "QSTESTCD": code,
             "QSSTRESN": f"{value:g}", "VISIT": visit, "QSDTC": day}
            for s, r, cat, visit, day, values in QS
            for code, value in values.items()
        ]
    )  # fmt: skip


def write_minimal_study(folder: Path) -> Path:
    """Write dm ex qs ce ae cg .csv into `folder` (created if needed) and return it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {"dm": DM, "ex": EX, "ce": CE, "ae": AE, "cg": CG}.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    qs_frame().to_csv(folder / "qs.csv", index=False)
    return folder


def read_csv(folder: Path, name: str) -> pd.DataFrame:
    """One file of the folder, every cell a string ("" when empty); row i is CSV line i + 2."""
    return pd.read_csv(Path(folder) / f"{name}.csv", dtype=str, keep_default_na=False)


def edit_csv(folder: Path, name: str, line: int, column: str, value: str) -> None:
    """Set one cell (CSV `line`, header = line 1; `column` added if new) and rewrite the file."""
    df = read_csv(folder, name)
    df.loc[line - 2, column] = value
    df.to_csv(Path(folder) / f"{name}.csv", index=False)


def find_line(folder: Path, name: str, **cells: str) -> int:
    """CSV line (header = line 1) of the first row of `name` whose cells equal `cells`."""
    df = read_csv(folder, name)
    match = df[list(cells)].eq(pd.Series(cells)).all(axis=1)
    if not match.any():
        raise ValueError(f"no row of {name}.csv with {cells}")
    return int(match.idxmax()) + 2
