"""The exception hierarchy: one root, each class also inheriting the matching builtin.

Every error raised for a user mistake carries one sentence that says what is wrong and what to do,
so the command line can print it as it is, without a traceback.
"""

from __future__ import annotations

__all__ = [
    "DataError",
    "DatatwinError",
    "ExpressionError",
    "MissingDependencyError",
    "ModelFileError",
    "NotFittedError",
    "ParameterError",
    "SchemaError",
    "SpecError",
]


class DatatwinError(Exception):
    """The root of every error that datatwin raises on purpose."""


class ParameterError(DatatwinError, ValueError):
    """A parameter has the wrong type or value."""


class DataError(DatatwinError, ValueError):
    """The input table cannot be used as it is (empty, unreadable, duplicate columns, ...)."""


class SchemaError(DatatwinError, ValueError):
    """A schema is malformed or does not match the table it is used with."""


class SpecError(DatatwinError, ValueError):
    """A generation spec is malformed, inconsistent, or asks for something that cannot be made.

    ``path`` is the place in the spec the error is about, as dotted keys
    (``"tables.accounts.columns.balance"``; ``""`` for the whole spec) and ``line`` the 1-based line
    of that place in the spec's text (``None`` when the spec was not read from text).
    """

    def __init__(self, message: str, *, line: int | None = None, path: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.path = path

    def __reduce__(self) -> tuple[object, ...]:
        return (_make_spec_error, (str(self), self.line, self.path))


class NotFittedError(DatatwinError, ValueError):
    """A synthesizer was asked to sample or save before it was fitted."""


class ModelFileError(DatatwinError, ValueError):
    """A model file is truncated, foreign, tampered with, or from an unsupported version."""


class MissingDependencyError(DatatwinError, ImportError):
    """An optional dependency that a feature needs is not installed."""


class ExpressionError(DatatwinError, ValueError):
    """An expression is malformed, unsafe, or cannot be evaluated on the table it is given.

    ``source`` is the expression's text and ``offset`` the 0-based character offset in it of the
    offending token (``None`` when the error is not about one place), so that a spec loader can
    report a line and column.
    """

    def __init__(self, message: str, *, source: str = "", offset: int | None = None) -> None:
        super().__init__(message)
        self.source = source
        self.offset = offset

    def __reduce__(self) -> tuple[object, ...]:
        return (_make_expression_error, (str(self), self.source, self.offset))


def _make_expression_error(message: str, source: str, offset: int | None) -> ExpressionError:
    return ExpressionError(message, source=source, offset=offset)


def _make_spec_error(message: str, line: int | None, path: str) -> SpecError:
    return SpecError(message, line=line, path=path)
