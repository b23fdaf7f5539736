"""Declarative parameter checks, with messages that say what was expected and what was given."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

from datatwin.errors import ParameterError

__all__ = ["Interval", "Names", "Options", "check_params"]


@dataclass(frozen=True)
class Interval:
    """A number of ``kind`` (``int`` or ``float``) between ``low`` and ``high`` (inclusive)."""

    kind: type
    low: float | None = None
    high: float | None = None

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if self.kind is int and not isinstance(value, Integral):
            return False
        if self.kind is float and not isinstance(value, Real):
            return False
        if isinstance(value, Real) and math.isnan(float(value)):
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def describe(self) -> str:
        name = "an int" if self.kind is int else "a float"
        if self.low is not None and self.high is not None:
            return f"{name} in the range [{self.low}, {self.high}]"
        if self.low is not None:
            return f"{name} >= {self.low}"
        if self.high is not None:
            return f"{name} <= {self.high}"
        return name


@dataclass(frozen=True)
class Options:
    """One of a fixed set of values."""

    values: tuple[Any, ...]

    def accepts(self, value: Any) -> bool:
        return any(value == v and type(value) is type(v) for v in self.values)

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class Names:
    """A list of column names (strings), possibly empty."""

    def accepts(self, value: Any) -> bool:
        return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)

    def describe(self) -> str:
        return "a list of column names"


Constraint = Interval | Options | Names | None


def check_params(
    owner: str, params: Mapping[str, Any], rules: Mapping[str, list[Constraint]]
) -> None:
    """Raise :class:`ParameterError` for the first parameter that meets none of its rules.

    ``None`` in a rule list means the parameter may be ``None``.
    """
    for name, allowed in rules.items():
        value = params[name]
        if value is None and None in allowed:
            continue
        checks = [rule for rule in allowed if rule is not None]
        if any(rule.accepts(value) for rule in checks):
            continue
        wanted = " or ".join(
            [rule.describe() for rule in checks] + (["None"] if None in allowed else [])
        )
        raise ParameterError(f"The {name!r} parameter of {owner} must be {wanted}. Got {value!r}.")
