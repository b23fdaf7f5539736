"""The matrix a neural model sees: mode-normalised numbers and one-hot categories, and back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from datatwin.transforms import Part
from datatwin.transforms.modes import ModeNormalizer

__all__ = ["DataLayout", "Span"]


@dataclass(frozen=True)
class Span:
    """Matrix columns ``start:start+width``: ``tanh`` (one alpha) or ``softmax`` (one-hot)."""

    key: str
    activation: str
    start: int
    width: int


class DataLayout:
    """Per part: a continuous part is [alpha | one-hot mode], a discrete part is its one-hot."""

    def __init__(
        self,
        keys: list[str],
        kinds: list[str],
        levels: list[int],
        normalizers: dict[str, ModeNormalizer],
    ) -> None:
        self.keys, self.kinds, self.levels, self.normalizers = keys, kinds, levels, normalizers
        spans, start = [], 0
        for key, kind, level in zip(keys, kinds, levels, strict=True):
            if kind == "continuous":
                spans.append(Span(key, "tanh", start, 1))
                spans.append(Span(key, "softmax", start + 1, normalizers[key].modes))
                start += 1 + normalizers[key].modes
            else:
                spans.append(Span(key, "softmax", start, level))
                start += level
        self.spans = spans
        self.width = start

    @classmethod
    def fit(cls, parts: list[Part], rng: np.random.Generator) -> DataLayout:
        normalizers = {
            p.key: ModeNormalizer.fit(p.data, rng) for p in parts if p.kind == "continuous"
        }
        return cls(
            [p.key for p in parts], [p.kind for p in parts], [p.levels for p in parts], normalizers
        )

    def encode(self, parts: list[Part], rng: np.random.Generator) -> np.ndarray:
        matrix = np.zeros((len(parts[0].data) if parts else 0, self.width), dtype=np.float32)
        rows = np.arange(matrix.shape[0])
        by_key = {p.key: p for p in parts}
        for span in self.spans:
            part = by_key[span.key]
            if part.kind == "continuous":
                if span.activation == "tanh":
                    alpha, mode = self.normalizers[span.key].encode(part.data, rng)
                    matrix[:, span.start] = alpha
                    matrix[rows, span.start + 1 + mode] = 1.0
            else:
                matrix[rows, span.start + part.data] = 1.0
        return matrix

    def decode(self, matrix: np.ndarray) -> dict[str, np.ndarray]:
        """Model parts from a matrix of activated outputs (alpha in [-1, 1], softmax rows)."""
        out: dict[str, np.ndarray] = {}
        alphas: dict[str, np.ndarray] = {}
        for span in self.spans:
            block = matrix[:, span.start : span.start + span.width]
            if span.activation == "tanh":
                alphas[span.key] = block[:, 0]
                continue
            choice = block.argmax(axis=1)
            if span.key in alphas:
                out[span.key] = self.normalizers[span.key].decode(alphas[span.key], choice)
            else:
                out[span.key] = choice.astype(np.int32)
        return out

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays = {}
        for i, key in enumerate(self.keys):
            if key in self.normalizers:
                n = self.normalizers[key]
                arrays[f"modes.{i}"] = np.stack([n.weights, n.means, n.stds])
        return {"keys": self.keys, "kinds": self.kinds, "levels": self.levels}, arrays

    @classmethod
    def from_state(cls, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> DataLayout:
        normalizers = {}
        for i, (key, kind) in enumerate(zip(state["keys"], state["kinds"], strict=True)):
            if kind == "continuous":
                weights, means, stds = arrays[f"modes.{i}"]
                normalizers[key] = ModeNormalizer(weights, means, stds)
        return cls(
            list(state["keys"]),
            list(state["kinds"]),
            [int(v) for v in state["levels"]],
            normalizers,
        )
