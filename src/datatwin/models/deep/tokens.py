"""Parts as tokens for autoregressive models: categories as their codes, numbers as bins.

Each token column is a discrete part (its codes) or a continuous part, together with the part
that says why it has no value (``<key>#state``: missing, infinite) when there is one. A number
becomes one token per row:

* a *spike* token for each value at least as common as a bin would be (zeros in a column of
  amounts, common ages), decoded to exactly that value;
* a *bin* token for the other values, by rank into bins of equal counts, decoded by drawing a
  point uniformly on the probability scale inside the bin and reading it off the values' empirical
  quantile function (kept on a grid whose cells hold at least ``min_rows`` rows each, with linear
  interpolation between points; the grid stops at the ``min_rows``-th smallest and largest values,
  so no single person's extreme value is kept; beyond them a thin tail, as likely as the real
  rows beyond them, runs linearly to the column's minimum and maximum, which the schema already
  holds, so the output spans the real range without copying the values in between);
* a token per state other than "has a value" (or one for NaN when the part has no state part).

A category seen in fewer than ``min_rows`` rows shares one *rare* token with the other rare
categories of its column, decoded by drawing among them by their counts (stratified, so each comes
out about as often as its count says): the network never learns what goes with one person's
unusual value, and a column of unique labels costs one token.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from datatwin.models.conditions import PartCondition
from datatwin.transforms import Part
from datatwin.transforms.marginals import inverse_lookup

__all__ = ["CategoryPool", "NumberBins", "Tokenizer"]

STATE = "#state"  # suffix of the part that tells why a number is missing (see NumericCodec)


TAIL_POWER = 4.0  # how strongly values in a tail bunch towards its far end


def _warp(u: np.ndarray, lower: float, upper: float, power: float) -> np.ndarray:
    """Probabilities moved within the tails ``[0, lower]`` and ``[1 - upper, 1]``: a position
    ``s`` from the tail's inner end becomes ``s ** (1 / power)`` (and back with 1 / power)."""
    out = np.array(u, dtype=np.float64, copy=True)
    if lower > 0:
        low = out < lower
        s = (lower - out[low]) / lower
        out[low] = lower * (1.0 - s ** (1.0 / power))
    if upper > 0:
        high = out > 1.0 - upper
        s = (out[high] - (1.0 - upper)) / upper
        out[high] = (1.0 - upper) + upper * s ** (1.0 / power)
    return out


@dataclass(frozen=True)
class NumberBins:
    """The tokens of one number: spikes, then bins, then ``extra`` tokens for "no value"."""

    spikes: np.ndarray  # values decoded exactly, sorted
    grid: np.ndarray  # quantile function of the other values on an even probability grid
    bins: int  # bins of equal counts over the other values
    extra: int  # tokens after the bins: the states without a value
    low: float = np.nan  # the smallest binned value, the end of the lower tail (NaN: no tail)
    high: float = np.nan  # the largest, the end of the upper tail
    tail: float = 0.0  # the share of binned rows beyond either end of the grid

    @property
    def base(self) -> int:
        """The first token that stands for no value."""
        return len(self.spikes) + self.bins

    @property
    def vocab(self) -> int:
        return self.base + self.extra

    @classmethod
    def fit(
        cls,
        values: np.ndarray,
        extra: int,
        bins: int,
        min_rows: int,
        quantiles: int,
        tails: bool = True,
    ) -> NumberBins:
        """Spikes, bins and grid of ``values``; without ``tails`` the output stops at the
        ``min_rows``-th smallest and largest values."""
        finite = values[~np.isnan(values)]
        if len(finite) == 0:
            return cls(np.zeros(0), np.zeros(0), 0, max(extra, 1))
        unique, counts = np.unique(finite, return_counts=True)
        spikes = unique[counts >= max(min_rows, len(finite) / bins, 1)]  # at most `bins`
        rest = np.sort(finite[~np.isin(finite, spikes)])
        if len(rest) == 0:
            return cls(spikes, np.zeros(0), 0, extra)
        most = max(len(rest) // max(min_rows, 1), 1)
        count = min(most, max(bins - len(spikes), 1))
        cells = count * max(min(quantiles, most) // count, 1)  # bin edges are grid points
        grid = np.quantile(rest, np.linspace(0.0, 1.0, cells + 1))
        keep = min(max(min_rows, 1), (len(rest) + 1) // 2)
        grid = np.clip(grid, rest[keep - 1], rest[-keep])  # no single extreme value
        # the tails end at the column's extremes only (a spike beyond them would make an end
        # a real value that the schema does not hold)
        low = float(rest[0]) if not len(spikes) or rest[0] < spikes[0] else float(grid[0])
        high = float(rest[-1]) if not len(spikes) or rest[-1] > spikes[-1] else float(grid[-1])
        if not tails:
            return cls(spikes, grid, count, extra)
        return cls(spikes, grid, count, extra, low, high, (keep - 1) / len(rest))

    def knots(self) -> tuple[np.ndarray, np.ndarray, float, float]:
        """The quantile function: values at probabilities, the grid plus its thin tails, and the
        share of probability in the lower and upper tail (0 where there is none)."""
        cells = len(self.grid) - 1
        at = np.arange(cells + 1) / max(cells, 1)
        values = self.grid
        share = min(self.tail, 0.5 / max(cells, 1))
        lower = share if cells and share > 0 and self.low < values[0] else 0.0
        upper = share if cells and share > 0 and self.high > values[-1] else 0.0
        if lower:
            at, values = np.concatenate([[0.0, lower], at[1:]]), np.append(self.low, values)
        if upper:
            at, values = np.append(at[:-1], [1.0 - upper, 1.0]), np.append(values, self.high)
        return at, values, lower, upper

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """Values at probabilities ``u``; in a tail, drawn values bunch towards its far end
        (as a column's few extreme rows do): the position in the tail is ``s ** (1 / 4)``."""
        at, values, lower, upper = self.knots()
        return np.interp(_warp(u, lower, upper, TAIL_POWER), at, values)

    def rank(self, value: float, side: str) -> float:
        """The inverse of :meth:`quantile`: the end (``side`` as in ``inverse_lookup``) of the
        probabilities whose values reach ``value``, clipped to [0, 1]."""
        at, values, lower, upper = self.knots()
        u = float(np.clip(inverse_lookup(values, at, value, side), 0.0, 1.0))
        return float(_warp(np.array([u]), lower, upper, 1.0 / TAIL_POWER)[0])

    def encode(self, values: np.ndarray, nothing: np.ndarray, rng: np.random.Generator) -> Any:
        """Tokens of ``values``; ``nothing`` holds the no-value token (>= ``base``) of NaN rows."""
        tokens = np.asarray(nothing, dtype=np.int64).copy()
        finite = ~np.isnan(values)
        spike = np.zeros(len(values), dtype=bool)
        if len(self.spikes):
            place = np.searchsorted(self.spikes, values).clip(0, len(self.spikes) - 1)
            spike = finite & (self.spikes[place] == values)
            tokens[spike] = place[spike]
        rest = np.flatnonzero(finite & ~spike)
        if len(rest) and self.bins:
            order = np.lexsort((rng.random(len(rest)), values[rest]))
            ranks = np.empty(len(rest))
            ranks[order] = np.arange(len(rest))
            bin_of = (ranks / max(len(rest) - 1, 1) * self.bins).astype(np.int64)
            tokens[rest] = len(self.spikes) + np.minimum(bin_of, self.bins - 1)
        return tokens

    def positions(self) -> np.ndarray:
        """Where each value token (spikes, then bins) lies in value order, scaled to [0, 1]."""
        cells = len(self.grid) - 1
        middles = (
            np.interp(
                (np.arange(self.bins) + 0.5) / max(self.bins, 1) * cells,
                np.arange(cells + 1),
                self.grid,
            )
            if self.bins
            else np.zeros(0)
        )
        values = np.concatenate([self.spikes, middles])
        rank = np.argsort(np.argsort(values, kind="stable"), kind="stable")
        return rank / max(len(values) - 1, 1)

    def decode(
        self, tokens: np.ndarray, rng: np.random.Generator, intervals: np.ndarray | None = None
    ) -> np.ndarray:
        """Values of ``tokens``; with ``intervals``, a bin's value is drawn inside them only."""
        out = np.full(len(tokens), np.nan)
        n_spikes = len(self.spikes)
        spike = tokens < n_spikes
        out[spike] = self.spikes[tokens[spike]]
        binned = np.flatnonzero((tokens >= n_spikes) & (tokens < self.base))
        if len(binned):
            b = tokens[binned] - n_spikes
            if intervals is None:
                u = (b + rng.random(len(binned))) / self.bins
            else:  # a uniform point of the bin's probabilities whose values are allowed
                start, stop, _share = self.segments(intervals)
                length = np.clip(stop - start, 0.0, None)
                cumulative = np.cumsum(length, axis=1)
                r = rng.random(len(binned)) * cumulative[b, -1]
                k = (cumulative[b] < r[:, None]).sum(axis=1).clip(max=length.shape[1] - 1)
                u = start[b, k] + r - (cumulative[b, k] - length[b, k])
            out[binned] = self.quantile(u)
        return out

    def segments(self, intervals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per bin and interval, the probabilities (``start``, ``stop``) whose values lie in the
        interval, and per bin the share of its probability that does."""
        _, values, _, _ = self.knots()
        edges = np.arange(self.bins + 1) / max(self.bins, 1)
        start = np.zeros((self.bins, len(intervals)))
        stop = np.zeros((self.bins, len(intervals)))
        for k, (low, high) in enumerate(intervals):
            if len(values) < 2 or low > values[-1] or high < values[0]:
                continue
            u_low, u_high = self.rank(low, "left"), self.rank(high, "right")
            start[:, k] = np.maximum(edges[:-1], u_low)
            stop[:, k] = np.maximum(np.minimum(edges[1:], u_high), start[:, k])
        share = (stop - start).sum(axis=1) * self.bins
        return start, stop, np.clip(share, 0.0, 1.0)

    def weights(self, intervals: np.ndarray | None, states: np.ndarray | None) -> np.ndarray:
        """Per token, the share of its rows that meet the conditions: allowed value
        ``intervals`` and allowed state codes (``states[0]`` is "has a value")."""
        w = np.ones(self.vocab)
        if intervals is not None:
            inside = np.zeros(len(self.spikes), dtype=bool)
            for low, high in intervals:
                inside |= (self.spikes >= low) & (self.spikes <= high)
            w[: len(self.spikes)] = inside
            w[len(self.spikes) : self.base] = self.segments(intervals)[2] if self.bins else 0.0
            w[self.base :] = 0.0
        if states is not None:
            w[: self.base] *= bool(states[0])
            w[self.base :] *= states[1 : 1 + self.extra] if len(states) > 1 else 0.0
        return w


@dataclass(frozen=True)
class CategoryPool:
    """The tokens of a discrete part: one per common code, one shared by all rare codes."""

    common: np.ndarray  # the code of each common token, in code order
    rare: np.ndarray  # the rare codes, drawn by ``rare_cumulative`` when the rare token is drawn
    rare_cumulative: np.ndarray  # cumulative counts of the rare codes, ending at their total

    @property
    def vocab(self) -> int:
        return max(len(self.common) + int(len(self.rare) > 0), 1)

    @classmethod
    def fit(cls, codes: np.ndarray, levels: int, min_rows: int) -> CategoryPool:
        counts = np.bincount(codes, minlength=max(levels, 1))
        common = np.flatnonzero(counts >= min_rows)
        rare = np.flatnonzero((counts > 0) & (counts < min_rows))
        return cls(common, rare, np.cumsum(counts[rare]).astype(np.float64))

    def encode(self, codes: np.ndarray) -> np.ndarray:
        token_of = np.full(max(int(codes.max(initial=0)) + 1, 1), len(self.common), np.int64)
        token_of[self.common[self.common < len(token_of)]] = np.flatnonzero(
            self.common < len(token_of)
        )
        return token_of[codes]

    def decode(
        self, tokens: np.ndarray, rng: np.random.Generator, allowed: np.ndarray | None = None
    ) -> np.ndarray:
        """Codes of ``tokens``; the rare token draws among the ``allowed`` rare codes if given.

        Every row that drew the rare token draws from the same counts, so the draws are
        stratified (one uniform from each of ``k`` equal strata, in random order): each rare
        code comes out ``k`` times its share give or take one or two, where independent draws
        would repeat some codes and miss others."""
        out = np.zeros(len(tokens), dtype=np.int32)
        common = tokens < len(self.common)
        out[common] = self.common[tokens[common]]
        rare = np.flatnonzero(~common)
        if len(rare) and len(self.rare):
            cumulative = self.rare_cumulative
            if allowed is not None:
                counts = np.diff(cumulative, prepend=0.0) * allowed[self.rare]
                cumulative = np.cumsum(counts)
            u = (rng.permutation(len(rare)) + rng.random(len(rare))) / len(rare)
            u = u * cumulative[-1]
            pick = np.searchsorted(cumulative, u, side="right")
            out[rare] = self.rare[np.minimum(pick, len(self.rare) - 1)]
        return out

    def weights(self, allowed: np.ndarray) -> np.ndarray:
        """Per token, the share of its rows whose code is ``allowed``."""
        w = np.zeros(self.vocab)
        w[: len(self.common)] = allowed[self.common]
        if len(self.rare):
            counts = np.diff(self.rare_cumulative, prepend=0.0)
            w[len(self.common)] = (counts * allowed[self.rare]).sum() / counts.sum()
        return w


@dataclass(frozen=True)
class TokenColumn:
    """One column of tokens: a discrete part, or a number with its state part (``state``)."""

    key: str
    kind: str  # "discrete" or "continuous"
    levels: int  # of a discrete part, or of the state part ("" when there is none)
    state: str = ""


class Tokenizer:
    """Every part of a table as columns of tokens (int64), and back."""

    def __init__(
        self,
        columns: list[TokenColumn],
        numbers: dict[str, NumberBins],
        pools: dict[str, CategoryPool],
    ) -> None:
        self.columns = columns
        self.numbers = numbers
        self.pools = pools
        self.vocab = [
            numbers[c.key].vocab if c.kind == "continuous" else pools[c.key].vocab for c in columns
        ]

    @staticmethod
    def plan(parts: list[Part]) -> list[TokenColumn]:
        """Token columns: a number and its state part share one when no value means a state."""
        by_key = {p.key: p for p in parts}
        merged = set()
        columns = []
        for part in parts:
            if part.key in merged:
                continue
            state = by_key.get(part.key + STATE)
            if (
                part.kind == "continuous"
                and state is not None
                and state.kind == "discrete"
                and np.array_equal(np.isnan(part.data), state.data != 0)
            ):
                merged.add(state.key)
                columns.append(TokenColumn(part.key, part.kind, state.levels, state.key))
                continue
            columns.append(TokenColumn(part.key, part.kind, part.levels))
        return columns

    @classmethod
    def fit(
        cls, parts: list[Part], bins: int, min_rows: int, quantiles: int, tails: bool = True
    ) -> Tokenizer:
        columns = cls.plan(parts)
        by_key = {p.key: p for p in parts}
        numbers, pools = {}, {}
        for column in columns:
            if column.kind == "continuous":
                values = by_key[column.key].data
                extra = column.levels - 1 if column.state else int(np.isnan(values).any())
                numbers[column.key] = NumberBins.fit(
                    values, extra, bins, min_rows, quantiles, tails
                )
            else:
                codes = by_key[column.key].data.astype(np.int64)
                pools[column.key] = CategoryPool.fit(codes, column.levels, min_rows)
        return cls(columns, numbers, pools)

    def positions(self) -> list[np.ndarray | None]:
        """Per token column, the value order of its value tokens (numbers), or None."""
        return [
            self.numbers[c.key].positions() if c.kind == "continuous" else None
            for c in self.columns
        ]

    def encode(self, parts: list[Part], rng: np.random.Generator) -> np.ndarray:
        """A rows x token columns matrix."""
        by_key = {p.key: p for p in parts}
        rows = len(parts[0].data) if parts else 0
        tokens = np.zeros((rows, len(self.columns)), dtype=np.int64)
        for i, column in enumerate(self.columns):
            data = by_key[column.key].data
            if column.kind == "continuous":
                number = self.numbers[column.key]
                if column.state:
                    nothing = number.base + by_key[column.state].data.astype(np.int64) - 1
                else:
                    nothing = np.full(rows, number.base)
                tokens[:, i] = number.encode(data, nothing, rng)
            else:
                tokens[:, i] = self.pools[column.key].encode(data.astype(np.int64))
        return tokens

    def weights(self, conditions: Mapping[str, PartCondition]) -> dict[int, np.ndarray]:
        """Per conditioned token column, the share of each token's rows that meet them."""
        out = {}
        for i, column in enumerate(self.columns):
            if column.kind == "continuous":
                value, state = conditions.get(column.key), conditions.get(column.state)
                if value is None and (state is None or not column.state):
                    continue
                intervals = None if value is None else value.intervals
                states = None if state is None or not column.state else state.allowed
                out[i] = self.numbers[column.key].weights(intervals, states)
            elif column.key in conditions:
                allowed = conditions[column.key].allowed
                assert allowed is not None
                out[i] = self.pools[column.key].weights(allowed)
        return out

    def decode(
        self,
        tokens: np.ndarray,
        rng: np.random.Generator,
        conditions: Mapping[str, PartCondition] | None = None,
    ) -> dict[str, np.ndarray]:
        """The parts of ``tokens``; values drawn inside tokens keep to ``conditions``."""
        out: dict[str, np.ndarray] = {}
        given = conditions or {}
        for i, column in enumerate(self.columns):
            condition = given.get(column.key)
            if column.kind == "continuous":
                number = self.numbers[column.key]
                intervals = None if condition is None else condition.intervals
                out[column.key] = number.decode(tokens[:, i], rng, intervals)
                if column.state:
                    state = np.maximum(tokens[:, i] - number.base + 1, 0)
                    out[column.state] = state.astype(np.int32)
            else:
                allowed = None if condition is None else condition.allowed
                out[column.key] = self.pools[column.key].decode(tokens[:, i], rng, allowed)
        return out

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays: dict[str, np.ndarray] = {}
        columns = []
        for i, column in enumerate(self.columns):
            spec: dict[str, Any] = {
                "key": column.key,
                "kind": column.kind,
                "levels": column.levels,
                "state": column.state,
            }
            if column.kind == "continuous":
                number = self.numbers[column.key]
                arrays[f"spikes.{i}"] = number.spikes.astype(np.float64)
                arrays[f"grid.{i}"] = number.grid.astype(np.float64)
                spec.update(
                    bins=number.bins,
                    extra=number.extra,
                    low=None if np.isnan(number.low) else number.low,
                    high=None if np.isnan(number.high) else number.high,
                    tail=number.tail,
                )
            else:
                pool = self.pools[column.key]
                arrays[f"common.{i}"] = pool.common.astype(np.int64)
                arrays[f"rare.{i}"] = pool.rare.astype(np.int64)
                arrays[f"rare_cumulative.{i}"] = pool.rare_cumulative.astype(np.float64)
            columns.append(spec)
        return {"columns": columns}, arrays

    @classmethod
    def from_state(cls, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Tokenizer:
        columns, numbers, pools = [], {}, {}
        for i, spec in enumerate(state["columns"]):
            column = TokenColumn(
                str(spec["key"]), str(spec["kind"]), int(spec["levels"]), str(spec["state"])
            )
            columns.append(column)
            if column.kind == "continuous":
                numbers[column.key] = NumberBins(
                    np.asarray(arrays[f"spikes.{i}"], dtype=np.float64),
                    np.asarray(arrays[f"grid.{i}"], dtype=np.float64),
                    int(spec["bins"]),
                    int(spec["extra"]),
                    np.nan if spec.get("low") is None else float(spec["low"]),
                    np.nan if spec.get("high") is None else float(spec["high"]),
                    float(spec.get("tail", 0.0)),
                )
            else:
                pool = CategoryPool(
                    np.asarray(arrays[f"common.{i}"], dtype=np.int64),
                    np.asarray(arrays[f"rare.{i}"], dtype=np.int64),
                    np.asarray(arrays[f"rare_cumulative.{i}"], dtype=np.float64),
                )
                if len(pool.rare) != len(pool.rare_cumulative):
                    raise ValueError(f"rare categories of token column {i} do not match")
                pools[column.key] = pool
        return cls(columns, numbers, pools)
