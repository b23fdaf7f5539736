"""``arf``: adversarial random forests (Watson et al., AISTATS 2023), on scikit-learn.

Fitting starts from synthetic rows drawn from the product of the real marginals and repeats:

1. a random forest learns to tell the real rows from the synthetic ones;
2. if its out-of-bag accuracy is at most ``0.5 + delta`` (or after ``max_iterations`` rounds, or
   when the accuracy stops falling), stop;
3. otherwise new synthetic rows are drawn by picking a tree and a leaf in proportion to the real
   rows in it and taking each column from a random real row of that leaf: within a leaf the
   columns are treated as independent.

The last forest's leaves then define the density (FORDE): per leaf, the share of real rows in it,
and per column a distribution learned from the leaf's real rows — the shares of the categories for
discrete parts; for numbers, the shares of frequent exact values (``atom_share``, such as a zero
capital gain) and a normal truncated to the leaf's box for the rest, widened by ``smoothing`` of
the spread of the column's bulk so that no real value is copied. A leaf reached by fewer than
``min_node_size`` real rows is described by its nearest ancestor that enough real rows reach.
Sampling picks regions by weight and draws every column at once per part, vectorised in numpy.
The model file holds these per-region tables, not the forest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from datatwin.models.base import Synthesizer
from datatwin.models.conditions import ImpossibleConditionError, PartCondition
from datatwin.models.forest import (
    Regions,
    TreeShape,
    categorical_table,
    draw_categories,
    draw_regions,
    leaf_draws,
    normal_stats,
    oob_accuracy,
    restrict_table,
    tree_regions,
    truncated_normal,
    truncated_union,
)
from datatwin.models.params import Constraint, Interval, Options
from datatwin.transforms import Part

__all__ = ["ARF"]

# a conditioned part's restricted table (cumulative, codes) and allowed value intervals
Restriction = tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]

MAX_ATOMS = 16  # most frequent exact values kept per numeric column


class ARF(Synthesizer):
    """Adversarial random forest with a forest density estimate (FORDE).

    Parameters
    ----------
    seed:
        Seed of the forests and of sampling; the same seed on the same data gives the same rows.
    trees:
        Trees per forest.
    min_node_size:
        Fewest rows in a forest leaf, and fewest real rows that describe a region of the density.
    delta:
        Fitting stops once the forest tells real from synthetic rows with out-of-bag accuracy at
        most ``0.5 + delta``.
    max_iterations:
        Most rounds of redrawing the synthetic rows.
    early_stop:
        Stop as soon as the forest's accuracy no longer falls.
    atom_share:
        A numeric value held by at least this share of a column's rows (such as 0) is kept as an
        exact value with its own share per region; 1.0 turns this off.
    smoothing:
        Spread added to each region's normal, as a share of the spread of the column's bulk (its
        interquartile range over 1.349, leaving frequent exact values out).
    max_features:
        Share of the columns each split considers (``None``: the square root of their number).
    threads:
        Cores used to grow the forests; ``None`` uses every core.
    """

    name: ClassVar[str] = "arf"
    _parameter_rules: ClassVar[dict[str, list[Constraint]]] = {
        "seed": [Interval(int, 0), None],
        "trees": [Interval(int, 1, 1000)],
        "min_node_size": [Interval(int, 1)],
        "delta": [Interval(float, 0.0, 0.5)],
        "max_iterations": [Interval(int, 0)],
        "early_stop": [Options((True, False))],
        "atom_share": [Interval(float, 0.0, 1.0)],
        "smoothing": [Interval(float, 0.0)],
        "max_features": [Interval(float, 0.0, 1.0), None],
        "min_real_rows": [Interval(int, 1), None],
        "threads": [Interval(int, 1), None],
    }

    def __init__(
        self,
        *,
        seed: int | None = None,
        trees: int = 20,
        min_node_size: int = 5,
        delta: float = 0.0,
        max_iterations: int = 10,
        early_stop: bool = True,
        atom_share: float = 0.02,
        smoothing: float = 0.02,
        max_features: float | None = None,
        min_real_rows: int | None = None,
        threads: int | None = None,
    ) -> None:
        self.seed = seed
        self.trees = trees
        self.min_node_size = min_node_size
        self.delta = delta
        self.max_iterations = max_iterations
        self.early_stop = early_stop
        self.atom_share = atom_share
        self.smoothing = smoothing
        self.max_features = max_features
        self.min_real_rows = min_real_rows
        self.threads = threads

    # --- fitting ------------------------------------------------------------------------------

    def _fit(self, parts: list[Part], rng: np.random.Generator) -> None:
        self.parts_: list[tuple[str, str, int]] = [(p.key, p.kind, p.levels) for p in parts]
        self.accuracy_: list[float] = []
        n = len(parts[0].data) if parts else 0
        if n == 0:
            self._empty_state()
            return
        features = np.column_stack([_feature(p) for p in parts]).astype(np.float32)
        columns = {name: i for i, name in enumerate(dict.fromkeys(p.column for p in parts))}
        groups = np.array([columns[p.column] for p in parts])
        forest, leaves = self._adversarial(features, groups, rng)
        shapes = [TreeShape.of(tree) for tree in forest.estimators_]
        fewest = self.min_node_size if self.min_real_rows is None else self.min_real_rows
        regions = [tree_regions(s, leaves[:, t], fewest) for t, s in enumerate(shapes)]
        self._forde(parts, features, shapes, regions)

    def _forest(self, rng: np.random.Generator) -> Any:
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(
            n_estimators=self.trees,
            min_samples_leaf=self.min_node_size,
            max_features="sqrt" if self.max_features is None else self.max_features,
            n_jobs=-1 if self.threads is None else self.threads,
            random_state=int(rng.integers(2**31 - 1)),
        )

    def _adversarial(
        self, real: np.ndarray, groups: np.ndarray, rng: np.random.Generator
    ) -> tuple[Any, np.ndarray]:
        """The last forest of the adversarial loop and the leaves of the real rows in it."""
        n = len(real)
        labels = np.concatenate([np.ones(n, np.int8), np.zeros(n, np.int8)])
        draws = [rng.integers(0, n, n) for _ in range(groups.max() + 1)]  # product of marginals
        while True:
            synthetic = np.empty_like(real)
            for j, g in enumerate(groups):
                synthetic[:, j] = real[draws[g], j]
            forest = self._forest(rng).fit(np.vstack([real, synthetic]), labels)
            leaves = forest.apply(np.vstack([real, synthetic]))
            accuracy = oob_accuracy(forest, leaves, labels)
            previous = self.accuracy_[-1] if self.accuracy_ else 1.0
            self.accuracy_.append(accuracy)
            if (
                accuracy <= 0.5 + self.delta
                or len(self.accuracy_) > self.max_iterations
                or (self.early_stop and accuracy >= previous)
            ):
                return forest, leaves[:n]
            draws = leaf_draws(leaves[:n], n, len(draws), rng)

    def _forde(
        self,
        parts: list[Part],
        features: np.ndarray,
        shapes: list[TreeShape],
        regions: list[Regions],
    ) -> None:
        """Per-region distributions of every part, learned from the real rows of each region."""
        first = np.cumsum([0] + [len(r.nodes) for r in regions])
        total = int(first[-1])
        rows = np.concatenate([r.rows for r in regions])
        region = np.concatenate([r.region + first[t] for t, r in enumerate(regions)])
        self.weights_ = np.concatenate([r.weights for r in regions])
        dims = np.array([j for j, p in enumerate(parts) if p.kind == "continuous"], dtype=np.int64)
        boxes = [s.bounds(dims) for s in shapes]
        low = np.vstack([b[0][r.nodes] for b, r in zip(boxes, regions, strict=True)])
        high = np.vstack([b[1][r.nodes] for b, r in zip(boxes, regions, strict=True)])
        self.tables_: dict[str, dict[str, np.ndarray]] = {}
        for j, part in enumerate(parts):
            table: dict[str, np.ndarray] = {}
            if part.kind == "discrete":
                use = np.ones(len(part.data), dtype=bool)
                table["cumulative"], table["codes"] = categorical_table(
                    part.data, use, rows, region, total, max(part.levels, 1)
                )
            else:
                d = int(np.searchsorted(dims, j))
                table.update(self._numeric(part, rows, region, total))
                center, scale, lo, hi = _scaling(part.data)
                # the tree split on float32 standardised values; map its box back and clip it
                table["low"] = np.clip(center + scale * low[:, d], lo, hi)
                table["high"] = np.clip(center + scale * high[:, d], lo, hi)
                table["low"] = np.minimum(table["low"], table["high"])
            self.tables_[part.key] = table
        self._prepare()

    def _numeric(
        self, part: Part, rows: np.ndarray, region: np.ndarray, total: int
    ) -> dict[str, np.ndarray]:
        values = part.data
        finite = ~np.isnan(values)
        center, scale, _, _ = _scaling(values)
        table: dict[str, np.ndarray] = {}
        atom = np.zeros(len(values), dtype=np.int32)
        if finite.any():
            unique, count = np.unique(values[finite], return_counts=True)
            frequent = count >= max(self.atom_share * finite.sum(), 1)
            if self.atom_share < 1.0 and frequent.any():
                atoms = unique[frequent][np.argsort(-count[frequent], kind="stable")][:MAX_ATOMS]
                atoms = np.sort(atoms)
                at = np.minimum(np.searchsorted(atoms, values[finite]), len(atoms) - 1)
                match = atoms[at] == values[finite]
                atom[np.flatnonzero(finite)[match]] = at[match] + 1
                table["atoms"] = atoms
                table["atom_cumulative"], table["atom_codes"] = categorical_table(
                    atom, finite, rows, region, total, len(atoms) + 1
                )
        standard = np.where(finite, (values - center) / scale, 0.0)
        count, mean, variance = normal_stats(standard, finite & (atom == 0), rows, region, total)
        rest = values[finite & (atom == 0)]
        quartiles = np.percentile(rest, [25, 75]) if len(rest) else np.zeros(2)
        robust = float(quartiles[1] - quartiles[0]) / 1.349 / scale or 1.0  # spread of the bulk
        spread = np.sqrt(variance + (self.smoothing * robust) ** 2) * scale
        table["mean"] = np.where(count > 0, center + scale * mean, center)
        table["sd"] = np.where(count > 0, spread, 0.0)
        return table

    def _empty_state(self) -> None:
        self.weights_ = np.zeros(0)
        self.tables_ = {}
        self._prepare()

    # --- sampling -----------------------------------------------------------------------------

    def _sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        return self._draw_parts(draw_regions(self._cumulative, n, rng), rng, {})

    def _draw_parts(
        self, region: np.ndarray, rng: np.random.Generator, given: dict[str, Restriction]
    ) -> dict[str, np.ndarray]:
        """Every part's values for rows of the given regions (tables restricted by ``given``)."""
        n = len(region)
        out: dict[str, np.ndarray] = {}
        for key, kind, _levels in self.parts_:
            table = self.tables_.get(key)
            if table is None:  # a table with no rows
                dtype = np.float64 if kind == "continuous" else np.int32
                out[key] = np.zeros(n, dtype=dtype)
                continue
            cumulative, codes, intervals = given.get(key, (None, None, None))
            if kind == "discrete":
                if cumulative is None or codes is None:
                    cumulative, codes = table["cumulative"], table["codes"]
                out[key] = draw_categories(cumulative, codes, region, rng)
                continue
            g = region
            mean, sd, low, high = (
                table["mean"][g],
                table["sd"][g],
                table["low"][g],
                table["high"][g],
            )
            if intervals is None:
                value = truncated_normal(mean, sd, low, high, rng)
            else:
                value, _ = truncated_union(
                    mean,
                    sd,
                    np.maximum(intervals[:, 0][None, :], low[:, None]),
                    np.minimum(intervals[:, 1][None, :], high[:, None]),
                    rng,
                )
            if "atoms" in table:
                if cumulative is None or codes is None:
                    cumulative, codes = table["atom_cumulative"], table["atom_codes"]
                atom = draw_categories(cumulative, codes, region, rng)
                value = np.where(atom > 0, table["atoms"][np.maximum(atom - 1, 0)], value)
            out[key] = value
        return out

    def _sample_conditioned(
        self, n: int, rng: np.random.Generator, conditions: Mapping[str, PartCondition]
    ) -> dict[str, np.ndarray]:
        """Exact: within a region the parts are independent, so each region's weight is
        multiplied by the probability that its distributions meet every condition, and each
        conditioned part is drawn from its region's distribution restricted to the condition."""
        weights = self.weights_.copy()
        given: dict[str, Restriction] = {}
        regions = len(weights)
        for key, condition in conditions.items():
            table = self.tables_.get(key)
            if table is None:
                continue
            if condition.allowed is not None:  # a discrete part
                share = condition.allowed[table["codes"]].astype(np.float64)
                mass, cumulative, codes = restrict_table(
                    table["cumulative"], table["codes"], share, regions
                )
                given[key] = (cumulative, codes, None)
                weights *= mass
                continue
            intervals = condition.intervals
            assert intervals is not None
            _, inside = truncated_union(  # each region's normal, in the intervals
                table["mean"],
                table["sd"],
                np.maximum(intervals[:, 0][None, :], table["low"][:, None]),
                np.minimum(intervals[:, 1][None, :], table["high"][:, None]),
                rng,
            )
            if "atoms" not in table:
                given[key] = (None, None, intervals)
                weights *= inside
                continue
            codes = table["atom_codes"]
            atoms = np.concatenate([[np.nan], table["atoms"]])[codes]
            allowed = PartCondition(key, intervals=intervals).contains(atoms)
            owner = np.maximum(np.ceil(table["atom_cumulative"]).astype(np.int64) - 1, 0)
            share = np.where(codes == 0, inside[owner], allowed.astype(np.float64))
            mass, cumulative, kept = restrict_table(table["atom_cumulative"], codes, share, regions)
            given[key] = (cumulative, kept, intervals)
            weights *= mass
        if not weights.any():
            raise ImpossibleConditionError(next(iter(conditions)))
        region = draw_regions(np.cumsum(weights), n, rng)
        return self._draw_parts(region, rng, given)

    def _prepare(self) -> None:
        self._cumulative = np.cumsum(self.weights_)

    # --- files --------------------------------------------------------------------------------

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays: dict[str, np.ndarray] = {"weights": self.weights_}
        for i, (key, _kind, _levels) in enumerate(self.parts_):
            for name, array in self.tables_.get(key, {}).items():
                arrays[f"{name}.{i}"] = array
        state = {"parts": [list(p) for p in self.parts_], "accuracy": self.accuracy_}
        return state, arrays

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.parts_ = [(str(k), str(kind), int(levels)) for k, kind, levels in state["parts"]]
        self.accuracy_ = [float(a) for a in state["accuracy"]]
        self.weights_ = arrays["weights"]
        self.tables_ = {}
        for i, (key, _kind, _levels) in enumerate(self.parts_):
            suffix = f".{i}"
            table = {
                name[: -len(suffix)]: array
                for name, array in arrays.items()
                if name.endswith(suffix) and "." not in name[: -len(suffix)]
            }
            if table:
                self.tables_[key] = table
        self._prepare()


def _scaling(values: np.ndarray) -> tuple[float, float, float, float]:
    """Centre, scale, minimum and maximum of the finite values (0, 1, 0, 0 when there are none)."""
    finite = values[~np.isnan(values)]
    if not len(finite):
        return 0.0, 1.0, 0.0, 0.0
    scale = float(np.std(finite))
    return (
        float(np.mean(finite)),
        scale if scale > 0 else 1.0,
        float(finite.min()),
        float(finite.max()),
    )


def _feature(part: Part) -> np.ndarray:
    """A part as one forest feature: codes, or standardised numbers with gaps below the range."""
    if part.kind == "discrete":
        return part.data.astype(np.float64)
    center, scale, lo, _ = _scaling(part.data)
    standard = (part.data - center) / scale
    return np.where(np.isnan(standard), (lo - center) / scale - 1.0, standard)
