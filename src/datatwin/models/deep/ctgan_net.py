"""The parts of ``ctgan`` (:mod:`datatwin.models.ctgan`) below its training loop.

:class:`ConditionPlan` holds the index tensors made once per layout (activation gathers, the
conditional vector); :class:`RealRows` draws real rows having a chosen category;
:class:`FidelityScorer` is the cheap distance that early stopping watches; :func:`build_networks`
makes the generator and the critic. Torch is passed in, never imported at module level.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np

from datatwin.models.deep.layout import DataLayout

__all__ = [
    "SAMPLE_BATCH",
    "ConditionPlan",
    "FidelityScorer",
    "RealRows",
    "build_networks",
    "generate",
]

TAU = 0.2  # Gumbel-softmax temperature
SAMPLE_BATCH = 50_000  # rows generated at once when sampling, to bound memory
VALID_BINS = 10
VALID_PAIRS = 200  # at most this many column pairs are scored
VALID_CELLS = 100_000  # pairs with more joint cells than this are left out of the score


class ConditionPlan:
    """Index tensors made once per layout: the activation gathers and the conditional vector.

    The one-hot spans are activated together, without padding: each softmax column knows its
    span (``segment``), and per-span maxima and sums are scatter/index-add operations.
    ``inverse`` puts ``[tanh alphas | one-hot columns]`` back in the layout's column order.
    """

    def __init__(self, torch: Any, layout: DataLayout) -> None:
        soft = [s for s in layout.spans if s.activation == "softmax"]
        tanh = [s.start for s in layout.spans if s.activation == "tanh"]
        columns = [c for s in soft for c in range(s.start, s.start + s.width)]
        inverse = np.zeros(layout.width, dtype=np.int64)
        inverse[tanh + columns] = np.arange(layout.width)
        kinds = dict(zip(layout.keys, layout.kinds, strict=True))
        chosen = [p for p, s in enumerate(soft) if kinds[s.key] == "discrete" and s.width >= 2]
        widths = [soft[p].width for p in chosen]
        self.spans, self.n_columns, self.width = len(soft), len(chosen), sum(widths)
        # per condition: its layout column, its conditioned column (0..n_columns-1), its span
        self.columns = np.array(
            [c for p in chosen for c in range(soft[p].start, soft[p].start + soft[p].width)],
            dtype=np.int64,
        )
        self.span_of = np.repeat(np.arange(len(chosen)), widths)
        self.segment_of = torch.from_numpy(np.repeat(np.array(chosen, np.int64), widths))
        place = np.searchsorted(np.array(columns, np.int64), self.columns)
        self.place = torch.from_numpy(place.astype(np.int64))  # its index among one-hot columns
        self.tanh = torch.tensor(tanh, dtype=torch.long)
        self.soft = torch.tensor(columns, dtype=torch.long)
        segment = np.repeat(np.arange(len(soft)), [s.width for s in soft])
        self.segment = torch.from_numpy(segment.astype(np.int64))
        self.inverse = torch.from_numpy(inverse)
        self.sample_probs = torch.zeros(0, dtype=torch.float64)

    def with_counts(self, torch: Any, counts: np.ndarray) -> ConditionPlan:
        """Set the training rows' category counts, which sampling draws conditions by."""
        self.sample_probs = torch.from_numpy(self.probabilities(counts, log=False))
        return self

    def probabilities(self, counts: np.ndarray, *, log: bool) -> np.ndarray:
        """P(condition): a conditioned column uniformly, then a category by (log-)frequency."""
        weights = np.log1p(counts) if log else counts.astype(np.float64)
        totals = np.bincount(self.span_of, weights=weights, minlength=self.n_columns)
        return weights / np.maximum(totals[self.span_of], 1e-300) / max(self.n_columns, 1)

    def conditions(self, torch: Any, probs: Any, n: int, generator: Any = None) -> tuple[Any, Any]:
        """``n`` condition indices drawn from ``probs`` and their one-hot vectors."""
        if not self.width:
            return torch.zeros(n, 0), torch.zeros(n, dtype=torch.long)
        chosen = torch.multinomial(probs, n, replacement=True, generator=generator)
        return torch.nn.functional.one_hot(chosen, self.width).float(), chosen

    def _span_max(self, torch: Any, x: Any) -> Any:
        """Per-row maximum of each span (no gradient: only used to shift before ``exp``)."""
        out = x.new_full((x.shape[0], self.spans), float("-inf"))
        index = self.segment.expand(x.shape[0], -1)
        return out.scatter_reduce_(1, index, x.detach(), "amax").index_select(1, self.segment)

    def _span_sum(self, x: Any) -> Any:
        return x.new_zeros((x.shape[0], self.spans)).index_add_(1, self.segment, x)

    def activate(
        self, torch: Any, raw: Any, *, hard: bool = False, generator: Any = None
    ) -> tuple[Any, Any]:
        """(activated matrix, one-hot logits): tanh alphas and Gumbel-softmax one-hot spans.

        ``hard`` gives exact one-hot rows: the Gumbel-max draw from each span's softmax.
        """
        logits = raw.index_select(1, self.soft)
        uniform = torch.rand(logits.shape, generator=generator).clamp_(min=1e-20)
        noisy = logits - uniform.log_().neg_().log_()
        if hard:
            block = (noisy == self._span_max(torch, noisy)).to(raw.dtype)
        else:
            z = noisy / TAU
            e = torch.exp(z - self._span_max(torch, z))
            block = e / self._span_sum(e).index_select(1, self.segment)
        alphas = torch.tanh(raw.index_select(1, self.tanh))
        return torch.cat([alphas, block], dim=1).index_select(1, self.inverse), logits

    def condition_loss(self, torch: Any, logits: Any, chosen: Any) -> Any:
        """Mean cross-entropy of the generator's logits for each row's conditioned category."""
        if not self.width:
            return logits.new_zeros(())
        shifted = logits - self._span_max(torch, logits)
        log_sum = self._span_sum(torch.exp(shifted)).log()
        span, place = self.segment_of[chosen].unsqueeze(1), self.place[chosen].unsqueeze(1)
        return (log_sum.gather(1, span) - shifted.gather(1, place)).mean()


class RealRows:
    """Training rows grouped by category of every conditioned column, to draw matching rows."""

    def __init__(
        self, torch: Any, plan: ConditionPlan, matrix: np.ndarray, counts: np.ndarray
    ) -> None:
        rows = np.arange(len(matrix))
        groups = []
        for k in range(plan.n_columns):
            columns = plan.columns[plan.span_of == k]
            code = matrix[:, columns].argmax(axis=1)
            groups.append(rows[np.argsort(code, kind="stable")])
        self.n = len(matrix)
        self.by_category = torch.from_numpy(np.concatenate([rows[:0], *groups]).astype(np.int64))
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]) if len(counts) else counts
        self.start = torch.from_numpy(np.asarray(starts, dtype=np.int64))
        self.count = torch.from_numpy(counts.astype(np.float64))

    def draw(self, torch: Any, chosen: Any, width: int) -> Any:
        """One random training row index having each chosen category (uniform without one)."""
        if not width:
            return torch.randint(self.n, (len(chosen),))
        count = self.count[chosen]
        offset = torch.minimum(torch.rand(len(chosen), dtype=torch.float64) * count, count - 1)
        return self.by_category[self.start[chosen] + offset.long()]


class FidelityScorer:
    """Validation distance (lower is better) between generated and held-out real rows.

    Each part becomes codes (a category, or the decile bin of a number among the real values);
    the score is the mean of the average total-variation distance over columns and the average
    over column pairs (their joint codes), a cheap stand-in for column shapes and pair trends.
    """

    def __init__(
        self, layout: DataLayout, real: dict[str, np.ndarray], rng: np.random.Generator
    ) -> None:
        self.edges: dict[str, np.ndarray] = {}
        for key, kind in zip(layout.keys, layout.kinds, strict=True):
            if kind == "continuous":
                inner = np.quantile(real[key], np.linspace(0, 1, VALID_BINS + 1)[1:-1])
                self.edges[key] = np.unique(inner)
        self.keys = list(layout.keys)
        self.levels = [
            len(self.edges[k]) + 1 if k in self.edges else int(v)
            for k, v in zip(layout.keys, layout.levels, strict=True)
        ]
        pairs = [
            (i, j)
            for i, j in combinations(range(len(self.keys)), 2)
            if self.levels[i] * self.levels[j] <= VALID_CELLS
        ]
        if len(pairs) > VALID_PAIRS:
            pairs = [pairs[i] for i in np.sort(rng.choice(len(pairs), VALID_PAIRS, replace=False))]
        self.pairs = pairs
        self.real = self._frequencies(real)

    def _frequencies(self, decoded: dict[str, np.ndarray]) -> list[np.ndarray]:
        codes = [
            np.searchsorted(self.edges[k], decoded[k], side="right")
            if k in self.edges
            else decoded[k].astype(np.int64)
            for k in self.keys
        ]
        out = [
            np.bincount(c, minlength=m) / max(len(c), 1)
            for c, m in zip(codes, self.levels, strict=True)
        ]
        for i, j in self.pairs:
            joint = codes[i] * self.levels[j] + codes[j]
            out.append(np.bincount(joint, minlength=self.levels[i] * self.levels[j]) / len(joint))
        return out

    def score(self, decoded: dict[str, np.ndarray]) -> float:
        tv = [
            0.5 * float(np.abs(a - b).sum())
            for a, b in zip(self._frequencies(decoded), self.real, strict=True)
        ]
        means = [float(np.mean(t)) for t in (tv[: len(self.keys)], tv[len(self.keys) :]) if t]
        return float(np.mean(means)) if means else 0.0


def build_networks(
    torch: Any, width: int, conditions: int, embedding: int, g_dim: int, d_dim: int, pac: int
) -> tuple[Any, Any]:
    """The generator (two residual blocks, then a linear layer) and the packed critic."""
    nn = torch.nn
    first, second = embedding + conditions, embedding + conditions + g_dim
    blocks = nn.ModuleList(
        [
            nn.Sequential(nn.Linear(i, g_dim), nn.BatchNorm1d(g_dim), nn.ReLU())
            for i in (first, second)
        ]
    )
    generator = nn.ModuleDict({"blocks": blocks, "out": nn.Linear(second + g_dim, width)})
    critic = nn.Sequential(
        nn.Linear(pac * (width + conditions), d_dim),
        nn.LeakyReLU(0.2),
        nn.Dropout(0.5),
        nn.Linear(d_dim, d_dim),
        nn.LeakyReLU(0.2),
        nn.Dropout(0.5),
        nn.Linear(d_dim, 1),
    )
    return generator, critic


def generate(torch: Any, generator: Any, z: Any) -> Any:
    """Raw generator output: each residual block's output is concatenated with its input."""
    for block in generator["blocks"]:
        z = torch.cat([block(z), z], dim=1)
    return generator["out"](z)
