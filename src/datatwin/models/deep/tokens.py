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
  so no single person's extreme value is kept or drawn);
* a token per state other than "has a value" (or one for NaN when the part has no state part).

A category seen in fewer than ``min_rows`` rows shares one *rare* token with the other rare
categories of its column, decoded by drawing among them by their counts: the network never learns
what goes with one person's unusual value, and a column of unique labels costs one token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from datatwin.transforms import Part

__all__ = ["CategoryPool", "NumberBins", "Tokenizer"]

STATE = "#state"  # suffix of the part that tells why a number is missing (see NumericCodec)


@dataclass(frozen=True)
class NumberBins:
    """The tokens of one number: spikes, then bins, then ``extra`` tokens for "no value"."""

    spikes: np.ndarray  # values decoded exactly, sorted
    grid: np.ndarray  # quantile function of the other values on an even probability grid
    bins: int  # bins of equal counts over the other values
    extra: int  # tokens after the bins: the states without a value

    @property
    def base(self) -> int:
        """The first token that stands for no value."""
        return len(self.spikes) + self.bins

    @property
    def vocab(self) -> int:
        return self.base + self.extra

    @classmethod
    def fit(
        cls, values: np.ndarray, extra: int, bins: int, min_rows: int, quantiles: int
    ) -> NumberBins:
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
        return cls(spikes, grid, count, extra)

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

    def decode(self, tokens: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = np.full(len(tokens), np.nan)
        n_spikes = len(self.spikes)
        spike = tokens < n_spikes
        out[spike] = self.spikes[tokens[spike]]
        binned = np.flatnonzero((tokens >= n_spikes) & (tokens < self.base))
        if len(binned):
            u = (tokens[binned] - n_spikes + rng.random(len(binned))) / self.bins
            cells = len(self.grid) - 1
            out[binned] = np.interp(u * cells, np.arange(cells + 1), self.grid)
        return out


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

    def decode(self, tokens: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = np.zeros(len(tokens), dtype=np.int32)
        common = tokens < len(self.common)
        out[common] = self.common[tokens[common]]
        rare = np.flatnonzero(~common)
        if len(rare) and len(self.rare):
            u = rng.random(len(rare)) * self.rare_cumulative[-1]
            pick = np.searchsorted(self.rare_cumulative, u, side="right")
            out[rare] = self.rare[np.minimum(pick, len(self.rare) - 1)]
        return out


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
    def fit(cls, parts: list[Part], bins: int, min_rows: int, quantiles: int) -> Tokenizer:
        columns = cls.plan(parts)
        by_key = {p.key: p for p in parts}
        numbers, pools = {}, {}
        for column in columns:
            if column.kind == "continuous":
                values = by_key[column.key].data
                extra = column.levels - 1 if column.state else int(np.isnan(values).any())
                numbers[column.key] = NumberBins.fit(values, extra, bins, min_rows, quantiles)
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

    def decode(self, tokens: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for i, column in enumerate(self.columns):
            if column.kind == "continuous":
                number = self.numbers[column.key]
                out[column.key] = number.decode(tokens[:, i], rng)
                if column.state:
                    state = np.maximum(tokens[:, i] - number.base + 1, 0)
                    out[column.state] = state.astype(np.int32)
            else:
                out[column.key] = self.pools[column.key].decode(tokens[:, i], rng)
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
                spec.update(bins=number.bins, extra=number.extra)
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
