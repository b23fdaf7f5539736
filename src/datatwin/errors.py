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
]


class DatatwinError(Exception):
    """The root of every error that datatwin raises on purpose."""


class ParameterError(DatatwinError, ValueError):
    """A parameter has the wrong type or value."""


class DataError(DatatwinError, ValueError):
    """The input table cannot be used as it is (empty, unreadable, duplicate columns, ...)."""


class SchemaError(DatatwinError, ValueError):
    """A schema is malformed or does not match the table it is used with."""


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
