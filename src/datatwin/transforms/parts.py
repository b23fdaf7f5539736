"""The numeric pieces that a table is encoded into for a model to learn from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = ["Part"]


@dataclass(frozen=True)
class Part:
    """One model input derived from a column.

    A ``continuous`` part holds float64 values (NaN where the row has no value, for example when
    it is missing); a ``discrete`` part holds int32 codes in ``range(levels)``, ``ordered`` when
    the code order means something.
    """

    key: str
    column: str
    kind: Literal["continuous", "discrete"]
    levels: int
    data: np.ndarray
    ordered: bool = False  # discrete codes whose order means something (sizes, ranks)
