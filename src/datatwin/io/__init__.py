"""Reading and writing tables and model files (``datatwin.io.load`` reads model files)."""

from datatwin.io.tables import read_table, write_table

__all__ = ["read_table", "write_table"]
