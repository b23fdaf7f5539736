"""A small, safe expression language over the columns of a table.

Expressions use Python's expression syntax (``total == net + tax``, ``age >= 18 and income > 0``,
``country in ["NO", "SE"]``, ``days(discharged - admitted)``) but are never compiled or run as
Python: the parser accepts only constants, column names (`` `net amount` `` for names that are
not identifiers), arithmetic, comparisons, ``and``/``or``/``not``, ``x if c else y`` and the
functions in :data:`FUNCTIONS`, and evaluation works on whole columns with numpy.
"""

from __future__ import annotations

from datatwin.errors import ExpressionError
from datatwin.expression.evaluate import Expression
from datatwin.expression.parse import FUNCTIONS

__all__ = ["FUNCTIONS", "Expression", "ExpressionError"]
