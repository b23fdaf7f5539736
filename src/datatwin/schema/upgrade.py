"""Bring schema documents written by older datatwin versions up to the current version."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from datatwin.errors import SchemaError
from datatwin.schema.columns import SCHEMA_FORMAT, SCHEMA_VERSION

__all__ = ["upgrade_schema"]


# version N -> function that turns a version-N document into a version-(N+1) document.
def _v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 2 added the table's rules ('constraints'); a version-1 schema has none."""
    return {**doc, "version": 2, "constraints": []}


_UPGRADERS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


def upgrade_schema(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``data`` as a current-version schema document, or raise :class:`SchemaError`."""
    doc = dict(data)
    if doc.get("format") != SCHEMA_FORMAT:
        raise SchemaError(
            f"This JSON is not a datatwin schema (its 'format' is {doc.get('format')!r}, "
            f"expected {SCHEMA_FORMAT!r})."
        )
    version = doc.get("version")
    if not isinstance(version, int) or version < 1:
        raise SchemaError(
            f"The schema has an invalid 'version' {version!r}; it must be an int >= 1."
        )
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"The schema is version {version}, newer than this datatwin understands "
            f"({SCHEMA_VERSION}); upgrade datatwin."
        )
    while doc["version"] < SCHEMA_VERSION:
        doc = _UPGRADERS[doc["version"]](doc)
    return doc
