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

from helpers.report import labels, tables

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
#: the printed widths a figure is drawn for (inches): the full text width and one column of a
#: two-column journal page. A figure drawn at its printed width is never scaled down, so its
#: font sizes are the printed ones (at least SMALLEST_PT; journals ask for 6-7 pt)
#: white margin around a saved figure (inches), inside its printed width
PAD_IN = 0.03
FULL_WIDTH_IN = TEXT_WIDTH_PX / 96 - 2 * PAD_IN
COLUMN_WIDTH_IN = 3.5
SMALLEST_PT = 7.0
#: font sizes (pt, as printed) of every figure's text: tick labels and legends at SMALLEST_PT
FONT_PT = {"font.size": 8.0, "axes.labelsize": 8.0, "axes.titlesize": 8.5,
           "xtick.labelsize": SMALLEST_PT, "ytick.labelsize": SMALLEST_PT,
           "legend.fontsize": SMALLEST_PT, "legend.title_fontsize": SMALLEST_PT}
plt.rcParams.update(FONT_PT)
#: most series one panel shows: a group with more is drawn over several panels
MAX_SERIES = 5
MINUS = "\u2212"


def save_figure(fig: Figure, fig_id: str, figures_dir: str | Path) -> tuple[Path, Path]:
    """Write <fig_id>.png and <fig_id>.svg with byte-stable metadata (no date, no software)."""
    out = Path(figures_dir)
    out.mkdir(parents=True, exist_ok=True)
    png, svg = out / f"{fig_id}.png", out / f"{fig_id}.svg"
    with plt.rc_context(SAVE_RC):
        fig.savefig(png, dpi=PNG_DPI, metadata={"Software": None}, bbox_inches="tight",
                    pad_inches=PAD_IN)
        fig.savefig(svg, metadata={"Date": None, "Creator": None}, bbox_inches="tight",
                    pad_inches=PAD_IN)
    return png, svg


def _number(x: float, decimals: int = 1) -> str:
    """A number as figure text: fixed decimals, the minus sign U+2212 (never "-0.0")."""
    return f"{round(float(x), decimals) + 0.0:.{decimals}f}".replace("-", MINUS)


def _box(ax: plt.Axes, x: float, y: float, text: str, ha: str = "center") -> plt.Text:
    return ax.text(
        x,
        y,
        text,
        ha=ha,
        va="center",
        fontsize=8,
        bbox={"boxstyle": "round,pad=0.4", "fc": "white", "ec": "black", "lw": 0.8},
    )


def _x_edges(ax: plt.Axes, box: plt.Text) -> tuple[float, float]:
    """Left and right edge of a text's drawn box (its frame included) in data coordinates."""
    extent = box.get_bbox_patch().get_window_extent(ax.figure.canvas.get_renderer())
    (x0, _), (x1, _) = ax.transData.inverted().transform([(extent.x0, 0), (extent.x1, 0)])
    return x0, x1


def flow_diagram(steps: pd.DataFrame, exits: pd.DataFrame) -> Figure:
    """STROBE-style flow (helpers.report.views.disposition.strobe_flow): one box per step (step, n)
    top to bottom with arrows between them, except the last (the analysed population), which a
    dashed line joins to the treated patients, from the left edge of one box to the left edge of the
    other; each exit (after, text) a side box to the right, reached by an arrow that leaves the
    vertical arrow below step `after` or, beside a step with no arrow below it, the right edge of
    that step's box (never crossing a box's text). Drawn at the full text width (8 pt boxes)."""
    k = len(steps)
    fig, ax = plt.subplots(figsize=(FULL_WIDTH_IN, 0.8 * k + 0.3))
    ax.set_axis_off()
    fig.subplots_adjust(0, 0, 1, 1)  # fixed before the boxes are measured
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.6, k - 0.4)
    ys = [k - 1 - i for i in range(k)]
    boxes = [_box(ax, 0.3, y, f"{step}\nn = {n}")
             for y, (step, n) in zip(ys, steps.itertuples(index=False, name=None), strict=True)]
    fig.canvas.draw()  # sizes the boxes' frames, which _x_edges measures
    # black: the seaborn theme draws patches (arrows too) with white edges
    arrow = {"arrowstyle": "->", "lw": 0.8, "color": "black", "shrinkA": 0, "shrinkB": 0}
    for (y0, top), (y1, bottom) in itertools.pairwise(zip(ys[:-1], boxes[:-1], strict=True)):
        ax.annotate("", xy=(0.3, y1), xytext=(0.3, y0), arrowprops=arrow | {
            "patchA": top.get_bbox_patch(), "patchB": bottom.get_bbox_patch()})
    left = min(_x_edges(ax, boxes[1])[0], _x_edges(ax, boxes[-1])[0]) - 0.03
    ax.plot([_x_edges(ax, boxes[1])[0], left, left, _x_edges(ax, boxes[-1])[0]],
            [ys[1], ys[1], ys[-1], ys[-1]], ls="--", lw=0.8, color="black")
    for after, text in exits.itertuples(index=False, name=None):
        below = after < k - 2  # an arrow runs down from this step
        y = ys[after] - (0.5 if below else 0.0)
        start = 0.3 if below else _x_edges(ax, boxes[after])[1]
        head, *rest = text.split("\n")
        # a reason and its count never on two lines (textwrap keeps a non-breaking space)
        body = textwrap.fill(", ".join(r.replace(": ", ":\u00a0") for r in rest), 42)
        _box(ax, 0.57, y, f"{head}\n{body}".strip(), ha="left")
        ax.annotate("", xy=(0.56, y), xytext=(start, y), arrowprops=arrow)
    return fig


def no_data(message: str) -> Figure:
    """A small figure that says why there is nothing to plot (e.g. no caregiver pairs), so that
    a data folder without that part of the data still gives every labelled figure."""
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH_IN, 0.8))
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=9)
    ax.set_axis_off()
    return fig


def panels(groups: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Groups of parameters as figure panels of at most MAX_SERIES series each: a larger group
    is split, in its order, into the fewest panels of near-equal size, titled "SF-36 (1 of 2)"."""
    out: dict[str, tuple[str, ...]] = {}
    for group, params in groups.items():
        parts = math.ceil(len(params) / MAX_SERIES)
        if parts <= 1:
            out[group] = params
            continue
        size = math.ceil(len(params) / parts)
        for i in range(parts):
            out[f"{group} ({i + 1} of {parts})"] = params[i * size:(i + 1) * size]
    return out


def _series_label(group: str, paramcd: str) -> str:
    """A parameter's label in a panel's legend, without what the panel title already names:
    the whole title ("HRPQ paid work": "missed (h)") or its first word, the instrument
    ("SF-36 physical health": "role physical"); the whole label when nothing would be left."""
    name = labels.label(paramcd)
    title = group.split(" (")[0]
    for prefix in (title, title.split()[0]):
        if name.startswith(prefix) and (rest := name[len(prefix):].strip(" ,")):
            return rest
    return name


def change_over_time(ci: pd.DataFrame, groups: dict[str, tuple[str, ...]], alpha: float) -> Figure:
    """Mean change from baseline with t CIs by visit (stats.mean_t_ci rows of
    views.change_from_baseline.change_ci_by_visit), small multiples: one panel per parameter group
    (`panels`: at most MAX_SERIES lines, one per parameter), three panels a row at the full text
    width, the legend under its panel."""
    present = {g: tuple(p for p in ps if p in set(ci["PARAMCD"])) for g, ps in groups.items()}
    present = panels({g: ps for g, ps in present.items() if ps})
    if not present:
        return no_data("No change from baseline to show")
    ncol = min(3, len(present))
    nrow = math.ceil(len(present) / ncol)
    legend_rows = max(len(ps) for ps in present.values())
    height = 1.9 + (0.14 * legend_rows + 0.15 if legend_rows > 1 else 0.0)
    fig, axes = plt.subplots(nrow, ncol, figsize=(FULL_WIDTH_IN, height * nrow), squeeze=False)
    for ax, (group, params) in zip(axes.flat, present.items(), strict=False):
        for i, p in enumerate(params):
            d = ci[ci["PARAMCD"].eq(p)].sort_values("AVISITN")
            x = d["AVISITN"] + (i - (len(params) - 1) / 2) * 0.4  # dodge overlapping CIs
            ax.errorbar(
                x,
                d["mean"],
                yerr=[d["mean"] - d["lower"], d["upper"] - d["mean"]],
                marker="o",
                ms=2.5,
                capsize=1.5,
                lw=0.9,
                label=_series_label(group, p),
            )
        ax.axhline(0, color="grey", lw=0.6)
        ax.set_title(group)
        ax.set_xlabel("Month")
        ax.set_ylabel(f"Mean change ({100 * (1 - alpha):.0f}% CI)")
        ax.set_xticks(sorted(ci["AVISITN"].unique()))
        if len(params) > 1:  # below the panel, so that it never covers the data
            ax.legend(frameon=False, loc="upper center", ncol=1, bbox_to_anchor=(0.5, -0.3),
                      handlelength=1.5, borderaxespad=0)
    for ax in list(axes.flat)[len(present) :]:
        ax.set_axis_off()
    fig.tight_layout(h_pad=0.6, w_pad=0.8)
    return fig


def km_curve(curve: pd.DataFrame, xlabel: str, ylabel: str) -> Figure:
    """Cumulative proportion with the event (1 - KM, column cum) as a step curve with its CI
    band (lcl, ucl) and the numbers at risk (at_risk: just before each time) under the x axis
    at its ticks, every 6 months (the patients at risk at the first curve time at or after the
    tick; 0 after the last). `curve`: views.efficacy.km_curve rows, by time. Drawn at the width
    of one column of a two-column page."""
    if curve.empty:
        return no_data("No time-to-event data to show")
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH_IN * 1.3, 3.0))
    ax.step(curve["time"], curve["cum"], where="post", lw=1.2)
    ax.fill_between(curve["time"], curve["lcl"], curve["ucl"], step="post", alpha=0.25, lw=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1)
    ax.set_xlim(left=0, right=float(curve["time"].max()))
    ticks = list(range(0, int(curve["time"].max()) + 1, 6))  # months: every 6
    later = [curve.loc[curve["time"].ge(x), "at_risk"] for x in ticks]
    counts = [tables.fmt_count(s.iloc[0]) if len(s) else "0" for s in later]
    ax.set_xticks(ticks, [f"{x:g}\n{n}" for x, n in zip(ticks, counts, strict=True)])
    ax.annotate("At risk", xy=(0, 0), xycoords="axes fraction", xytext=(-12, -19.5),
                textcoords="offset points", ha="right", va="center", fontsize=SMALLEST_PT)
    fig.tight_layout()
    return fig


def bland_altman_plot(pairs: pd.DataFrame, agreement: pd.DataFrame, a: str, b: str,
                      by: str) -> Figure:  # fmt: skip
    """Bland-Altman plot per `by` value (a paramcd): each pair's difference a - b against its
    mean (the data), with the bias and 95% limits of agreement of that parameter's ARD cell
    (`agreement`: the analysis.caregiver.agreement_ard rows of one timepoint, group
    Bland-Altman); the panels side by side at the full text width."""
    panels_ = sorted(pairs[by].unique())
    if not panels_:
        return no_data("No patient-caregiver pairs rated")
    fig, axes = plt.subplots(1, len(panels_), figsize=(FULL_WIDTH_IN, 2.9), squeeze=False)
    for ax, key in zip(axes.flat, panels_, strict=True):
        d = pairs[pairs[by].eq(key)]
        ba = agreement[agreement["paramcd"].eq(key)].set_index("stat")["value"]
        if isinstance(ba["n"], str):  # suppressed: fewer pairs than min_cell, no point drawn
            ax.set_title(f"{labels.label(key)} (n = {ba['n']})")
            ax.set_axis_off()
            continue
        ax.scatter((d[a] + d[b]) / 2, d[a] - d[b], s=10, alpha=0.6)
        for yv, style in ((ba["bias"], "-"), (ba["lower_loa"], "--"), (ba["upper_loa"], "--")):
            ax.axhline(yv, color="black", ls=style, lw=0.8)
        # the agreement under the title, where it never covers a point
        ax.set_title(f"{labels.label(key)} (n = {ba['n']:.0f})\nbias {_number(ba['bias'])}; "
                     f"limits of agreement {_number(ba['lower_loa'])} to "
                     f"{_number(ba['upper_loa'])}")
        ax.set_xlabel(f"Mean of {a.lower()} and {b.lower()}")
        ax.set_ylabel(f"{a.capitalize()} {MINUS} {b.lower()}")
    fig.tight_layout()
    return fig


def publish(fig: Figure, fig_id: str, figures_dir: str | Path) -> Image:
    """save_figure, then return the saved PNG (PNG_DPI) for display, shown at the size it was
    saved at (so that its text prints at the size it was drawn at; the manuscript embeds this
    print-resolution image); pyplot's copy is closed."""
    from IPython.display import Image

    png, _ = save_figure(fig, fig_id, figures_dir)
    # CSS pixels (96 per inch) of the saved PNG (its width: bytes 16-20 of the IHDR chunk), at
    # most TEXT_WIDTH_PX, so that DOCX and PDF scale a wider figure down instead of cropping it
    saved = int.from_bytes(png.read_bytes()[16:20], "big")
    width = min(round(saved / PNG_DPI * 96), TEXT_WIDTH_PX)
    plt.close(fig)
    return Image(filename=str(png), width=width)
