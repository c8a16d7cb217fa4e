"""Small-cell disclosure control of a run's ARD rows (issue 30): which rows may leave the secure
environment, and which must be shown as `<5` (for `min_cell` 5) instead of their value.

`suppress(ard, min_cell)` returns the rows with two columns more: `suppressed` (bool) and
`suppression` ("" | "primary" | "secondary"). The rules, the first that applies:

1. Exempt: rows of an analysis that counts no persons (EXEMPT: the sample-size recomputation)
   are never suppressed.
2. Primary, counts: a count of persons or events (COUNT_STATS: n, N, events, at_risk,
   censored) from 1
   to `min_cell - 1`. 0 stays 0 (a zero discloses no person); `min_cell` itself is shown.
3. Primary, statistics of a small group: any other statistic (mean, SD, median, quartiles,
   min and max, CI, p, r, an estimate, a Kaplan-Meier probability, ...) whose group has fewer
   than `min_cell` persons, the size being the smallest `n` (or the analysis's size statistic)
   of the rows that describe the same group (Declaration.size). A group of 0 persons has no
   statistic to hide (its value is NaN).
4. Secondary (complementary): counts suppressed so that no suppressed count can be recovered
   exactly from the shown counts through the additive relations of the report
   (Declaration.relations: levels summing to their N, countries to all countries, study years
   to the whole study, PTs to their SOC, the shift table's rows and columns to their margins,
   the same count shown by two analyses). A suppressed count is recoverable when it is a
   linear combination of shown counts under those relations (`recoverable`). While one is,
   one more count is suppressed, with every row that shows the same count (an N repeated on
   each level's row, a PT in two tables): among the shown counts of the relations that hold a
   recoverable count, the one that closes the most relations with a single suppressed member,
   then the one that takes the fewest rows with it, then a non-zero one (a 0 beside a
   suppressed count tells that it holds the whole difference), then the smallest, then the
   first in ARD order (greedy; not the proven fewest, but on a table and its margins it is: 2
   cells for a row, 4 for a 2x2).
5. Followers: a row computed from suppressed counts is suppressed with them, by the same rule:
   a `pct` with its `n`, and the stats of Declaration.follows (a relapse rate with its events).

Every other row is shown. What is not protected, by design: bounds (a suppressed count lies
between 1 and `min_cell - 1`, or between a shown total and 0), person counts that are not
additive (persons with any AE in a SOC are at most the sum of its PTs), the steps of the
Kaplan-Meier curve between shown numbers at risk, and the order of `rank`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.analysis.ard import KEYS

#: statistics that count persons or events
COUNT_STATS = ("n", "N", "events", "at_risk", "censored")
#: analyses that describe no person: the sample-size recomputation from assumptions
EXEMPT = ("sample_size", "sample_size_grid")
#: every relation: (total row, part rows): the total's value is the sum of the parts' values
Relation = tuple[int, tuple[int, ...]]
#: a declared relation: the relations it finds in a run's ARD
Builder = Callable[[pd.DataFrame], list[Relation]]


@dataclass(frozen=True)
class Declaration:
    """How one analysis's rows relate. `size`: the stat that counts a group's persons and the
    key replacements that lead from a statistic's row to it (e.g. {"variable": {"BASE": "CHG"}}:
    the baseline mean at a visit describes the persons with a change at that visit); a key
    left blank in a statistic's row matches any (the minimum over visits). `follows`: stat ->
    the count stat (same keys) it is computed from. `relations`: the additive relations among
    the analysis's counts, as builders over the whole ARD (they may reach other analyses)."""

    size: str = "n"
    replace: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    follows: Mapping[str, str] = field(default_factory=lambda: {"pct": "n"})
    relations: tuple[Builder, ...] = ()


#: a key value that selects every row whose key is not blank (each country, not all countries)
ANY = ("*",)


def _pick(ard: pd.DataFrame, **keys: object) -> pd.DataFrame:
    """Rows whose keys equal `keys`: a text equals, a tuple holds the row's key, ANY: not blank."""
    mask = np.ones(len(ard), dtype=bool)
    for name, wanted in keys.items():
        column = ard[name].to_numpy()
        mask &= (column != "" if wanted is ANY else np.isin(column, wanted)
                 if isinstance(wanted, tuple) else column == wanted)
    return ard[mask]


def sums(part: Mapping[str, object], total: Mapping[str, object], by: Iterable[str],
         *, expand: Mapping[str, str] | None = None) -> Builder:  # fmt: skip
    """Relations "total = sum of parts": within each combination of the `by` keys, the rows
    selected by `total` (one; none: no relation) equal the sum of the rows selected by `part`.
    `expand` {key: value} sets a key of the total row apart from the group's (the parts of
    every country, group "", add up to the row of all countries)."""
    by = list(by)

    def build(ard: pd.DataFrame) -> list[Relation]:
        parts, totals = _pick(ard, **part), _pick(ard, **total)
        found: list[Relation] = []
        for key, members in parts.groupby(by, sort=False) if by else [((), parts)]:
            key = key if isinstance(key, tuple) else (key,)
            wanted = dict(zip(by, key, strict=True)) | dict(expand or {})
            hit = _pick(totals, **wanted)
            for index in hit.index[:1]:
                rest = tuple(i for i in members.index if i != index)
                if rest:
                    found.append((int(index), tuple(int(i) for i in rest)))
        return found

    return build


def same_n(analysis: str | tuple[str, ...], by: Iterable[str]) -> Builder:
    """Relations "equal": every N row of `analysis` within a combination of `by` shows the
    same count as the first (a denominator repeated on each level's row)."""
    by = list(by)

    def build(ard: pd.DataFrame) -> list[Relation]:
        rows = _pick(ard, analysis=analysis, stat="N")
        found: list[Relation] = []
        for _, members in rows.groupby(by, sort=False) if by else [((), rows)]:
            if members.empty:
                continue
            first = int(members.index[0])
            found += [(int(i), (first,)) for i in members.index[1:]]
        return found

    return build


def equal(row: Mapping[str, object], to: Mapping[str, object]) -> Builder:
    """Relation "equal": the first row selected by `row` shows the same count as the first
    selected by `to` (a population's size where it is a table's N and where the flow shows it)."""

    def build(ard: pd.DataFrame) -> list[Relation]:
        one, other = _pick(ard, **row).index[:1], _pick(ard, **to).index[:1]
        return [(int(other[0]), (int(one[0]),))] if len(one) and len(other) else []

    return build


def categorical(analysis: str, paramcds: tuple[str, ...]) -> Builder:  # fmt: skip
    """The levels of each categorical variable (`paramcds`, a "Missing" level included) add up
    to its N (ard.categories)."""
    by = ["population", "paramcd", "group", "visit"]
    return sums({"analysis": analysis, "paramcd": paramcds, "stat": "n"},
                {"analysis": analysis, "paramcd": paramcds, "stat": "N"}, by)


def _shift_margins(ard: pd.DataFrame) -> list[Relation]:
    """The shift table: each row's cells add up to its Total column, each column's to its Total
    row (the grand total both ways)."""
    rows = _pick(ard, analysis="fsmc_shift", stat="n")
    found: list[Relation] = []
    for along, across in (("level", "group"), ("group", "level")):
        for _, members in rows.groupby(across, sort=False):
            total = members[members[along].eq("Total")]
            parts = members[members[along].ne("Total")]
            if len(total):
                found.append((int(total.index[0]), tuple(int(i) for i in parts.index)))
    return found


def _flow_years(ard: pd.DataFrame) -> list[Relation]:
    """The study flow: those in study year y are those in year y + 1 plus those who left in year
    y; after year 3, the completers; those in year 1 are the safety set."""
    flow = _pick(ard, analysis="flow", stat="n", level="")
    row = {(p, g): int(i)
           for i, p, g in zip(flow.index, flow["paramcd"], flow["group"], strict=True)}
    found: list[Relation] = []
    for year in (1, 2, 3):
        after = ("INSTUDY" + str(year + 1), "") if year < 3 else ("COMPFL", "")
        keys = [("INSTUDY" + str(year), ""), after, ("DISCYR", str(year))]
        if all(k in row for k in keys):
            found.append((row[keys[0]], (row[keys[1]], row[keys[2]])))
    if ("INSTUDY1", "") in row and ("SAFFL", "") in row:
        found.append((row[("SAFFL", "")], (row[("INSTUDY1", "")],)))
    return found


#: relations among the counts of disposition and flow (enrolled = safety set + never treated, ...)
FLOW = (
    sums({"analysis": "flow", "paramcd": ("SAFFL", "NEVERTRT"), "stat": "n"},
         {"analysis": "flow", "paramcd": "ENRFL", "stat": "n"}, []),
    sums({"analysis": "flow", "paramcd": ("FASFL", "NOTFAS"), "stat": "n"},
         {"analysis": "flow", "paramcd": "SAFFL", "stat": "n"}, []),
    sums({"analysis": "flow", "paramcd": "DISCYR", "stat": "n"},
         {"analysis": "flow", "paramcd": "DISCYR", "level": "", "stat": "n"}, ["group"]),
    _flow_years,
    # each population's size, where an analysis shows it as its N, is the flow's count
    *(equal({"analysis": a, "population": pop, "stat": "N", **keys},
            {"analysis": "flow", "paramcd": flag, "stat": "n"})
      for a, pop, flag, keys in (
          ("disposition", "ENR", "ENRFL", {"group": ""}), ("baseline", "ENR", "ENRFL", {}),
          ("baseline", "FAS", "FASFL", {}), ("edss_improvement", "FAS", "FASFL", {}),
          ("fsmc_km", "FAS", "FASFL", {"stat": "n"}), ("ae_overview", "SAF", "SAFFL", {}),
          ("retreatment", "SAF", "SAFFL", {}),
          ("relapses", "SAF", "SAFFL", {"group": "Overall"}))),
    # the flow's counts are the disposition's (all countries)
    *(sums({"analysis": "flow", "paramcd": p, "stat": "n"},
           {"analysis": "disposition", "paramcd": p, "group": "", "stat": "n"}, [])
      for p in ("ENRFL", "SAFFL", "FASFL", "COMPFL")),
)  # fmt: skip

#: relations among the safety counts: events add up over PTs, SOCs and study years
SAFETY = (
    sums({"analysis": "ae_soc_pt", "stat": "events"},
         {"analysis": "ae_soc_pt", "level": "", "stat": "events"}, ["group"]),
    # a SOC with a single PT counts the same persons as that PT
    lambda ard: [r for r in sums({"analysis": "ae_soc_pt", "stat": "n"},
                                 {"analysis": "ae_soc_pt", "level": "", "stat": "n"},
                                 ["group"])(ard) if len(r[1]) == 1],
    sums({"analysis": "ae_soc_pt", "level": "", "stat": "events"},
         {"analysis": "ae_overview", "level": "Any TEAE", "stat": "events"}, []),
    *(sums({"analysis": "ae_pt", "stat": s}, {"analysis": "ae_soc_pt", "stat": s}, ["level"])
      for s in ("n", "events")),
    sums({"analysis": "ae_year", "stat": "events"},
         {"analysis": "ae_overview", "stat": "events"}, ["level"]),
    sums({"analysis": "ae_year", "level": "IAR", "stat": "events"},
         {"analysis": "ae_iar", "level": "Any IAR", "stat": "events"}, []),
    sums({"analysis": "ae_iar", "stat": "events"},
         {"analysis": "ae_iar", "level": "Any IAR", "stat": "events"}, []),
    same_n(("ae_overview", "ae_pt", "ae_soc_pt", "ae_iar"), []),
    same_n("ae_year", ["group"]),
)  # fmt: skip

#: the declared structure of every analysis; an analysis not named here has no relations and
#: its statistics' group size is the `n` of the same keys
DECLARATIONS: dict[str, Declaration] = {
    "disposition": Declaration(relations=(
        sums({"analysis": "disposition", "paramcd": "DCSREAS", "stat": "n"},
             {"analysis": "disposition", "paramcd": "DISCFL", "stat": "n"}, ["group"]),
        sums({"analysis": "disposition", "paramcd": ("DISCFL", "COMPFL", "ONGOING"), "stat": "n"},
             {"analysis": "disposition", "paramcd": "ENRFL", "stat": "n"}, ["group"]),
        # the countries (group = country) add up to all countries (group "")
        sums({"analysis": "disposition", "group": ANY, "stat": "n"},
             {"analysis": "disposition", "stat": "n"}, ["paramcd", "level"],
             expand={"group": ""}),
        sums({"analysis": "disposition", "paramcd": "ENRFL", "stat": "n"},
             {"analysis": "disposition", "paramcd": "ENRFL", "stat": "N"}, ["group"]),
        same_n("disposition", ["group"]),
    )),
    "flow": Declaration(relations=FLOW),
    "baseline": Declaration(relations=(categorical("baseline", ("SEX", "COUNTRY")),
                                       same_n("baseline", ["population"]))),
    "cg_characteristics": Declaration(relations=(
        categorical("cg_characteristics", ("CGSEX", "CGREL", "CGEMPLOY", "CGCHILD")),
        same_n("cg_characteristics", []),
    )),
    "retreatment": Declaration(relations=(categorical("retreatment", ("NALEMCRS",)),
                                          same_n("retreatment", []))),
    "edss_improvement": Declaration(relations=(
        sums({"analysis": "edss_improvement", "paramcd": "CONFVIS", "stat": "n"},
             {"analysis": "edss_improvement", "paramcd": "CONFFL", "stat": "n"}, []),
        same_n("edss_improvement", []),
    )),
    "fsmc_shift": Declaration(relations=(_shift_margins,)),
    # the persons of a Kaplan-Meier analysis had the event or were censored
    "fsmc_km": Declaration(relations=(
        sums({"analysis": "fsmc_km", "stat": ("events", "censored")},
             {"analysis": "fsmc_km", "stat": "n"}, []),
    )),
    "fsmc_km_curve": Declaration(size="at_risk"),
    "relapses": Declaration(size="N", follows={"pct": "n", "estimate": "events",
                                               "lcl": "events", "ucl": "events"},
                            relations=(sums({"analysis": "relapses", "stat": "events"},
                                            {"analysis": "relapses", "group": "Overall",
                                             "stat": "events"}, []),)),
    "outcomes": Declaration(replace={"variable": {"BASE": "CHG"}}),
    "cg_outcomes": Declaration(replace={"variable": {"BASE": "CHG"}}),
    "cg_agreement": Declaration(replace={"group": {"ICC(2,1)": "Bland-Altman",
                                                   "ICC(3,1)": "Bland-Altman"}}),
    # the relations of every ae_* analysis (SAFETY), declared once
    "ae_overview": Declaration(relations=SAFETY),
}  # fmt: skip


def declaration(analysis: str) -> Declaration:
    """The declared structure of an analysis (DECLARATIONS), or the default one."""
    return DECLARATIONS.get(analysis, Declaration())


def relations(ard: pd.DataFrame) -> list[Relation]:
    """Every declared relation of the ARD's analyses that holds in its values, each once
    (indices of `ard`). One that does not hold (see `broken`) gives no exact subtraction."""
    return [r for r in declared(ard) if _holds(ard, r)]


def declared(ard: pd.DataFrame) -> list[Relation]:
    """Every declared relation found in the ARD, each once (indices of `ard`)."""
    found: dict[Relation, None] = {}
    for decl in DECLARATIONS.values():
        for build in decl.relations:
            found |= dict.fromkeys(build(ard))
    return list(found)


def _holds(ard: pd.DataFrame, relation: Relation) -> bool:
    total, parts = relation
    return bool(ard["value"][total] == sum(ard["value"][i] for i in parts))


def broken(ard: pd.DataFrame) -> list[Relation]:
    """The declared relations that do not hold in the ARD's values (a declaration to review)."""
    return [r for r in declared(ard) if not _holds(ard, r)]


def recoverable(relations: Iterable[Relation], suppressed: set[int]) -> set[int]:
    """The suppressed rows whose value follows exactly from the shown ones: x_j is determined
    by the relations (A x = 0, the shown values known) iff every vector of the null space of A
    restricted to the suppressed columns is 0 at j (computed per connected set of relations)."""
    found: set[int] = set()
    for rows in _connected([(t, p) for t, p in relations if suppressed & {t, *p}], suppressed):
        cols = sorted(suppressed & {i for t, p in rows for i in (t, *p)})
        where = {c: k for k, c in enumerate(cols)}
        a = np.zeros((len(rows), len(cols)))
        for r, (total, parts) in enumerate(rows):
            for i, sign in ((total, 1.0), *((p, -1.0) for p in parts)):
                if i in where:
                    a[r, where[i]] += sign
        _, s, vt = np.linalg.svd(a)
        null = vt[int((s > 1e-9).sum()):]
        found |= {c for c in cols if np.all(np.abs(null[:, where[c]]) < 1e-9)}
    return found


def _connected(relations: list[Relation], suppressed: set[int]) -> list[list[Relation]]:
    """The relations in sets that share no suppressed row (union-find over suppressed rows)."""
    parent: dict[int, int] = {}

    def root(i: int) -> int:
        while parent.setdefault(i, i) != i:
            i = parent[i]
        return i

    for total, parts in relations:
        members = [i for i in (total, *parts) if i in suppressed]
        for other in members[1:]:
            parent[root(other)] = root(members[0])
    sets: dict[int, list[Relation]] = {}
    for relation in relations:
        first = next(i for i in (relation[0], *relation[1]) if i in suppressed)
        sets.setdefault(root(first), []).append(relation)
    return list(sets.values())


def secondary(relations: list[Relation], values: Mapping[int, float],
              primary: set[int]) -> set[int]:  # fmt: skip
    """The counts to suppress besides `primary` so that none is recoverable (rule 4). A count
    goes with every row that the relations make equal to it (the same N on each row), so the
    cost of a candidate is that set's size (after the relations it closes, before its value)."""
    same = _equal_rows(relations)
    suppressed = set(primary)
    for i in primary:
        suppressed |= same.get(i, {i})
    while exposed := recoverable(relations, suppressed):
        holding = [(t, p) for t, p in relations if exposed & {t, *p}]
        open_ = [{t, *p} for t, p in relations if len(suppressed & {t, *p}) == 1]
        candidates = {i for t, p in holding for i in (t, *p)} - suppressed
        if not candidates:
            raise ValueError(f"ARD rows {sorted(exposed)} follow from suppressed rows alone")
        closes = {i: sum(i in members for members in open_) for i in candidates}
        pick = min(candidates, key=lambda i: (-closes[i], len(same.get(i, {i})),
                                              values[i] == 0, values[i], i))
        suppressed |= same.get(pick, {pick})
    return suppressed - primary


def _equal_rows(relations: list[Relation]) -> dict[int, set[int]]:
    """Each row of an "equal" relation (one part) -> every row equal to it through them."""
    sets: dict[int, set[int]] = {}
    for total, parts in relations:
        if len(parts) == 1:
            joined = sets.get(total, {total}) | sets.get(parts[0], {parts[0]})
            sets |= dict.fromkeys(joined, joined)
    return sets


def _group_size(rows: pd.DataFrame, row: pd.Series, decl: Declaration) -> float:
    """The smallest size statistic (decl.size) among `rows` (one analysis) that describe the
    same group as `row` (rule 3): the same population and keys after decl.replace, a blank key
    of `row` matching any; NaN when there is none."""
    keys = {k: decl.replace.get(k, {}).get(row[k], row[k]) for k in KEYS if k != "stat"}
    same = _pick(rows, stat=decl.size, **{k: v for k, v in keys.items()
                                          if v != "" or k == "population"})
    return float(same["value"].min()) if len(same) else math.nan


def suppress(ard: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """The ARD rows with `suppressed` and `suppression` by the rules of this module's doc."""
    if min_cell < 2:
        raise ValueError(f"min_cell {min_cell} is below 2")
    ard = ard.reset_index(drop=True)
    exempt = ard["analysis"].isin(EXEMPT)
    count = ard["stat"].isin(COUNT_STATS) & ~exempt
    value = ard["value"]
    reason = pd.Series("", index=ard.index, dtype=object)
    reason[count & value.ge(1) & value.lt(min_cell)] = "primary"
    group = [k for k in KEYS if k != "stat"]
    for analysis, rows in ard[~exempt].groupby("analysis", sort=False):
        decl = declaration(str(analysis))
        stats = rows[~rows["stat"].isin([*COUNT_STATS, *decl.follows])]
        for _, same in stats.groupby(group, sort=False):
            if 0 < _group_size(rows, same.iloc[0], decl) < min_cell:
                reason[same.index] = "primary"
    found = relations(ard)
    primary = {int(i) for i in ard.index[count & reason.eq("primary")]}
    for i in secondary(found, value.to_dict(), primary):
        reason[i] = "secondary"
    by_keys = dict(zip(map(tuple, ard[list(KEYS)].to_numpy()), reason, strict=True))
    for i in ard.index[~count & ~exempt]:
        row = ard.loc[i]
        source = declaration(row["analysis"]).follows.get(row["stat"])
        if source is not None:
            reason[i] = by_keys.get(tuple(source if k == "stat" else row[k] for k in KEYS), "")
    return ard.assign(suppressed=reason.ne(""), suppression=reason)


def marker(row: Mapping[str, object], min_cell: int) -> str:
    """What a view shows instead of a suppressed row's value: `<min_cell` for a count below
    the threshold (primary), `n<min_cell` for a statistic of a group that small (primary),
    `x` for a value withheld so that another cannot be recovered (secondary, and the
    percentages and rates that follow a suppressed count)."""
    if row["suppression"] == "primary" and row["stat"] in COUNT_STATS:
        return f"<{min_cell}"
    if row["suppression"] == "primary" and not declaration(str(row["analysis"])).follows.get(
        str(row["stat"])
    ):
        return f"n<{min_cell}"
    return "x"


def shown(text: str, row: Mapping[str, object], min_cell: int | None) -> str:
    """The text a view displays for a formatted cell: `text` itself when disclosure control is
    off (min_cell None) or `row` (the row that decides the cell: the n of an "n (%)" cell) is
    not suppressed, else its marker."""
    if min_cell is None or not row.get("suppressed", False):
        return text
    return marker(row, min_cell)


def published(ard: pd.DataFrame, ard_inside: bool) -> pd.DataFrame:
    """The suppressed ARD as the run writes it: with its values when it stays inside the
    secure environment (`ard_inside`), else with every suppressed value blanked (NaN)."""
    if ard_inside:
        return ard
    return ard.assign(value=ard["value"].where(~ard["suppressed"]))
