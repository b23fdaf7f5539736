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
duplicated: each kept output draws its spans afresh. Where the model adds Gaussian noise to
its alphas (``tvae``), a conditioned number's chance per mode is that of the noise landing the
value inside (:func:`interval_chances`), and the kept output's noise is drawn within the
condition, which takes the noise out of the weights. When a conditioned category of ``ctgan``
belongs to a column of its conditional vector, the vector is set to an allowed category (chosen by
training frequency), which is what the generator was trained to honour, so the weights stay close
to 1 (:func:`condition_probabilities`), and each output is then kept with its chance
(:func:`accepted_draw`). ``tvae`` draws its latents from a proposal moved towards where the
condition holds (:mod:`~datatwin.models.deep.latent`), which needs the chance's gradient
(:func:`condition_log_chance`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from scipy import special

from datatwin.models.base import REJECTION_FACTOR, REJECTION_FLOOR, REJECTION_PROBE
from datatwin.models.conditions import ImpossibleConditionError, PartCondition, resample
from datatwin.models.deep.ctgan_net import SAMPLE_BATCH, ConditionPlan
from datatwin.models.deep.layout import DataLayout
from datatwin.transforms.modes import ModeNormalizer

__all__ = [
    "accepted_draw",
    "check_reachable",
    "condition_log_chance",
    "condition_probabilities",
    "condition_weights",
    "conditioned_rows",
    "importance_draw",
]

MIN_BATCH = 256  # fewest candidates drawn at once


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
    batch: int = SAMPLE_BATCH,
    limit: int | None = None,
    probe: int = REJECTION_PROBE,
    chances: bool = False,
) -> Any:
    """``n`` candidates resampled by weight from batches of ``draw(size) -> (rows, weights)``.

    With ``chances`` (every weight is a probability, with no proposal ratio in it), the first
    batch also tells whether keeping each candidate with its chance would keep more than half
    of them: then that exact draw is used instead (:func:`accepted_draw`), which costs fewer
    candidates than resampling (at least ``2 n``) and repeats none.

    Each batch is an importance sample of its own (its proposal may have learnt from the batches
    before it), and the batches are pooled with each batch's weights scaled to sum to its
    effective sample size ``(sum w)**2 / sum w**2``: the pool's effective size is then the sum
    of the batches', so early batches from a poor proposal cost their draws but do not drag
    down the later ones. Batches are drawn until there are at least ``2 n`` candidates and that
    sum reaches ``n``. Gives up (ImpossibleConditionError) after ``limit`` candidates (by default
    as many as the base's draw-and-keep loop would draw), or after ``probe`` candidates that
    all weigh 0.
    """
    if limit is None:
        limit = max(REJECTION_FACTOR * n, REJECTION_FLOOR)
    rows, weights = [], []
    drawn, effective, carried, rate = 0, 0.0, 0.0, 0.0
    while drawn < 2 * n or effective < n:
        if drawn >= limit or (carried <= 0 and drawn >= probe):
            raise ImpossibleConditionError("no candidate row meets the conditions")
        goal = n if chances and not drawn else 2 * n  # chances: a first batch of n tells
        if drawn >= goal and rate > 0:  # only the effective size is short: what it needs
            size = min(batch, max(int(1.1 * (n - effective) / rate), MIN_BATCH))
        else:  # the rest of the goal (a proposal may draw fewer, in smaller batches)
            size = min(batch, max(goal - drawn, MIN_BATCH))
        made, weight = draw(size)  # may return fewer rows than asked for
        if chances and not drawn and len(weight) and float(weight.mean()) > 0.5:
            return accepted_draw(torch, draw, n, rng, (made, weight), limit=limit)
        drawn += len(weight)
        total, squares = float(weight.sum()), float((weight**2).sum())
        if total <= 0 or not np.isfinite(total) or not np.isfinite(squares):
            continue
        carried += total
        size_of = total * total / squares
        effective += size_of
        rate = size_of / len(weight)  # the latest batch's effective share, for the last one
        rows.append(made)
        weights.append(weight * (size_of / total))
    chosen = resample(np.concatenate(weights), n, rng)
    return torch.cat(rows).index_select(0, torch.from_numpy(chosen))


def accepted_draw(
    torch: Any,
    draw: Callable[[int], tuple[Any, np.ndarray]],
    n: int,
    rng: np.random.Generator,
    first: tuple[Any, np.ndarray] | None = None,
    *,
    batch: int = SAMPLE_BATCH,
    limit: int | None = None,
) -> Any:
    """``n`` candidates from batches of ``draw(size) -> (rows, chances)``, each kept with its
    chance (``first``: a batch already drawn): an exact draw of the candidates given that they
    meet the condition, whose cost is one over the mean chance."""
    if limit is None:
        limit = max(REJECTION_FACTOR * n, REJECTION_FLOOR)
    kept: list[Any] = []
    have = drawn = 0
    while have < n:
        if first is not None:
            made, chance = first
            first = None
        else:
            if drawn >= limit:
                raise ImpossibleConditionError("no candidate row meets the conditions")
            rate = (have + 1) / (drawn + 1)
            made, chance = draw(int(min(batch, max(1024, 1.1 * (n - have) / rate))))
        drawn += len(chance)
        keep = np.flatnonzero(rng.random(len(chance)) < chance)[: n - have]
        kept.append(made.index_select(0, torch.from_numpy(keep)))
        have += len(keep)
    return torch.cat(kept)


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
    noise: np.ndarray | None = None,
) -> tuple[Any, np.ndarray]:
    """(chance per one-hot entry and row that the condition holds, importance weights) for raw
    network output.

    A row's weight is the product over conditioned spans of the softmax mass of the entries the
    condition allows there, each entry counted by its chance (0 when none is allowed).
    ``alphas`` (rows x alpha columns, in layout order) replaces ``tanh`` of the raw alphas where
    the model adds noise to them. With ``noise`` (the noise's standard deviation per alpha
    column), a conditioned number's chance per mode is the probability that the alpha, drawn
    around ``tanh`` of the raw alpha, lands inside (:func:`interval_chances`), rather than
    whether the alpha already drawn does: the noise is then drawn by :func:`conditioned_rows`
    within the condition, and the weights vary less.
    """
    n = raw.shape[0]
    factor = torch.ones((n, int(plan.soft.shape[0])), dtype=raw.dtype)
    centres = torch.tanh(raw.index_select(1, plan.tanh)).numpy()
    drawn = centres if alphas is None else alphas.numpy()
    tanh_place = {int(c): i for i, c in enumerate(plan.tanh.numpy())}
    place = {int(c): i for i, c in enumerate(plan.soft.numpy())}
    column_of: dict[str, int] = {}
    for span in layout.spans:
        if span.activation == "tanh":
            column_of[span.key] = tanh_place[span.start]
            continue
        condition = conditions.get(span.key)
        if condition is None:
            continue
        first = place[span.start]
        part = slice(first, first + span.width)
        if condition.allowed is not None:  # a category or missing-value state
            mask = torch.from_numpy(np.asarray(condition.allowed, dtype=bool))
            factor[:, part] *= mask.to(factor.dtype)
        elif condition.intervals is not None:  # a number: the modes that land inside
            normalizer = layout.normalizers[span.key]
            column = column_of[span.key]
            if noise is not None:
                centre = torch.from_numpy(centres[:, column])
                scale = float(noise[column])
                chance = interval_chances(torch, normalizer, condition.intervals, centre, scale)
                chance = chance.numpy()
            else:
                modes = np.arange(span.width)
                alpha = np.broadcast_to(drawn[:, column, None], (n, span.width))
                values = normalizer.decode(alpha, modes[None, :])
                chance = condition.contains(values.ravel()).reshape(n, span.width).astype(float)
            factor[:, part] *= torch.from_numpy(chance).to(factor.dtype)
    logits = raw.index_select(1, plan.soft)
    mass = torch.exp(logits - plan._span_max(torch, logits))
    share = plan._span_sum(mass * factor) / plan._span_sum(mass)
    weight = share.prod(dim=1).numpy().astype(np.float64)
    return factor, np.where(np.isfinite(weight), weight, 0.0)


def condition_log_chance(
    torch: Any,
    plan: ConditionPlan,
    layout: DataLayout,
    raw: Any,
    conditions: Mapping[str, PartCondition],
    noise: np.ndarray,
) -> Any:
    """The log of :func:`condition_weights`' weight with ``noise``, per row, in torch and
    differentiable in ``raw`` (what a proposal needs to find the directions the chance
    depends on)."""
    total = raw.new_zeros(raw.shape[0])
    tanh_place = {int(c): i for i, c in enumerate(plan.tanh.numpy())}
    alpha_of: dict[str, int] = {}
    for span in layout.spans:
        if span.activation == "tanh":
            alpha_of[span.key] = span.start
            continue
        condition = conditions.get(span.key)
        if condition is None:
            continue
        log_p = torch.log_softmax(raw[:, span.start : span.start + span.width], dim=1)
        if condition.allowed is not None:
            chance = torch.from_numpy(np.asarray(condition.allowed, dtype=np.float64))
        elif condition.intervals is not None:
            normalizer = layout.normalizers[span.key]
            start = alpha_of[span.key]
            centre = torch.tanh(raw[:, start])
            scale = float(noise[tanh_place[start]])
            chance = interval_chances(torch, normalizer, condition.intervals, centre, scale)
        else:
            continue
        share = (torch.exp(log_p) * chance.to(raw.dtype)).sum(dim=1)
        total = total + torch.log(torch.clamp(share, min=1e-30))
    return total


def _alpha_bounds(
    normalizer: ModeNormalizer, low: float, high: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per mode, the alphas whose decoded value lies in [low, high] (decode clips alphas to
    [-1, 1], so a bound beyond the clip opens that end); an empty range has low > high. A spike
    (std 0) decodes to its mean whatever the alpha: every alpha or none."""
    spike = normalizer.stds <= 0
    scale = 4 * np.where(spike, 1.0, normalizer.stds)
    with np.errstate(invalid="ignore"):
        lower = (low - normalizer.means) / scale
        upper = (high - normalizer.means) / scale
    held = (low <= normalizer.means) & (normalizer.means <= high)
    empty = np.where(spike, ~held, (upper < -1) | (lower > 1))
    lower = np.where((lower <= -1) | spike, -np.inf, lower)
    upper = np.where((upper >= 1) | spike, np.inf, upper)
    return np.where(empty, np.inf, lower), np.where(empty, -np.inf, upper)


def interval_chances(
    torch: Any, normalizer: ModeNormalizer, intervals: np.ndarray, centre: Any, scale: float
) -> Any:
    """(rows x modes, float64 tensor) probability that a number decoded from mode ``m`` and the
    alpha ``centre + N(0, scale**2)`` lies in one of ``intervals`` (sorted and disjoint);
    differentiable in the tensor ``centre`` (one per row)."""
    at = centre.double()[:, None]
    out = at.new_zeros((len(centre), normalizer.modes))
    for low, high in intervals:
        lower, upper = _alpha_bounds(normalizer, float(low), float(high))
        inside = torch.from_numpy((lower <= upper).astype(np.float64))
        above = torch.special.ndtr((torch.from_numpy(upper) - at) / scale)
        below = torch.special.ndtr((torch.from_numpy(lower) - at) / scale)
        out = out + inside * torch.clamp(above - below, min=0.0)
    return torch.clamp(out, max=1.0)


def _truncated_alphas(
    normalizer: ModeNormalizer,
    intervals: np.ndarray,
    centre: np.ndarray,
    scale: float,
    mode: np.ndarray,
    u: np.ndarray,
) -> np.ndarray:
    """Alphas ``centre + N(0, scale**2)`` drawn given that the number decoded from ``mode``
    lies in ``intervals``: an interval by its chance, then the normal truncated to it (by the
    upper tail where that is more precise). ``u``: rows x 2 uniforms."""
    lows, highs, masses = [], [], []
    for low, high in intervals:
        lower, upper = _alpha_bounds(normalizer, float(low), float(high))
        lo = (lower[mode] - centre) / scale
        hi = (upper[mode] - centre) / scale
        lows.append(lo)
        highs.append(hi)
        masses.append(np.where(lo <= hi, special.ndtr(hi) - special.ndtr(lo), 0.0))
    mass = np.maximum(np.stack(masses, axis=1), 0.0)
    total = mass.sum(axis=1, keepdims=True)
    share = np.where(total > 0, mass / np.where(total > 0, total, 1.0), 1.0 / mass.shape[1])
    pick = np.minimum((u[:, :1] > np.cumsum(share, axis=1)).sum(axis=1), mass.shape[1] - 1)
    rows = np.arange(len(centre))
    lo = np.stack(lows, axis=1)[rows, pick]
    hi = np.stack(highs, axis=1)[rows, pick]
    upper_tail = lo > 0  # both ends in the upper tail: work with survival probabilities
    a = np.where(upper_tail, special.ndtr(-hi), special.ndtr(lo))
    b = np.where(upper_tail, special.ndtr(-lo), special.ndtr(hi))
    q = np.clip(a + u[:, 1] * (b - a), 1e-300, 1 - 1e-16)
    x = np.where(upper_tail, -special.ndtri(q), special.ndtri(q))
    x = np.clip(x, lo, hi)  # rounding at the ends must not leave the condition
    return np.asarray(centre + scale * x)


def conditioned_rows(
    torch: Any,
    plan: ConditionPlan,
    layout: DataLayout,
    raw: Any,
    conditions: Mapping[str, PartCondition],
    generator: Any,
    alphas: Any = None,
    noise: np.ndarray | None = None,
) -> np.ndarray:
    """Activated rows with hard one-hot spans, conditioned spans drawn by their entries' softmax
    mass times chance (``alphas`` and ``noise`` as in :func:`condition_weights`). With
    ``noise``, a conditioned number's alpha is drawn again, within the condition, around
    ``tanh`` of its raw alpha for the mode drawn."""
    factor, _ = condition_weights(torch, plan, layout, raw, conditions, alphas, noise)
    masked = raw.clone()
    masked[:, plan.soft] = raw.index_select(1, plan.soft) + torch.log(factor)
    made, _ = plan.activate(torch, masked, hard=True, generator=generator)
    if alphas is not None:
        made[:, plan.tanh] = alphas
    if noise is None:
        return np.asarray(made.numpy())
    out = np.asarray(made.numpy())
    tanh = plan.tanh.numpy()
    centres = torch.tanh(raw.index_select(1, plan.tanh)).numpy()
    place = {int(c): i for i, c in enumerate(tanh)}
    column_of = {span.key: place[span.start] for span in layout.spans if span.activation == "tanh"}
    for span in layout.spans:
        condition = conditions.get(span.key)
        if span.activation == "tanh" or condition is None or condition.intervals is None:
            continue
        column = column_of[span.key]
        mode = out[:, span.start : span.start + span.width].argmax(axis=1)
        u = torch.rand(len(out), 2, generator=generator, dtype=torch.float64).numpy()
        out[:, tanh[column]] = _truncated_alphas(
            layout.normalizers[span.key],
            condition.intervals,
            centres[:, column],
            float(noise[column]),
            mode,
            u,
        )
    return out
