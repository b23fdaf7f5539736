"""The schema: one description per column of what it holds and how to write it back.

A schema is plain data. It is detected from a table (:func:`datatwin.detect_schema`), can be edited
by a person (in Python or as JSON) and is saved as versioned JSON; every synthesizer reads it to
decide how each column is modelled and how its values are restored on output.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args

from datatwin.errors import SchemaError
from datatwin.io.atomic import atomic_write_text

__all__ = ["KINDS", "PII_TYPES", "Column", "Kind", "Schema"]

Kind = Literal["numeric", "categorical", "boolean", "datetime", "id", "pii", "constant", "empty"]
KINDS: tuple[str, ...] = get_args(Kind)
PiiType = Literal["email", "phone", "name", "national_id", "credit_card", "ip_address", "text"]
PII_TYPES: tuple[str, ...] = get_args(PiiType)

SCHEMA_FORMAT = "datatwin-schema"
SCHEMA_VERSION = 2


@dataclass
class Column:
    """What one column holds.

    ``dtype`` is the pandas dtype of the input column; output columns are cast back to it.
    Fields that do not apply to a kind stay ``None``.
    """

    name: str
    kind: Kind
    dtype: str
    nullable: bool = False
    # numeric
    integer: bool | None = None
    min: float | None = None
    max: float | None = None
    decimals: int | None = None
    # categorical and boolean
    ordered: bool | None = None
    order: list[Any] | None = None
    # datetime
    format: str | None = None
    precision: str | None = None
    # pii
    pii_type: PiiType | None = None
    # constant
    value: Any = None
    # free-form notes from detection ("all 2,000 values are unique", ...)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The column as a JSON-ready dict, leaving out fields that do not apply."""
        out = {k: v for k, v in asdict(self).items() if v is not None and v != []}
        if self.kind == "constant":
            out["value"] = self.value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Column:
        """Build a column from :meth:`to_dict`'s output, checking names and kinds."""
        if not isinstance(data, Mapping):
            raise SchemaError(
                f"Each schema column must be a JSON object; got {type(data).__name__}."
            )
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SchemaError(
                f"Schema column {data.get('name')!r} has unknown field(s) {unknown}; "
                f"allowed fields are {sorted(known)}."
            )
        for required in ("name", "kind", "dtype"):
            if required not in data:
                raise SchemaError(f"A schema column is missing its {required!r} field.")
        column = cls(**dict(data))
        column.check()
        return column

    def check(self) -> None:
        """Raise :class:`SchemaError` when the column description is inconsistent."""
        where = f"Schema column {self.name!r}"
        if not isinstance(self.name, str):
            raise SchemaError(f"{where}: the column name must be a string.")
        if self.kind not in KINDS:
            raise SchemaError(f"{where} has kind {self.kind!r}; use one of {list(KINDS)}.")
        if self.kind == "pii" and self.pii_type not in PII_TYPES:
            raise SchemaError(
                f"{where} is personal data with pii_type {self.pii_type!r}; "
                f"use one of {list(PII_TYPES)}."
            )
        if self.order is not None and not isinstance(self.order, list):
            raise SchemaError(f"{where}: 'order' must be a list of the categories in order.")
        for bound in (self.min, self.max):
            if bound is not None and (
                not isinstance(bound, int | float) or isinstance(bound, bool) or math.isnan(bound)
            ):
                raise SchemaError(f"{where}: 'min' and 'max' must be numbers.")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise SchemaError(f"{where} has min {self.min} above max {self.max}; swap them.")
        if self.decimals is not None and (not isinstance(self.decimals, int) or self.decimals < 0):
            raise SchemaError(f"{where}: 'decimals' must be an int >= 0.")


@dataclass
class Schema:
    """An ordered list of :class:`Column` descriptions, one per table column."""

    columns: list[Column]
    # rules every output row keeps, as JSON dicts (see datatwin.constraints)
    constraints: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise SchemaError(f"The schema names column(s) {duplicates} more than once.")

    def __iter__(self) -> Iterator[Column]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def __getitem__(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        """The column names, in table order."""
        return [c.name for c in self.columns]

    # --- JSON ---------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The schema as a versioned JSON-ready dict."""
        return {
            "format": SCHEMA_FORMAT,
            "version": SCHEMA_VERSION,
            "columns": [c.to_dict() for c in self.columns],
            "constraints": [dict(c) for c in self.constraints],
        }

    def to_json(self, path: str | os.PathLike[str] | None = None, *, indent: int = 2) -> str:
        """The schema as JSON text; also written to ``path`` (atomically) when one is given."""
        text = json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False) + "\n"
        if path is not None:
            atomic_write_text(Path(path), text)
        return text

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schema:
        """Read a schema dict, upgrading older versions first."""
        from datatwin.schema.upgrade import upgrade_schema

        data = upgrade_schema(data)
        columns = data.get("columns")
        if not isinstance(columns, list):
            raise SchemaError(
                "The schema has no 'columns' list; it must list one object per column."
            )
        constraints = data.get("constraints", [])
        if not isinstance(constraints, list):
            raise SchemaError("The schema's 'constraints' must be a list of rule objects.")
        from datatwin.constraints.rules import rule_from_dict

        for rule in constraints:
            rule_from_dict(rule)  # a clear error now rather than at fit time
        return cls([Column.from_dict(c) for c in columns], [dict(c) for c in constraints])

    @classmethod
    def from_json(cls, source: str | os.PathLike[str]) -> Schema:
        """Read a schema from a JSON file path or from JSON text."""
        text = str(source)
        if not text.lstrip().startswith("{"):
            path = Path(source)
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise SchemaError(
                    f"Schema file {str(path)!r} does not exist; check the path."
                ) from None
            except (OSError, UnicodeDecodeError) as exc:
                raise SchemaError(f"Schema file {str(path)!r} cannot be read ({exc}).") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SchemaError(
                f"The schema is not valid JSON ({exc.msg} at line {exc.lineno})."
            ) from None
        if not isinstance(data, dict):
            raise SchemaError("The schema must be a JSON object with a 'columns' list.")
        return cls.from_dict(data)
