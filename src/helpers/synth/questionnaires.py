"""qs.csv of the synthetic cohort: every instrument, patient and caregiver, as items or scores.

Each scored construct (e.g. FSMC total, MSIS-29 physical) is designed on its score scale:

1. availability: a visit that happened, the instrument done (a few not done), for FSMC, BDI-II
   and ZBI a few post-baseline item sets with one unanswered item (score missing); two designed
   fractions of patients have no FSMC / MSIS-29 baseline. EOS = last valid post-baseline visit.
2. per subject a baseline B (scaled Beta with the design's mean and SD, given in the order of a
   latent disease-burden key, stratified) and an EOS change D (stratified quantiles of a
   two-piece normal, in the order of a latent response key); B is drawn inside the bounds that
   keep B + D on the scale (high baselines go with large improvements: regression to the mean).
   BDI-II designs the EOS value itself instead of the change.
3. visits between baseline and EOS: B + D * ramp(month) + shift(month) + visit noise (stratified
   per visit, symmetric), on the score's lattice.
4. items: an ordinal-threshold model (sampling.items_for_sums) with item difficulties, the
   patient's item profile (stable over visits) and visit jitter, placed so that the items add up
   to the designed raw sum.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from helpers.study import spec
from helpers.synth import sampling as smp
from helpers.synth.cohort import Cohort

MONTHS = np.array(list(spec.VISITS.values()), dtype=float)
P_NOT_DONE = 0.03          # instrument not done at an attended post-baseline visit
P_INCOMPLETE = 0.015       # item set with one unanswered item (FSMC, BDI-II, ZBI)
P_ITEM_BLANK = 0.004       # single unanswered items (MSIS-29, TSQM: the scoring imputes)
P_NO_BASELINE = {"FSMC": 1 / 87, "MSIS-29": 1 / 87}  # patients without that baseline
P_CG_VISIT = 0.85          # caregiver assessed at a post-baseline visit the patient attended
P_SCORE_ONLY = 0.03        # BDI-II delivered as its total only
P_ITEMS_AND_SCORE = 0.03   # FSMC delivered as items and its scores
ITEM_PROFILE_SD = 0.7      # patient's item profile (stable over visits), item units
ITEM_JITTER_SD = 0.3       # visit-to-visit item jitter, item units
ITEM_DIFFICULTY_SD = 0.5
REGRESSION_TO_MEAN = 0.2  # weight of -change in the baseline key (high baseline, large gain)
RAMP = {3: 0.3, 6: 0.6}  # fraction of the EOS change reached at a visit (1 from month 12)


@dataclass(frozen=True)
class Design:
    """One score's design on its scale [low, high] with lattice `step` (0 = continuous, 1 dp).

    base: (mean, sd, lower, upper) of the scaled Beta of baselines (values clipped to the scale),
    before the restriction that keeps baseline + change on the scale;
    change: (median, sd below, sd above) of EOS changes, or eos: the same for EOS values;
    shift: extra mean change at intermediate visits by month; noise: SD of the visit noise;
    burden/response: name of the latent keys and their weight (sign: + = higher score).
    """

    code: str
    qscat: str
    respondent: str
    low: float
    high: float
    step: float
    base: tuple[float, float, float, float]
    change: tuple[float, float, float] | None = None
    eos: tuple[float, float, float] | None = None
    shift: dict[int, float] = field(default_factory=dict)
    noise: float = 0.0
    burden: tuple[str, float] = ("severity", 0.6)
    response: tuple[str, float] = ("response", -0.6)
    items: tuple[str, ...] = ()


def _items(prefix: str, first: int, last: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i:02d}" for i in range(first, last + 1))


#: MSIS-29 design means sit 2-8 points below the study's baseline means (42.3, 51.7; caregivers
#: 36.5, 49.8): the on-scale restriction for improvers raises the realised means by about that.
TSQM_SHIFT_GLO = {3: 14.0, 6: 16.0, 12: 16.0, 18: 12.0, 24: 8.0, 36: 2.0}
DESIGNS: tuple[Design, ...] = (
    Design("FSMCTOT", "FSMC", "PATIENT", 20, 100, 1, (66.4, 15.6, 43, 100),
           change=(-7.3, 19.4, 16.4), shift={12: -3.0, 18: -1.5}, noise=6.0,
           items=_items("FSMC", 1, 20)),
    Design("SDMTTOT", "SDMT", "PATIENT", 0, 110, 1, (48.0, 11.0, 15, 90), change=(4.0, 8.0, 9.0),
           noise=4.0, burden=("severity", -0.5), response=("response", 0.5)),
    Design("BDITOT", "BDI-II", "PATIENT", 0, 63, 1, (15.5, 9.0, 0, 50), eos=(9.5, 6.0, 8.0),
           noise=3.0, items=_items("BDI", 1, 21)),
    Design("MSISPHYS", "MSIS-29", "PATIENT", 0, 100, 1.25, (38.5, 24.6, 0, 100),
           change=(-9.2, 15.0, 14.0), noise=6.0, items=_items("MSIS", 1, 20)),
    Design("MSISPSY", "MSIS-29", "PATIENT", 0, 100, 100 / 36, (43.5, 28.7, 0, 100),
           change=(-14.8, 18.0, 16.0), noise=8.0, items=_items("MSIS", 21, 29)),
    Design("TSQMEFF", "TSQM", "PATIENT", 0, 100, 100 / 18, (52.0, 20.0, 0, 100),
           change=(0.0, 18.0, 18.0), shift={6: 8.0, 12: 8.0, 18: 6.0}, noise=14.0,
           response=("response", 0.3), items=_items("TSQM", 1, 3)),
    Design("TSQMSE", "TSQM", "PATIENT", 0, 100, 100 / 16, (72.0, 20.0, 0, 115),
           change=(0.0, 15.0, 15.0), shift={3: 6.0, 6: 8.0, 12: 6.0}, noise=12.0,
           response=("response", 0.2), items=_items("TSQM", 4, 8)),
    Design("TSQMCON", "TSQM", "PATIENT", 0, 100, 100 / 18, (62.0, 18.0, 0, 100),
           change=(0.0, 14.0, 14.0), noise=12.0, response=("response", 0.0),
           items=_items("TSQM", 9, 11)),
    Design("TSQMGLO", "TSQM", "PATIENT", 0, 100, 100 / 14, (55.0, 20.0, 0, 100),
           change=(0.0, 18.0, 18.0), shift=TSQM_SHIFT_GLO, noise=14.0,
           response=("response", 0.4), items=_items("TSQM", 12, 14)),
    *(Design(code, "HRPQ", "PATIENT", 0, 168, 1, (mean, sd, -25, 90), change=(-1.0, 4.0, 4.0),
             noise=3.0) for code, mean, sd in (("HRPQWMIS", 2.0, 10.0), ("HRPQWRED", 4.0, 10.0),
                                               ("HRPQHMIS", 3.0, 8.0), ("HRPQHRED", 5.0, 8.0))),
    Design("EDSS", "EDSS", "PATIENT", 0, 10, 0.5, (3.1, 1.6, 0, 8), change=(-0.3, 0.6, 0.45),
           noise=0.3),
    Design("MSISPHYS", "MSIS-29", "CAREGIVER", 0, 100, 1.25, (33.5, 22.2, 0, 100),
           change=(-10.0, 9.0, 42.0), noise=8.0, items=_items("MSIS", 1, 20)),
    Design("MSISPSY", "MSIS-29", "CAREGIVER", 0, 100, 100 / 36, (47.5, 25.9, 0, 100),
           change=(-14.8, 10.0, 46.0), noise=10.0, items=_items("MSIS", 21, 29)),
    *(Design(f"SF36{d}", "SF-36", "CAREGIVER", 0, 100, step, (mean, 20.0, 0, 100),
             change=(0.0, 12.0, 12.0), noise=8.0, burden=(latent, -0.6),
             response=("cg_response", 0.0))
      for d, step, mean, latent in (("PF", 5, 85, "cg_phys"), ("RP", 6.25, 78, "cg_phys"),
                                    ("BP", 10, 72, "cg_phys"), ("GH", 5, 68, "cg_phys"),
                                    ("VT", 6.25, 55, "cg_mental"), ("SF", 12.5, 75, "cg_mental"),
                                    ("MH", 5, 68, "cg_mental"))),
    Design("SF36RE", "SF-36", "CAREGIVER", 0, 100, 100 / 12, (62.0, 28.0, 0, 100),
           change=(8.3, 10.0, 22.0), noise=10.0, burden=("cg_mental", -0.6),
           response=("cg_response", 0.5)),
    Design("SF36PCS", "SF-36", "CAREGIVER", 0, 100, 0, (48.5, 10.6, 10, 75),
           change=(0.0, 6.0, 6.0), noise=4.0, burden=("cg_phys", -0.9),
           response=("cg_response", 0.0)),
    Design("SF36MCS", "SF-36", "CAREGIVER", 0, 100, 0, (44.3, 9.9, 10, 75),
           change=(0.0, 6.0, 6.0), noise=4.0, burden=("cg_mental", -0.9),
           response=("cg_response", 0.0)),
    Design("ZBITOT", "ZBI", "CAREGIVER", 0, 88, 1, (22.0, 14.0, 0, 88), change=(0.0, 8.0, 8.0),
           noise=5.0, burden=("severity", 0.5), response=("cg_response", 0.0),
           items=_items("ZBI", 1, 22)),
)


@dataclass(frozen=True)
class _Frame:
    """Who answered the instrument when: valid[i, v] (score computable), done[i, v] (rows)."""

    done: np.ndarray
    valid: np.ndarray
    blank_item: np.ndarray  # index of the unanswered item of an incomplete set, -1 if none


def _availability(rng: np.random.Generator, cohort: Cohort, qscat: str, respondent: str,
                  n_items: int) -> _Frame:
    attended = ~np.isnan(cohort.visit_day)
    done = attended & (rng.random(attended.shape) >= P_NOT_DONE)
    done[:, 0] = attended[:, 0]
    if respondent == "CAREGIVER":
        done = attended & cohort.caregiver[:, None] & (rng.random(attended.shape) < P_CG_VISIT)
        done[:, 0] = attended[:, 0] & cohort.cg_baseline
    elif qscat in P_NO_BASELINE:
        done[:, 0] &= ~smp.choose_exactly(rng, attended[:, 0],
                                          smp.count(P_NO_BASELINE[qscat], cohort.n))
    incomplete = (rng.random(done.shape) < P_INCOMPLETE) & done & (n_items > 0)
    incomplete[:, 0] = False
    if qscat not in ("FSMC", "BDI-II", "ZBI"):
        incomplete[:] = False
    blank = np.where(incomplete, rng.integers(0, max(n_items, 1), done.shape), -1)
    return _Frame(done, done & ~incomplete, blank)


def _beta_quantile(mean: float, sd: float, lower: float, upper: float,
                   lo_b: np.ndarray, hi_b: np.ndarray) -> smp.Quantile:
    """Quantiles of a Beta scaled to [lower, upper] with that mean and SD, restricted to bounds."""
    m, v = (mean - lower) / (upper - lower), (sd / (upper - lower)) ** 2
    k = m * (1 - m) / v - 1
    dist = stats.beta(m * k, (1 - m) * k, loc=lower, scale=upper - lower)
    a, b = dist.cdf(lo_b), dist.cdf(hi_b)
    return lambda u: dist.ppf(a + u * (b - a))


def _lattice(x: np.ndarray, d: Design) -> np.ndarray:
    x = np.clip(x, d.low, d.high)
    if d.step == 0:
        return np.round(x, 1)
    return d.low + d.step * np.rint((x - d.low) / d.step)


def _key(rng: np.random.Generator, latents: dict[str, np.ndarray], name: str,
         weight: float) -> np.ndarray:
    return weight * latents[name] + np.sqrt(1 - min(weight**2, 0.99)) * rng.standard_normal(
        latents[name].size)


def design_scores(rng: np.random.Generator, d: Design, frame: _Frame,
                  latents: dict[str, np.ndarray]) -> np.ndarray:
    """Scores n x 7 on the design's lattice (NaN where not valid) following the module recipe."""
    n, n_visits = frame.valid.shape
    post = frame.valid[:, 1:]
    last = np.where(post.any(axis=1), n_visits - 1 - np.argmax(post[:, ::-1], axis=1), -1)
    pair = frame.valid[:, 0] & (last > 0)
    spec_q = d.change or d.eos
    assert spec_q is not None
    key_r = _key(rng, latents, *d.response)
    target = np.where(pair, 0.0, np.nan)
    target[pair] = smp.ranked_quantiles(key_r[pair], smp.two_piece_normal(*spec_q))
    target[~pair] = smp.two_piece_normal(*spec_q)(rng.random((~pair).sum()))
    mean, sd, lower, upper = d.base
    if d.change is not None:
        change = target
        lo_b = np.maximum(lower, d.low - change)
        hi_b = np.minimum(upper, d.high - change)
        gain = (change - np.nanmean(change)) / spec_q[1]
        key_b = _key(rng, latents, *d.burden) - REGRESSION_TO_MEAN * gain
    else:
        lo_b, hi_b = np.full(n, float(lower)), np.full(n, float(upper))
        key_b = _key(rng, latents, *d.burden) + 0.8 * (key_r - key_r.mean())
    has_base = frame.valid[:, 0]
    u = rng.random(n)
    u[has_base] = (np.argsort(np.argsort(key_b[has_base], kind="stable")) + 0.5) / has_base.sum()
    base = _lattice(_beta_quantile(mean, sd, lower, upper, lo_b, hi_b)(u), d)
    eos = _lattice(base + change if d.change is not None else target, d)
    ramp = np.array([RAMP.get(int(m), 1.0) for m in MONTHS])
    shift = np.array([d.shift.get(int(m), 0.0) for m in MONTHS])
    noise = np.zeros((n, n_visits))
    for v in range(1, n_visits):  # stratified symmetric visit noise
        who = post[:, v - 1]
        noise[who, v] = smp.ranked_quantiles(rng.random(who.sum()), smp.normal(0.0, d.noise))
    path = _lattice(base[:, None] + (eos - base)[:, None] * ramp + shift + noise, d)
    path[:, 0] = base
    path[np.arange(n), np.maximum(last, 0)] = np.where(last > 0, eos, base)
    return np.where(frame.valid, path, np.nan)


def _latents(rng: np.random.Generator, cohort: Cohort) -> dict[str, np.ndarray]:
    n = cohort.n
    cg_response = 0.5 * cohort.response + np.sqrt(0.75) * rng.standard_normal(n)
    return {"severity": cohort.severity, "response": cohort.response,
            "cg_phys": rng.standard_normal(n), "cg_mental": rng.standard_normal(n),
            "cg_response": cg_response}


def _item_rows(rng: np.random.Generator, d: Design, scores: np.ndarray, frame: _Frame,
               profile: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Item values (n x 7 x items, NaN = no row or unanswered) and the visits with rows."""
    ins = spec.INSTRUMENTS[d.qscat]
    codes = [c for c in d.items if not (d.code == "TSQMSE" and c == "TSQM04")]
    low = np.array([ins.items[c][0] for c in codes])
    high = np.array([ins.items[c][1] for c in codes])
    n, n_visits = scores.shape
    values = np.full((n, n_visits, len(d.items)), np.nan, dtype=np.float32)
    difficulty = rng.normal(0, ITEM_DIFFICULTY_SD, len(codes))
    for v in range(n_visits):
        who = np.flatnonzero(frame.done[:, v])
        s = scores[who, v]
        s = np.where(np.isnan(s), rng.uniform(d.low, d.high, who.size), s)  # incomplete sets
        raw = low.sum() + np.rint((s - d.low) / (d.high - d.low) * (high - low).sum())
        offsets = difficulty + profile[who][:, : len(codes)] + rng.normal(
            0, ITEM_JITTER_SD, (who.size, len(codes)))
        items = smp.items_for_sums(raw, offsets, low, high).astype(float)
        if d.code == "TSQMSE":  # item 4: any side effects; none -> 100 and items 5-8 skipped
            none = raw >= high.sum()
            items[none] = np.nan
            items = np.column_stack([np.where(none, 0.0, 1.0), items])
        blank = frame.blank_item[who, v]
        items[blank >= 0, blank[blank >= 0]] = np.nan
        if d.qscat in ("MSIS-29", "TSQM"):
            items[rng.random(items.shape) < P_ITEM_BLANK] = np.nan
        values[who, v] = items
    return values, frame.done


#: every QSTESTCD in spec order; qs rows carry its index (sorting and output use it)
CODES = np.array(list(spec.TESTCD_TO_QSCAT))
CODE_INDEX = {c: i for i, c in enumerate(CODES)}
#: how an item instrument's score is also delivered: (score code, share of visits, items kept)
COLLECTED = {"FSMCTOT": (P_ITEMS_AND_SCORE, True), "BDITOT": (P_SCORE_ONLY, False)}


def questionnaires(rng: np.random.Generator, cohort: Cohort) -> dict[str, np.ndarray]:
    """qs rows as numeric columns: subj, resp, visit, code (CODES index), value (NaN = blank)."""
    latents = _latents(rng, cohort)
    pieces: list[dict[str, np.ndarray]] = []
    frames: dict[tuple[str, str], _Frame] = {}
    profiles: dict[tuple[str, str], np.ndarray] = {}
    for d in DESIGNS:
        ins = spec.INSTRUMENTS[d.qscat]
        key = (d.qscat, d.respondent)
        if key not in frames:
            frames[key] = _availability(rng, cohort, d.qscat, d.respondent, len(ins.items))
            profiles[key] = rng.normal(0, ITEM_PROFILE_SD, (cohort.n, max(len(ins.items), 1)))
        frame = frames[key]
        scores = design_scores(rng, d, frame, latents)
        if not d.items:
            pieces.append(_long(d, [d.code], scores[:, :, None], frame.valid[:, :, None]))
            continue
        values, done = _item_rows(rng, d, scores, frame, profiles[key][:, _slice(d, ins)])
        share, items_kept = COLLECTED.get(d.code, (0.0, True))
        collected = frame.valid & (rng.random(scores.shape) < share)
        if not items_kept:
            done = done & ~collected
        pieces.append(_long(d, list(d.items), values, np.broadcast_to(
            done[:, :, None], values.shape)))
        pieces.append(_long(d, [d.code], scores[:, :, None], collected[:, :, None]))
    return {k: np.concatenate([p[k] for p in pieces]) for k in pieces[0]}


def _slice(d: Design, ins: spec.Instrument) -> slice:
    codes = list(ins.items)
    return slice(codes.index(d.items[0]), codes.index(d.items[-1]) + 1)


def _long(d: Design, codes: list[str], values: np.ndarray,
          mask: np.ndarray) -> dict[str, np.ndarray]:
    subj, visit, item = np.nonzero(mask)
    return {
        "subj": subj, "resp": np.full(subj.size, spec.RESPONDENTS.index(d.respondent), np.int8),
        "visit": visit.astype(np.int8),
        "code": np.array([CODE_INDEX[c] for c in codes], dtype=np.int16)[item],
        "value": values[subj, visit, item],
    }
