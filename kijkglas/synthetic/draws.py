"""Vectorised random draws the synthetic generator is built from: a weighted choice within a group, a
subset of about a rate but at least min_k (so that small extracts still hold every rare case), distinct ids."""
from __future__ import annotations

import numpy as np


class Chooser:
    """Weighted choice of an item within a group, vectorised: choose(groups, u) -> item index.

    A group without items falls through to the next group's first item (a neighbouring SWV)."""

    def __init__(self, items: np.ndarray, groups: np.ndarray, weights: np.ndarray, n_groups: int):
        order = np.lexsort((items, groups))
        self.items = items[order]
        g = groups[order]
        w = weights[order].astype(np.float64)
        cum = np.cumsum(w)
        first = np.searchsorted(g, g, side="left")
        before = np.concatenate([[0.0], cum])[first]
        tot = np.bincount(g, w, minlength=n_groups)
        self.key = g + (cum - before) / tot[g]
        self.n = len(self.items)

    def choose(self, groups: np.ndarray, u: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(self.key, groups + u * 0.999999, side="right")
        return self.items[np.minimum(pos, self.n - 1)]


def pick(rng: np.random.Generator, candidates: np.ndarray, rate: float, min_k: int) -> np.ndarray:
    """A sorted random subset of candidate indices: about rate*n of them, at least min_k (if there are)."""
    n = len(candidates)
    k = min(n, max(min_k, int(round(rate * n))))
    if k == 0:
        return candidates[:0]
    return np.sort(candidates[rng.choice(n, k, replace=False)])


def unique_ids(rng: np.random.Generator, n: int, lo: int, hi: int) -> np.ndarray:
    """n distinct random integers in [lo, hi), in random order."""
    extra = max(64, n // 20)
    while True:
        x = rng.integers(lo, hi, n + extra)
        order = np.argsort(x, kind="stable")
        dup = np.zeros(len(x), dtype=bool)
        dup[order[1:][x[order[1:]] == x[order[:-1]]]] = True   # later copies of a value
        x = x[~dup]
        if len(x) >= n:
            return x[:n]
        extra *= 2
