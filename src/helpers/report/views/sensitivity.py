"""Views of the ARD analysis "sensitivity" (helpers.analysis.sensitivity): the table and forest
figure of the mean change under each approach, the tipping-point table and the sentences of the
Results.

Nothing is computed here but comparisons of rows: an approach agrees with the published one
(sensitivity.REFERENCE_APPROACH, EOS) when its mean change has the same sign and its CI the same
significance (excludes 0, or not).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from helpers.analysis import ard, sensitivity
from helpers.report import figures, labels, tables

#: approaches in a sentence
SHORT_NAMES = {"EOS": "the published analysis", "OC": "observed cases at Month 36",
               "COMP": "completers",
               "WINDOW": "in-window assessments", "LMM": "the mixed model",
               "MI": "multiple imputation"}  # fmt: skip
#: decimals of the mean change where one is too few (EDSS steps are 0.5)
DECIMALS = {"EDSS": 2}


def cells(results: pd.DataFrame) -> pd.DataFrame:
    """One row per outcome x approach (sensitivity.APPROACHES) with columns paramcd, group,
    visit, n, estimate, lcl, ucl, p, in table order."""
    rows = ard.select(results, analysis=sensitivity.ANALYSIS, level="")
    rows = rows[rows["group"].isin(sensitivity.APPROACHES)]
    wide = rows.pivot(index=["paramcd", "group", "visit"], columns="stat", values="value")
    wide = wide.reindex(columns=["n", "estimate", "lcl", "ucl", "p"]).reset_index()
    order = {key: i for i, key in enumerate((c, a) for c in sensitivity.OUTCOMES
                                            for a in sensitivity.APPROACHES)}  # fmt: skip
    rank = [order[key] for key in zip(wide["paramcd"], wide["group"], strict=True)]
    return wide.iloc[np.argsort(rank, kind="stable")].reset_index(drop=True)


def _significant(lcl: pd.Series, ucl: pd.Series) -> pd.Series:
    return lcl.gt(0) | ucl.lt(0)


def agreement(results: pd.DataFrame) -> pd.DataFrame:
    """cells() with columns "estimable" (this approach's and the published one's mean change and
    CI computed) and "agrees" (estimable, same sign of the mean change and same significance, CI
    excludes 0, as the published approach of the same outcome; True on that approach)."""
    found = cells(results)
    reference = found[found["group"].eq(sensitivity.REFERENCE_APPROACH)].set_index("paramcd")
    ref = reference.reindex(found["paramcd"])
    shown = ["estimate", "lcl", "ucl"]
    estimable = (found[shown].notna().all(axis=1).to_numpy()
                 & ref[shown].notna().all(axis=1).to_numpy())  # fmt: skip
    same_sign = np.sign(found["estimate"].to_numpy()) == np.sign(ref["estimate"].to_numpy())
    same_significance = (_significant(found["lcl"], found["ucl"]).to_numpy()
                         == _significant(ref["lcl"], ref["ucl"]).to_numpy())  # fmt: skip
    return found.assign(estimable=estimable, agrees=estimable & same_sign & same_significance)


def sensitivity_table(results: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Outcome x approach: n, mean change with its CI, p, whether it agrees with the published
    analysis (agreement)."""
    found = agreement(results)
    ci_col = f"Change, mean ({100 * (1 - alpha):.0f}% CI)"
    return pd.DataFrame({
        "Outcome": found["paramcd"].map(labels.label),
        "Analysis": found["group"].map(sensitivity.APPROACHES),
        "n": [tables.fmt_num(n, 0) for n in found["n"]],
        ci_col: [tables.fmt_pair(*v, decimals=DECIMALS.get(code, 1)) for code, *v in
                 found[["paramcd", "estimate", "lcl", "ucl"]].itertuples(index=False)],
        "p": found["p"].map(tables.fmt_p),
        "Agrees with EOS": np.where(found["agrees"], "yes",
                                    np.where(found["estimable"], "no", tables.MISSING)),
    })  # fmt: skip


def tipping_table(results: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """FSMC total under delta-adjusted multiple imputation: delta, mean change with its CI, p."""
    rows = ard.select(results, analysis=sensitivity.ANALYSIS, group=sensitivity.DELTA_GROUP,
                      paramcd=sensitivity.TIPPING_PARAMCD)  # fmt: skip
    rows = rows[rows["level"].ne("")]
    wide = rows.pivot(index="level", columns="stat", values="value")
    wide = wide.reindex(columns=["estimate", "lcl", "ucl", "p"])
    wide = wide.iloc[np.argsort(wide.index.astype(float).to_numpy(), kind="stable")]
    return pd.DataFrame({
        "Delta (points)": wide.index,
        f"Change, mean ({100 * (1 - alpha):.0f}% CI)": [
            tables.fmt_pair(*v) for v in wide[["estimate", "lcl", "ucl"]].to_numpy()],
        "p": wide["p"].map(tables.fmt_p).to_numpy(),
    })  # fmt: skip


#: the forest's tick labels: above the figures' smallest size, since the saved PNG's text
#: extents (which set its printed width) differ a little from the SVG's
FOREST_TICK_PT = 7.5


def forest(results: pd.DataFrame, alpha: float = 0.05) -> Figure:
    """One panel per outcome: the mean change with its CI under each approach (top to bottom in
    table order), a line at no change; a hollow marker where it disagrees with EOS. Drawn at the
    full text width (helpers.report.figures.FULL_WIDTH_IN), its text at the figures' printed
    sizes."""
    found = agreement(results)
    if found.empty:
        return figures.no_data("No sensitivity analysis to show")
    outcomes = [c for c in sensitivity.OUTCOMES if c in set(found["paramcd"])]
    ncol = 2
    nrow = math.ceil(len(outcomes) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(figures.FULL_WIDTH_IN, 1.55 * nrow + 0.5),
                             squeeze=False)  # fmt: skip
    names = list(sensitivity.APPROACHES.values())
    for i, (ax, code) in enumerate(zip(axes.flat, outcomes, strict=False)):
        d = found[found["paramcd"].eq(code)]
        y = [len(names) - 1 - list(sensitivity.APPROACHES).index(g) for g in d["group"]]
        ax.errorbar(d["estimate"], y, xerr=[d["estimate"] - d["lcl"], d["ucl"] - d["estimate"]],
                    fmt="none", ecolor="black", elinewidth=1, capsize=2)  # fmt: skip
        ax.scatter(d["estimate"], y, s=18, zorder=3, edgecolors="black",
                   c=np.where(d["agrees"], "black", "white"))  # fmt: skip
        ax.axvline(0, color="grey", lw=0.6, ls="--")
        ax.set_title(labels.label(code))
        ax.set_yticks(range(len(names)))
        ax.set_yticklabels(names[::-1] if i % ncol == 0 else [])
        ax.tick_params(labelsize=FOREST_TICK_PT)
        ax.set_ylim(-0.6, len(names) - 0.4)
    for ax in list(axes.flat)[len(outcomes):]:
        ax.set_axis_off()
    for ax in axes[-1]:
        ax.set_xlabel(f"Mean change from baseline ({100 * (1 - alpha):.0f}% CI)")
    fig.tight_layout()
    return fig


def tipping_sentence(results: pd.DataFrame) -> str:
    """The FSMC total tipping point in words (ARD stat tipping_point)."""
    rows = ard.select(results, analysis=sensitivity.ANALYSIS, group=sensitivity.DELTA_GROUP,
                      paramcd=sensitivity.TIPPING_PARAMCD, level="")  # fmt: skip
    if rows.empty:
        return "The tipping-point analysis of the FSMC total had no data."
    tipping = ard.value(rows, stat="tipping_point")
    if math.isnan(tipping):
        return "The tipping point of the FSMC total could not be computed (no pooled CI)."
    deltas = ard.select(results, analysis=sensitivity.ANALYSIS, group=sensitivity.DELTA_GROUP,
                        paramcd=sensitivity.TIPPING_PARAMCD)["level"]  # fmt: skip
    largest = max(float(d) for d in deltas if d)
    if math.isinf(tipping):
        return (f"The FSMC total change stayed significant for every shift of the dropouts' "
                f"imputed Month 36 values up to {largest:g} points towards worse fatigue.")
    if tipping == 0:
        return "The FSMC total change was not significant under multiple imputation (delta 0)."
    return (f"The FSMC total change stayed significant until the dropouts' imputed Month 36 "
            f"values were shifted by {tipping:g} points towards worse fatigue (tipping point).")


def agreement_sentence(results: pd.DataFrame) -> str:
    """Whether every approach agrees with the published analysis (agreement), which do not,
    and which could not be computed."""
    found = agreement(results)
    if found.empty:
        return "No sensitivity analysis could be computed."
    approaches = [SHORT_NAMES[a] for a in sensitivity.APPROACHES
                  if a != sensitivity.REFERENCE_APPROACH]  # fmt: skip
    outcomes = found["paramcd"].nunique()
    against = found[found["estimable"] & ~found["agrees"]]
    missing = found[~found["estimable"]]
    lead = (f"Under the {len(approaches)} other analyses of the missing data "
            f"({', '.join(approaches)})")
    not_computed = f" Not computable: {_listed(missing)}." if len(missing) else ""
    if against.empty:
        where = " wherever it could be computed" if len(missing) else ""
        return (f"{lead}, the change from baseline of all {outcomes} main outcomes agreed in "
                f"direction and significance with the published end-of-study analysis{where}."
                f"{not_computed}")
    return (f"{lead}, {outcomes - against['paramcd'].nunique()} of {outcomes} main outcomes "
            f"agreed in direction and significance with the published end-of-study analysis; "
            f"not all analyses agreed for {_listed(against)}.{not_computed}")


def _listed(found: pd.DataFrame) -> str:
    """"Outcome (approach, approach); ..." of agreement rows."""
    return "; ".join(f"{labels.label(code)} ({', '.join(g['group'].map(SHORT_NAMES))})"
                     for code, g in found.groupby("paramcd", sort=False))  # fmt: skip
