"""Privacy: is any synthetic row a copy of, or suspiciously close to, a real training row?

Distances are Euclidean in the space of :func:`datatwin.evaluate.features.distance_matrix`
(numbers scaled by the real range, categories one-hot).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from datatwin.evaluate.features import distance_matrix
from datatwin.schema.columns import Schema

__all__ = ["privacy_scores"]

EXACT = 1e-6


def _nearest(reference: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Distances from each query row to its ``k`` nearest reference rows, nearest first."""
    from sklearn.neighbors import NearestNeighbors

    k = min(k, len(reference))
    index = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(reference)
    distances, _ = index.kneighbors(queries)
    return np.asarray(distances, dtype=np.float64)


def _auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    from scipy.stats import rankdata

    ranks = rankdata(np.concatenate([positive, negative]))
    n_pos, n_neg = len(positive), len(negative)
    return float((ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def privacy_scores(
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame | None,
    schema: Schema,
    queries: int,
    seed: int,
) -> dict[str, Any]:
    """Exact copies, nearest-neighbour distance ratio and, with a holdout, DCR share and MIA AUC.

    The distance scores look up the nearest real rows of ``queries`` synthetic rows; the
    membership attack measures real rows against all of ``synthetic``.
    """
    frames = [train, synthetic] + ([holdout] if holdout is not None else [])
    matrices = distance_matrix(frames, schema)
    real, every_fake = matrices[0], matrices[1]
    fake = every_fake
    if len(every_fake) > queries:
        picked = np.random.default_rng(seed).choice(len(every_fake), queries, replace=False)
        fake = every_fake[np.sort(picked)]
    to_train = _nearest(real, fake, 2)
    out: dict[str, Any] = {
        "exact_copies": float(np.mean(to_train[:, 0] <= EXACT)),
        "nndr": _nndr(to_train),
        "rows": {"train": len(real), "synthetic": len(fake), "attack_reference": len(every_fake)},
    }
    if holdout is None:
        return out
    held = matrices[2]
    # a holdout row's nearest training row: how often real, unseen rows are "copies" too
    holdout_to_train = _nearest(real, held, 2)
    out["exact_copies_holdout"] = float(np.mean(holdout_to_train[:, 0] <= EXACT))
    out["nndr_holdout"] = _nndr(holdout_to_train)
    d_train = to_train[:, 0]
    d_holdout = _nearest(held, fake, 1)[:, 0]
    closer_train = np.mean(d_train < d_holdout) + 0.5 * np.mean(d_train == d_holdout)
    # per real row, so that training and holdout sets of different sizes weigh the same
    rate_train, rate_holdout = closer_train / len(real), (1.0 - closer_train) / len(held)
    out["dcr_share"] = float(rate_train / (rate_train + rate_holdout))
    out["dcr_train"] = d_train
    out["dcr_holdout"] = d_holdout
    size = min(len(real), len(held))
    # membership inference: members (training rows) sit closer to the synthetic rows than others
    members = _nearest(every_fake, real[:size], 1)[:, 0]
    outsiders = _nearest(every_fake, held[:size], 1)[:, 0]
    out["membership_auc"] = _auc(-members, -outsiders)
    out["rows"].update({"holdout": len(held), "membership_rows": size})
    return out


def _nndr(distances: np.ndarray) -> float | None:
    """Median ratio of the nearest to the second-nearest distance (near 1: no close match)."""
    if distances.shape[1] < 2:
        return None
    second = distances[:, 1]
    ratio = np.where(second > 0, distances[:, 0] / np.where(second > 0, second, 1.0), 1.0)
    return float(np.median(ratio))
