"""Measures of how close a synthetic table is to the real one, and how private."""

from datatwin.evaluate.pairs import column_pairs
from datatwin.evaluate.report import Report, evaluate
from datatwin.evaluate.shapes import column_shape, column_shapes

__all__ = ["Report", "column_pairs", "column_shape", "column_shapes", "evaluate"]
