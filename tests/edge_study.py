"""Hand-made study data folders for the edge tests, written in elapsed days.

Every subject's first alemtuzumab infusion is on DAY0 (elapsed day 0), so a test states each
date as the elapsed day it wants (`on(365)`), and the expected value is worked out from the rule
by hand. The folder goes through the public path of a run (load_study: read and validate; then
derive_adam), so the tests pin behaviour, not the helpers' internals.

    study = EdgeStudy()
    study.patient("A", eos_day=1100)
    study.scores("A", "BASELINE", 0, FSMCTOT=60)
    adam = study.derive(tmp_path)
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from helpers.adam.derive import Adam, derive_adam
from helpers.data.load import load_study
from helpers.study import spec

DAY0 = date(2021, 1, 4)
#: code (item or score) -> its instrument (QSCAT)
QSCAT_OF = {code: ins.qscat for ins in spec.INSTRUMENTS.values()
            for code in (*ins.items, *ins.scores)}
COLUMNS = {
    "dm": ["USUBJID", "SITEID", "COUNTRY", "SEX", "AGE", "MSDURY", "NPRIORDMT", "RFICDTC",
           "DSDECOD", "DSSTDTC", "DTHDTC"],
    "ex": ["USUBJID", "EXTRT", "EXCOURSE", "EXSTDTC", "EXENDTC", "EXDOSE"],
    "qs": ["USUBJID", "RESPONDENT", "QSCAT", "QSTESTCD", "QSSTRESN", "VISIT", "QSDTC"],
    "ce": ["USUBJID", "CEDECOD", "CESTDTC"],
    "ae": ["USUBJID", "AESEQ", "AETERM", "AEDECOD", "AEBODSYS", "AESEV", "AESER", "AEREL",
           "AESTDTC", "AEENDTC", "AEOUT", "AEACN"],
    "cg": ["USUBJID", "CGSEX", "CGAGE", "CGREL", "CGYEARS", "CGEMPLOY", "CGCHILD"],
}  # fmt: skip


def on(day: int) -> str:
    """ISO date of elapsed day `day` (DAY0 = day 0)."""
    return (DAY0 + timedelta(days=day)).isoformat()


def items(prefix: str, answers: list[float | None], first: int = 1) -> dict[str, float | None]:
    """Item codes prefix01, prefix02, ... (from item `first`) with the answers (None = empty)."""
    return {f"{prefix}{i:02d}": a for i, a in enumerate(answers, start=first)}


class EdgeStudy:
    """A study data folder being written row by row (every row valid for data-spec.md)."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, object]]] = {name: [] for name in COLUMNS}

    def patient(self, usubjid: str, *, eos_day: int | None = 1100, status: str = "COMPLETED",
                courses: tuple[int, ...] = (0,), other_therapy: bool = False) -> None:
        """A dm row (enrolled 30 days before day 0) and one 1-day alemtuzumab course starting on
        each elapsed day of `courses` (none: never treated); status empty = ongoing."""
        self.rows["dm"].append({
            "USUBJID": usubjid, "SITEID": "S1", "COUNTRY": "DNK", "SEX": "F", "AGE": 40,
            "MSDURY": 5, "NPRIORDMT": 1, "RFICDTC": on(-30), "DSDECOD": status,
            "DSSTDTC": "" if eos_day is None else on(eos_day),
            "DTHDTC": on(eos_day) if status == "DEATH" else "",
        })
        for number, start in enumerate(courses, start=1):
            self.rows["ex"].append({"USUBJID": usubjid, "EXTRT": spec.ALEMTUZUMAB,
                                    "EXCOURSE": number, "EXSTDTC": on(start),
                                    "EXENDTC": on(start), "EXDOSE": 12})
        if other_therapy or not courses:
            self.rows["ex"].append({"USUBJID": usubjid, "EXTRT": "OCRELIZUMAB", "EXCOURSE": "",
                                    "EXSTDTC": on(10), "EXENDTC": on(10), "EXDOSE": 300})

    def scores(self, usubjid: str, visit: str, day: int | None, *,
               respondent: str = "PATIENT", **values: float | None) -> None:
        """qs rows of one administration: {QSTESTCD: QSSTRESN} (None = not answered) dated on
        elapsed day `day` (None = undated)."""
        for code, value in values.items():
            self.rows["qs"].append({
                "USUBJID": usubjid, "RESPONDENT": respondent, "QSCAT": QSCAT_OF[code],
                "QSTESTCD": code, "QSSTRESN": "" if value is None else f"{value:g}",
                "VISIT": visit, "QSDTC": "" if day is None else on(day),
            })

    def relapse(self, usubjid: str, day: int) -> None:
        self.rows["ce"].append({"USUBJID": usubjid, "CEDECOD": "MS RELAPSE", "CESTDTC": on(day)})

    def adverse_event(self, usubjid: str, day: int, decod: str = "Headache",
                      severity: str = "MILD") -> None:
        seq = sum(r["USUBJID"] == usubjid for r in self.rows["ae"]) + 1
        self.rows["ae"].append({
            "USUBJID": usubjid, "AESEQ": seq, "AETERM": decod.lower(), "AEDECOD": decod,
            "AEBODSYS": "Nervous system disorders", "AESEV": severity, "AESER": "N",
            "AEREL": "Y", "AESTDTC": on(day), "AEENDTC": on(day), "AEOUT": "RECOVERED/RESOLVED",
            "AEACN": "DOSE NOT CHANGED",
        })

    def caregiver(self, usubjid: str) -> None:
        self.rows["cg"].append({"USUBJID": usubjid, "CGSEX": "M", "CGAGE": 45,
                                "CGREL": "SPOUSE/PARTNER", "CGYEARS": 3, "CGEMPLOY": "FULL-TIME",
                                "CGCHILD": "Y"})

    def write(self, folder: Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name, columns in COLUMNS.items():
            frame = pd.DataFrame(self.rows[name], columns=columns)
            frame.to_csv(folder / f"{name}.csv", index=False)
        return folder

    def derive(self, folder: Path, exclude_out_of_window: bool = False) -> Adam:
        """Write the folder, load (validate) it and derive the analysis datasets."""
        study, _ = load_study(self.write(folder))
        return derive_adam(study, exclude_out_of_window)


def row(frame: pd.DataFrame, **cells: object) -> pd.Series:
    """The one row of `frame` whose cells equal `cells` (fails when none or several)."""
    match = frame[frame[list(cells)].eq(pd.Series(cells)).all(axis=1)]
    assert len(match) == 1, f"{len(match)} rows with {cells}"
    return match.iloc[0]


def flag(adsl: pd.DataFrame, usubjid: str, column: str) -> str:
    """One ADSL flag of one subject."""
    return str(row(adsl, USUBJID=usubjid)[column])
