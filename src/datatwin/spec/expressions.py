"""Expressions in a spec: the project's safe expression language, with ``parent.<column>``.

A spec's expressions (derived columns, datetime bounds, ``check`` rules) are
:class:`datatwin.expression.Expression` objects; the only addition is that ``parent.opened``
names the column ``opened`` of the parent row. The parser treats ``a.b`` as (forbidden) attribute
access, so such names are written as backticked column names before parsing and shown back as
written in messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from datatwin.errors import ExpressionError
from datatwin.expression import Expression
from datatwin.spec.base import PARENT
from datatwin.spec.document import Where

__all__ = ["compile_expression", "rewrite_parent"]

_PARENT_NAME = re.compile(r"\bparent\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)")


def rewrite_parent(source: str) -> tuple[str, dict[str, str]]:
    """``source`` with each ``parent.x`` outside strings and backticks as `` `parent.x` ``, and a
    map from each backticked form back to the text as written."""
    out: list[str] = []
    shown: dict[str, str] = {}
    i = 0
    while i < len(source):
        char = source[i]
        if char in "'\"`":
            stop = source.find(char, i + 1)
            stop = len(source) if stop < 0 else stop + 1
            out.append(source[i:stop])
            i = stop
            continue
        match = _PARENT_NAME.match(source, i)
        if match and (i == 0 or not (source[i - 1].isalnum() or source[i - 1] in "_.")):
            token = f"`{PARENT}{match.group(1)}`"
            shown[token] = match.group(0)
            out.append(token)
            i = match.end()
            continue
        out.append(char)
        i += 1
    return "".join(out), shown


def compile_expression(
    source: object, where: Where, what: str, known: Iterable[str] | None
) -> Expression:
    """Parse ``source``; a mistake becomes a :class:`SpecError` at ``where``."""
    if not isinstance(source, str) or not source.strip():
        raise where.error(f"{what} needs an expression as text; got {source!r}.")
    rewritten, shown = rewrite_parent(source)
    try:
        return Expression.parse(rewritten, None if known is None else sorted(known))
    except ExpressionError as exc:
        message = str(exc)
        for token, text in shown.items():
            message = message.replace(token, text)
        message = message.replace(repr(rewritten), repr(source))
        raise where.error(f"In {what}: {message}") from None
