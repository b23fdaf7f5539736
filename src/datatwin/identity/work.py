"""Company names and job titles.

A company is named after one surname (``Hansen AS``), two (``Smith & Clarke LLC``), or a word
and a trade (``Nordlys Eiendom AS``), with one of the locale's legal forms. Its surnames are drawn
on their own, not from the row's person.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from datatwin.identity._rows import Rows
from datatwin.identity._text import Objects, Pool, join
from datatwin.identity.locales import load, skewed

__all__ = ["draw_company", "draw_job", "work_fields"]

ONE_NAME, TWO_NAMES = 0.35, 0.55  # cumulative shares of the patterns; the rest: word and trade


@dataclass(frozen=True)
class Firms:
    heads: Pool  # surnames, then every "word trade" pair
    n_last: int
    partners: Pool  # "", then " & <surname>" for every surname
    suffixes: Pool  # " <legal form>"
    jobs: Pool


@cache
def firms(code: str) -> Firms:
    data = load(code)
    last = [name.split(" ")[0] if data.spec.two_surnames else name for name in data.last]
    words, trades = data.company_words, data.company_trades
    if data.spec.trade_first:
        pairs = [f"{t} {w}" for w in words for t in trades]
    else:
        pairs = [f"{w} {t}" for w in words for t in trades]
    conjunction = " y " if data.spec.two_surnames else " & "
    return Firms(
        heads=Pool([*last, *pairs]),
        n_last=len(last),
        partners=Pool(["", *(conjunction + name for name in last)]),
        suffixes=Pool([f" {s}" for s in data.spec.company_suffixes]),
        jobs=Pool(data.jobs),
    )


def draw_company(rows: Rows) -> dict[str, Any]:
    return {"u": rows.uniforms("company", 4)}


def draw_job(rows: Rows) -> dict[str, Any]:
    return {"u": rows.uniform("job")}


def _company(rows: Rows) -> Any:
    f = firms(rows.code)
    u = rows.cache["company"]["u"]
    n_pairs = len(f.heads) - f.n_last
    name = skewed(u[1], f.n_last)
    pair = f.n_last + np.minimum((u[1] * n_pairs).astype(np.int64), n_pairs - 1)
    worded = u[0] >= TWO_NAMES
    head = np.where(worded, pair, name)
    partner = np.where((u[0] >= ONE_NAME) & ~worded, 1 + skewed(u[2], f.n_last), 0)
    suffix = np.minimum((u[3] * len(f.suffixes)).astype(np.int64), len(f.suffixes) - 1)
    return join(
        f.heads.take_arrow(head), f.partners.take_arrow(partner), f.suffixes.take_arrow(suffix)
    )


def _job_title(rows: Rows) -> Objects:
    jobs = firms(rows.code).jobs
    return jobs.take(
        np.minimum((rows.cache["job"]["u"] * len(jobs)).astype(np.int64), len(jobs) - 1)
    )


work_fields = {"company": _company, "job_title": _job_title}
