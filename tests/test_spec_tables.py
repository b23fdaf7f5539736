"""Related tables, rules, correlations, seeds and streaming."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import datatwin as dt
from datatwin.spec import BLOCK_ROWS, Spec, generate_rows, iter_generate
from datatwin.spec.block import MAX_ATTEMPTS


def spec_of(tables: dict[str, Any]) -> dict[str, Any]:
    return {"format": "datatwin-spec", "version": 1, "tables": tables}


SHOP = spec_of(
    {
        "customers": {
            "rows": 300,
            "columns": {
                "id": {"type": "id", "pattern": "C-#####"},
                "since": {"type": "datetime", "start": "2020-01-01", "end": "2023-01-01"},
                "tier": {"values": ["basic", "gold"], "weights": [0.8, 0.2]},
            },
        },
        "orders": {
            "per_parent": {"distribution": "poisson", "lam": 3, "max": 8},
            "columns": {
                "id": {"type": "id"},
                "customer": {"type": "foreign_key", "table": "customers", "column": "id"},
                "product": {"foreign_key": "products.sku", "distribution": "zipf", "a": 1.5},
                "at": {"type": "datetime", "start": "parent.since", "end": "2024-01-01"},
                "amount": {
                    "distribution": "lognormal",
                    "mu": 3,
                    "sigma": 1,
                    "round": 2,
                    "depends_on": "parent.tier",
                    "cases": {"gold": {"mu": 5}},
                },
            },
            "constraints": [
                {"type": "inequality", "low": "parent.since", "high": "at"},
                "amount >= 5 or parent.tier == 'basic'",
            ],
        },
        "lines": {
            "per_parent": {"uniform": [1, 3]},
            "columns": {
                "order": {"foreign_key": "orders.id"},
                "n": {"distribution": "poisson", "lam": 1, "min": 1},
                "total": {"expression": "n * 2.5"},
            },
        },
        "products": {
            "rows": 50,
            "columns": {"sku": {"type": "id", "kind": "uuid"}},
        },
    }
)


def test_children_follow_their_parents() -> None:
    out = dt.generate(SHOP, seed=1)
    customers, orders, lines = out["customers"], out["orders"], out["lines"]
    assert list(out) == ["customers", "orders", "lines", "products"]
    assert orders["customer"].isin(customers["id"]).all()
    assert lines["order"].isin(orders["id"]).all()
    assert orders["product"].isin(out["products"]["sku"]).all()
    per = orders["customer"].value_counts().reindex(customers["id"], fill_value=0)
    assert per.max() <= 8
    assert abs(per.mean() - 3) < 0.4
    # children are grouped under their parents, in the parents' order
    order_of_parent = pd.Series(np.arange(len(customers)), index=customers["id"])
    assert order_of_parent[orders["customer"]].is_monotonic_increasing
    joined = orders.merge(customers, left_on="customer", right_on="id", suffixes=("", "_c"))
    assert (joined["at"] >= joined["since"]).all()
    gold = joined.groupby("tier", observed=True)["amount"].median()
    assert gold["gold"] > 5 * gold["basic"]
    assert ((joined["amount"] >= 5) | (joined["tier"] == "basic")).all()
    assert lines.groupby("order").size().between(1, 3).all()
    assert len(set(orders["id"])) == len(orders)
    popular = orders["product"].value_counts()
    assert popular.iloc[0] > 5 * popular.median()  # Zipf: a few products are popular


def test_keys_to_a_child_table_and_to_the_same_table() -> None:
    spec = {
        **SHOP,
        "tables": {
            **SHOP["tables"],
            "reviews": {
                "rows": 200,
                "columns": {
                    "id": {"type": "id", "kind": "uuid"},
                    "order": {"foreign_key": "orders.id"},
                    "reply_to": {"foreign_key": "reviews.id", "missing": 0.7},
                },
            },
        },
    }
    out = dt.generate(spec, seed=4)
    reviews = out["reviews"]
    assert reviews["order"].isin(out["orders"]["id"]).all()
    assert reviews["order"].max() > out["orders"]["id"].median()  # the whole child table
    assert reviews["reply_to"].dropna().isin(reviews["id"]).all()
    assert 0.6 < reviews["reply_to"].isna().mean() < 0.8
    assert Spec.load(spec).root_order() == ["products", "customers", "reviews"]  # keys first


def test_same_seed_same_tables_other_seed_other_tables() -> None:
    a, b, c = (dt.generate(SHOP, seed=s) for s in (5, 5, 6))
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert not a["orders"]["amount"].equals(c["orders"]["amount"])


def test_chunks_are_identical_whatever_their_size() -> None:
    rows = {"customers": BLOCK_ROWS // 20}  # about 3 * 3277 orders: several child blocks
    whole = dt.generate(SHOP, rows, seed=2)
    for chunk_rows in (997, BLOCK_ROWS + 1):
        parts: dict[str, list[pd.DataFrame]] = {}
        seen: list[str] = []
        for name, chunk in iter_generate(SHOP, rows, 2, chunk_rows=chunk_rows):
            assert 0 < len(chunk) <= chunk_rows
            parts.setdefault(name, []).append(chunk)
            seen.append(name)
        for name, chunks in parts.items():
            together = pd.concat(chunks)
            assert together.index.equals(pd.RangeIndex(len(together)))
            pd.testing.assert_frame_equal(together.reset_index(drop=True), whole[name])
        assert seen.index("orders") > seen.index("customers")


def test_changing_a_chunk_handed_out_changes_no_other_table() -> None:
    rows = {"customers": BLOCK_ROWS // 20}
    whole = dt.generate(SHOP, rows, seed=2)
    for chunk_rows in (997, BLOCK_ROWS):
        kept: dict[str, list[pd.DataFrame]] = {}
        for name, chunk in iter_generate(SHOP, rows, 2, chunk_rows=chunk_rows):
            kept.setdefault(name, []).append(chunk.copy())
            for column in list(chunk.columns):  # a careless caller writes over its chunks
                chunk[column] = chunk[column].iloc[::-1].to_numpy()
            chunk.index = pd.RangeIndex(len(chunk))
        for name, chunks in kept.items():
            together = pd.concat(chunks, ignore_index=True)
            pd.testing.assert_frame_equal(together, whole[name])


def test_pieces_of_a_table_drawn_alone_in_any_order_match() -> None:
    rows = {"customers": BLOCK_ROWS + 5000, "products": 10}
    whole = dt.generate(SHOP, rows, seed=8)["customers"]
    cuts = [(BLOCK_ROWS + 10, BLOCK_ROWS + 5000), (BLOCK_ROWS - 7, BLOCK_ROWS + 10), (0, 3)]
    for start, stop in cuts:
        piece = generate_rows(SHOP, "customers", start, stop, rows, seed=8)
        assert piece.index.equals(pd.RangeIndex(start, stop))
        pd.testing.assert_frame_equal(piece, whole.iloc[start:stop])
    with pytest.raises(dt.SpecError, match="not one"):
        generate_rows(SHOP, "orders", 0, 1)
    with pytest.raises(dt.SpecError, match="not within"):
        generate_rows(SHOP, "customers", 0, 301)


def test_more_rows_leave_the_first_rows_as_they_were() -> None:
    spec = spec_of(
        {
            "t": {
                "rows": 10,
                "columns": {
                    "id": {"type": "id", "pattern": "X-#####"},
                    "kind": {"values": ["a", "b", "c"], "missing": 0.1},
                    "x": {
                        "distribution": "gamma",
                        "shape": 2,
                        "depends_on": "kind",
                        "cases": {"a": {"shape": 9}, "b": {"distribution": "poisson", "lam": 2}},
                    },
                    "m": {
                        "distribution": "mixture",
                        "components": [
                            {"distribution": "normal", "mean": 0, "sd": 1},
                            {"distribution": "exponential", "scale": 5},
                        ],
                    },
                    "y": {"distribution": "normal", "mean": 0, "sd": 1},
                    "z": {"distribution": "lognormal", "mu": 0, "sigma": 1, "min": 0.5},
                    "when": {
                        "type": "datetime",
                        "start": "2020-01-01",
                        "end": "2021-01-01",
                        "weekdays": [1, 1, 1, 1, 1, 0.2, 0.1],
                    },
                    "flag": {
                        "type": "boolean",
                        "depends_on": "kind",
                        "cases": {"a": 0.9},
                        "rate": 0.1,
                    },
                },
                "correlations": [["y", "z", 0.6]],
                "constraints": ["y < 1.5 or flag"],
            }
        }
    )
    small = dt.generate(spec, 700, seed=9)["t"]
    large = dt.generate(spec, 5000, seed=9)["t"]
    pd.testing.assert_frame_equal(small, large.iloc[:700])


def test_more_rows_leave_the_first_identities_as_they_were() -> None:
    fields = ["name", "email", "phone", "address", "iban", "national_id", "card_number"]
    columns: dict[str, Any] = {
        "loc": {"values": ["en_US", "en_GB", "de_DE", "fr_FR", "nb_NO", "es_ES"]},
        "sex": {"values": ["female", "male"], "missing": 0.3},
        "born": {"type": "date", "start": "1940-01-01", "end": "2005-12-31", "missing": 0.2},
        **{field: {"type": "identity", "field": field} for field in fields},
        "mail": {"type": "identity", "field": "email", "missing": 0.2},
        "gender": {"type": "identity", "field": "gender"},
        "birth": {"type": "identity", "field": "birth_date"},
    }
    table = {"columns": columns, "locale": {"column": "loc"}}
    spec = spec_of({"t": {**table, "identity": {"gender": "sex", "birth_date": "born"}}})
    small = dt.generate(spec, 700, seed=4)["t"]
    large = dt.generate(spec, 5000, seed=4)["t"]
    pd.testing.assert_frame_equal(small, large.iloc[:700])
    one_locale = spec_of({"t": {"columns": {f: columns[f] for f in fields}, "locale": "nb_NO"}})
    small = dt.generate(one_locale, 1, seed=4)["t"]
    large = dt.generate(one_locale, 2000, seed=4)["t"]
    pd.testing.assert_frame_equal(small, large.iloc[:1])


def test_rows_overrides() -> None:
    out = dt.generate(SHOP, {"customers": 10, "products": 3}, seed=0)
    assert len(out["customers"]) == 10
    assert len(out["products"]) == 3
    with pytest.raises(dt.SpecError, match="rows come from its parent's rows"):
        dt.generate(SHOP, {"orders": 10})
    with pytest.raises(dt.SpecError, match="did you mean 'customers'"):
        dt.generate(SHOP, {"customer": 10})
    with pytest.raises(dt.SpecError, match="give rows as a mapping"):
        dt.generate(SHOP, 10)
    with pytest.raises(dt.SpecError, match="whole number >= 0"):
        dt.generate(SHOP, {"customers": -1})
    with pytest.raises(dt.SpecError, match="seed must be"):
        dt.generate(SHOP, seed=-1)


def test_empty_tables_keep_their_columns() -> None:
    out = dt.generate(SHOP, {"customers": 0, "products": 5}, seed=0)
    assert len(out["customers"]) == len(out["orders"]) == len(out["lines"]) == 0
    assert list(out["orders"].columns) == ["id", "customer", "product", "at", "amount"]


def test_rules_are_kept_by_drawing_again() -> None:
    spec = spec_of(
        {
            "t": {
                "rows": 3000,
                "columns": {
                    "a": {"distribution": "normal", "mean": 0, "sd": 1},
                    "b": {"distribution": "normal", "mean": 0, "sd": 1},
                    "c": {"values": ["x", "y"]},
                },
                "constraints": [
                    {"type": "inequality", "low": "a", "high": "b"},
                    {"type": "if_then", "when": "c == 'x'", "then": "a > 0"},
                ],
            }
        }
    )
    out = dt.generate(spec, seed=3)["t"]
    assert (out["a"] <= out["b"]).all()
    assert (out.loc[out["c"] == "x", "a"] > 0).all()
    # rejection sampling: b given a <= b follows the conditional law, not a pile at a
    assert (out["a"] == out["b"]).mean() == 0
    assert abs(out["b"].mean() - 2 * stats.norm.pdf(0) / 1.0) < 0.3


def test_a_rule_that_is_nearly_impossible_fails_with_its_name() -> None:
    spec = spec_of(
        {
            "t": {
                "rows": 100,
                "columns": {"a": {"distribution": "normal", "mean": 0, "sd": 1}},
                "constraints": ["a > 9"],
            }
        }
    )
    with pytest.raises(dt.SpecError, match=rf"break the constraint 'a > 9' after {MAX_ATTEMPTS}"):
        dt.generate(spec)


def test_correlations_through_a_gaussian_copula() -> None:
    spec = spec_of(
        {
            "t": {
                "rows": 6000,
                "columns": {
                    "x": {"distribution": "gamma", "shape": 2, "min": 0.5},
                    "y": {"distribution": "normal", "mean": 0, "sd": 1},
                    "z": {"distribution": "poisson", "lam": 4},
                    "w": {"values": ["lo", "mid", "hi"]},
                },
                "correlations": [["x", "y", 0.7], {"columns": ["y", "z"], "r": -0.5}],
            }
        }
    )
    out = dt.generate(spec, seed=0)["t"]
    assert abs(stats.spearmanr(out["x"], out["y"])[0] - 0.68) < 0.05
    assert abs(stats.spearmanr(out["y"], out["z"])[0] + 0.47) < 0.06
    assert out["x"].min() >= 0.5  # bounds still hold: each column keeps its own marginal
    assert stats.kstest(out["y"], "norm").pvalue > 0.001
    matrix = spec_of(
        {
            "t": {
                "rows": 4000,
                "columns": spec["tables"]["t"]["columns"],
                "correlations": {
                    "columns": ["x", "y", "z"],
                    "matrix": [[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]],
                    "nearest": True,
                },
            }
        }
    )
    fixed = dt.generate(matrix, seed=0)["t"]
    assert stats.spearmanr(fixed["x"], fixed["y"])[0] > 0.3
    matrix["tables"]["t"]["correlations"]["nearest"] = False
    with pytest.raises(dt.SpecError, match="not positive definite"):
        Spec.load(matrix)


def test_categorical_and_boolean_columns_can_be_correlated() -> None:
    spec = spec_of(
        {
            "t": {
                "rows": 5000,
                "columns": {
                    "score": {"distribution": "normal", "mean": 600, "sd": 80},
                    "band": {"values": ["low", "mid", "high"]},
                    "ok": {"type": "boolean", "rate": 0.3},
                },
                "correlations": [["score", "band", 0.9], ["score", "ok", 0.6]],
            }
        }
    )
    out = dt.generate(spec, seed=0)["t"]
    means = out.groupby("band", observed=True)["score"].mean()
    assert means["low"] < means["mid"] < means["high"]
    assert out.loc[out["ok"], "score"].mean() > out.loc[~out["ok"], "score"].mean() + 40
    assert abs(out["ok"].mean() - 0.3) < 0.03
