"""Identity columns (names, e-mail addresses, phones, addresses, IBANs, ...) that hold together.

Every ``type: identity`` column of a table is drawn by one call of
:func:`datatwin.identity.identities` per block, so a row's e-mail address is built from its name,
its phone number and address follow its locale, and so on. The table's ``locale:`` is one locale
for every row or ``{column: name}`` to take each row's from a column; ``identity: {gender: col,
birth_date: col}`` makes names and national ids follow those columns.

``unique: true`` on an ``email`` or ``username`` column makes its values unique in the table: the
number at the end of each value (if any) is replaced by a number that is a keyed bijection of
the row number, which no other row has (:func:`row_numbers`). Names hold no digits, so two
values with different numbers differ; and a row's number depends only on the row, so the
values do not change with the chunk size or the number of rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from datatwin.spec.base import COMMON_KEYS, Block, ColumnSpec
from datatwin.spec.document import Where
from datatwin.spec.randomness import key64, permute
from datatwin.spec.reader import Section, suggest

__all__ = [
    "IdentityColumn",
    "IdentityGroup",
    "identity_fields",
    "identity_locales",
    "row_numbers",
]

UNIQUE_FIELDS = ("email", "username")
# rows [0, 9,000) get 4-digit numbers, the next 900,000 rows 6 digits, then 9 digits, then 18:
# every range's numbers have their own length, so no two rows share one
NUMBER_RANGES = ((1_000, 10_000), (100_000, 1_000_000), (10**8, 10**9), (10**17, 10**18))


def identity_fields() -> tuple[str, ...]:
    from datatwin.identity import FIELDS

    return tuple(FIELDS)


def identity_locales() -> tuple[str, ...]:
    from datatwin.identity import LOCALES

    return tuple(LOCALES)


class IdentityColumn(ColumnSpec):
    """One field of the table's identities."""

    kind = "identity"

    def __init__(self, name: str, section: Section, **options: Any) -> None:
        super().__init__(name, section.where, **options)
        section.allow([*COMMON_KEYS, "field", "unique"])
        self.field = section.string("field")
        fields = identity_fields()
        if self.field not in fields:
            raise section.fail(
                "field",
                f"{section.title()} asks for the unknown identity field {self.field!r}"
                f"{suggest(self.field, fields)}; the fields are {sorted(fields)}.",
            )
        self.unique = section.boolean("unique", False)
        if self.unique and self.field not in UNIQUE_FIELDS:
            raise section.fail(
                "unique",
                f"{section.title()} asks for unique {self.field!r} values, which only the "
                f"fields {list(UNIQUE_FIELDS)} can give; for unique keys use type: id.",
            )


class IdentityGroup:
    """All identity columns of a table, drawn together."""

    def __init__(
        self,
        columns: list[IdentityColumn],
        locale: str | None,
        locale_column: str | None,
        gender: str | None,
        birth_date: str | None,
        where: Where,
    ) -> None:
        self.columns = columns
        self.fields = list(dict.fromkeys(c.field for c in columns))
        self.locale = locale or "en_US"
        self.locale_column = locale_column
        self.gender = gender
        self.birth_date = birth_date
        self.where = where

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def needs(self) -> set[str]:
        return {n for n in (self.locale_column, self.gender, self.birth_date) if n is not None}

    def run(self, block: Block) -> dict[str, Any]:
        from datatwin.identity.generate import identity_arrays

        locale: Any = self.locale
        if self.locale_column is not None:
            locale = _objects(block.get(self.locale_column))
        gender = None if self.gender is None else _objects(block.get(self.gender))
        birth = None
        if self.birth_date is not None:
            birth = np.asarray(block.get(self.birth_date), dtype="datetime64[ns]")
        drawn = identity_arrays(
            self.fields,
            block.n,
            block.rng("#identity"),
            locale=locale,
            gender=gender,
            birth_date=birth,
        )
        out: dict[str, Any] = {}
        for column in self.columns:
            values: Any = drawn[column.field]
            if isinstance(values, np.ndarray) and values.dtype == object:
                values = pd.array(values, dtype="str")
            elif not isinstance(values, np.ndarray):  # an Arrow string array
                values = _text(values)
            elif isinstance(values, np.ndarray) and values.dtype.kind == "M":
                values = values.astype("datetime64[ns]")
            if column.unique:
                key = key64(block.seed, block.table, column.name, "unique")
                values = _numbered(values, row_numbers(block.rows, key))
            out[column.name] = column.finish(block, values)
        return out


def row_numbers(rows: np.ndarray, key: int) -> np.ndarray:
    """A number per row that no other row has: within each of :data:`NUMBER_RANGES` (in turn,
    by row number), a keyed permutation of the rows that fall in it."""
    rows = np.asarray(rows, dtype=np.int64)
    out = np.zeros(len(rows), dtype=np.int64)
    first = 0
    for i, (low, high) in enumerate(NUMBER_RANGES):
        size = high - low
        inside = (rows >= first) & (rows < first + size)
        if inside.any():
            place = permute(rows[inside] - first, size, key + i)
            out[inside] = low + place.astype(np.int64)
        first += size
    return out


def _numbered(values: Any, numbers: np.ndarray) -> Any:
    """``values`` (``local@domain`` or a username) with the digits that end the local part
    replaced by ``numbers``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array(values, type=pa.large_string(), from_pandas=True)
    local = pc.utf8_rtrim(pc.replace_substring_regex(text, "@.*$", ""), characters="0123456789")
    rest = pc.replace_substring_regex(text, "^[^@]*", "")  # "@domain", or "" for a username
    digits = pa.array(numbers.astype(str), type=pa.large_string())
    return _text(pc.binary_join_element_wise(local, digits, rest, pa.scalar("", pa.large_string())))


def _text(values: Any) -> Any:
    """An Arrow string array as pandas' ``str`` array: without a Python object per value where
    pandas keeps ``str`` in Arrow (pandas 3), through object arrays otherwise."""
    from datatwin.identity._text import to_objects

    dtype = pd.api.types.pandas_dtype("str")
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        values = to_objects(values)
    return pd.array(values, dtype=dtype)


def _objects(values: Any) -> Any:
    """A column as an object array with None for missing values."""
    series = pd.Series(values, copy=False).astype(object)
    return series.where(series.notna(), None).to_numpy(dtype=object)


def parse_identity_options(
    section: Section, columns: dict[str, ColumnSpec]
) -> tuple[str | None, str | None, str | None, str | None]:
    """The table's locale (or locale column), gender column and birth-date column."""
    locale = locale_column = None
    if "locale" in section:
        raw = section.raw("locale")
        if isinstance(raw, dict):
            part = section.section("locale", f"the locale of {section.what}")
            part.allow(["column"])
            locale_column = part.string("column")
            _known(part, "column", locale_column, columns)
            values = getattr(columns[locale_column], "values", None)
            locales = identity_locales()
            odd = [v for v in values or [] if v not in locales]
            if odd:
                raise part.fail(
                    "column",
                    f"{part.title()} takes locales from {locale_column!r}, whose values include "
                    f"{odd[0]!r}{suggest(odd[0], locales)}, not a locale; the locales are "
                    f"{sorted(locales)}.",
                )
        else:
            locale = section.string("locale")
            locales = identity_locales()
            if locale not in locales:
                raise section.fail(
                    "locale",
                    f"{section.title()} has the unknown locale {locale!r}{suggest(locale, locales)}"
                    f"; the locales are {sorted(locales)}.",
                )
    gender = birth = None
    if "identity" in section:
        part = section.section("identity", f"the identity options of {section.what}")
        part.allow(["gender", "birth_date"])
        gender = part.string("gender", None)
        birth = part.string("birth_date", None)
        for key, name in (("gender", gender), ("birth_date", birth)):
            if name is not None:
                _known(part, key, name, columns)
    return locale, locale_column, gender, birth


def _known(section: Section, key: str, name: str, columns: dict[str, ColumnSpec]) -> None:
    if name not in columns:
        raise section.fail(
            key,
            f"{section.title()} name the column {name!r}{suggest(name, columns)}, which the "
            f"table does not have.",
        )
    if isinstance(columns[name], IdentityColumn):
        raise section.fail(
            key,
            f"{section.title()} name {name!r}, an identity column; identity columns are drawn "
            "together, so draw it as a categorical or date-time column instead.",
        )
