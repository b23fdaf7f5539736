"""Reversible transforms between table columns and the numeric parts that models learn from."""

from datatwin.transforms.parts import Part
from datatwin.transforms.table import TableCodec

__all__ = ["Part", "TableCodec"]
