"""The HTML report: a verdict first, then the evidence, worst first. One offline file."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from datatwin.evaluate.svg import bars, heatmap, histogram
from datatwin.evaluate.values import as_numbers

if TYPE_CHECKING:
    from datatwin.evaluate.report import Report

__all__ = ["render"]

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:1100px;color:#222;padding:0 1rem}
h1{margin-bottom:.2rem}.sub{color:#666;margin-top:0}
.verdicts{display:flex;gap:1rem;flex-wrap:wrap}
.card{border-radius:8px;padding:.8rem 1rem;min-width:200px;flex:1;border:1px solid #ddd}
.good{background:#e6f4ea}.fair{background:#fff4e0}.poor{background:#fde7e7}
.na{background:#f2f2f2}.card h2{margin:.1rem 0;font-size:1.1rem}
.card .v{font-size:1.6rem;font-weight:600}.card small{color:#555;display:block}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .6rem;border-bottom:1px solid
#eee;text-align:left;vertical-align:top}td.n{text-align:right;font-variant-numeric:tabular-nums}
.grid{display:flex;flex-wrap:wrap;gap:1rem}.chart{border:1px solid #eee;border-radius:6px;
padding:.4rem}.chart h4{margin:.1rem 0 .3rem;font-size:.9rem}.warn{background:#fff8e1;
padding:.5rem 1rem;border-left:4px solid #f0b400}.doc{color:#666;font-size:.85rem}
"""


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3f}"
    return escape(str(value))


def _verdicts(report: Report) -> str:
    cards = []
    for area, info in report.verdicts.items():
        verdict = info["verdict"]
        css = verdict if verdict in ("good", "fair", "poor") else "na"
        bars_text = "".join(f"<small>{escape(t)}</small>" for t in info["thresholds"])
        cards.append(
            f'<div class="card {css}"><h2>{area.title()}</h2>'
            f'<div class="v">{escape(verdict)}</div>{bars_text}</div>'
        )
    return f'<div class="verdicts">{"".join(cards)}</div>'


def _scores_table(report: Report) -> str:
    from datatwin.evaluate.report import DOCS

    rows = []
    for key, doc in DOCS.items():
        try:
            value = report.score(key)
        except ValueError:
            continue
        rows.append(
            f'<tr><td>{escape(key)}</td><td class="n">{_fmt(value)}</td>'
            f'<td class="doc">{escape(doc)}</td></tr>'
        )
    sizes = escape(_sizes(report.sample_sizes))
    return (
        f"<table><tr><th>score</th><th>value</th><th>meaning</th></tr>{''.join(rows)}"
        f'</table><p class="doc">Sample sizes: {sizes}</p>'
    )


def _sizes(sizes: dict[str, Any]) -> str:
    parts = [f"{sizes['real']:,} real and {sizes['synthetic']:,} synthetic rows"]
    if "detection" in sizes:
        parts.append(f"detection on {sizes['detection']['real']:,} rows of each")
    if "utility" in sizes:
        u = sizes["utility"]
        parts.append(
            f"utility trained on {u['train']:,} real or {u['synthetic']:,} synthetic "
            f"rows and tested on {u['holdout']:,} holdout rows"
        )
    if "privacy" in sizes:
        p = sizes["privacy"]
        text = f"privacy: {p['synthetic']:,} synthetic rows against {p['train']:,} training rows"
        if "holdout" in p:
            text += (
                f" and {p['holdout']:,} holdout rows (membership inference on "
                f"{p['membership_rows']:,} of each)"
            )
        parts.append(text)
    return "; ".join(parts) + "."


def _column_chart(report: Report, name: str, score: float) -> str:
    column = report.schema[name]
    real, synthetic = report.real[name], report.synthetic[name]
    title = f"{name}: similarity {score:.3f}"
    if column.kind in ("numeric", "datetime"):
        a, b = as_numbers(real, column), as_numbers(synthetic, column)
        a, b = a[~np.isnan(a)], b[~np.isnan(b)]
        edges = np.histogram_bin_edges(a, bins=20) if len(a) else np.array([0.0, 1.0])
        ha = np.histogram(a, edges)[0] / max(len(a), 1)
        hb = np.histogram(np.clip(b, edges[0], edges[-1]), edges)[0] / max(len(b), 1)
        chart = histogram(edges, ha, hb, title)
    else:
        p = real.astype(object).value_counts(normalize=True)
        q = synthetic.astype(object).value_counts(normalize=True)
        labels = list(p.index[:12])
        chart = bars(
            [str(v) for v in labels],
            [float(p[v]) for v in labels],
            [float(q.get(v, 0.0)) for v in labels],
            title,
        )
    return f'<div class="chart"><h4>{escape(title)}</h4>{chart}</div>'


def _pairs(report: Report) -> str:
    per_pair: dict[str, float] = report.scores["fidelity"]["per_pair"]
    names = [c for c in report.schema.names if c in report.scores["fidelity"]["per_column"]]
    index = {n: i for i, n in enumerate(names)}
    matrix = np.full((len(names), len(names)), np.nan)
    for key, value in per_pair.items():
        a, b = key.split(" | ", 1)
        if a in index and b in index:
            matrix[index[a], index[b]] = matrix[index[b], index[a]] = 1.0 - value
    worst = sorted(per_pair.items(), key=lambda kv: kv[1])[:10]
    rows = "".join(f'<tr><td>{escape(k)}</td><td class="n">{v:.3f}</td></tr>' for k, v in worst)
    chart = heatmap(names, matrix, "Pair-trend difference (0 = same as real)") if names else ""
    return (
        f"<h2>Column pairs</h2><p class='doc'>Each cell is 1 - the pair's trend similarity: "
        f"the difference in correlation (numbers) or in the joint distribution (others). "
        f"White is no difference.</p><div class='grid'><div class='chart'>{chart}</div>"
        f"<div><h4>Least alike pairs</h4><table>{rows}</table></div></div>"
    )


def _privacy(report: Report) -> str:
    if not report.distances:
        return (
            "<h2>Privacy</h2><p>Distance to closest record needs a holdout of real rows the "
            "model never saw.</p>"
        )
    train, hold = report.distances["dcr_train"], report.distances["dcr_holdout"]
    top = float(np.quantile(np.concatenate([train, hold]), 0.99)) or 1.0
    edges = np.linspace(0.0, top, 31)
    ha = np.histogram(np.clip(train, 0, top), edges)[0] / len(train)
    hb = np.histogram(np.clip(hold, 0, top), edges)[0] / len(hold)
    chart = histogram(edges, ha, hb, "Distance to closest record")
    return (
        "<h2>Privacy</h2><p class='doc'>Distance from each synthetic row to its closest "
        "training row (blue, 'real') and closest holdout row (orange). If the model "
        "memorised its training rows, blue sits left of orange.</p>"
        f"<div class='chart'>{chart}</div>"
    )


def render(report: Report, fragment: bool = False) -> str:
    """The page (or, for notebooks, the body only)."""
    shapes: dict[str, float] = report.scores["fidelity"]["per_column"]
    worst_first = sorted(shapes.items(), key=lambda kv: kv[1])
    charts = "".join(_column_chart(report, name, score) for name, score in worst_first)
    warnings = "".join(f'<p class="warn">{escape(w)}</p>' for w in report.warnings)
    body = (
        f"<h1>Synthetic data report</h1><p class='sub'>{len(report.real):,} real rows, "
        f"{len(report.synthetic):,} synthetic rows, {len(report.schema)} columns</p>"
        f"{_verdicts(report)}{warnings}<h2>Scores</h2>{_scores_table(report)}"
        f"<h2>Columns, least alike first</h2><div class='grid'>{charts}</div>"
        f"{_pairs(report)}{_privacy(report)}"
    )
    if fragment:
        return f"<div><style>{STYLE}</style>{body}</div>"
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>datatwin report</title><style>{STYLE}</style></head><body>{body}</body></html>"
    )
