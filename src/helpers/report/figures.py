"""Report figures (aggregates only) and their deterministic saving as PNG + SVG.

Every figure is drawn from summary tables (counts, means with CIs, a fitted Kaplan-Meier curve,
paired differences without identifiers), never from dates of individuals.
"""

from __future__ import annotations

import itertools
import math
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from helpers.report import labels

if TYPE_CHECKING:
    from IPython.display import Image

#: one style for every figure: seaborn's ticks theme at "paper" scale with its colour-blind-safe
#: palette (applied when this module is imported, i.e. before any figure is drawn)
STYLE = {"context": "paper", "style": "ticks", "palette": "colorblind", "font_scale": 1.1}
sns.set_theme(**STYLE)

#: fixed SVG ids and no timestamps/software tags: same figure -> same bytes
SAVE_RC = {"svg.hashsalt": "reality", "svg.fonttype": "path", "path.simplify": True}
PNG_DPI = 300  # print resolution (journals ask for at least 300 dpi)
#: widest figure shown (CSS px, 96 per inch): 15.9 cm, the A4 text width (16.6 cm) less the
#: margins of the cell that holds a figure in the DOCX (helpers.report.docx_layout)
TEXT_WIDTH_PX = 600


def save_figure(fig: Figure, fig_id: str, figures_dir: str | Path) -> tuple[Path, Path]:
    """Write <fig_id>.png and <fig_id>.svg with byte-stable metadata (no date, no software)."""
    out = Path(figures_dir)
    out.mkdir(parents=True, exist_ok=True)
    png, svg = out / f"{fig_id}.png", out / f"{fig_id}.svg"
    with plt.rc_context(SAVE_RC):
        fig.savefig(png, dpi=PNG_DPI, metadata={"Software": None}, bbox_inches="tight")
        fig.savefig(svg, metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    return png, svg


def _box(ax: plt.Axes, x: float, y: float, text: str, ha: str = "center") -> None:
    ax.text(
        x,
        y,
        text,
        ha=ha,
        va="center",
        fontsize=8.5,
        wrap=True,
        bbox={"boxstyle": "round,pad=0.4", "fc": "white", "ec": "black", "lw": 0.8},
    )


def flow_diagram(steps: pd.DataFrame, exits: pd.DataFrame) -> Figure:
    """STROBE-style flow (helpers.report.views.disposition.strobe_flow): one box per step (step,
    n) top to bottom with arrows between them, except the last (the analysed population), which a
    dashed line joins to the treated patients; each exit (after, text) a side box to the right of
    the arrow leaving step `after`, with an arrow reaching it. Sized to be legible at column
    width."""
    k = len(steps)
    fig, ax = plt.subplots(figsize=(6.5, 1.05 * k + 0.4))
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.6, k - 0.4)
    ys = [k - 1 - i for i in range(k)]
    for y, (step, n) in zip(ys, steps.itertuples(index=False, name=None), strict=True):
        _box(ax, 0.3, y, f"{step}\nn = {n}")
    # black: the seaborn theme draws patches (arrows too) with white edges
    arrow = {"arrowstyle": "->", "lw": 0.8, "color": "black"}
    for y0, y1 in itertools.pairwise(ys[:-1]):
        ax.annotate("", xy=(0.3, y1 + 0.25), xytext=(0.3, y0 - 0.25), arrowprops=arrow)
    ax.plot([0.04, 0.01, 0.01, 0.04], [ys[1], ys[1], ys[-1], ys[-1]], ls="--", lw=0.8,
            color="black")
    for after, text in exits.itertuples(index=False, name=None):
        y = ys[after] - (0.5 if after < k - 2 else 0.0)
        head, *rest = text.split("\n")
        body = textwrap.fill(", ".join(rest), 44) if rest else ""
        _box(ax, 0.6, y, f"{head}\n{body}".strip(), ha="left")
        ax.annotate("", xy=(0.59, y), xytext=(0.3, y), arrowprops=arrow)
    fig.tight_layout()
    return fig


def no_data(message: str) -> Figure:
    """A small figure that says why there is nothing to plot (e.g. no caregiver pairs), so that
    a data folder without that part of the data still gives every labelled figure."""
    fig, ax = plt.subplots(figsize=(5, 1.2))
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=10)
    ax.set_axis_off()
    return fig


def change_over_time(ci: pd.DataFrame, groups: dict[str, tuple[str, ...]], alpha: float) -> Figure:
    """Mean change from baseline with t CIs by visit (stats.mean_t_ci rows of
    views.change_from_baseline.change_ci_by_visit), one panel per parameter group, one line per
    parameter."""
    present = {g: [p for p in ps if p in set(ci["PARAMCD"])] for g, ps in groups.items()}
    present = {g: ps for g, ps in present.items() if ps}
    if not present:
        return no_data("No change from baseline to show")
    ncol = min(3, len(present))
    nrow = math.ceil(len(present) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 4.3 * nrow), squeeze=False)
    for ax, (group, params) in zip(axes.flat, present.items(), strict=False):
        for i, p in enumerate(params):
            d = ci[ci["PARAMCD"].eq(p)].sort_values("AVISITN")
            x = d["AVISITN"] + (i - (len(params) - 1) / 2) * 0.4  # dodge overlapping CIs
            ax.errorbar(
                x,
                d["mean"],
                yerr=[d["mean"] - d["lower"], d["upper"] - d["mean"]],
                marker="o",
                ms=3,
                capsize=2,
                lw=1,
                label=labels.label(p),
            )
        ax.axhline(0, color="grey", lw=0.6)
        ax.set_title(group, fontsize=10)
        ax.set_xlabel("Month")
        ax.set_ylabel(f"Mean change ({100 * (1 - alpha):.0f}% CI)")
        ax.set_xticks(sorted(ci["AVISITN"].unique()))
        if len(params) > 1:  # below the panel, so that it never covers the data
            ax.legend(fontsize=7.5, frameon=False, loc="upper center", ncol=2,
                      bbox_to_anchor=(0.5, -0.22))
    for ax in list(axes.flat)[len(present) :]:
        ax.set_axis_off()
    fig.tight_layout()
    return fig


def km_curve(curve: pd.DataFrame, xlabel: str, ylabel: str) -> Figure:
    """Cumulative proportion with the event (1 - KM, column cum) as a step curve with its CI
    band (lcl, ucl) and the numbers at risk (at_risk: just before each time) under the x axis
    at its ticks, every 6 months (the patients at risk at the first curve time at or after the
    tick; 0 after the last). `curve`: views.efficacy.km_curve rows, by time."""
    if curve.empty:
        return no_data("No time-to-event data to show")
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    ax.step(curve["time"], curve["cum"], where="post", lw=1.2)
    ax.fill_between(curve["time"], curve["lcl"], curve["ucl"], step="post", alpha=0.25, lw=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1)
    ax.set_xlim(left=0, right=float(curve["time"].max()))
    ticks = list(range(0, int(curve["time"].max()) + 1, 6))  # months: every 6
    later = [curve.loc[curve["time"].ge(x), "at_risk"] for x in ticks]
    counts = [f"{s.iloc[0]:.0f}" if len(s) else "0" for s in later]
    ax.set_xticks(ticks, [f"{x:g}\n{n}" for x, n in zip(ticks, counts, strict=True)])
    ax.annotate("At risk", xy=(0, 0), xycoords="axes fraction", xytext=(-16, -28),
                textcoords="offset points", ha="right", fontsize=8)
    fig.tight_layout()
    return fig


def bland_altman_plot(pairs: pd.DataFrame, agreement: pd.DataFrame, a: str, b: str,
                      by: str) -> Figure:  # fmt: skip
    """Bland-Altman plot per `by` value (a paramcd): each pair's difference a - b against its
    mean (the data), with the bias and 95% limits of agreement of that parameter's ARD cell
    (`agreement`: the analysis.caregiver.agreement_ard rows of one timepoint, group
    Bland-Altman)."""
    panels = sorted(pairs[by].unique())
    if not panels:
        return no_data("No patient-caregiver pairs rated")
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for ax, key in zip(axes.flat, panels, strict=True):
        d = pairs[pairs[by].eq(key)]
        ba = agreement[agreement["paramcd"].eq(key)].set_index("stat")["value"]
        ax.scatter((d[a] + d[b]) / 2, d[a] - d[b], s=12, alpha=0.6)
        for yv, style in ((ba["bias"], "-"), (ba["lower_loa"], "--"), (ba["upper_loa"], "--")):
            ax.axhline(yv, color="black", ls=style, lw=0.8)
        ax.set_title(f"{labels.label(key)} (n = {ba['n']:.0f})", fontsize=10)
        ax.set_xlabel(f"Mean of {a.lower()} and {b.lower()}")
        ax.set_ylabel(f"{a.capitalize()} - {b.lower()}")
        ax.text(
            0.02,
            0.02,
            f"bias {ba['bias']:.1f}; LoA {ba['lower_loa']:.1f} to {ba['upper_loa']:.1f}",
            transform=ax.transAxes,
            fontsize=8,
        )
    fig.tight_layout()
    return fig


def publish(fig: Figure, fig_id: str, figures_dir: str | Path) -> Image:
    """save_figure, then return the saved PNG (PNG_DPI) for display, shown at the figure's size
    (the manuscript embeds this print-resolution image); pyplot's copy is closed."""
    from IPython.display import Image

    png, _ = save_figure(fig, fig_id, figures_dir)
    # CSS pixels (96 per inch): the figure's width, at most TEXT_WIDTH_PX, so
    # that DOCX and PDF scale a wide figure down instead of cropping it
    width = min(round(fig.get_size_inches()[0] * 96), TEXT_WIDTH_PX)
    plt.close(fig)
    return Image(filename=str(png), width=width)
