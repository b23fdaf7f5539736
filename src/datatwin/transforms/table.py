"""The codec of a whole table: the schema's columns to model parts, and back to a data frame."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from datatwin.errors import SchemaError
from datatwin.schema.columns import Schema
from datatwin.transforms.codecs import (
    CategoryCodec,
    ColumnCodec,
    DatetimeCodec,
    EmptyCodec,
    NumericCodec,
)
from datatwin.transforms.generators import IdCodec, PiiCodec
from datatwin.transforms.parts import Part

__all__ = ["TableCodec"]

CODEC_FOR_KIND: dict[str, type[ColumnCodec]] = {
    "numeric": NumericCodec,
    "datetime": DatetimeCodec,
    "categorical": CategoryCodec,
    "boolean": CategoryCodec,
    "constant": CategoryCodec,
    "empty": EmptyCodec,
    "id": IdCodec,
    "pii": PiiCodec,
}


class TableCodec:
    """One codec per schema column, in table order."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        # parts are keyed by column position: names can be anything, even "x#state"
        self.codecs = [CODEC_FOR_KIND[c.kind](c, str(i)) for i, c in enumerate(schema)]

    @classmethod
    def fit(cls, schema: Schema, df: pd.DataFrame) -> TableCodec:
        """A codec that has learned each column of ``df`` as the schema describes it."""
        missing = [name for name in schema.names if name not in df.columns]
        extra = [name for name in df.columns if name not in schema.names]
        if missing or extra:
            raise SchemaError(
                f"The schema does not match the table: columns {missing} are missing from the "
                f"table and {extra} from the schema; detect the schema again or edit it."
            )
        codec = cls(schema)
        for column_codec in codec.codecs:
            column_codec.fit(df[column_codec.column.name])
        return codec

    def encode(self, df: pd.DataFrame) -> list[Part]:
        """Every model part of ``df``, column by column."""
        return [part for codec in self.codecs for part in codec.encode(df[codec.column.name])]

    def decode(
        self, parts: dict[str, np.ndarray], n: int, rng: np.random.Generator
    ) -> pd.DataFrame:
        """The output table from model parts (made-up columns are drawn from ``rng``)."""
        columns = {codec.column.name: codec.decode(parts, n, rng) for codec in self.codecs}
        frame = pd.DataFrame(columns, columns=self.schema.names, copy=False)  # no consolidation
        frame.index = pd.RangeIndex(n)
        return frame

    def get_state(self) -> list[dict[str, Any]]:
        """Each column codec's learned state, in table order."""
        return [codec.get_state() for codec in self.codecs]

    @classmethod
    def from_state(cls, schema: Schema, states: list[dict[str, Any]]) -> TableCodec:
        """Rebuild a fitted codec from :meth:`get_state`'s output."""
        codec = cls(schema)
        if len(states) != len(codec.codecs):
            raise SchemaError("The model's column states do not match its schema.")
        for column_codec, state in zip(codec.codecs, states, strict=True):
            column_codec.set_state(state)
        return codec
