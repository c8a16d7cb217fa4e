"""Write the inputs of make_sensitivity_reference.R from a run's ADaM datasets (default: the
synthetic default run, output/default/adam): the post-baseline changes of three outcomes of the
FAS (sensitivity_mixed_model.csv) and the Month 36 changes of IMPUTATIONS data sets imputed by
helpers.analysis.sensitivity for the FSMC total (sensitivity_imputed.csv; dropout 1 = imputed).
Synthetic data only: nothing derived from real data may be committed.

    PYTHONPATH=src .venv/bin/python tests/reference/export_sensitivity_inputs.py [ADAM_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from helpers.adam.files import read_adam
from helpers.analysis import change_from_baseline, sensitivity
from helpers.analysis.population import analysis_set

HERE = Path(__file__).parent
MIXED_MODEL_OUTCOMES = ("FSMCTOT", "SDMTTOT", "EDSS")
IMPUTATIONS = 20
SEED = 2024


def main(adam_dir: str = "output/default/adam") -> None:
    adam = read_adam(Path(adam_dir))
    fas = analysis_set(adam.adsl, "FAS")["USUBJID"]
    records = change_from_baseline.analysed_records(adam.adqs, fas, "PATIENT", sensitivity.OUTCOMES)
    post = records[records["ABLFL"].ne("Y") & records["CHG"].notna()
                   & records["PARAMCD"].isin(MIXED_MODEL_OUTCOMES)]  # fmt: skip
    post = post.rename(columns={"PARAMCD": "dataset"})[["dataset", "USUBJID", "AVISIT", "BASE",
                                                         "CHG"]]  # fmt: skip
    post.sort_values(["dataset", "USUBJID", "AVISIT"]).to_csv(
        HERE / "sensitivity_mixed_model.csv", index=False, lineterminator="\n")
    wide, final = sensitivity.imputed_final_changes(records, "FSMCTOT", IMPUTATIONS, SEED)
    dropout = wide[sensitivity.FINAL_VISIT].isna().astype(int).to_numpy()
    imputed = pd.concat(
        pd.DataFrame({"imputation": i + 1, "USUBJID": wide.index, "dropout": dropout,
                      "CHG": final[i]})
        for i in range(IMPUTATIONS)
    )  # fmt: skip
    imputed.to_csv(HERE / "sensitivity_imputed.csv", index=False, lineterminator="\n",
                   float_format="%.17g")


if __name__ == "__main__":
    main(*sys.argv[1:])
