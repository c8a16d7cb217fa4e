"""Sampling building blocks of the synthetic cohort: stratified quantiles, exact allocation, items.

- `ranked_quantiles`: stratified (midpoint) sampling of a marginal distribution, the values given
  to subjects in the order of a latent key (a Gaussian-copula style rank matching), so that the
  empirical distribution follows the design closely (extremes included) while subjects' values
  still correlate through shared latent traits.
- `allocate`: exact counts of categories from probabilities (largest remainder), shuffled.
- `items_for_sums`: item responses of an ordinal-threshold model whose latent position is chosen
  so that the items add up exactly to a designed raw sum.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import special

Quantile = Callable[[np.ndarray], np.ndarray]


def ranked_quantiles(key: np.ndarray, quantile: Quantile) -> np.ndarray:
    """Values quantile((rank + 0.5) / m) given to the m subjects in ascending order of `key`."""
    m = key.size
    ranks = np.empty(m, dtype=np.int64)
    ranks[np.argsort(key, kind="stable")] = np.arange(m)
    return quantile((ranks + 0.5) / max(m, 1))


def two_piece_normal(median: float, sd_low: float, sd_high: float) -> Quantile:
    """Quantile function with the given median and a different normal scale on each side."""

    def q(u: np.ndarray) -> np.ndarray:
        z = special.ndtri(u)
        return median + z * np.where(z < 0, sd_low, sd_high)

    return q


def normal(mean: float, sd: float) -> Quantile:
    return two_piece_normal(mean, sd, sd)


def gamma_mean_sd(mean: float, sd: float) -> Quantile:
    from scipy import stats

    shape = (mean / sd) ** 2
    return lambda u: stats.gamma.ppf(u, shape, scale=sd**2 / mean)


def lognormal(median: float, sigma: float) -> Quantile:
    return lambda u: median * np.exp(sigma * special.ndtri(u))


def count(rate: float, total: float) -> int:
    """The count of a design rate in `total` subjects, rounded half up."""
    return int(np.floor(rate * total + 0.5))


def allocate(rng: np.random.Generator, n: int, probs: dict[str, float]) -> np.ndarray:
    """Exactly round-as-possible counts n * p per category (largest remainder), shuffled."""
    labels = list(probs)
    p = np.array([probs[k] for k in labels], dtype=float)
    raw = n * p / p.sum()
    counts = np.floor(raw).astype(int)
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return rng.permutation(np.repeat(np.array(labels, dtype=object), counts))


def choose_exactly(rng: np.random.Generator, eligible: np.ndarray, k: int,
                   weight: np.ndarray | None = None) -> np.ndarray:
    """Boolean mask with exactly min(k, eligible) True among `eligible`, drawn with weights."""
    idx = np.flatnonzero(eligible)
    k = min(k, idx.size)
    p = None
    if weight is not None:
        w = weight[idx].astype(float)
        p = w / w.sum()
    mask = np.zeros(eligible.size, dtype=bool)
    mask[rng.choice(idx, size=k, replace=False, p=p)] = True
    return mask


def items_for_sums(sums: np.ndarray, offsets: np.ndarray, low: np.ndarray,
                   high: np.ndarray) -> np.ndarray:
    """Ordinal-threshold items (rows x items) that add up exactly to `sums`.

    Item j takes value low_j + #{k : t_jk <= p} with thresholds t_jk = (k - 0.5 - d_j) / R_j,
    k = 1..R_j (R_j = high_j - low_j) and d_j the row's item offset (item difficulty + the
    patient's item profile + visit jitter). The latent position p of each row is placed between
    the (S)-th and (S+1)-th smallest threshold, S = sum - sum(low), so the sum is met exactly
    while the item pattern follows the offsets. `sums` must be within [sum(low), sum(high)].
    """
    ranges = (high - low).astype(int)
    r_max = int(ranges.max())
    k = np.arange(1, r_max + 1)
    thresholds = (k[None, None, :] - 0.5 - offsets[:, :, None]) / ranges[None, :, None]
    thresholds = np.where(k[None, None, :] <= ranges[None, :, None], thresholds, np.inf)
    flat = np.sort(thresholds.reshape(len(sums), -1), axis=1)
    s = (np.rint(sums) - low.sum()).astype(int)
    lower = np.take_along_axis(flat, np.clip(s - 1, 0, None)[:, None], axis=1)[:, 0]
    upper = np.take_along_axis(flat, np.clip(s, None, ranges.sum() - 1)[:, None], axis=1)[:, 0]
    p = np.where(s <= 0, upper - 1.0, np.where(s >= ranges.sum(), lower + 1.0,
                                               (lower + upper) / 2))
    return low[None, :] + (thresholds <= p[:, None, None]).sum(axis=2)
