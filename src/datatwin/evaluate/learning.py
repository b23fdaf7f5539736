"""Scores that train a classifier: detection (real vs synthetic) and machine-learning utility."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from datatwin.evaluate.features import classifier_frame
from datatwin.schema.columns import Schema

__all__ = ["detection_auc", "utility_scores"]

FOLDS = 5


def _booster(classify: bool, seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    kind = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
    return kind(categorical_features="from_dtype", random_state=seed, max_iter=100)


def detection_auc(
    real: pd.DataFrame, synthetic: pd.DataFrame, schema: Schema, seed: int
) -> dict[str, Any]:
    """Cross-validated ROC AUC of gradient boosting at telling real rows from synthetic ones."""
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    n = min(len(real), len(synthetic))
    a, b = classifier_frame([real.iloc[:n], synthetic.iloc[:n]], schema)
    features = pd.concat([a, b], ignore_index=True)
    labels = np.r_[np.zeros(n), np.ones(n)]
    if features.shape[1] == 0 or n < FOLDS:
        return {"auc": None, "rows": n}
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
    scores = cross_val_score(_booster(True, seed), features, labels, cv=folds, scoring="roc_auc")
    return {"auc": float(np.mean(scores)), "rows": n}


def _score(model: Any, x: pd.DataFrame, y: np.ndarray, classify: bool) -> float:
    from sklearn.metrics import r2_score, roc_auc_score

    if not classify:
        return float(r2_score(y, model.predict(x)))
    proba = model.predict_proba(x)
    classes = list(model.classes_)
    if len(classes) == 2:
        return float(roc_auc_score(y == classes[1], proba[:, 1]))
    known = np.isin(y, classes)
    return float(roc_auc_score(y[known], proba[known], multi_class="ovr", labels=classes))


def utility_scores(
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame,
    schema: Schema,
    target: str,
    seed: int,
) -> dict[str, Any]:
    """Train on synthetic / train on real, both tested on the real holdout."""
    column = schema[target]
    classify = column.kind != "numeric"
    x_train, x_syn, x_hold = classifier_frame([train, synthetic, holdout], schema, (target,))
    labels = [
        frame[target].astype(object if classify else float) for frame in (train, synthetic, holdout)
    ]
    keep = [label.notna().to_numpy() for label in labels]
    y_train, y_syn, y_hold = (label.to_numpy()[k] for label, k in zip(labels, keep, strict=True))
    x_train, x_syn, x_hold = (x[k] for x, k in zip((x_train, x_syn, x_hold), keep, strict=True))
    out: dict[str, Any] = {"task": "classification (ROC AUC)" if classify else "regression (R²)"}
    for name, x, y in (("trtr", x_train, y_train), ("tstr", x_syn, y_syn)):
        if len(np.unique(y)) < 2:
            out[name] = None
            continue
        model = _booster(classify, seed).fit(x, y)
        out[name] = _score(model, x_hold, y_hold, classify)
    ok = out.get("trtr") not in (None, 0.0) and out.get("tstr") is not None
    out["ratio"] = out["tstr"] / out["trtr"] if ok else None
    out["rows"] = {"train": len(y_train), "synthetic": len(y_syn), "holdout": len(y_hold)}
    return out
