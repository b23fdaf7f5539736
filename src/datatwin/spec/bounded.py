"""Reading a distribution from the spec, and keeping its draws within bounds.

:func:`parse_distribution` reads ``distribution:`` and its parameters (with one-sentence errors
that suggest close names); :class:`Bounded` keeps a distribution within ``[min, max]`` by drawing
on the truncated range through the inverse CDF (``F(min) + u * (F(max) - F(min))``), so nothing
piles up at a bound, or by clipping when a spec asks for ``clip: true``.
"""

from __future__ import annotations

import numpy as np

from datatwin.spec.distributions import FAMILIES, Array, Distribution, Empirical, Mixture, as_floats
from datatwin.spec.reader import Section, suggest

__all__ = ["Bounded", "family_keys", "parse_distribution"]

_SHAPE_KEYS = {"empirical": ["values", "weights"], "mixture": ["components"]}


def family_keys(name: str) -> list[str]:
    """The parameter names of a family."""
    return _SHAPE_KEYS.get(name) or list(FAMILIES[name].params)


def parse_distribution(section: Section, extra: list[str]) -> Distribution:
    """The distribution that ``section`` describes (``distribution:`` and its parameters).

    ``extra`` are the other keys the section may hold (a column's ``min``, ``round``, ...).
    """
    name = section.string("distribution")
    if name not in FAMILIES:
        raise section.fail(
            "distribution",
            f"{section.title()} uses the unknown distribution {name!r}{suggest(name, FAMILIES)}; "
            f"the distributions are {sorted(FAMILIES)}.",
        )
    section.allow([*extra, "distribution", *family_keys(name)])
    if name == "empirical":
        points = section.numbers("values")
        weights = section.weights("weights", len(points)) if "weights" in section else None
        return Empirical(points, weights or [1.0] * len(points))
    if name == "mixture":
        return _mixture(section)
    cls = FAMILIES[name]
    values: dict[str, float] = {}
    for key, limits in cls.params.items():
        options = dict(limits)
        default = options.pop("default", None)
        if key not in section and default is not None:
            values[key] = default
            continue
        if key not in section:
            raise section.where.error(
                f"{section.title()} needs the {name} parameter {key!r} "
                f"(its parameters are {family_keys(name)})."
            )
        values[key] = section.number(key, **options)
    dist = cls(**values)
    dist.check(section)
    return dist


def _mixture(section: Section) -> Mixture:
    items = section.sequence("components", min_length=1)
    weights: list[float] = []
    components: list[Distribution] = []
    for index, item in enumerate(items):
        part = Section(
            item,
            section.at("components").at(index, items),
            f"component {index + 1} of {section.what}",
        )
        weight = part.number("weight", 1.0, above=0)
        weights.append(weight)
        components.append(parse_distribution(part, ["weight"]))
    total = sum(weights)
    return Mixture([w / total for w in weights], components)


class Bounded:
    """A distribution kept within ``[low, high]``: drawn on the truncated range by inverse CDF,
    or, with ``clip``, drawn freely and clipped to the bounds."""

    def __init__(
        self, dist: Distribution, low: float | None, high: float | None, clip: bool = False
    ) -> None:
        self.dist = dist
        lo, hi = dist.support()
        self.low = lo if low is None else max(low, lo)
        self.high = hi if high is None else min(high, hi)
        self.clip = clip
        self.cut = (low is not None and low > lo) or (high is not None and high < hi)
        self.q_low = float(dist.cdf_below(np.array([self.low]))[0]) if self.cut else 0.0
        self.q_high = float(dist.cdf(np.array([self.high]))[0]) if self.cut else 1.0

    @property
    def mass(self) -> float:
        """The probability the unbounded distribution gives to the bounds."""
        return self.q_high - self.q_low if self.low <= self.high else 0.0

    def sample(self, rng: np.random.Generator, n: int) -> Array:
        if not self.cut:
            return self.dist.sample(rng, n)
        if self.clip:
            return np.clip(self.dist.sample(rng, n), self.low, self.high)
        return self.from_uniform(rng.random(n))

    def from_uniform(self, u: Array) -> Array:
        """Values for uniforms in [0, 1) through the inverse CDF on the bounded range."""
        if self.clip and self.cut:
            return np.clip(self.dist.ppf(np.clip(u, 1e-16, 1 - 1e-16)), self.low, self.high)
        q = self.q_low + as_floats(u) * (self.q_high - self.q_low)
        q = np.clip(q, 1e-16 if self.q_low <= 0 else self.q_low, min(self.q_high, 1 - 1e-16))
        return np.clip(self.dist.ppf(q), self.low, self.high)
