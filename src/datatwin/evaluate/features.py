"""Tables as numeric feature matrices for the classifiers and distances of the evaluation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from datatwin.evaluate.values import as_numbers
from datatwin.schema.columns import Schema

__all__ = ["MAX_LEVELS", "classifier_frame", "distance_matrix"]

CONTINUOUS = ("numeric", "datetime")
DISCRETE = ("categorical", "boolean", "constant")
MAX_LEVELS = 255  # gradient boosting's limit on categories; beyond it, levels become ranks
TOP_LEVELS = 64  # categories with a one-hot place of their own in the distance space
SHARED_BUCKETS = 16  # places the rarer categories share


def classifier_frame(
    frames: list[pd.DataFrame], schema: Schema, exclude: tuple[str, ...] = ()
) -> list[pd.DataFrame]:
    """The frames as gradient-boosting features over shared categories: numbers stay numbers,
    categories become pandas categoricals (or frequency ranks when there are too many)."""
    outs: list[dict[str, object]] = [{} for _ in frames]
    for column in schema:
        if column.name in exclude or column.kind not in CONTINUOUS + DISCRETE:
            continue
        if column.kind in CONTINUOUS:
            for out, frame in zip(outs, frames, strict=True):
                out[column.name] = as_numbers(frame[column.name], column)
            continue
        texts = [
            frame[column.name].astype(object).where(frame[column.name].notna()) for frame in frames
        ]
        counts = pd.concat(texts, ignore_index=True).value_counts()  # real and synthetic levels
        levels = list(counts.index)
        for out, text in zip(outs, texts, strict=True):
            if len(levels) <= MAX_LEVELS:
                out[column.name] = pd.Categorical(text, categories=levels)
            else:
                rank = pd.Series(np.arange(len(levels), dtype=np.float64), index=levels)
                out[column.name] = text.map(rank).to_numpy(dtype=np.float64, na_value=np.nan)
    return [pd.DataFrame(out, index=frame.index) for out, frame in zip(outs, frames, strict=True)]


def distance_matrix(frames: list[pd.DataFrame], schema: Schema) -> list[np.ndarray]:
    """The frames as rows of a space where Euclidean distance compares records.

    Numbers and dates are scaled to [0, 1] by the first frame's range (missing: -0.5, apart from
    every value); each category is a one-hot block scaled so that two different categories are
    as far apart as the two ends of a numeric range (past the 64 commonest categories, the rest
    share 16 places, so distances between rare categories can only come out too small).
    """
    blocks: list[list[np.ndarray]] = [[] for _ in frames]
    for column in schema:
        if column.kind in CONTINUOUS:
            values = [as_numbers(frame[column.name], column) for frame in frames]
            finite = values[0][~np.isnan(values[0])]
            low, high = (finite.min(), finite.max()) if len(finite) else (0.0, 1.0)
            span = high - low if high > low else 1.0
            for block, v in zip(blocks, values, strict=True):
                block.append(np.where(np.isnan(v), -0.5, (v - low) / span)[:, None])
        elif column.kind in DISCRETE:
            texts = [frame[column.name].astype(object).fillna("\x00missing") for frame in frames]
            levels = pd.Index(pd.concat(texts, ignore_index=True).value_counts().index)
            width = min(len(levels), TOP_LEVELS + SHARED_BUCKETS)
            for block, text in zip(blocks, texts, strict=True):
                codes = levels.get_indexer(text)
                rare = codes >= TOP_LEVELS  # rare levels share buckets: distances err small
                codes[rare] = TOP_LEVELS + codes[rare] % SHARED_BUCKETS
                one_hot = np.zeros((len(text), width), dtype=np.float32)
                one_hot[np.arange(len(text)), codes] = 1.0 / np.sqrt(2.0)
                block.append(one_hot)
    return [
        np.hstack(block).astype(np.float32) if block else np.zeros((len(f), 1), np.float32)
        for block, f in zip(blocks, frames, strict=True)
    ]
