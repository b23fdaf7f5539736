"""Conditional sampling for ``ctgan`` and ``tvae``: each conditioned draw is made inside it.

In both models a generated row is a deterministic function of a random input (noise, plus the
conditional vector in ``ctgan``; a latent draw plus the alphas' noise in ``tvae``), followed by one
categorical draw per one-hot span (a category, or a number's mixture mode) from the span's
softmax. Given the network's output, the chance that the row meets a condition is therefore
known: for a category, the softmax mass of the allowed categories; for a number, the mass of the
modes that put the row's value inside the condition's intervals (the value of each mode is the
decoded alpha). Candidate outputs are drawn until those chances add up to an effective sample of
``n`` rows (:func:`importance_draw`), resampled by chance, and each kept output then draws its
conditioned spans among the allowed entries only (:func:`conditioned_rows`). Rows are never
duplicated: each kept output draws its spans afresh. When a conditioned category of ``ctgan``
belongs to a column of its conditional vector, the vector is set to an allowed category (chosen by
training frequency), which is what the generator was trained to honour, so the weights stay close
to 1 (:func:`condition_probabilities`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from datatwin.models.conditions import ImpossibleConditionError, PartCondition, resample
from datatwin.models.deep.ctgan_net import ConditionPlan
from datatwin.models.deep.layout import DataLayout

__all__ = [
    "check_reachable",
    "condition_probabilities",
    "condition_weights",
    "conditioned_rows",
    "importance_draw",
]


def check_reachable(layout: DataLayout, conditions: Mapping[str, PartCondition]) -> None:
    """Raise :class:`ImpossibleConditionError` for a numeric range that no mode can reach (a
    mode's values span its mean plus or minus four standard deviations)."""
    for key, condition in conditions.items():
        normalizer = layout.normalizers.get(key)
        if normalizer is not None and condition.intervals is not None:
            low = float((normalizer.means - 4 * normalizer.stds).min())
            high = float((normalizer.means + 4 * normalizer.stds).max())
            ends = np.clip(condition.intervals.ravel(), low, high)
            if not condition.contains(ends).any():
                raise ImpossibleConditionError(key)


def importance_draw(
    torch: Any,
    draw: Callable[[int], tuple[Any, np.ndarray]],
    n: int,
    rng: np.random.Generator,
    *,
    batch: int,
    limit: int,
    probe: int,
) -> Any:
    """``n`` candidates resampled by weight from batches of ``draw(size) -> (rows, weights)``.

    Batches are drawn until there are at least ``2 n`` candidates and the weights' effective
    sample size ``(sum w)**2 / sum w**2`` reaches ``n``. Gives up (ImpossibleConditionError) after
    ``limit`` candidates, or after ``probe`` candidates that all weigh 0.
    """
    rows, weights = [], []
    drawn, total, squares = 0, 0.0, 0.0
    while drawn < 2 * n or total * total < n * squares or total <= 0:
        if drawn >= limit or (total <= 0 and drawn >= probe):
            raise ImpossibleConditionError("no candidate row meets the conditions")
        size = min(batch, max(2 * n - drawn, n // 4, 1024))
        made, weight = draw(size)
        rows.append(made)
        weights.append(weight)
        drawn += size
        total, squares = total + float(weight.sum()), squares + float((weight**2).sum())
    chosen = resample(np.concatenate(weights), n, rng)
    return torch.cat(rows).index_select(0, torch.from_numpy(chosen))


def condition_probabilities(
    plan: ConditionPlan, layout: DataLayout, conditions: Mapping[str, PartCondition]
) -> np.ndarray | None:
    """Probabilities of the conditional vector's entries restricted to the first conditioned
    discrete column it has (by training frequency), or None if it has none of them."""
    probs = plan.sample_probs.numpy()
    for span in layout.spans:
        condition = conditions.get(span.key)
        if span.activation != "softmax" or condition is None or condition.allowed is None:
            continue
        inside = (plan.columns >= span.start) & (plan.columns < span.start + span.width)
        if not inside.any():
            continue
        allowed = np.zeros(len(probs), dtype=bool)
        allowed[inside] = condition.allowed[plan.columns[inside] - span.start]
        restricted = np.where(allowed, probs, 0.0)
        total = restricted.sum()
        if total > 0:
            return np.asarray(restricted / total)
    return None


def condition_weights(
    torch: Any,
    plan: ConditionPlan,
    layout: DataLayout,
    raw: Any,
    conditions: Mapping[str, PartCondition],
    alphas: Any = None,
) -> tuple[Any, np.ndarray]:
    """(allowed one-hot entries per row, importance weights) for raw network output.

    A row's weight is the product over conditioned spans of the softmax mass of the entries the
    condition allows there (0 when none is). ``alphas`` (rows x alpha columns, in layout order)
    replaces ``tanh`` of the raw alphas where the model adds noise to them.
    """
    n = raw.shape[0]
    allowed = torch.ones((n, int(plan.soft.shape[0])), dtype=torch.bool)
    if alphas is None:
        alphas = torch.tanh(raw.index_select(1, plan.tanh))
    alphas = alphas.numpy()
    tanh_place = {int(c): i for i, c in enumerate(plan.tanh.numpy())}
    place = {int(c): i for i, c in enumerate(plan.soft.numpy())}
    alpha_of: dict[str, np.ndarray] = {}
    for span in layout.spans:
        if span.activation == "tanh":
            alpha_of[span.key] = alphas[:, tanh_place[span.start]]
            continue
        condition = conditions.get(span.key)
        if condition is None:
            continue
        first = place[span.start]
        if condition.allowed is not None:  # a category or missing-value state
            mask = torch.from_numpy(np.asarray(condition.allowed, dtype=bool))
            allowed[:, first : first + span.width] &= mask
        elif condition.intervals is not None:  # a number: the modes that land inside
            normalizer = layout.normalizers[span.key]
            modes = np.arange(span.width)
            alpha = alpha_of[span.key][:, None]
            values = normalizer.decode(np.broadcast_to(alpha, (n, span.width)), modes[None, :])
            inside = condition.contains(values.ravel()).reshape(n, span.width)
            allowed[:, first : first + span.width] &= torch.from_numpy(inside)
    logits = raw.index_select(1, plan.soft)
    mass = torch.exp(logits - plan._span_max(torch, logits))
    share = plan._span_sum(mass * allowed) / plan._span_sum(mass)
    weight = share.prod(dim=1).numpy().astype(np.float64)
    return allowed, np.where(np.isfinite(weight), weight, 0.0)


def conditioned_rows(
    torch: Any,
    plan: ConditionPlan,
    layout: DataLayout,
    raw: Any,
    conditions: Mapping[str, PartCondition],
    generator: Any,
    alphas: Any = None,
) -> np.ndarray:
    """Activated rows with hard one-hot spans, conditioned spans drawn among allowed entries
    (``alphas`` as in :func:`condition_weights`)."""
    allowed, _ = condition_weights(torch, plan, layout, raw, conditions, alphas)
    masked = raw.clone()
    masked[:, plan.soft] = raw.index_select(1, plan.soft).masked_fill(~allowed, float("-inf"))
    made, _ = plan.activate(torch, masked, hard=True, generator=generator)
    if alphas is not None:
        made[:, plan.tanh] = alphas
    return np.asarray(made.numpy())
