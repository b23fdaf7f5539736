"""Typed reading of one mapping of the spec, with one-sentence errors that name the line."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from datatwin.errors import SpecError
from datatwin.spec.document import Map, Where

__all__ = ["MISSING", "Section", "suggest"]

MISSING: Any = object()


def suggest(name: object, known: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` when ``name`` is close to one of ``known``, else ``""``."""
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class Section:
    """One mapping of the spec (a table, a column, a distribution), read key by key.

    ``what`` names it in messages, as in ``"column 'age' of table 'people'"``.
    """

    def __init__(self, data: Any, where: Where, what: str) -> None:
        if not isinstance(data, Mapping):
            raise where.error(
                f"{what[0].upper()}{what[1:]} must be a mapping of keys to values; got "
                f"{_show(data)}."
            )
        self.data: Mapping[Any, Any] = data
        self.where = where
        self.what = what

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def keys(self) -> list[Any]:
        return list(self.data)

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self.data))

    def at(self, key: str | int) -> Where:
        return self.where.at(key, self.data)

    def fail(self, key: str | None, message: str) -> SpecError:
        where = self.at(key) if key is not None and key in self.data else self.where
        return where.error(message)

    def allow(self, known: Iterable[str], kind: str = "key") -> None:
        """Fail on the first key that is not in ``known``, suggesting a close one."""
        names = list(known)
        for key in self.data:
            if key not in names:
                raise self.fail(
                    key,
                    f"{self.title()} has the unknown {kind} {key!r}{suggest(key, names)}; "
                    f"its {kind}s are {sorted(names)}.",
                )

    def title(self) -> str:
        return self.what[0].upper() + self.what[1:]

    def raw(self, key: str, default: Any = MISSING) -> Any:
        if key in self.data:
            return self.data[key]
        if default is MISSING:
            raise self.where.error(f"{self.title()} needs {key!r}.")
        return default

    def number(
        self,
        key: str,
        default: Any = MISSING,
        *,
        low: float | None = None,
        high: float | None = None,
        above: float | None = None,
        integer: bool = False,
    ) -> Any:
        """A number (or ``default`` when absent), within the given limits."""
        value = self.raw(key, default)
        if value is default and key not in self.data:
            return value
        if not is_number(value) or not math.isfinite(float(value)):
            raise self.fail(key, f"{self.title()} needs a number for {key!r}; got {_show(value)}.")
        if integer and float(value) != int(value):
            raise self.fail(
                key, f"{self.title()} needs a whole number for {key!r}; got {_show(value)}."
            )
        limits = []
        if low is not None and value < low:
            limits.append(f">= {low:g}")
        if high is not None and value > high:
            limits.append(f"<= {high:g}")
        if above is not None and value <= above:
            limits.append(f"> {above:g}")
        if limits:
            raise self.fail(
                key, f"{self.title()} has {key}: {value!r}; it must be {' and '.join(limits)}."
            )
        return int(value) if integer else float(value)

    def integer(self, key: str, default: Any = MISSING, *, low: int | None = None) -> Any:
        return self.number(key, default, low=low, integer=True)

    def string(
        self, key: str, default: Any = MISSING, *, choices: Iterable[str] | None = None
    ) -> Any:
        value = self.raw(key, default)
        if value is default and key not in self.data:
            return value
        if not isinstance(value, str) or not value:
            raise self.fail(key, f"{self.title()} needs text for {key!r}; got {_show(value)}.")
        if choices is not None:
            options = list(choices)
            if value not in options:
                raise self.fail(
                    key,
                    f"{self.title()} has {key}: {value!r}, which is not one of {options}"
                    f"{suggest(value, options)}.",
                )
        return value

    def boolean(self, key: str, default: Any = MISSING) -> Any:
        value = self.raw(key, default)
        if value is default and key not in self.data:
            return value
        if not isinstance(value, bool):
            raise self.fail(
                key, f"{self.title()} needs true or false for {key!r}; got {_show(value)}."
            )
        return value

    def sequence(self, key: str, default: Any = MISSING, *, min_length: int = 1) -> Any:
        value = self.raw(key, default)
        if value is default and key not in self.data:
            return value
        if not isinstance(value, list) or len(value) < min_length:
            raise self.fail(
                key,
                f"{self.title()} needs a list of at least {min_length} item"
                f"{'s' if min_length != 1 else ''} for {key!r}; got {_show(value)}.",
            )
        return value

    def numbers(self, key: str, default: Any = MISSING, *, min_length: int = 1) -> Any:
        values = self.sequence(key, default, min_length=min_length)
        if values is default and key not in self.data:
            return values
        for value in values:
            if not is_number(value) or not math.isfinite(float(value)):
                raise self.fail(
                    key, f"{self.title()} needs numbers in {key!r}; {_show(value)} is not one."
                )
        return [float(v) for v in values]

    def weights(self, key: str, count: int) -> list[float]:
        """Non-negative weights, one per value, not all zero (normalised to sum to 1)."""
        values = self.numbers(key)
        if len(values) != count:
            raise self.fail(
                key, f"{self.title()} has {len(values)} weights for {count} values; give one each."
            )
        if min(values) < 0 or sum(values) <= 0:
            raise self.fail(
                key, f"{self.title()} needs weights >= 0 that are not all 0 in {key!r}."
            )
        total = sum(values)
        return [v / total for v in values]

    def section(self, key: str, what: str) -> Section:
        return Section(self.raw(key), self.at(key), what)


def _show(value: object) -> str:
    if isinstance(value, Map | dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
