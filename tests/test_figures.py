"""helpers.report.figures designed for the printed page: each figure drawn at the width it is
printed at (never wider than the text), every text at least SMALLEST_PT there, at most
MAX_SERIES series a panel, every legend inside the saved figure."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from helpers.report import figures, labels


def _change_ci(params: list[str]) -> pd.DataFrame:
    """Mean change with CIs of each parameter at months 3, 6 and 12 (change_ci_by_visit's
    columns)."""
    rows = [{"PARAMCD": p, "AVISITN": m, "mean": -i - m / 10, "lower": -i - m / 10 - 2,
             "upper": -i - m / 10 + 2} for i, p in enumerate(params) for m in (3, 6, 12)]
    return pd.DataFrame(rows)


def _texts(fig: Figure) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_text().strip() and t.get_visible()]


def test_a_group_of_more_than_max_series_is_split_into_equal_panels() -> None:
    sf36 = labels.CAREGIVER_GROUPS["SF-36"]
    assert len(sf36) > figures.MAX_SERIES
    split = figures.panels({"SF-36": sf36, "ZBI-22": ("ZBITOT",)})
    assert list(split) == ["SF-36 (1 of 2)", "SF-36 (2 of 2)", "ZBI-22"]
    assert sum(split.values(), ()) == (*sf36, "ZBITOT")  # every parameter once, in order
    assert all(len(ps) <= figures.MAX_SERIES for ps in split.values())


@pytest.mark.parametrize("groups", [labels.PATIENT_GROUPS, labels.CAREGIVER_GROUPS,
                                    labels.PATIENT_PANELS, labels.CAREGIVER_PANELS])
def test_change_over_time_is_drawn_for_the_text_width(groups) -> None:
    params = [p for ps in groups.values() for p in ps]
    fig = figures.change_over_time(_change_ci(params), groups, 0.05)
    fig.canvas.draw()
    assert fig.get_size_inches()[0] <= figures.FULL_WIDTH_IN + 1e-9
    for ax in fig.axes:
        assert len(ax.containers) <= figures.MAX_SERIES, ax.get_title()
    small = [(t.get_text(), t.get_fontsize()) for t in _texts(fig)
             if t.get_fontsize() < figures.SMALLEST_PT]
    assert not small, small
    box = fig.get_tightbbox(fig.canvas.get_renderer())  # what save_figure keeps
    for ax in fig.axes:
        if (legend := ax.get_legend()) is not None:
            extent = legend.get_window_extent().transformed(fig.dpi_scale_trans.inverted())
            assert box.x0 - 1e-6 <= extent.x0 and extent.x1 <= box.x1 + 1e-6
    plt.close(fig)


def test_every_figure_fits_the_text_width_with_its_text_at_least_7_pt() -> None:
    curve = pd.DataFrame({"time": [0.0, 6.0, 12.0], "cum": [0.0, 0.3, 0.5],
                          "lcl": [0.0, 0.2, 0.4], "ucl": [0.0, 0.4, 0.6],
                          "at_risk": [10, 7, 5]})
    pairs = pd.DataFrame({"PARAMCD": ["MSISPHYS"] * 3 + ["MSISPSY"] * 3,
                          "PATIENT": [40.0, 50, 60] * 2, "CAREGIVER": [42.0, 47, 65] * 2})
    agreement = pd.DataFrame([{"paramcd": p, "stat": s, "value": v}
                              for p in ("MSISPHYS", "MSISPSY")
                              for s, v in (("bias", -1.3), ("lower_loa", -9.0),
                                           ("upper_loa", 6.4), ("n", 3))])
    steps = pd.DataFrame({"step": ["Enrolled", "Treated", "Completed", "Analysed"],
                          "n": [10, 9, 8, 9]})
    exits = pd.DataFrame({"after": [0, 1, 3], "text": ["Never treated: 1",
                                                       "Discontinued: 1\nOther: 1",
                                                       "Not analysed: 0"]})
    drawn = {
        "km": figures.km_curve(curve, "Months", "Cumulative proportion"),
        "bland-altman": figures.bland_altman_plot(pairs, agreement, "PATIENT", "CAREGIVER",
                                                  by="PARAMCD"),
        "flow": figures.flow_diagram(steps, exits),
    }
    for name, fig in drawn.items():
        assert fig.get_size_inches()[0] <= figures.FULL_WIDTH_IN + 1e-9, name
        small = [t.get_text() for t in _texts(fig) if t.get_fontsize() < figures.SMALLEST_PT]
        assert not small, (name, small)
        minus = [t.get_text() for t in _texts(fig) if re.search(r"(?:^|[\s(;,])-\d", t.get_text())]
        assert not minus, (name, minus)  # numbers carry the minus sign U+2212
        plt.close(fig)


@pytest.mark.parametrize("panels", [labels.PATIENT_PANELS, labels.CAREGIVER_PANELS])
def test_panels_group_parameters_by_meaning_at_most_max_series_each(panels) -> None:
    """HRPQ as paid and household work, SF-36 as physical and mental health: no panel needs
    the generic split (figures.panels), and the panels hold exactly the
    same parameters as the groups."""
    assert figures.panels(panels) == panels
    groups = labels.PATIENT_GROUPS if panels is labels.PATIENT_PANELS else labels.CAREGIVER_GROUPS
    assert sorted(sum(panels.values(), ())) == sorted(sum(groups.values(), ()))


@pytest.mark.parametrize(("group", "paramcd", "shown"), [
    ("HRPQ paid work", "HRPQWMIS", "missed (h)"),
    ("SF-36 physical health", "SF36RP", "role physical"),
    ("SF-36 mental health", "SF36MH", "mental health"),
    ("MSIS-29 (proxy)", "MSISPHYS", "physical"),
    ("SDMT", "SDMTTOT", "SDMT"),
])  # fmt: skip
def test_a_legend_names_a_series_without_what_its_panel_title_names(group, paramcd, shown):
    assert figures._series_label(group, paramcd) == shown
