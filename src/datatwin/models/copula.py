"""``copula``: a Gaussian copula with empirical marginals, the fast baseline.

Every column part becomes one latent normal dimension:

* continuous values by their rank (ties broken at random), kept as an empirical quantile function;
* categories, booleans and missing/infinite states as intervals of the normal line, one per level,
  as wide as the level is common. Unordered categories are laid out along the direction in which
  they differ most in the rest of the table (the first principal axis of their conditional means,
  shrunk towards the overall mean so that rare categories cannot steer it), so that one correlation
  captures as much of their dependence as it can.

The correlation between latent dimensions is solved from the observed correlation of the scores by
Mehler's formula, which undoes the attenuation that ties and categories cause; missing values are
left out pair by pair. Sampling is a matrix product and a table look-up per column.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
from scipy import sparse
from scipy.special import ndtri

from datatwin.models.base import Synthesizer
from datatwin.models.conditions import ImpossibleConditionError, PartCondition, resample
from datatwin.models.correlation import (
    HERMITE_ORDER,
    latent_correlation,
    nearest_correlation,
    pairwise_correlation,
)
from datatwin.models.forest import truncated_union
from datatwin.models.params import Constraint, Interval, Options
from datatwin.transforms import Part
from datatwin.transforms.marginals import (
    bin_edges,
    discrete_scores,
    hermite_coefficients,
    inverse_lookup,
    quantile_grid,
    quantile_lookup,
    ranked_scores,
)

__all__ = ["GaussianCopula"]

ORDER_ROWS = 50_000  # rows used to lay out unordered categories
ORDER_LEVELS = 30  # levels of another column used as features for that
SHRINK = 10.0  # pseudo-count pulling rare categories' conditional means to the overall mean
BLOCK = 65_536  # rows sampled at a time
COMPARE_LEVELS = 24  # below this many levels, counting cuts beats a binary search


class GaussianCopula(Synthesizer):
    """A Gaussian copula with empirical marginals and dependence-ordered categories.

    Parameters
    ----------
    seed:
        Seed of fitting and sampling; the same seed on the same data gives the same rows.
    quantiles:
        Points of each numeric column's quantile function that the model keeps (more follow the
        real distribution more closely).
    category_order:
        ``"dependence"`` lays unordered categories out along their main axis of dependence on the
        other columns; ``"frequency"`` orders them by count, as most copula libraries do.
    """

    name: ClassVar[str] = "copula"
    _parameter_rules: ClassVar[dict[str, list[Constraint]]] = {
        "seed": [Interval(int, 0), None],
        "quantiles": [Interval(int, 10, 100_000)],
        "category_order": [Options(("dependence", "frequency"))],
    }

    def __init__(
        self, *, seed: int | None = None, quantiles: int = 4096, category_order: str = "dependence"
    ) -> None:
        self.seed = seed
        self.quantiles = quantiles
        self.category_order = category_order

    # --- fitting ------------------------------------------------------------------------------

    def _fit(self, parts: list[Part], rng: np.random.Generator) -> None:
        discrete = [p for p in parts if p.kind == "discrete"]
        counts = {
            p.key: np.bincount(p.data, minlength=p.levels).astype(np.float64) for p in discrete
        }
        orders = self._orders(parts, counts, rng)
        dims, scores, coefficients = [], [], []
        self.grids_: dict[str, tuple[float, np.ndarray]] = {}
        self.levels_: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.constants_: dict[str, Any] = {}
        for part in parts:
            if part.kind == "continuous":
                finite = part.data[~np.isnan(part.data)]
                if len(finite) == 0:
                    self.constants_[part.key] = np.nan
                    continue
                edge = float(-ndtri(0.5 / len(finite))) if len(finite) > 1 else 0.0
                self.grids_[part.key] = (edge, quantile_grid(finite, self.quantiles))
                scores.append(ranked_scores(part.data, rng))
                _uniques, tallies = np.unique(finite, return_counts=True)
                edges = bin_edges(tallies.astype(np.float64))
            else:
                order = orders[part.key]
                probabilities = counts[part.key][order] / counts[part.key].sum()
                if np.count_nonzero(probabilities) <= 1:
                    self.constants_[part.key] = int(order[np.argmax(probabilities)])
                    continue
                self.levels_[part.key] = (order, probabilities)
                position = np.argsort(order)
                scores.append(discrete_scores(part.data, position, probabilities, rng))
                edges = bin_edges(probabilities)
            dims.append(part.key)
            coefficients.append(hermite_coefficients(edges, HERMITE_ORDER))
        self.dims_ = dims
        if dims:
            observed = pairwise_correlation(np.column_stack(scores))
            latent = latent_correlation(observed, np.vstack(coefficients))
            self.correlation_ = nearest_correlation(latent)
        else:
            self.correlation_ = np.eye(0)
        self._prepare()

    def _orders(
        self, parts: list[Part], counts: dict[str, np.ndarray], rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        """The layout of each discrete part's levels on the latent line."""
        orders = {}
        for part in parts:
            if part.kind != "discrete":
                continue
            tally = counts[part.key]
            if part.ordered or part.levels <= 2:
                orders[part.key] = np.arange(part.levels)
            else:  # by frequency, most common first; ties by code
                orders[part.key] = np.lexsort((np.arange(part.levels), -tally))
        if self.category_order == "dependence":
            unordered = [
                p for p in parts if p.kind == "discrete" and not p.ordered and p.levels > 2
            ]
            if unordered and len(parts) > 1:
                orders.update(_dependence_orders(parts, unordered, counts, rng))
        return orders

    # --- sampling -----------------------------------------------------------------------------

    def _sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        out = self._outputs(n)
        for start in range(0, n, BLOCK):  # blocks that stay in cache
            stop = min(n, start + BLOCK)
            latent = self._cholesky @ rng.standard_normal((len(self.dims_), stop - start))
            self._read_latent(latent, self.dims_, out, start, stop)
        return out

    def _outputs(self, n: int) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for key in self.dims_:
            out[key] = np.empty(n, dtype=np.float64 if key in self.grids_ else np.int32)
        for key, value in self.constants_.items():
            dtype = np.float64 if isinstance(value, float) else np.int32
            out[key] = np.full(n, value, dtype=dtype)
        return out

    def _read_latent(
        self,
        latent: np.ndarray,
        keys: list[str],
        out: dict[str, np.ndarray],
        start: int,
        stop: int,
    ) -> None:
        """Each latent dimension's values as part values, into rows ``start:stop`` of ``out``."""
        for z, key in zip(latent, keys, strict=True):
            if key in self.grids_:
                edge, quantiles = self.grids_[key]
                out[key][start:stop] = quantile_lookup(z, quantiles, edge)
            else:
                order, cuts = self._cuts[key]
                out[key][start:stop] = order[_level(z, cuts)]

    def _sample_conditioned(
        self, n: int, rng: np.random.Generator, conditions: Mapping[str, PartCondition]
    ) -> dict[str, np.ndarray]:
        """Exact for one conditioned dimension; several are drawn one after the other, each
        from its normal given the ones before, truncated to its intervals, and the candidate
        rows are resampled by how likely the truncations were (twice the rows are drawn)."""
        fixed: list[str] = []
        intervals: list[np.ndarray] = []
        for key, condition in conditions.items():
            if key in self.constants_:
                value = np.array([self.constants_[key]])
                if not np.isnan(value).all() and not condition.contains(value).all():
                    raise ImpossibleConditionError(key)
            elif key in self.dims_:
                fixed.append(key)
                intervals.append(self._latent_intervals(key, condition))
                if not len(intervals[-1]):
                    raise ImpossibleConditionError(key)
        if not fixed:
            return self._sample(n, rng)
        rest = [key for key in self.dims_ if key not in fixed]
        where = [self.dims_.index(key) for key in fixed + rest]
        cholesky = np.linalg.cholesky(self.correlation_[np.ix_(where, where)])
        m = n if len(fixed) == 1 else 2 * n
        noise = np.empty((len(where), m))
        weight = np.ones(m)
        for j, bounds in enumerate(intervals):
            mean = cholesky[j, :j] @ noise[:j]
            sd = max(float(cholesky[j, j]), 1e-12)
            shape = (m, len(bounds))
            low = np.broadcast_to(bounds[:, 0], shape)
            high = np.broadcast_to(bounds[:, 1], shape)
            z, mass = truncated_union(mean, np.full(m, sd), low, high, rng)
            noise[j] = (z - mean) / sd
            weight *= mass
        noise[len(fixed) :] = rng.standard_normal((len(rest), m))
        if not weight.any():
            raise ImpossibleConditionError(fixed[0])
        latent = cholesky @ noise
        if m != n:
            latent = latent[:, resample(weight, n, rng)]
        out = self._outputs(n)
        self._read_latent(latent, fixed + rest, out, 0, n)
        return out

    def _latent_intervals(self, key: str, condition: PartCondition) -> np.ndarray:
        """The intervals of the latent normal line whose rows meet the part condition."""
        if key in self.grids_:
            edge, quantiles = self.grids_[key]
            assert condition.intervals is not None
            grid = np.linspace(-edge, edge, len(quantiles))
            pieces = []
            for low, high in condition.intervals:
                if low > quantiles[-1] or high < quantiles[0]:
                    continue
                pieces.append(
                    (
                        inverse_lookup(quantiles, grid, low, "left"),
                        inverse_lookup(quantiles, grid, high, "right"),
                    )
                )
            return np.array(pieces, dtype=float).reshape(-1, 2)
        order, probabilities = self.levels_[key]
        assert condition.allowed is not None
        edges = bin_edges(probabilities)
        keep = condition.allowed[order] & (probabilities > 0)
        pieces = []
        for position in np.flatnonzero(keep):
            if pieces and pieces[-1][1] == edges[position]:
                pieces[-1] = (pieces[-1][0], edges[position + 1])
            else:
                pieces.append((edges[position], edges[position + 1]))
        return np.array(pieces, dtype=float).reshape(-1, 2)

    def _prepare(self) -> None:
        """Derived state for fast sampling."""
        self._cholesky = np.linalg.cholesky(self.correlation_) if self.dims_ else np.eye(0)
        self._cuts = {
            key: (order.astype(np.int32), bin_edges(probabilities)[1:-1])
            for key, (order, probabilities) in self.levels_.items()
        }

    # --- files --------------------------------------------------------------------------------

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays: dict[str, np.ndarray] = {"correlation": self.correlation_}
        for i, key in enumerate(self.dims_):
            if key in self.grids_:
                edge, arrays[f"quantiles.{i}"] = self.grids_[key]
                arrays[f"edge.{i}"] = np.array([edge])
            else:
                order, probabilities = self.levels_[key]
                arrays[f"order.{i}"], arrays[f"probabilities.{i}"] = order, probabilities
        constants = {k: (None if isinstance(v, float) else v) for k, v in self.constants_.items()}
        return {"dims": self.dims_, "constants": constants}, arrays

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.dims_ = list(state["dims"])
        self.constants_ = {
            k: (np.nan if v is None else int(v)) for k, v in state["constants"].items()
        }
        self.grids_, self.levels_ = {}, {}
        for i, key in enumerate(self.dims_):
            if f"edge.{i}" in arrays:
                self.grids_[key] = (float(arrays[f"edge.{i}"][0]), arrays[f"quantiles.{i}"])
            else:
                self.levels_[key] = (
                    arrays[f"order.{i}"].astype(np.int64),
                    arrays[f"probabilities.{i}"],
                )
        self.correlation_ = arrays["correlation"]
        self._prepare()


def _features(
    parts: list[Part], counts: dict[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Each part's rows as a small block of centred, unit-variance features."""
    blocks = {}
    for part in parts:
        data = part.data[rows]
        if part.kind == "continuous":
            z = ranked_scores(data, rng)
            block = np.where(np.isnan(z), 0.0, z)[:, None]
        else:
            top = np.argsort(-counts[part.key], kind="stable")[:ORDER_LEVELS]
            block = (data[:, None] == top[None, :]).astype(np.float64)
            block -= block.mean(axis=0)
            spread = block.std(axis=0)  # unit-variance indicators: correspondence analysis' metric
            block = block[:, spread > 0] / spread[spread > 0]
        if block.shape[1] and np.any(block.std(axis=0) > 0):
            blocks[part.key] = block / np.sqrt(block.shape[1])  # each column weighs the same
    return blocks


def _dependence_orders(
    parts: list[Part],
    unordered: list[Part],
    counts: dict[str, np.ndarray],
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    n = len(parts[0].data)
    rows = np.sort(rng.choice(n, ORDER_ROWS, replace=False)) if n > ORDER_ROWS else np.arange(n)
    blocks = _features(parts, counts, rows, rng)
    if not blocks:
        return {}
    features = np.hstack(list(blocks.values()))
    owner = np.concatenate([np.full(b.shape[1], i) for i, b in enumerate(blocks.values())])
    keys = list(blocks)
    orders = {}
    for part in unordered:
        others = owner != keys.index(part.key) if part.key in blocks else np.ones(len(owner), bool)
        if not others.any():
            continue
        codes = part.data[rows]
        indicator = sparse.csr_matrix(
            (np.ones(len(codes)), (codes, np.arange(len(codes)))), shape=(part.levels, len(codes))
        )
        sums = np.asarray(indicator @ features)[:, others]
        tally = np.bincount(codes, minlength=part.levels).astype(np.float64)
        means = sums / (tally + SHRINK)[:, None]  # shrunk towards the overall mean (zero)
        weights = np.sqrt(tally / tally.sum())[:, None]
        _, _, vt = np.linalg.svd(weights * means, full_matrices=False)
        axis = means @ vt[0]
        if axis[np.argmax(tally)] > 0:  # a fixed sign, so the layout does not flip between runs
            axis = -axis
        orders[part.key] = np.lexsort((np.arange(part.levels), axis))
    return orders


def _level(z: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """The interval of each normal score: how many cuts lie below it."""
    if len(cuts) >= COMPARE_LEVELS:
        return np.searchsorted(cuts, z)
    level = np.zeros(len(z), dtype=np.intp)
    for cut in cuts:
        level += z > cut
    return level
