"""Date-time columns: a range, and weekly, seasonal and hour-of-day patterns.

The range's ends are dates (``2024-01-01``, ``2024-01-01 08:30``) or expressions of other columns
(``parent.opened``, ``admitted + stay``), so a value can be kept after its parent's. Patterns give
weights to weekdays (Monday first), months and hours of the day; ``business_hours`` is 9:00-17:00
on weekdays. Values are drawn by inverting the pattern's cumulative distribution over the row's
range (one piecewise-linear function of the time in seconds), so bounds are kept exactly and days
outside the pattern (weekends for business hours) never appear.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from datatwin.errors import ExpressionError
from datatwin.expression import Expression
from datatwin.spec.base import COMMON_KEYS, Block
from datatwin.spec.columns import Drawn
from datatwin.spec.reader import Section

__all__ = ["Datetime", "Timeline", "is_date_text"]

Array = npt.NDArray[np.float64]
DAY = 86_400
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")
_LOW, _HIGH = pd.Timestamp("1700-01-01"), pd.Timestamp("2250-01-01")


def is_date_text(value: object) -> bool:
    return isinstance(value, str) and bool(_DATE.match(value.strip()))


class Timeline:
    """The weights of days (weekday x month) and of seconds within a day (hours)."""

    def __init__(
        self,
        weekdays: list[float] | None,
        months: list[float] | None,
        hours: list[float] | None,
    ) -> None:
        self.weekdays = None if weekdays is None else np.asarray(weekdays, dtype=np.float64)
        self.months = None if months is None else np.asarray(months, dtype=np.float64)
        weights = np.ones(24) if hours is None else np.asarray(hours, dtype=np.float64)
        self.knots = np.arange(25, dtype=np.float64) * 3600
        self.hour_cum = np.concatenate([[0.0], np.cumsum(weights / weights.sum())])
        self.plain = weekdays is None and months is None and hours is None

    def day_weights(self, days: npt.NDArray[np.int64]) -> Array:
        """The weight of each day (days since 1970-01-01)."""
        out = np.ones(len(days))
        if self.weekdays is not None:
            out *= self.weekdays[(days + 3) % 7]  # 1970-01-01 was a Thursday
        if self.months is not None:
            month = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12
            out *= self.months[month]
        return out

    def table(self, first: int, last: int) -> tuple[int, Array, Array]:
        """Day weights and their running sum for the days ``first`` to ``last``."""
        weights = self.day_weights(np.arange(first, last + 1, dtype=np.int64))
        return first, weights, np.cumsum(weights)

    def before(self, t: Array, table: tuple[int, Array, Array]) -> Array:
        """The pattern's mass before second ``t`` (seconds since 1970), for times in the table."""
        first, weights, cum = table
        day = np.floor(t / DAY)
        k = np.clip(day - first, 0, len(weights) - 1).astype(np.int64)
        within = np.interp(t - day * DAY, self.knots, self.hour_cum)
        previous = np.where(k > 0, cum[np.maximum(k - 1, 0)], 0.0)
        return previous + weights[k] * within

    def at(self, q: Array, table: tuple[int, Array, Array]) -> Array:
        """The second at which the mass reaches ``q`` (the inverse of :meth:`before`)."""
        first, weights, cum = table
        k = np.minimum(np.searchsorted(cum, q, side="left"), len(cum) - 1)
        previous = np.where(k > 0, cum[np.maximum(k - 1, 0)], 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(weights[k] > 0, (q - previous) / weights[k], 0.0)
        seconds = np.interp(np.clip(share, 0.0, 1.0), self.hour_cum, self.knots)
        return (first + k) * float(DAY) + seconds


PATTERN_KEYS = ["weekdays", "months", "hours", "business_hours"]


class Datetime(Drawn):
    """Date-times (or dates) between ``start`` and ``end`` following a pattern; with
    ``depends_on``, each case may have its own pattern (fraud at night, say)."""

    kind = "datetime"

    def __init__(
        self,
        name: str,
        section: Section,
        bounds: tuple[Expression | int, Expression | int],
        dates_only: bool,
        **options: Any,
    ) -> None:
        super().__init__(name, section, **options)
        section.allow(
            [*COMMON_KEYS, "start", "end", *PATTERN_KEYS, "dates_only", "depends_on", "cases"]
        )
        self.start, self.end = bounds
        self.dates_only = dates_only
        top = {k: v for k, v in section.data.items() if k in PATTERN_KEYS}
        self.default: Timeline | None = self._timeline(section)
        self.cases: list[Timeline | None] = self.read_cases(
            section, lambda cases, key: self._case(cases, key, top, section.what)
        )
        if isinstance(self.start, int) and isinstance(self.end, int):
            if self.start >= self.end + (DAY if dates_only else 0):
                raise section.fail("end", f"{section.title()} needs start < end.")
            for timeline in [self.default, *self.cases]:
                if timeline is not None:
                    self._check_mass(timeline, section)

    def _case(self, cases: Section, key: Any, top: dict[str, Any], what: str) -> Timeline:
        raw = cases.raw(key)
        part = Section(raw, cases.at(key), f"case {key!r} of {what}")
        part.allow(PATTERN_KEYS)
        merged = {**top, **raw}
        if "hours" in raw:
            merged.pop("business_hours", None)
        return self._timeline(Section(merged, part.where, part.what))

    def _timeline(self, section: Section) -> Timeline:
        weekdays = section.weights("weekdays", 7) if "weekdays" in section else None
        months = section.weights("months", 12) if "months" in section else None
        hours = section.weights("hours", 24) if "hours" in section else None
        if section.boolean("business_hours", False):
            if hours is not None:
                raise section.fail(
                    "hours", f"{section.title()} has both 'hours' and 'business_hours'; keep one."
                )
            hours = [1.0 if 9 <= h < 17 else 0.0 for h in range(24)]
            weekdays = weekdays or [1.0] * 5 + [0.0] * 2
        return Timeline(weekdays, months, None if self.dates_only else hours)

    def _check_mass(self, timeline: Timeline, section: Section) -> None:
        assert isinstance(self.start, int)
        assert isinstance(self.end, int)
        lo, hi = self._range(np.array([self.start], float), np.array([self.end], float))
        table = timeline.table(int(lo[0] // DAY), int(hi[0] // DAY))
        if not (timeline.before(hi, table) - timeline.before(lo, table))[0] > 0:
            raise section.where.error(
                f"{section.title()} has no time between start and end that its weekday, "
                "month and hour weights allow; widen the range or change the weights."
            )

    def needs(self) -> set[str]:
        out = super().needs()
        for bound in (self.start, self.end):
            if isinstance(bound, Expression):
                out |= set(bound.columns)
        return out

    def _range(self, lo: Array, hi: Array) -> tuple[Array, Array]:
        if self.dates_only:
            return np.floor(lo / DAY) * DAY, (np.floor(hi / DAY) + 1) * DAY
        return lo, hi

    def _bound(self, block: Block, bound: Expression | int) -> Array:
        if isinstance(bound, int):
            return np.full(block.n, float(bound))
        try:
            values = bound.evaluate(block.frame(bound.columns))
        except ExpressionError as exc:
            raise self.where.error(f"Column {self.name!r} cannot compute a bound: {exc}") from None
        if values.dtype.kind != "M":
            raise self.where.error(
                f"Column {self.name!r} has the bound {bound.source!r}, which is not a date-time."
            )
        seconds = values.astype("datetime64[ns]").astype(np.int64).astype(np.float64) / 1e9
        return np.where(np.isnat(values), np.nan, seconds)

    def draw(self, block: Block, u: Any) -> Any:
        u = block.rng(self.name).random(block.n) if u is None else u
        lo, hi = self._range(self._bound(block, self.start), self._bound(block, self.end))
        valid = np.isfinite(lo) & np.isfinite(hi) & (hi >= lo)
        t = np.full(block.n, np.nan)
        which = self.cases_of(block, len(self.cases))
        parts = [*self.cases, self.default]
        for k, timeline in enumerate(parts):
            if timeline is None:
                continue
            rows = np.flatnonzero(valid if which is None else valid & (which == k))
            if len(rows):
                t[rows] = _within(timeline, u[rows], lo[rows], hi[rows])
            if which is None:
                break
        seconds = np.floor(t / DAY) * DAY if self.dates_only else np.floor(t)
        out = np.full(block.n, np.datetime64("NaT"), dtype="datetime64[ns]")
        ok = np.isfinite(seconds)
        out[ok] = (seconds[ok].astype(np.int64) * 1_000_000_000).astype("datetime64[ns]")
        return out


def _within(timeline: Timeline, u: Array, lo: Array, hi: Array) -> Array:
    """Times between ``lo`` and ``hi`` (seconds) at the pattern's quantiles ``u``."""
    if timeline.plain:
        return lo + u * (hi - lo)
    first = int(lo.min() // DAY)
    table = timeline.table(first, int(hi.max() // DAY))
    a, b = timeline.before(lo, table), timeline.before(hi, table)
    t = np.where(b > a, timeline.at(a + u * (b - a), table), lo + u * (hi - lo))
    return np.clip(t, lo, np.maximum(lo, np.nextafter(hi, -np.inf)))


def parse_bound(value: object, section: Section, key: str) -> int | str:
    """A constant bound as seconds since 1970; an expression's text as it is."""
    if isinstance(value, str) and is_date_text(value):
        try:
            stamp = pd.Timestamp(value.strip())
        except ValueError:
            raise section.fail(
                key, f"{section.title()} has {key}: {value!r}, which is not a date."
            ) from None
        if not _LOW <= stamp <= _HIGH:
            raise section.fail(
                key, f"{section.title()} has {key}: {value!r}; use dates between 1700 and 2250."
            )
        return int((stamp - pd.Timestamp(0)) // pd.Timedelta(seconds=1))
    if isinstance(value, str):
        return value
    raise section.fail(
        key,
        f"{section.title()} needs a date ('2024-01-31') or an expression for {key!r}; "
        f"got {value!r}.",
    )
