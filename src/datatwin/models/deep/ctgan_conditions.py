"""Conditional sampling for ``ctgan``: every conditioned draw is made inside the condition.

A generated row is a deterministic function of the noise and the conditional vector, followed by
one Gumbel-max draw per one-hot span (a category, or a number's mixture mode) from the span's
softmax. Given the generator's output, the chance that the row meets a condition is therefore
known: for a category, the softmax mass of the allowed categories; for a number, the mass of the
modes that put the row's value inside the condition's intervals (the value of each mode is the
decoded alpha). Each candidate row draws its conditioned spans from the allowed entries only and
carries that chance as its importance weight; rows are then resampled by weight. When a
conditioned category belongs to a column of the conditional vector, the vector is set to an
allowed category (chosen by training frequency), which is what the generator was trained to honour,
so the weights stay close to 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from datatwin.models.conditions import PartCondition
from datatwin.models.deep.ctgan_net import ConditionPlan
from datatwin.models.deep.layout import DataLayout

__all__ = ["condition_probabilities", "condition_weights", "conditioned_rows"]


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
) -> tuple[Any, np.ndarray]:
    """(allowed one-hot entries per row, importance weights) for raw generator output.

    A row's weight is the product over conditioned spans of the softmax mass of the entries the
    condition allows there (0 when none is).
    """
    n = raw.shape[0]
    allowed = torch.ones((n, int(plan.soft.shape[0])), dtype=torch.bool)
    alphas = torch.tanh(raw.index_select(1, plan.tanh)).numpy()
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
) -> np.ndarray:
    """Activated rows with hard one-hot spans, conditioned spans drawn among allowed entries."""
    allowed, _ = condition_weights(torch, plan, layout, raw, conditions)
    masked = raw.clone()
    masked[:, plan.soft] = raw.index_select(1, plan.soft).masked_fill(~allowed, float("-inf"))
    made, _ = plan.activate(torch, masked, hard=True, generator=generator)
    return np.asarray(made.numpy())
