"""Read a spec document (YAML or JSON) keeping the line of every key, and bring it up to date.

YAML is read with a :class:`yaml.SafeLoader` subclass that never builds Python objects beyond
plain data, records the 1-based line of each mapping key and list item, refuses duplicate keys,
and reads only ``true``/``false`` as booleans and leaves dates as strings (so that a country code
``NO`` or a date ``2024-01-01`` stay the strings they look like). JSON is read by the same loader
when it can (for line numbers), else by :mod:`json`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from datatwin.errors import SpecError

__all__ = [
    "SPEC_FORMAT",
    "SPEC_VERSION",
    "Map",
    "Seq",
    "Where",
    "plain",
    "read_document",
    "upgrade_spec",
]

SPEC_FORMAT = "datatwin-spec"
SPEC_VERSION = 1
MAX_NODES = 200_000
MAX_DEPTH = 64
MAX_BYTES = 20_000_000


class Map(dict[Any, Any]):
    """A mapping read from the spec, with the line of the mapping and of each key."""

    line: int | None = None
    key_lines: dict[Any, int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines = {}


class Seq(list[Any]):
    """A list read from the spec, with the line of the list and of each item."""

    line: int | None = None
    item_lines: list[int | None]

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.item_lines = []


@dataclass(frozen=True)
class Where:
    """A place in the spec: the file's name, the keys that lead there and its line."""

    source: str | None = None
    path: tuple[str | int, ...] = ()
    line: int | None = None

    def at(self, key: str | int, container: Any = None) -> Where:
        """The place of ``key`` inside this place's mapping or list ``container``."""
        line = self.line
        if isinstance(container, Map) and key in container.key_lines:
            line = container.key_lines[key]
        elif isinstance(container, Seq) and isinstance(key, int) and key < len(container):
            line = container.item_lines[key] or line
        return Where(self.source, (*self.path, key), line)

    @property
    def dotted(self) -> str:
        return ".".join(str(part) for part in self.path)

    def error(self, message: str) -> SpecError:
        """A :class:`SpecError` whose message starts with the file and line, when known."""
        prefix = ""
        if self.source and self.line:
            prefix = f"{self.source}, line {self.line}: "
        elif self.line:
            prefix = f"Spec line {self.line}: "
        elif self.source:
            prefix = f"{self.source}: "
        return SpecError(prefix + message, line=self.line, path=self.dotted)


def _build_resolvers() -> dict[Any, list[tuple[str, re.Pattern[str]]]]:
    skip = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp"}
    resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]] = {}
    for first, items in yaml.SafeLoader.yaml_implicit_resolvers.items():
        kept = [(tag, regexp) for tag, regexp in items if tag not in skip]
        if kept:
            resolvers[first] = kept
    boolean = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
    for first in "tTfF":
        resolvers.setdefault(first, []).append(("tag:yaml.org,2002:bool", boolean))
    return resolvers


class _KeyProblem(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


class _Loader(yaml.SafeLoader):
    """Safe YAML with lines: mappings become :class:`Map`, lists :class:`Seq`."""

    yaml_implicit_resolvers = _build_resolvers()


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> Map:
    out = Map()
    out.line = node.start_mark.line + 1
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            hash(key)
        except TypeError:
            raise _KeyProblem("A key must be a plain value, not a list or mapping.", line) from None
        if key in out:
            raise _KeyProblem(
                f"The key {key!r} appears twice in the same mapping (first on line "
                f"{out.key_lines[key]}); keep one.",
                line,
            )
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = line
    return out


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> Seq:
    out = Seq(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def _load_text(text: str, source: str | None) -> Any:
    where = Where(source)
    if len(text) > MAX_BYTES:
        raise where.error(f"The spec is {len(text):,} characters long; the limit is {MAX_BYTES:,}.")
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader: plain data only
    except _KeyProblem as exc:
        raise Where(source, (), exc.line).error(str(exc)) from None
    except yaml.YAMLError as exc:
        if text.lstrip().startswith(("{", "[")):
            try:
                return json.loads(text)
            except json.JSONDecodeError as jexc:
                raise Where(source, (), jexc.lineno).error(
                    f"The spec is not valid JSON ({jexc.msg}); fix the syntax."
                ) from None
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise Where(source, (), line).error(
            f"The spec is not valid YAML ({problem}); fix the syntax."
        ) from None


def _copy(value: Any, depth: int, budget: list[int]) -> Any:
    """A fresh copy of the loaded document (aliases no longer shared), bounded in size."""
    budget[0] -= 1
    if budget[0] < 0:
        raise SpecError(f"The spec has more than {MAX_NODES:,} values; make it smaller.")
    if depth > MAX_DEPTH:
        raise SpecError(f"The spec is nested more than {MAX_DEPTH} levels deep; flatten it.")
    if isinstance(value, Mapping):
        out = Map((k, _copy(v, depth + 1, budget)) for k, v in value.items())
        if isinstance(value, Map):
            out.line, out.key_lines = value.line, dict(value.key_lines)
        return out
    if isinstance(value, list | tuple):
        seq = Seq(_copy(v, depth + 1, budget) for v in value)
        if isinstance(value, Seq):
            seq.line, seq.item_lines = value.line, list(value.item_lines)
        else:
            seq.item_lines = [None] * len(seq)
        return seq
    return value


def read_document(spec: str | os.PathLike[str] | Mapping[str, Any]) -> tuple[Map, str | None]:
    """The spec as a :class:`Map` and the name of the file it came from (``None`` for text).

    ``spec`` is a mapping, a path to a ``.yaml``/``.yml``/``.json`` file, or YAML/JSON text.
    """
    source: str | None = None
    if isinstance(spec, Mapping):
        data: Any = spec
    elif isinstance(spec, os.PathLike) or (
        isinstance(spec, str) and "\n" not in spec and _looks_like_path(spec)
    ):
        path = Path(spec)
        source = str(spec)
        if not path.is_file():
            raise SpecError(f"The spec file {source} does not exist; check the path.")
        data = _load_text(path.read_text(encoding="utf-8"), path.name)
        source = path.name
    elif isinstance(spec, str):
        data = _load_text(spec, None)
    else:
        raise SpecError(
            f"A spec must be a path, YAML or JSON text, a dict or a Spec; got "
            f"{type(spec).__name__}."
        )
    if not isinstance(data, Mapping):
        raise Where(source, (), 1).error(
            "The spec must be a mapping with 'format', 'version' and 'tables' at the top."
        )
    try:
        copied = _copy(data, 0, [MAX_NODES])
    except SpecError as exc:
        raise Where(source).error(str(exc)) from None
    return copied, source


def _looks_like_path(text: str) -> bool:
    return text.lower().endswith((".yaml", ".yml", ".json")) or (
        ":" not in text and "{" not in text and Path(text).is_file()
    )


def plain(value: Any) -> Any:
    """The document as plain dicts and lists (for ``to_dict`` and JSON)."""
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


# version N -> function that turns a version-N document into a version-(N+1) document.
_UPGRADERS: dict[int, Callable[[Map], Map]] = {}


def upgrade_spec(doc: Map, source: str | None = None) -> Map:
    """``doc`` as a current-version spec document, or raise :class:`SpecError`."""
    where = Where(source, (), doc.line)
    fmt = doc.get("format")
    if fmt != SPEC_FORMAT:
        at = where.at("format", doc) if "format" in doc else where
        raise at.error(
            f"This is not a datatwin spec: its 'format' is {fmt!r}; start it with "
            f"'format: {SPEC_FORMAT}' and 'version: {SPEC_VERSION}'."
        )
    version = doc.get("version")
    at = where.at("version", doc) if "version" in doc else where
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise at.error(f"The spec's 'version' is {version!r}; it must be a whole number >= 1.")
    if version > SPEC_VERSION:
        raise at.error(
            f"The spec is version {version}, newer than this datatwin understands "
            f"({SPEC_VERSION}); upgrade datatwin."
        )
    while doc["version"] < SPEC_VERSION:
        doc = _UPGRADERS[doc["version"]](doc)
    return doc
