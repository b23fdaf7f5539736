"""Parse and check an expression: Python's expression syntax, walked with an explicit allow-list.

The source is parsed with :func:`ast.parse` in ``eval`` mode and never compiled or run; the walk
below turns the allowed part of Python's syntax tree into the small node classes of this module
and rejects everything else with an :class:`ExpressionError` that points at the offending token.
Column names that are not identifiers are written in backticks (`` `net amount` * 2 ``); they are
swapped for placeholder identifiers before parsing and mapped back, offsets included, afterwards.
"""

from __future__ import annotations

import ast
import difflib
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from datatwin.errors import ExpressionError

__all__ = ["FUNCTIONS", "MAX_DEPTH", "MAX_LENGTH", "Node", "is_boolean", "parse"]

MAX_LENGTH = 10_000
"""The longest source accepted, in characters."""

MAX_DEPTH = 50
"""The deepest nesting of operators and calls accepted."""

FUNCTIONS: Mapping[str, str] = MappingProxyType(
    {
        "abs": "abs(x): the absolute value of a number or a duration",
        "sqrt": "sqrt(x): the square root (NaN for negative numbers)",
        "log": "log(x): the natural logarithm (-inf at 0, NaN below)",
        "log2": "log2(x): the base-2 logarithm",
        "log10": "log10(x): the base-10 logarithm",
        "exp": "exp(x): e to the power x",
        "floor": "floor(x): the largest whole number <= x",
        "ceil": "ceil(x): the smallest whole number >= x",
        "round": "round(x[, ndigits]): x rounded half to even to ndigits decimals (default 0)",
        "min": "min(a, b, ...): the smallest argument, row by row (missing if any is missing)",
        "max": "max(a, b, ...): the largest argument, row by row (missing if any is missing)",
        "clip": "clip(x, lo, hi): x limited to the range [lo, hi]",
        "isnull": "isnull(x): true where x is missing",
        "notnull": "notnull(x): true where x is not missing",
        "days": "days(d): the duration d in days, as a number",
        "hours": "hours(d): the duration d in hours, as a number",
        "year": "year(t): the year of the date-time t",
        "month": "month(t): the month (1-12) of the date-time t",
        "day": "day(t): the day of the month (1-31) of the date-time t",
        "weekday": "weekday(t): the day of the week of the date-time t (Monday = 0)",
        "hour": "hour(t): the hour (0-23) of the date-time t",
        "len": "len(s): the number of characters in the string s",
        "lower": "lower(s): the string s in lower case",
        "upper": "upper(s): the string s in upper case",
    }
)
"""The functions an expression may call: name -> a short description for docs and messages."""

_ARITY: dict[str, tuple[int, int | None]] = dict.fromkeys(FUNCTIONS, (1, 1))
_ARITY |= {"round": (1, 2), "min": (2, None), "max": (2, None), "clip": (3, 3)}

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_BINARY |= {ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**"}
_BITWISE = {ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<"}
_BITWISE |= {ast.RShift: ">>", ast.MatMult: "@"}
_COMPARE = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_FORBIDDEN: dict[type, str] = {ast.Attribute: "attribute access", ast.Subscript: "indexing"}
_FORBIDDEN |= {ast.Lambda: "a lambda", ast.NamedExpr: "assignment (':=')", ast.Dict: "a dict"}
_FORBIDDEN |= {ast.JoinedStr: "an f-string", ast.Starred: "unpacking ('*')"}
_FORBIDDEN |= dict.fromkeys((ast.List, ast.Tuple, ast.Set), "a list outside 'x in [...]'")
_FORBIDDEN |= dict.fromkeys((ast.ListComp, ast.SetComp, ast.DictComp), "a comprehension")
_FORBIDDEN[ast.GeneratorExp] = "a comprehension"
_SKIP = re.compile(r"[\s)]*")
_LINE_END = re.compile(r"[\r\n]")
_EXAMPLE = "'total == net + tax'"
_IN_EXAMPLE = '\'country in ["NO", "SE"]\''


@dataclass(frozen=True, slots=True)
class Node:
    """One node of a parsed expression: where it starts in the source and its text there."""

    offset: int
    text: str


@dataclass(frozen=True, slots=True)
class Constant(Node):
    value: float | str | bool | None


@dataclass(frozen=True, slots=True)
class Column(Node):
    name: str


@dataclass(frozen=True, slots=True)
class Unary(Node):
    op: str  # "-", "+" or "not"
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary(Node):
    op: str  # "+", "-", "*", "/", "//", "%" or "**"
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Compare(Node):
    """``a < b <= c``: operands ``(a, b, c)`` and ops ``("<", "<=")``."""

    ops: tuple[str, ...]
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Membership(Node):
    operand: Node
    values: tuple[float | str | bool, ...]
    negated: bool


@dataclass(frozen=True, slots=True)
class Logical(Node):
    op: str  # "and" or "or"
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Conditional(Node):
    condition: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True, slots=True)
class Call(Node):
    name: str
    args: tuple[Node, ...]


def quote(source: str) -> str:
    """``source`` quoted for a message, shortened when it is long."""
    return repr(source if len(source) <= 80 else source[:77] + "...")


def name_list(names: Iterable[str]) -> str:
    """A list of names for a message, shortened when it is long."""
    shown = list(dict.fromkeys(names))
    if len(shown) <= 20:
        return repr(shown)
    return repr(shown[:20])[:-1] + f", ... ({len(shown) - 20} more)]"


def is_boolean(node: Node) -> bool:
    """Whether ``node`` gives true/false values (best effort, from its shape alone)."""
    if isinstance(node, Conditional):
        return is_boolean(node.then) and is_boolean(node.otherwise)
    return (
        isinstance(node, Compare | Membership | Logical)
        or (isinstance(node, Unary) and node.op == "not")
        or (isinstance(node, Call) and node.name in ("isnull", "notnull"))
        or (isinstance(node, Constant) and isinstance(node.value, bool))
    )


def parse(source: str, columns: Iterable[str] | None = None) -> tuple[Node, frozenset[str]]:
    """Parse ``source`` into a tree of nodes and the set of column names it uses.

    When ``columns`` is given, a name that is not among them is an error.
    """
    if not isinstance(source, str):
        raise ExpressionError(
            f"An expression must be a string; got {source!r} ({type(source).__name__}).",
            source=repr(source),
        )
    if len(source) > MAX_LENGTH:
        raise ExpressionError(
            f"The expression is {len(source)} characters long, more than the limit of "
            f"{MAX_LENGTH}; split it into smaller expressions.",
            source=source,
        )
    walker = _Walker(source, None if columns is None else list(columns))
    if not walker.rewritten.strip():
        raise walker.fail(f"is empty; write a formula such as {_EXAMPLE}.", None)
    return walker.walk(walker.parse(), 0, allow_none=True), frozenset(walker.used)


class _Walker:
    """Maps Python's syntax tree to nodes, offsets included, and rejects what is not allowed."""

    def __init__(self, source: str, known: list[str] | None) -> None:
        self.source = source
        self.known = known
        self.used: list[str] = []
        rewritten, self.names, self.segments = _swap_backticks(source)
        self.rewritten = rewritten.lstrip(" \t\f\r\n")  # eval mode rejects a leading indent
        self.lead = len(rewritten) - len(self.rewritten)
        self.line_starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", self.rewritten)]

    def fail(self, message: str, offset: int | None) -> ExpressionError:
        return ExpressionError(
            f"The expression {quote(self.source)} {message}", source=self.source, offset=offset
        )

    def parse(self) -> ast.expr:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SyntaxWarning)
                warnings.simplefilter("ignore", DeprecationWarning)
                return ast.parse(self.rewritten, mode="eval").body
        except SyntaxError as exc:
            offset = self._syntax_offset(exc)
            at = "" if offset is None else f" at character {offset}"
            if offset is not None and re.match(r"=(?!=)", self.source[offset:]):
                raise self.fail(f"uses '='{at}; compare with '=='.", offset) from None
            reason = (exc.msg or "invalid syntax").split(" (")[0]
            raise self.fail(
                f"is not valid{at} ({reason}); write a formula such as {_EXAMPLE}.", offset
            ) from None
        except (RecursionError, MemoryError, ValueError, OverflowError):
            raise self.fail(
                "is too large or too deeply nested to parse; split it into smaller expressions.",
                None,
            ) from None

    def _syntax_offset(self, exc: SyntaxError) -> int | None:
        if not exc.lineno or exc.offset is None or exc.lineno > len(self.line_starts):
            return None
        if exc.offset < 1:  # the input ended too early
            return len(self.source)
        start = self.line_starts[exc.lineno - 1]
        position = min(start + exc.offset - 1, len(self.rewritten))
        return min(self._map(position, end=False), len(self.source))

    def _map(self, position: int, *, end: bool) -> int:
        """The offset in the source of ``position`` in the rewritten source."""
        position += self.lead
        shift = 0
        for r_start, r_end, s_start, s_end in self.segments:
            if position < r_start or (position == r_start and end):
                break
            if position < r_end or (position == r_end and end):
                return s_end if end else s_start
            shift += (s_end - s_start) - (r_end - r_start)
        return position + shift

    def _char(self, line: int, byte_column: int) -> int:
        start = self.line_starts[line - 1]
        stop = self.line_starts[line] if line < len(self.line_starts) else len(self.rewritten)
        text = self.rewritten[start:stop].encode("utf-8")[:byte_column]
        return start + len(text.decode("utf-8", errors="ignore"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = self._char(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        stop = self._char(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        return self._map(start, end=False), self._map(stop, end=True)

    def where(self, node: ast.AST) -> tuple[int, str]:
        start, stop = self.span(node)
        return start, self.source[start:stop]

    def walk(self, node: ast.expr, depth: int, *, allow_none: bool = False) -> Node:
        offset, text = self.where(node)
        if depth > MAX_DEPTH:
            raise self.fail(
                f"is nested more than {MAX_DEPTH} levels deep; split it into smaller expressions.",
                offset,
            )
        deeper = depth + 1
        match node:
            case ast.Constant(value=value):
                return Constant(offset, text, self.constant(value, offset, text, allow_none))
            case ast.Name(id=name):
                return self.column(self.names.get(name, text), offset, text)
            case ast.UnaryOp(op=op, operand=operand):
                if isinstance(op, ast.Invert):
                    raise self.fail("uses '~', which is not allowed; use 'not'.", offset)
                symbol = {ast.USub: "-", ast.UAdd: "+", ast.Not: "not"}[type(op)]
                return Unary(offset, text, symbol, self.walk(operand, deeper))
            case ast.BinOp():
                return self.binary(node, offset, text, deeper)
            case ast.BoolOp(op=op, values=values):
                kind = "and" if isinstance(op, ast.And) else "or"
                return Logical(offset, text, kind, tuple(self.walk(v, deeper) for v in values))
            case ast.Compare():
                return self.compare(node, offset, text, deeper)
            case ast.IfExp(test=test, body=body, orelse=orelse):
                return Conditional(
                    offset,
                    text,
                    self.walk(test, deeper),
                    self.walk(body, deeper, allow_none=True),
                    self.walk(orelse, deeper, allow_none=True),
                )
            case ast.Call():
                return self.call(node, offset, text, deeper)
        what = _FORBIDDEN.get(type(node), f"Python syntax of kind {type(node).__name__}")
        if isinstance(node, ast.Attribute):
            offset = self.span(node)[1] - len(node.attr)
        raise self.fail(
            f"uses {what} in {text!r}, which is not allowed; use only columns, constants, "
            "operators and the functions in datatwin.expression.FUNCTIONS.",
            offset,
        )

    def constant(
        self, value: object, offset: int, text: str, allow_none: bool
    ) -> float | str | bool | None:
        if value is None and not allow_none:
            raise self.fail(
                "uses None where a value is needed; None may only stand alone or be a branch of "
                "'x if condition else None', and isnull(x) tests for missing values.",
                offset,
            )
        if value is None or isinstance(value, bool | str | float):
            return value
        if isinstance(value, int):
            try:
                return float(value)
            except OverflowError:
                raise self.fail(
                    f"uses the number {text[:30]!r}, which is too large; use a float like 1e300.",
                    offset,
                ) from None
        raise self.fail(
            f"uses the constant {text!r}, which is not allowed; use numbers, strings, True, False "
            "or None.",
            offset,
        )

    def column(self, name: str, offset: int, text: str) -> Column:
        if self.known is not None and name not in self.known:
            close = difflib.get_close_matches(name, self.known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise self.fail(
                f"uses column {name!r}, which the table does not have{hint}; columns are "
                f"{name_list(self.known)}.",
                offset,
            )
        self.used.append(name)
        return Column(offset, text, name)

    def binary(self, node: ast.BinOp, offset: int, text: str, deeper: int) -> Binary:
        if type(node.op) in _BITWISE:
            symbol = _BITWISE[type(node.op)]
            hint = {"&": "use 'and'", "|": "use 'or'"}.get(symbol, "use + - * / // % **")
            match = _SKIP.match(self.source, self.span(node.left)[1])
            position = match.end() if match else offset
            raise self.fail(f"uses '{symbol}', which is not allowed; {hint}.", position)
        left, right = self.walk(node.left, deeper), self.walk(node.right, deeper)
        return Binary(offset, text, _BINARY[type(node.op)], left, right)

    def compare(self, node: ast.Compare, offset: int, text: str, deeper: int) -> Node:
        left, ops, comparators = node.left, node.ops, node.comparators
        if any(isinstance(op, ast.Is | ast.IsNot) for op in ops):
            raise self.fail(
                "uses 'is', which is not allowed; use isnull(x) or notnull(x) for missing values "
                "and '==' for other comparisons.",
                offset,
            )
        if any(isinstance(op, ast.In | ast.NotIn) for op in ops):
            if len(ops) > 1:
                raise self.fail(
                    f"chains 'in' with other comparisons; write it alone, as in {_IN_EXAMPLE}.",
                    offset,
                )
            values = self.literal_list(comparators[0])
            return Membership(
                offset, text, self.walk(left, deeper), values, isinstance(ops[0], ast.NotIn)
            )
        operands = [left, *comparators]
        for operand in operands:
            if isinstance(operand, ast.Constant) and operand.value is None:
                raise self.fail(
                    "compares with None, which is never true because comparisons with missing "
                    "values are false; use isnull(x) or notnull(x).",
                    self.span(operand)[0],
                )
        return Compare(
            offset,
            text,
            tuple(_COMPARE[type(op)] for op in ops),
            tuple(self.walk(operand, deeper) for operand in operands),
        )

    def literal_list(self, node: ast.expr) -> tuple[float | str | bool, ...]:
        offset, text = self.where(node)
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            values: list[float | str | bool] = []
            for element in node.elts:
                sign, inner = 1.0, element
                while isinstance(inner, ast.UnaryOp) and isinstance(inner.op, ast.USub | ast.UAdd):
                    sign *= -1.0 if isinstance(inner.op, ast.USub) else 1.0
                    inner = inner.operand
                if not isinstance(inner, ast.Constant) or inner.value is None:
                    break
                at, element_text = self.where(inner)
                value = self.constant(inner.value, at, element_text, allow_none=False)
                if value is None or (inner is not element and not isinstance(value, float)):
                    break
                values.append(sign * value if isinstance(value, float) else value)
            else:
                return tuple(values)
        raise self.fail(
            f"uses 'in' with {text!r}, which is not a list of constants; write the values in "
            f"brackets, as in {_IN_EXAMPLE}.",
            offset,
        )

    def call(self, node: ast.Call, offset: int, text: str, deeper: int) -> Call:
        allowed = f"allowed functions are {name_list(FUNCTIONS)}"
        if not isinstance(node.func, ast.Name):
            name = self.where(node.func)[1]
            raise self.fail(f"calls {name!r}, which is not a function name; {allowed}.", offset)
        name = self.where(node.func)[1]
        if name not in FUNCTIONS:
            raise self.fail(f"calls {name!r}, which is not allowed; {allowed}.", offset)
        if node.keywords:
            keyword = node.keywords[0]
            raise self.fail(
                f"passes the keyword argument {keyword.arg or '**'!r} to {name!r}; pass arguments "
                "by position, as in 'round(x, 2)'.",
                self.where(keyword)[0],
            )
        args = tuple(self.walk(arg, deeper) for arg in node.args)
        low, high = _ARITY[name]
        if len(args) < low or (high is not None and len(args) > high):
            takes = {(1, 1): "1", (1, 2): "1 or 2", (2, None): "2 or more", (3, 3): "3"}
            raise self.fail(
                f"calls {name!r} with {len(args)} argument{'s' if len(args) != 1 else ''}, but it "
                f"takes {takes[(low, high)]} ({FUNCTIONS[name]}).",
                offset,
            )
        if name == "round" and len(args) == 2:
            digits = args[1]
            negative = isinstance(digits, Unary) and digits.op == "-"
            inner = digits.operand if isinstance(digits, Unary) else digits
            value = inner.value if isinstance(inner, Constant) else None
            if not isinstance(value, float) or not value.is_integer() or abs(value) > 400:
                raise self.fail(
                    f"calls 'round' with {digits.text!r} as the number of digits, which must be a "
                    "whole-number constant between -400 and 400, such as 2.",
                    digits.offset,
                )
            args = (args[0], Constant(digits.offset, digits.text, -value if negative else value))
        return Call(offset, text, name, args)


def _swap_backticks(source: str) -> tuple[str, dict[str, str], list[tuple[int, int, int, int]]]:
    """Prepare ``source`` for :func:`ast.parse`.

    Line breaks and comments outside string literals become spaces (so an expression may span
    lines without parentheses), and each `` `name` `` becomes a placeholder identifier padded by
    spaces. Returns the rewritten source, placeholder -> column name, and for each placeholder its
    span in the rewritten source and the span of the backticked name in ``source``.
    """
    chars = list(source)
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(source):
        if source[i] in "'\"":
            i = _skip_string(source, i)
        elif source[i] in "#\r\n":
            line_end = _LINE_END.search(source, i + 1) if source[i] == "#" else None
            stop_at = line_end.start() if line_end else len(source) if source[i] == "#" else i + 1
            chars[i:stop_at] = " " * (stop_at - i)
            i = stop_at
        elif source[i] == "`":
            stop_at = source.find("`", i + 1)
            name = source[i + 1 : stop_at]
            if stop_at < 0 or not name.strip() or _LINE_END.search(name):
                problem = "is empty" if stop_at > 0 and not name.strip() else "is not closed"
                raise ExpressionError(
                    f"The expression {quote(source)} has a backticked column name at character {i} "
                    f"that {problem}; write names that are not identifiers as `net amount`.",
                    source=source,
                    offset=i,
                )
            spans.append((i, stop_at + 1))
            i = stop_at + 1
        else:
            i += 1
    cleaned = "".join(chars)
    prefix = "_bt"
    while prefix in source:
        prefix += "_"
    parts: list[str] = []
    names: dict[str, str] = {}
    segments: list[tuple[int, int, int, int]] = []
    length = done = 0  # the length of the rewritten text so far; how much of source is done
    for start, stop in spans:
        placeholder = f"{prefix}{len(names)}"
        names[placeholder] = source[start + 1 : stop - 1]
        parts += [cleaned[done:start], f" {placeholder} "]
        length += start - done
        segments.append((length, length + len(placeholder) + 2, start, stop))
        length += len(placeholder) + 2
        done = stop
    parts.append(cleaned[done:])
    return "".join(parts), names, segments


def _skip_string(source: str, start: int) -> int:
    """The index just past the string literal that opens at ``start`` (or where it breaks off)."""
    quote_char = source[start]
    closing = quote_char * 3 if source.startswith(quote_char * 3, start) else quote_char
    i = start + len(closing)
    while i < len(source):
        if source[i] == "\\":
            i += 2
        elif source.startswith(closing, i):
            return i + len(closing)
        elif len(closing) == 1 and source[i] in "\r\n":
            return i
        else:
            i += 1
    return len(source)
