"""Hypothesis strategies for tables datatwin should handle: every column kind, gaps, odd names."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st

ROWS = st.integers(min_value=1, max_value=40)
NAMES = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=8
)
WORDS = st.sampled_from(["a", "b", "Øst", "名前", "x y", "🎉"])


@st.composite
def columns(draw: st.DrawFn, n: int) -> pd.Series:
    """One column of ``n`` rows, of a kind drawn at random."""
    kind = draw(
        st.sampled_from(
            [
                "int",
                "nullable_int",
                "float",
                "inf",
                "category",
                "bool",
                "date",
                "stamp",
                "constant",
                "empty",
            ]
        )
    )
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    gaps = rng.random(n) < draw(st.sampled_from([0.0, 0.2]))
    if kind == "int":
        return pd.Series(rng.integers(-50, 50, n))
    if kind == "nullable_int":
        values = pd.array(rng.integers(0, 1000, n), dtype="Int64")
        values[gaps] = pd.NA
        return pd.Series(values)
    if kind in ("float", "inf"):
        values = np.round(rng.normal(0, 100, n), draw(st.integers(0, 4)))
        values[gaps] = np.nan
        if kind == "inf":
            values[rng.random(n) < 0.2] = np.inf
        return pd.Series(values)
    if kind == "category":
        values = np.array(draw(st.lists(WORDS, min_size=n, max_size=n)), dtype=object)
        values[gaps] = None
        return pd.Series(values, dtype="str")
    if kind == "bool":
        return pd.Series(rng.random(n) < 0.4)
    if kind in ("date", "stamp"):
        stamps = pd.Timestamp("2001-02-03") + pd.to_timedelta(rng.integers(0, 9000, n), "D")
        series = pd.Series(stamps).where(~gaps)
        return series.dt.strftime("%Y-%m-%d") if kind == "date" else series
    if kind == "constant":
        return pd.Series(["same"] * n)
    return pd.Series([np.nan] * n)


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    """A data frame of 1 to 40 rows and 1 to 5 columns with distinct (unicode) names."""
    n = draw(ROWS)
    names = draw(st.lists(NAMES, min_size=1, max_size=5, unique=True))
    return pd.DataFrame({name: draw(columns(n)) for name in names})
