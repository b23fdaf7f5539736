"""Probability distributions for numeric columns: sampling, CDF and inverse CDF, and bounds.

Each family samples with numpy's fast generators and also has a CDF and an inverse CDF (quantile
function), so that bounds can be kept by drawing on the truncated range (``F(min) + u * (F(max) -
F(min))`` through the inverse CDF, never by piling values up at a bound) and so that a Gaussian
copula can feed it correlated uniforms. Discrete families invert through a table of their CDF when
their range is small enough, else through scipy.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from scipy import special

from datatwin.spec.reader import Section

__all__ = ["FAMILIES", "Distribution", "Empirical", "Lookup", "Mixture"]

Array = npt.NDArray[np.float64]
TABLE_LIMIT = 2_000_000  # the widest integer range inverted through a table


class Lookup:
    """For uniforms ``q``, the index of the first value whose running weight ``cum`` reaches
    ``q`` (``searchsorted(cum, q, "left")``, never past the last value and never a value of
    weight 0). A few values are found by comparing with each boundary, which is several times
    faster than a binary search of unsorted queries; more by ``np.searchsorted``."""

    def __init__(self, cum: Array) -> None:
        bounds = np.asarray(cum, dtype=np.float64)[:-1].copy()
        bounds[bounds <= 0] = -1.0  # leading values of weight 0: even q == 0 steps past them
        self.bounds = bounds

    def __call__(self, q: Array) -> npt.NDArray[np.integer[Any]]:
        q = as_floats(q)
        if len(self.bounds) > 15:
            return np.searchsorted(self.bounds, q, side="left")
        index = np.zeros(len(q), dtype=np.int8)
        for bound in self.bounds:
            index += q > bound
        return index


class Distribution:
    """One distribution with fixed parameters."""

    name: ClassVar[str] = ""
    params: ClassVar[dict[str, dict[str, Any]]] = {}  # name -> Section.number limits/default
    integral: bool = False  # takes only whole-number values

    def __init__(self, **values: float) -> None:
        self.values = values

    def sample(self, rng: np.random.Generator, n: int) -> Array:
        return self.ppf(rng.random(n))

    def cdf(self, x: Array) -> Array:
        """P(X <= x)."""
        raise NotImplementedError

    def cdf_below(self, x: Array) -> Array:
        """P(X < x)."""
        if self.integral:
            return self.cdf(np.ceil(np.asarray(x, dtype=float)) - 1)
        return self.cdf(x)

    def ppf(self, q: Array) -> Array:
        """The smallest x with P(X <= x) >= q."""
        raise NotImplementedError

    def support(self) -> tuple[float, float]:
        return (-math.inf, math.inf)

    def check(self, section: Section) -> None:
        """Cross-parameter checks (each parameter alone is checked by its limits)."""


def as_floats(x: Any) -> Array:
    return np.asarray(x, dtype=np.float64)


class Uniform(Distribution):
    name = "uniform"
    params: ClassVar[dict[str, dict[str, Any]]] = {"low": {}, "high": {}}

    def check(self, section: Section) -> None:
        if self.values["high"] <= self.values["low"]:
            raise section.fail("high", f"{section.what} needs low < high.".capitalize())

    def sample(self, rng: np.random.Generator, n: int) -> Array:
        return rng.uniform(self.values["low"], self.values["high"], n)

    def cdf(self, x: Array) -> Array:
        low, high = self.values["low"], self.values["high"]
        return np.clip((as_floats(x) - low) / (high - low), 0.0, 1.0)

    def ppf(self, q: Array) -> Array:
        low, high = self.values["low"], self.values["high"]
        return low + as_floats(q) * (high - low)

    def support(self) -> tuple[float, float]:
        return (self.values["low"], self.values["high"])


class Normal(Distribution):
    name = "normal"
    params: ClassVar[dict[str, dict[str, Any]]] = {"mean": {}, "sd": {"above": 0}}

    def sample(self, rng: np.random.Generator, n: int) -> Array:
        return rng.normal(self.values["mean"], self.values["sd"], n)

    def cdf(self, x: Array) -> Array:
        return as_floats(special.ndtr((as_floats(x) - self.values["mean"]) / self.values["sd"]))

    def ppf(self, q: Array) -> Array:
        return self.values["mean"] + self.values["sd"] * as_floats(special.ndtri(q))


class LogNormal(Distribution):
    name = "lognormal"
    params: ClassVar[dict[str, dict[str, Any]]] = {"mu": {}, "sigma": {"above": 0}}

    def sample(self, rng: np.random.Generator, n: int) -> Array:
        return rng.lognormal(self.values["mu"], self.values["sigma"], n)

    def cdf(self, x: Array) -> Array:
        x = as_floats(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (np.log(np.where(x > 0, x, 1.0)) - self.values["mu"]) / self.values["sigma"]
        return np.where(x > 0, special.ndtr(z), 0.0)

    def ppf(self, q: Array) -> Array:
        return np.exp(self.values["mu"] + self.values["sigma"] * as_floats(special.ndtri(q)))

    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)


class Exponential(Distribution):
    name = "exponential"
    params: ClassVar[dict[str, dict[str, Any]]] = {"scale": {"above": 0}}

    def sample(self, rng: np.random.Generator, n: int) -> Array:
        return rng.exponential(self.values["scale"], n)

    def cdf(self, x: Array) -> Array:
        return np.where(
            as_floats(x) > 0, -np.expm1(-np.maximum(as_floats(x), 0) / self.values["scale"]), 0.0
        )

    def ppf(self, q: Array) -> Array:
        return -self.values["scale"] * np.log1p(-as_floats(q))

    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)


class Gamma(Distribution):
    name = "gamma"
    params: ClassVar[dict[str, dict[str, Any]]] = {
        "shape": {"above": 0},
        "scale": {"above": 0, "default": 1.0},
    }

    def sample(self, rng: np.random.Generator, n: int) -> Array:
        return rng.gamma(self.values["shape"], self.values["scale"], n)

    def cdf(self, x: Array) -> Array:
        return as_floats(
            special.gammainc(
                self.values["shape"], np.maximum(as_floats(x), 0) / self.values["scale"]
            )
        )

    def ppf(self, q: Array) -> Array:
        return as_floats(special.gammaincinv(self.values["shape"], q)) * self.values["scale"]

    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)


class Beta(Distribution):
    name = "beta"
    params: ClassVar[dict[str, dict[str, Any]]] = {
        "a": {"above": 0},
        "b": {"above": 0},
        "low": {"default": 0.0},
        "high": {"default": 1.0},
    }

    def check(self, section: Section) -> None:
        if self.values["high"] <= self.values["low"]:
            raise section.fail("high", f"{section.what} needs low < high.".capitalize())

    def _scale(self) -> tuple[float, float]:
        return self.values["low"], self.values["high"] - self.values["low"]

    def sample(self, rng: np.random.Generator, n: int) -> Array:
        low, width = self._scale()
        return low + width * rng.beta(self.values["a"], self.values["b"], n)

    def cdf(self, x: Array) -> Array:
        low, width = self._scale()
        z = np.clip((as_floats(x) - low) / width, 0.0, 1.0)
        return as_floats(special.betainc(self.values["a"], self.values["b"], z))

    def ppf(self, q: Array) -> Array:
        low, width = self._scale()
        return low + width * as_floats(special.betaincinv(self.values["a"], self.values["b"], q))

    def support(self) -> tuple[float, float]:
        return (self.values["low"], self.values["high"])


class _Integer(Distribution):
    """A distribution on whole numbers, inverted through a table of its CDF when its range is
    small enough, else by scipy.stats (imported only then: it is slow to import)."""

    integral = True
    _table: tuple[int, Lookup] | None = None

    def frozen(self) -> Any:
        raise NotImplementedError

    def cdf_whole(self, k: Array) -> Array:
        """P(X <= k) for whole numbers k within the support."""
        raise NotImplementedError

    def top(self) -> float:
        """A whole number above which the mass is negligible (< 1e-15)."""
        return self.support()[1]

    def sample(self, rng: np.random.Generator, n: int) -> Array:
        """Through the CDF table when there is one (faster than numpy's samplers)."""
        low, top = self.support()[0], self.top()
        if self._table is not None or (math.isfinite(top) and top - low <= 4096):
            return self.ppf(rng.random(n))
        return self.draw(rng, n)

    def draw(self, rng: np.random.Generator, n: int) -> Array:
        raise NotImplementedError

    def cdf(self, x: Array) -> Array:
        k = np.floor(as_floats(x))
        low, high = self.support()
        inside = np.clip(k, low, min(high, 1e15))
        return np.where(k < low, 0.0, np.where(k >= high, 1.0, self.cdf_whole(inside)))

    def ppf(self, q: Array) -> Array:
        q = as_floats(q)
        if self._table is None:
            low, top = self.support()[0], self.top()
            if not math.isfinite(top) or top - low > TABLE_LIMIT:
                return as_floats(self.frozen().ppf(q))
            ks = np.arange(low, top + 1, dtype=np.float64)
            cum = np.maximum.accumulate(self.cdf(ks))
            cum[-1] = max(cum[-1], 1.0)
            self._table = (int(low), Lookup(cum))
        start, lookup = self._table
        return lookup(q).astype(np.float64) + start


class Poisson(_Integer):
    name = "poisson"
    params: ClassVar[dict[str, dict[str, Any]]] = {"lam": {"low": 0}}

    def frozen(self) -> Any:
        from scipy import stats

        return stats.poisson(self.values["lam"])

    def cdf_whole(self, k: Array) -> Array:
        return as_floats(special.pdtr(k, self.values["lam"]))

    def top(self) -> float:
        lam = self.values["lam"]
        return math.ceil(lam + 9 * math.sqrt(lam) + 40)

    def draw(self, rng: np.random.Generator, n: int) -> Array:
        return rng.poisson(self.values["lam"], n).astype(np.float64)

    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)


class Binomial(_Integer):
    name = "binomial"
    params: ClassVar[dict[str, dict[str, Any]]] = {
        "n": {"low": 0, "integer": True},
        "p": {"low": 0, "high": 1},
    }

    def frozen(self) -> Any:
        from scipy import stats

        return stats.binom(int(self.values["n"]), self.values["p"])

    def cdf_whole(self, k: Array) -> Array:
        return as_floats(special.bdtr(k, int(self.values["n"]), self.values["p"]))

    def draw(self, rng: np.random.Generator, n: int) -> Array:
        return rng.binomial(int(self.values["n"]), self.values["p"], n).astype(np.float64)

    def support(self) -> tuple[float, float]:
        return (0.0, float(self.values["n"]))


class Zipf(_Integer):
    name = "zipf"
    params: ClassVar[dict[str, dict[str, Any]]] = {"a": {"above": 1}}

    def frozen(self) -> Any:
        from scipy import stats

        return stats.zipf(self.values["a"])

    def cdf_whole(self, k: Array) -> Array:
        a = self.values["a"]
        return 1.0 - as_floats(special.zeta(a, k + 1.0)) / float(special.zeta(a, 1.0))

    def top(self) -> float:
        a = self.values["a"]
        tail = 1e-15 * (a - 1) * float(special.zeta(a, 1.0))
        return math.ceil(tail ** (1.0 / (1.0 - a))) if a > 1.05 else math.inf

    def draw(self, rng: np.random.Generator, n: int) -> Array:
        return rng.zipf(self.values["a"], n).astype(np.float64)

    def support(self) -> tuple[float, float]:
        return (1.0, math.inf)


class Empirical(Distribution):
    """Draws from a list of numbers, each with its weight (equal weights by default)."""

    name = "empirical"

    def __init__(self, values: list[float], weights: list[float]) -> None:
        super().__init__()
        order = np.argsort(values, kind="stable")
        points = np.asarray(values, dtype=np.float64)[order]
        mass = np.asarray(weights, dtype=np.float64)[order]
        self.points, first = np.unique(points, return_index=True)
        self.cum = np.cumsum(np.add.reduceat(mass, first))
        self.cum /= self.cum[-1]
        self.lookup = Lookup(self.cum)
        self.integral = bool(np.all(self.points == np.round(self.points)))

    def cdf(self, x: Array) -> Array:
        index = np.searchsorted(self.points, as_floats(x), side="right") - 1
        return np.where(index >= 0, self.cum[np.maximum(index, 0)], 0.0)

    def cdf_below(self, x: Array) -> Array:
        index = np.searchsorted(self.points, as_floats(x), side="left") - 1
        return np.where(index >= 0, self.cum[np.maximum(index, 0)], 0.0)

    def ppf(self, q: Array) -> Array:
        return self.points[self.lookup(q)]

    def support(self) -> tuple[float, float]:
        return (float(self.points[0]), float(self.points[-1]))


class Mixture(Distribution):
    """A weighted mixture of other distributions."""

    name = "mixture"

    def __init__(self, weights: list[float], components: list[Distribution]) -> None:
        super().__init__()
        self.weights = np.asarray(weights, dtype=np.float64)
        self.components = components
        self.integral = all(c.integral for c in components)
        self._grid: tuple[Array, Array] | None = None

    def sample(self, rng: np.random.Generator, n: int) -> Array:
        which = np.searchsorted(np.cumsum(self.weights)[:-1], rng.random(n), side="right")
        out = np.empty(n, dtype=np.float64)
        streams = rng.spawn(len(self.components))  # one per component: no row waits on later ones
        for k, (component, stream) in enumerate(zip(self.components, streams, strict=True)):
            rows = np.flatnonzero(which == k)
            if len(rows):
                out[rows] = component.sample(stream, len(rows))
        return out

    def cdf(self, x: Array) -> Array:
        return sum(
            (w * c.cdf(x) for w, c in zip(self.weights, self.components, strict=True)),
            np.zeros(np.shape(x)),
        )

    def cdf_below(self, x: Array) -> Array:
        parts = (w * c.cdf_below(x) for w, c in zip(self.weights, self.components, strict=True))
        return sum(parts, np.zeros(np.shape(x)))

    def ppf(self, q: Array) -> Array:
        q = as_floats(q)
        if self._grid is None:
            probes = np.concatenate([[1e-12], np.linspace(0, 1, 1025)[1:-1], [1 - 1e-12]])
            points = np.unique(np.concatenate([c.ppf(probes) for c in self.components]))
            points = points[np.isfinite(points)]
            if self.integral:
                points = np.arange(points[0], points[-1] + 1) if len(points) else points
            cum = np.maximum.accumulate(self.cdf(points))
            self._grid = (points, cum)
        points, cum = self._grid
        if self.integral:
            index = np.minimum(np.searchsorted(cum, q, side="left"), len(points) - 1)
            return points[index]
        return np.interp(q, cum, points)

    def support(self) -> tuple[float, float]:
        spans = [c.support() for c in self.components]
        return (min(s[0] for s in spans), max(s[1] for s in spans))


FAMILIES: dict[str, type[Distribution]] = {
    cls.name: cls
    for cls in (Uniform, Normal, LogNormal, Exponential, Gamma, Beta, Poisson, Binomial, Zipf)
}
FAMILIES["empirical"] = Empirical
FAMILIES["mixture"] = Mixture
