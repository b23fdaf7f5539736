"""Columns that are made up rather than learned: keys and personal data.

Nothing here keeps a real value. Keys are rebuilt from their shape (``N12345`` becomes another
``N`` followed by five digits); personal data is replaced by fake values of the same type (names
from a list of common names, e-mail addresses at the reserved ``example.*`` domains, digits at
random).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from datatwin.schema.columns import Column
from datatwin.schema.patterns import FIRST_NAMES, LAST_NAMES, luhn_valid, value_template
from datatwin.transforms.codecs import ColumnCodec
from datatwin.transforms.dtypes import restore_dtype

__all__ = ["IdCodec", "PiiCodec"]

MAX_TEMPLATES = 20
MIN_GROUP_FOR_FIXED = 5  # a character is kept only when at least this many values share it
POOLS = {
    "9": np.frombuffer(b"0123456789", dtype=np.uint8).astype(np.uint32),
    "A": np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8).astype(np.uint32),
    "a": np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8).astype(np.uint32),
}
LOREM = np.array(
    [
        "lorem",
        "ipsum",
        "dolor",
        "sit",
        "amet",
        "consectetur",
        "adipiscing",
        "elit",
        "sed",
        "do",
        "eiusmod",
        "tempor",
        "incididunt",
        "ut",
        "labore",
        "et",
        "dolore",
        "magna",
        "aliqua",
        "enim",
        "ad",
        "minim",
        "veniam",
        "quis",
        "nostrud",
        "exercitation",
        "ullamco",
        "laboris",
        "nisi",
        "aliquip",
        "ex",
        "ea",
        "commodo",
        "consequat",
        "duis",
        "aute",
        "irure",
        "in",
        "reprehenderit",
        "voluptate",
        "velit",
        "esse",
        "cillum",
        "fugiat",
        "nulla",
        "pariatur",
        "excepteur",
        "sint",
        "occaecat",
        "cupidatat",
        "non",
        "proident",
        "sunt",
        "culpa",
        "qui",
        "officia",
        "deserunt",
        "mollit",
        "anim",
        "id",
        "est",
        "laborum",
    ]
)


def learn_templates(values: pd.Series) -> list[dict[str, Any]]:
    """The most common shapes of ``values``, with the characters all values of a shape share."""
    texts = values.astype(str)
    shapes = texts.map(value_template)
    counts = Counter(shapes.tolist()).most_common(MAX_TEMPLATES)
    templates = []
    for shape, count in counts:
        group = texts[shapes == shape].to_numpy(dtype=str)
        fixed: dict[str, str] = {}
        if count >= MIN_GROUP_FOR_FIXED and len(shape) > 0:
            chars = group.view("<U1").reshape(len(group), -1)
            same = np.all(chars == chars[0], axis=0)
            fixed = {str(i): str(chars[0, i]) for i in np.flatnonzero(same) if shape[i] in "9Aa"}
        templates.append({"shape": shape, "fixed": fixed, "weight": count})
    return templates


def fill_template(template: dict[str, Any], n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` random strings of one template's shape (an object array)."""
    shape: str = template["shape"]
    fixed: dict[str, str] = template["fixed"]
    if not shape:
        return np.full(n, "", dtype=object)
    codes = np.empty((n, len(shape)), dtype=np.uint32)  # one code point per character
    for i, ch in enumerate(shape):
        if str(i) in fixed:
            codes[:, i] = ord(fixed[str(i)])
        elif ch in POOLS:
            pool = POOLS[ch]
            codes[:, i] = pool[rng.integers(0, len(pool), n)]
        else:
            codes[:, i] = ord(ch)
    return codes.view(f"<U{len(shape)}").ravel().astype(object)


def from_templates(templates: list[dict[str, Any]], n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` strings drawn from ``templates`` in proportion to their weights (NaN without any)."""
    if not templates:
        return np.full(n, np.nan, dtype=object)
    weights = np.array([t["weight"] for t in templates], dtype=np.float64)
    choice = rng.choice(len(templates), size=n, p=weights / weights.sum())
    out = np.empty(n, dtype=object)
    for i, template in enumerate(templates):
        rows = np.flatnonzero(choice == i)
        if len(rows):
            out[rows] = fill_template(template, len(rows), rng)
    return out


def capacity(templates: list[dict[str, Any]]) -> int:
    """How many different strings the templates can make."""
    total = 0
    for template in templates:
        count = 1
        for i, ch in enumerate(template["shape"]):
            if ch in POOLS and str(i) not in template["fixed"]:
                count *= len(POOLS[ch])
        total += count
    return total


def _duplicated(values: np.ndarray) -> np.ndarray:
    return pd.Series(values, dtype=object).duplicated().to_numpy()


class _Generated(ColumnCodec):
    """Shared parts: the share of missing values and putting them back."""

    def __init__(self, column: Column, key: str | None = None) -> None:
        super().__init__(column, key)
        self.null_share = 0.0

    def fit(self, series: pd.Series) -> None:
        self.null_share = float(series.isna().mean())

    def _with_nulls(self, values: np.ndarray, rng: np.random.Generator) -> pd.Series:
        if self.null_share > 0:
            values = values.astype(object)
            values[rng.random(len(values)) < self.null_share] = np.nan
        return self._series(restore_dtype(values, self.column.dtype))

    def get_state(self) -> dict[str, Any]:
        return {"null_share": self.null_share}

    def set_state(self, state: dict[str, Any]) -> None:
        self.null_share = float(state["null_share"])


class IdCodec(_Generated):
    """Unique keys: whole numbers count up from the real minimum; strings keep their shape."""

    name = "id"

    def __init__(self, column: Column, key: str | None = None) -> None:
        super().__init__(column, key)
        self.start: int | None = None
        self.templates: list[dict[str, Any]] = []

    def fit(self, series: pd.Series) -> None:
        super().fit(series)
        nonnull = series.dropna()
        if pd.api.types.is_numeric_dtype(series.dtype):
            self.start = int(nonnull.min()) if len(nonnull) else 0
        else:
            self.templates = learn_templates(nonnull) or [{"shape": "", "fixed": {}, "weight": 1}]

    def decode(self, parts: dict[str, np.ndarray], n: int, rng: np.random.Generator) -> pd.Series:
        if self.start is not None:
            return self._with_nulls(np.arange(self.start, self.start + n), rng)
        values = from_templates(self.templates, n, rng)
        if capacity(self.templates) >= 4 * n:  # room enough: redraw the few duplicates
            for _ in range(10):
                dup = _duplicated(values)
                if not dup.any():
                    break
                values[dup] = from_templates(self.templates, int(dup.sum()), rng)
        dup = _duplicated(values)
        if dup.any():  # the shapes cannot hold n different keys: number the repeats
            rows = np.flatnonzero(dup).astype(str).astype(object)
            values[dup] = values[dup] + "-" + rows
        return self._with_nulls(values, rng)

    def get_state(self) -> dict[str, Any]:
        return {**super().get_state(), "start": self.start, "templates": self.templates}

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        self.start = state["start"]
        self.templates = list(state["templates"])


class PiiCodec(_Generated):
    """Personal data: fake values of the same type, never a real one."""

    name = "pii"

    def __init__(self, column: Column, key: str | None = None) -> None:
        super().__init__(column, key)
        self.templates: list[dict[str, Any]] = []
        self.words: list[int] = [1]

    def fit(self, series: pd.Series) -> None:
        super().fit(series)
        nonnull = series.dropna().astype(str)
        kind = self.column.pii_type
        if kind in ("phone", "national_id", "credit_card"):
            self.templates = [
                {**t, "fixed": {}}
                for t in learn_templates(nonnull)  # keep no real digit
            ]
        elif kind in ("name", "text") and len(nonnull):
            counts = np.array([len(v.split()) for v in nonnull.tolist()])
            self.words = np.quantile(counts, np.linspace(0, 1, 11)).round().astype(int).tolist()

    def _word_counts(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.maximum(1, np.asarray(self.words)[rng.integers(0, len(self.words), n)])

    def _names(self, n: int, rng: np.random.Generator) -> np.ndarray:
        first = np.array(FIRST_NAMES, dtype=object)[rng.integers(0, len(FIRST_NAMES), n)]
        last = np.array(LAST_NAMES, dtype=object)[rng.integers(0, len(LAST_NAMES), n)]
        single = self._word_counts(n, rng) == 1
        return np.where(single, first, first + " " + last)

    def _emails(self, n: int, rng: np.random.Generator) -> np.ndarray:
        first = np.char.lower(np.array(FIRST_NAMES)[rng.integers(0, len(FIRST_NAMES), n)])
        last = np.char.lower(np.array(LAST_NAMES)[rng.integers(0, len(LAST_NAMES), n)])
        number = rng.integers(1, 10_000, n).astype(str)
        domain = np.array(["example.com", "example.org", "example.net"])[rng.integers(0, 3, n)]
        return (first.astype(object) + "." + last + number + "@" + domain).astype(object)

    def _text(self, n: int, rng: np.random.Generator) -> np.ndarray:
        counts = self._word_counts(n, rng)
        words = LOREM[rng.integers(0, len(LOREM), int(counts.sum()))]
        ends = np.cumsum(counts)
        return np.array(
            [
                " ".join(words[e - c : e]).capitalize() + "."
                for c, e in zip(counts, ends, strict=True)
            ],
            dtype=object,
        )

    def _cards(self, n: int, rng: np.random.Generator) -> np.ndarray:
        values = from_templates(self.templates, n, rng)
        out = []
        for value in values:  # make the check digit right, as real numbers have it
            digits = "".join(ch for ch in value if ch.isdigit())
            last = next(d for d in "0123456789" if luhn_valid(digits[:-1] + d))
            position = max(i for i, ch in enumerate(value) if ch.isdigit())
            out.append(value[:position] + last + value[position + 1 :])
        return np.array(out, dtype=object)

    def decode(self, parts: dict[str, np.ndarray], n: int, rng: np.random.Generator) -> pd.Series:
        kind = self.column.pii_type
        if kind == "email":
            values = self._emails(n, rng)
        elif kind == "name":
            values = self._names(n, rng)
        elif kind == "text":
            values = self._text(n, rng)
        elif kind == "ip_address":
            octets = rng.integers(1, 255, (n, 4)).astype(str).astype(object)
            values = octets[:, 0] + "." + octets[:, 1] + "." + octets[:, 2] + "." + octets[:, 3]
        elif kind == "credit_card":
            values = self._cards(n, rng)
        else:
            values = from_templates(self.templates, n, rng)
        return self._with_nulls(np.asarray(values, dtype=object), rng)

    def get_state(self) -> dict[str, Any]:
        return {**super().get_state(), "templates": self.templates, "words": self.words}

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        self.templates = list(state["templates"])
        self.words = [int(w) for w in state["words"]]
