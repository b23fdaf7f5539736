"""The numpy side of the adversarial random forest (:mod:`datatwin.models.arf`).

A fitted scikit-learn tree is read once into plain arrays (:class:`TreeShape`); from there every
step is vectorised: the box of each node, the real rows under each node, the regions that describe
leaves with too few real rows by their nearest large enough ancestor, per-region statistics, and
draws of regions, categories and truncated normal values for many rows at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

__all__ = [
    "Regions",
    "TreeShape",
    "categorical_table",
    "draw_categories",
    "draw_regions",
    "leaf_draws",
    "normal_stats",
    "oob_accuracy",
    "restrict_table",
    "tree_regions",
    "truncated_normal",
    "truncated_union",
]


@dataclass(frozen=True)
class TreeShape:
    """One fitted tree as arrays: children (-1 at leaves), split feature and threshold, depths."""

    left: np.ndarray
    right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    parent: np.ndarray
    levels: list[np.ndarray]  # node ids, depth by depth from the root

    @classmethod
    def of(cls, estimator: Any) -> TreeShape:
        tree = estimator.tree_
        left = np.asarray(tree.children_left, dtype=np.int64)
        right = np.asarray(tree.children_right, dtype=np.int64)
        internal = np.flatnonzero(left >= 0)
        parent = np.full(len(left), -1, dtype=np.int64)
        parent[left[internal]] = internal
        parent[right[internal]] = internal
        levels, frontier = [], np.zeros(1, dtype=np.int64)
        while len(frontier):
            levels.append(frontier)
            split = frontier[left[frontier] >= 0]
            frontier = np.concatenate([left[split], right[split]])
        return cls(
            left,
            right,
            np.asarray(tree.feature, dtype=np.int64),
            np.asarray(tree.threshold, dtype=np.float64),
            parent,
            levels,
        )

    def bounds(self, dims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each node's box on the features ``dims``: (low, high), each nodes x len(dims)."""
        low = np.full((len(self.left), len(dims)), -np.inf)
        high = np.full((len(self.left), len(dims)), np.inf)
        column = np.full(max(int(self.feature.max(initial=0)), int(dims.max(initial=0))) + 1, -1)
        column[dims] = np.arange(len(dims))
        for level in self.levels:
            split = level[self.left[level] >= 0]
            if not len(split):
                continue
            lo, hi = self.left[split], self.right[split]
            low[lo], high[lo], low[hi], high[hi] = low[split], high[split], low[split], high[split]
            col = column[self.feature[split]]
            cut = col >= 0
            col, at = col[cut], self.threshold[split][cut]
            high[lo[cut], col] = np.minimum(high[lo[cut], col], at)
            low[hi[cut], col] = np.maximum(low[hi[cut], col], at)
        return low, high

    def counts(self, leaf_of_row: np.ndarray) -> np.ndarray:
        """How many of the rows, given by their leaf, pass through each node."""
        counts = np.bincount(leaf_of_row, minlength=len(self.left)).astype(np.int64)
        for level in reversed(self.levels):
            split = level[self.left[level] >= 0]
            counts[split] = counts[self.left[split]] + counts[self.right[split]]
        return counts


@dataclass(frozen=True)
class Regions:
    """The regions of one tree: node ids, real-row coverage, and (row, region) memberships."""

    nodes: np.ndarray
    weights: np.ndarray
    rows: np.ndarray
    region: np.ndarray


def tree_regions(shape: TreeShape, leaf_of_row: np.ndarray, min_rows: int) -> Regions:
    """Describe each leaf by its nearest ancestor (or itself) that ``min_rows`` real rows reach.

    A region's distribution is learned from every real row under its node; its weight is the
    number of real rows whose leaf it describes.
    """
    counts = shape.counts(leaf_of_row)
    describer = np.arange(len(shape.left), dtype=np.int64)
    for level in shape.levels:
        split = level[shape.left[level] >= 0]
        for child in (shape.left[split], shape.right[split]):
            small = counts[child] < min_rows
            describer[child[small]] = describer[split[small]]
    own = describer[leaf_of_row]
    nodes = np.unique(own)
    index = np.full(len(shape.left), -1, dtype=np.int64)
    index[nodes] = np.arange(len(nodes))
    weights = np.bincount(index[own], minlength=len(nodes)).astype(np.float64)
    rows, regions = [], []
    alive, node = np.arange(len(leaf_of_row)), leaf_of_row.astype(np.int64)
    while len(alive):  # every region above a row (its own and larger ones) learns from it
        hit = index[node] >= 0
        rows.append(alive[hit])
        regions.append(index[node[hit]])
        up = node != 0
        alive, node = alive[up], shape.parent[node[up]]
    return Regions(nodes, weights, np.concatenate(rows), np.concatenate(regions))


def normal_stats(
    values: np.ndarray, use: np.ndarray, rows: np.ndarray, region: np.ndarray, n_regions: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count, mean and variance of ``values`` (standardised) per region, over rows where ``use``."""
    keep = use[rows]
    r, v = region[keep], values[rows[keep]]
    count = np.bincount(r, minlength=n_regions).astype(np.float64)
    total = np.bincount(r, weights=v, minlength=n_regions)
    square = np.bincount(r, weights=v * v, minlength=n_regions)
    safe = np.maximum(count, 1.0)
    mean = total / safe
    variance = np.maximum(square / safe - mean * mean, 0.0)
    return count, mean, variance


def categorical_table(
    codes: np.ndarray,
    use: np.ndarray,
    rows: np.ndarray,
    region: np.ndarray,
    n_regions: int,
    levels: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Each region's categories as a flat table for :func:`draw_categories`.

    Returns ``(cumulative, codes)``: entries sorted by region, ``cumulative`` being the region's
    index plus the cumulative share of the codes up to this entry (so the region's last entry
    reaches index + 1). A region without rows where ``use`` gets code 0 with share 1.
    """
    keep = use[rows]
    key = region[keep].astype(np.int64) * levels + codes[rows[keep]]
    empty = np.setdiff1d(np.arange(n_regions, dtype=np.int64), region[keep])
    key, count = np.unique(np.concatenate([key, empty * levels]), return_counts=True)
    owner = key // levels
    total = np.bincount(owner, weights=count, minlength=n_regions)
    running = np.cumsum(count).astype(np.float64)
    before = np.concatenate([[0.0], np.cumsum(total)[:-1]])
    cumulative = owner + (running - before[owner]) / total[owner]
    last = np.append(owner[1:] != owner[:-1], True)
    cumulative[last] = owner[last] + 1.0
    return cumulative, (key % levels).astype(np.int32)


def draw_categories(
    cumulative: np.ndarray, codes: np.ndarray, region: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """One code per row from its region's categories (tables made by :func:`categorical_table`)."""
    where = np.searchsorted(cumulative, region + rng.random(len(region)), side="right")
    return codes[np.minimum(where, len(codes) - 1)]


def draw_regions(cumulative: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` region indices drawn in proportion to their weights (given cumulated)."""
    if not len(cumulative):
        return np.zeros(n, dtype=np.int64)
    where = np.searchsorted(cumulative, rng.random(n) * cumulative[-1], side="right")
    return np.minimum(where, len(cumulative) - 1)


def truncated_normal(
    mean: np.ndarray, sd: np.ndarray, low: np.ndarray, high: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """One draw per row from a normal truncated to ``[low, high]`` (inverse CDF, tails flipped)."""
    u = rng.random(len(mean))
    positive = sd > 0
    scale = np.where(positive, sd, 1.0)
    a, b = (low - mean) / scale, (high - mean) / scale
    flip = a > 0  # work in the left tail, where ndtr keeps its precision
    a, b = np.where(flip, -b, a), np.where(flip, -a, b)
    pa, pb = ndtr(a), ndtr(b)
    inside = positive & (pb - pa > 1e-12)
    p = np.clip(pa + u * (pb - pa), 1e-300, 1.0 - 1e-16)
    z = np.clip(ndtri(np.where(inside, p, 0.5)), a, b)
    z = np.where(flip, -z, z)
    value = np.where(inside, mean + scale * z, low + u * (high - low))
    value = np.where(positive, value, mean)
    return np.clip(value, low, high)


def leaf_draws(
    leaves: np.ndarray, n: int, groups: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Real rows to copy each column group from, for ``n`` rows drawn the adversarial way.

    ``leaves`` (rows x trees) are the leaves of the real rows. A row picks a tree and a leaf in
    proportion to the real rows in it, then each column group its own real row of that leaf.
    """
    rows, trees = leaves.shape
    offset = np.concatenate([[0], np.cumsum(leaves.max(axis=0) + 1)[:-1]])
    keys = (leaves + offset[None, :]).ravel()  # entry i * trees + t
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    chosen = keys[rng.integers(0, rows * trees, n)]
    start = np.searchsorted(ordered, chosen, side="left")
    size = np.searchsorted(ordered, chosen, side="right") - start
    out = []
    for _ in range(groups):
        pick = start + (rng.random(n) * size).astype(np.int64)
        out.append(order[np.minimum(pick, start + size - 1)] // trees)
    return out


def oob_accuracy(forest: Any, leaves: np.ndarray, labels: np.ndarray) -> float:
    """Out-of-bag accuracy of a fitted forest, from every row's leaf in every tree."""
    votes = np.zeros(len(labels))
    seen = np.zeros(len(labels))
    for t, (tree, drawn) in enumerate(
        zip(forest.estimators_, forest.estimators_samples_, strict=True)
    ):
        out = np.bincount(drawn, minlength=len(labels)) == 0
        value = tree.tree_.value[:, 0, :]
        share = value[:, -1] / np.maximum(value.sum(axis=1), 1e-300)
        votes[out] += share[leaves[out, t]]
        seen[out] += 1
    counted = seen > 0
    if not counted.any():
        return 0.5
    guess = votes[counted] > 0.5 * seen[counted]
    return float(np.mean(guess == (labels[counted] == 1)))


def truncated_union(
    mean: np.ndarray, sd: np.ndarray, low: np.ndarray, high: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Per row, a draw from ``N(mean, sd)`` restricted to the union of the row's intervals
    ``[low[:, k], high[:, k]]`` (disjoint), and the probability of that union.

    A row with ``sd == 0`` is its mean, with probability 1 if the mean lies in the union.
    Rows with probability 0 get an arbitrary value; callers drop them.
    """
    positive = sd > 0
    scale = np.where(positive, sd, 1.0)[:, None]
    a, b = (low - mean[:, None]) / scale, (high - mean[:, None]) / scale
    flip = a > 0  # the far tail: ndtr keeps its precision on the left
    mass = np.where(flip, ndtr(-a) - ndtr(-b), ndtr(b) - ndtr(a)).clip(min=0.0)
    point = ((low <= mean[:, None]) & (mean[:, None] <= high)).astype(np.float64)
    mass = np.where(positive[:, None], mass, point)
    total = mass.sum(axis=1)
    cumulative = np.cumsum(mass, axis=1)
    pick = (cumulative < (rng.random(len(mean)) * total)[:, None]).sum(axis=1)
    pick = np.minimum(pick, low.shape[1] - 1)
    rows = np.arange(len(mean))
    lo = np.maximum(low[rows, pick], mean - 40 * scale[:, 0])
    hi = np.minimum(high[rows, pick], mean + 40 * scale[:, 0])
    value = truncated_normal(mean, sd, np.minimum(lo, hi), hi, rng)
    return value, np.minimum(total, 1.0)


def restrict_table(
    cumulative: np.ndarray, codes: np.ndarray, share: np.ndarray, n_regions: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A :func:`categorical_table` with each entry's probability multiplied by ``share``.

    Returns each region's kept probability and the renormalised table (regions that keep
    nothing have no entries and must not be drawn).
    """
    owner = np.maximum(np.ceil(cumulative).astype(np.int64) - 1, 0)
    probability = np.diff(cumulative, prepend=0.0) * share
    mass = np.bincount(owner, weights=probability, minlength=n_regions)
    keep = probability > 0
    owner, probability, kept_codes = owner[keep], probability[keep], codes[keep]
    running = np.cumsum(probability)
    before = np.concatenate([[0.0], np.cumsum(mass)[:-1]])
    out = owner + (running - before[owner]) / mass[owner]
    last = np.append(owner[1:] != owner[:-1], True) if len(owner) else np.zeros(0, dtype=bool)
    out[last] = owner[last] + 1.0
    return mass, out, kept_codes
