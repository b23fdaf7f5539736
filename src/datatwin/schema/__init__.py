"""Column kinds, schema detection and the schema's JSON form."""

from datatwin.schema.columns import KINDS, PII_TYPES, Column, Schema
from datatwin.schema.detect import detect_schema

__all__ = ["KINDS", "PII_TYPES", "Column", "Schema", "detect_schema"]
