"""Reading and writing tables and model files."""

from datatwin.io.load import load
from datatwin.io.tables import read_table, write_table

__all__ = ["load", "read_table", "write_table"]
