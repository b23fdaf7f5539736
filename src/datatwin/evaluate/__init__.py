"""Measures of how close a synthetic table is to the real one."""

from datatwin.evaluate.pairs import column_pairs
from datatwin.evaluate.shapes import column_shape, column_shapes

__all__ = ["column_pairs", "column_shape", "column_shapes"]
