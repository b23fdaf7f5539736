"""Column generators for numbers, durations, categories, booleans and derived values.

Numbers come from a distribution (:mod:`datatwin.spec.distributions`) kept within ``min``/``max``
and rounded to ``round`` decimals; categories from values and weights; booleans from a rate. Each
may depend on another column (``depends_on``) through ``cases``: one distribution, set of weights
or rate per value of that column. Every column of these kinds can also take its uniforms from a
Gaussian copula (:meth:`from_uniform`), which is how correlations are made.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from datatwin.errors import ExpressionError
from datatwin.expression import Expression
from datatwin.spec.base import COMMON_KEYS, Block, ColumnSpec, case_keys, key_text
from datatwin.spec.bounded import Bounded, parse_distribution
from datatwin.spec.distributions import Lookup
from datatwin.spec.reader import Section, is_number

__all__ = ["Boolean", "Categorical", "Derived", "Drawn", "Numeric", "common_options"]

Array = npt.NDArray[Any]
NUMERIC_KEYS = ["min", "max", "clip", "round", "integer", "depends_on", "cases"]
DURATION_UNITS = {"days": 86_400, "hours": 3_600, "minutes": 60, "seconds": 1}


def common_options(section: Section) -> dict[str, Any]:
    """``missing`` and ``hidden``, which every column may have."""
    return {
        "missing": section.number("missing", 0.0, low=0.0, high=0.999),
        "hidden": section.boolean("hidden", False),
    }


class Drawn(ColumnSpec):
    """A column drawn from its own random stream, optionally case by case of another column."""

    correlatable: ClassVar[bool] = True

    def __init__(self, name: str, section: Section, **options: Any) -> None:
        super().__init__(name, section.where, **options)
        self.depends_on: str | None = section.string("depends_on", None)
        self.case_names: dict[str, int] = {}
        self.case_where: dict[str, Any] = {}
        self.covered = False  # every value of depends_on has a case (set when the spec is checked)

    def needs(self) -> set[str]:
        return {self.depends_on} if self.depends_on else set()

    def read_cases(self, section: Section, parse: Callable[[Section, str], Any]) -> list[Any]:
        """Each case of ``cases`` parsed with ``parse(case_section, key)``, in order."""
        if "cases" not in section:
            if self.depends_on:
                raise section.where.error(
                    f"{section.title()} depends on {self.depends_on!r} but has no 'cases'; "
                    "give one entry per value of that column."
                )
            return []
        if not self.depends_on:
            raise section.fail("cases", f"{section.title()} has 'cases' but no 'depends_on'.")
        raw = section.raw("cases")
        cases = Section(raw, section.at("cases"), f"the cases of {section.what}")
        out: list[Any] = []
        for key in cases:
            text = key_text(key)
            if text is None or text in self.case_names:
                raise cases.fail(key, f"{cases.title()} name {key!r} twice or as a blank.")
            self.case_names[text] = len(out)
            self.case_where[text] = cases.at(key)
            out.append(None if cases.raw(key) is None else parse(cases, key))
        return out

    @property
    def nullable(self) -> bool:
        """Whether some rows may have no value (a case or the default is null)."""
        if any(c is None for c in self.cases):
            return True
        return getattr(self, "default", None) is None and not self.covered

    cases: list[Any]

    def cases_of(self, block: Block, default: int) -> npt.NDArray[np.intp] | None:
        if not self.depends_on:
            return None
        return case_keys(block.get(self.depends_on), self.case_names, default)

    def draw(self, block: Block, u: Array | None) -> Any:
        raise NotImplementedError

    def generate(self, block: Block) -> Any:
        return self.draw(block, None)

    def from_uniform(self, block: Block, u: Array) -> Any:
        return self.draw(block, u)


def _by_case(
    which: npt.NDArray[np.intp] | None,
    n: int,
    parts: list[Any],
    fill: Callable[[Any, npt.NDArray[np.intp] | slice, int], None],
) -> None:
    """Call ``fill(part, rows, count)`` for each case's rows (all rows when there are no cases)."""
    if which is None:
        fill(parts[-1], slice(None), n)
        return
    for k, part in enumerate(parts):
        rows = np.flatnonzero(which == k)
        if len(rows) and part is not None:
            fill(part, rows, len(rows))


class Numeric(Drawn):
    """Numbers from a distribution, bounded and rounded; durations when ``unit`` is given."""

    kind = "numeric"

    def __init__(self, name: str, section: Section, unit: str | None = None, **options: Any):
        super().__init__(name, section, **options)
        self.unit = unit
        extra = [*COMMON_KEYS, *NUMERIC_KEYS] + (["unit"] if unit else [])
        self.low = section.number("min", None)
        self.high = section.number("max", None)
        if self.low is not None and self.high is not None and self.low > self.high:
            raise section.fail("max", f"{section.title()} has min > max.")
        self.clip = section.boolean("clip", False)
        self.decimals: int | None = section.integer("round", None, low=-15)
        top = {k: v for k, v in section.data.items() if k not in extra}
        self.default: Bounded | None = None
        if "distribution" in top:
            self.default = self._bounded(Section(top, section.where, section.what), extra)
        elif not self.depends_on:
            section.raw("distribution")  # fails: it is needed
        elif top:
            section.allow([*extra, "distribution"])
        self.cases: list[Bounded | None] = self.read_cases(
            section, lambda s, k: self._case(s, k, top, section.what)
        )
        parts = [p for p in [*self.cases, self.default] if p is not None]
        integral = all(p.dist.integral for p in parts)
        whole = self.decimals is not None and self.decimals <= 0
        self.integer = section.boolean("integer", whole or (integral and not unit))
        self.whole = integral and not self.clip  # values are whole numbers already
        if self.integer and self.decimals is None:
            self.decimals = 0
        if self.decimals is not None and self.low is not None and self.high is not None:
            low, high = self._rounded_bounds()
            if low is not None and high is not None and low > high:
                raise section.where.error(
                    f"{section.title()} has no value rounded to {self.decimals} decimals "
                    f"between min {self.low:g} and max {self.high:g}; widen the bounds or round "
                    "less."
                )

    def _rounded_bounds(self) -> tuple[float | None, float | None]:
        """The smallest and largest rounded values within the bounds."""
        assert self.decimals is not None
        step = 10.0**-self.decimals
        low = None if self.low is None else math.ceil(self.low / step - 1e-9) * step
        high = None if self.high is None else math.floor(self.high / step + 1e-9) * step
        return low, high

    def _case(self, cases: Section, key: Any, top: dict[str, Any], what: str) -> Bounded:
        raw = cases.raw(key)
        part = Section(raw, cases.at(key), f"case {key!r} of {what}")
        family = raw.get("distribution", top.get("distribution"))
        merged = {**top, **raw} if family == top.get("distribution") else dict(raw)
        if "distribution" not in merged:
            raise part.where.error(f"{part.title()} needs a 'distribution'.")
        return self._bounded(Section(merged, part.where, part.what), [])

    def _bounded(self, section: Section, extra: list[str]) -> Bounded:
        dist = parse_distribution(section, extra)
        bounded = Bounded(dist, self.low, self.high, self.clip)
        if not bounded.mass > 1e-12:
            raise section.where.error(
                f"{section.title()} has bounds [{self.low}, {self.high}] that hold none of its "
                f"{dist.name} distribution; widen the bounds or change the distribution."
            )
        return bounded

    def draw(self, block: Block, u: Array | None) -> Any:
        parts: list[Any] = [*self.cases, self.default]
        which = self.cases_of(block, len(self.cases))
        rng = block.rng(self.name)
        if which is None and self.default is not None:  # one distribution: no copy per case
            out = self.default.sample(rng, block.n) if u is None else self.default.from_uniform(u)
        else:  # each case has a stream of its own, so a row's value depends on no later row
            out = np.full(block.n, np.nan)
            streams = {id(part): k for k, part in enumerate(parts)}

            def fill(part: Bounded, rows: Any, count: int) -> None:
                if u is None:
                    own = block.rng(self.name, f"#case{streams[id(part)]}")
                    out[rows] = part.sample(own, count)
                else:
                    out[rows] = part.from_uniform(u[rows])

            _by_case(which, block.n, parts, fill)
        if self.decimals is not None and not (self.whole and self.decimals >= 0):
            out = np.round(out, self.decimals)
            low, high = self._rounded_bounds()
            if low is not None:
                out = np.maximum(out, low)
            if high is not None:
                out = np.minimum(out, high)
        if self.unit:
            seconds = np.round(out * DURATION_UNITS[self.unit])
            return (
                np.where(np.isnan(seconds), np.nan, seconds)
                .astype("timedelta64[s]")
                .astype("timedelta64[ns]")
            )
        if self.integer:
            return _integers(out, nullable=self.nullable)
        return out


class Categorical(Drawn):
    """Values drawn by their weights (equal by default), optionally per case of another column."""

    kind = "categorical"

    def __init__(self, name: str, section: Section, **options: Any) -> None:
        super().__init__(name, section, **options)
        section.allow([*COMMON_KEYS, "values", "weights", "depends_on", "cases"])
        self.values: list[Any] = []
        self.default: tuple[npt.NDArray[np.intp], Lookup] | None = None
        if "values" in section:
            self.default = self._weights(section)
        elif not self.depends_on:
            section.raw("values")
        self.cases = self.read_cases(section, lambda s, k: self._case(s, k, section.what))
        kinds = {type(v) for v in self.values} - {int, float}
        if len(kinds) > 1 or (kinds and len({type(v) for v in self.values}) > 1):
            raise section.where.error(
                f"{section.title()} mixes text and numbers in its values; use one type."
            )
        self.dtype = pd.CategoricalDtype(self.values)

    def _weights(self, section: Section) -> tuple[npt.NDArray[np.intp], Lookup]:
        values = section.sequence("values")
        for value in values:
            if not (isinstance(value, str) or is_number(value)):
                raise section.fail(
                    "values",
                    f"{section.title()} has {value!r} among its values; use text or "
                    "numbers (a true/false column is type: boolean).",
                )
        if len(set(values)) != len(values):
            raise section.fail("values", f"{section.title()} lists a value twice.")
        codes = []
        for value in values:
            if value not in self.values:
                self.values.append(value)
            codes.append(self.values.index(value))
        weights = section.weights("weights", len(values)) if "weights" in section else None
        cum = np.cumsum(weights or [1 / len(values)] * len(values))
        cum[-1] = 1.0
        return np.asarray(codes, dtype=np.intp), Lookup(cum)

    def _case(self, cases: Section, key: Any, what: str) -> tuple[npt.NDArray[np.intp], Lookup]:
        raw = cases.raw(key)
        part = Section(raw, cases.at(key), f"case {key!r} of {what}")
        part.allow(["values", "weights"])
        if "values" in part:
            return self._weights(part)
        if self.default is None:
            raise part.where.error(f"{part.title()} needs 'values' (the column has none).")
        merged = Section(
            {"values": [self.values[c] for c in self.default[0]], **raw}, part.where, part.what
        )
        return self._weights(merged)

    def draw(self, block: Block, u: Array | None) -> Any:
        u = block.rng(self.name).random(block.n) if u is None else u
        codes = np.full(block.n, -1, dtype=np.int32)

        def fill(part: tuple[npt.NDArray[np.intp], Lookup], rows: Any, count: int) -> None:
            codes[rows] = part[0][part[1](u[rows])]

        _by_case(self.cases_of(block, len(self.cases)), block.n, [*self.cases, self.default], fill)
        return pd.Categorical.from_codes(codes, dtype=self.dtype)


class Boolean(Drawn):
    """True with probability ``rate`` (per case of another column with ``cases``)."""

    kind = "boolean"

    def __init__(self, name: str, section: Section, **options: Any) -> None:
        super().__init__(name, section, **options)
        section.allow([*COMMON_KEYS, "rate", "depends_on", "cases"])
        self.rate: float | None = section.number(
            "rate", None if self.depends_on else 0.5, low=0.0, high=1.0
        )
        self.default = self.rate
        self.cases = self.read_cases(section, lambda s, k: self._case(s, k, section.what))

    def _case(self, cases: Section, key: Any, what: str) -> float:
        raw = cases.raw(key)
        if is_number(raw):
            return float(cases.number(key, low=0.0, high=1.0))
        part = Section(raw, cases.at(key), f"case {key!r} of {what}")
        part.allow(["rate"])
        return float(part.number("rate", low=0.0, high=1.0))

    def draw(self, block: Block, u: Array | None) -> Any:
        u = block.rng(self.name).random(block.n) if u is None else u
        out = np.zeros(block.n, dtype=bool)
        unset = np.ones(block.n, dtype=bool)

        def fill(rate: float, rows: Any, count: int) -> None:
            out[rows] = u[rows] >= 1.0 - rate
            unset[rows] = False

        _by_case(self.cases_of(block, len(self.cases)), block.n, [*self.cases, self.rate], fill)
        return pd.arrays.BooleanArray(out, unset) if self.nullable else out


class Derived(ColumnSpec):
    """A value computed from other columns of the row (and of the parent row)."""

    kind = "derived"

    def __init__(self, name: str, section: Section, expression: Expression, **options: Any):
        super().__init__(name, section.where, **options)
        section.allow([*COMMON_KEYS, "expression", "round", "integer"])
        self.expression = expression
        self.decimals: int | None = section.integer("round", None, low=-15)
        self.integer = section.boolean("integer", self.decimals is not None and self.decimals <= 0)

    def needs(self) -> set[str]:
        return set(self.expression.columns)

    def generate(self, block: Block) -> Any:
        try:
            values = self.expression.evaluate(block.frame(self.expression.columns))
        except ExpressionError as exc:
            raise self.where.error(f"Column {self.name!r} cannot be computed: {exc}") from None
        if values.dtype.kind == "O":
            return pd.array(values, dtype="str")
        if values.dtype.kind != "f":
            return values
        if self.decimals is not None:
            values = np.round(values, self.decimals)
        if self.integer:
            return _integers(values, nullable=True)
        return values


def _integers(values: Array, nullable: bool) -> Any:
    """Whole numbers as int64, or as pandas' nullable Int64 when some may be missing."""
    finite = np.isfinite(values)
    if not nullable and finite.all():
        return values.astype(np.int64)
    return pd.arrays.IntegerArray(np.where(finite, values, 0).astype(np.int64), ~finite)
