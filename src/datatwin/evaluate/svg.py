"""Small inline SVG charts: no plotting library, no network, one self-contained page."""

from __future__ import annotations

from html import escape

import numpy as np

__all__ = ["bars", "heatmap", "histogram"]

REAL, SYNTHETIC = "#2f6db5", "#e07b39"
WIDTH, HEIGHT = 360, 170


def _frame(body: str, title: str, width: int = WIDTH, height: int = HEIGHT) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def _legend(y: int) -> str:
    return (
        f'<rect x="8" y="{y}" width="10" height="10" fill="{REAL}"/>'
        f'<text x="22" y="{y + 9}" font-size="10">real</text>'
        f'<rect x="60" y="{y}" width="10" height="10" fill="{SYNTHETIC}"/>'
        f'<text x="74" y="{y + 9}" font-size="10">synthetic</text>'
    )


def histogram(edges: np.ndarray, real: np.ndarray, synthetic: np.ndarray, title: str) -> str:
    """Two overlaid histograms (shares of rows per bin) over the same ``edges``."""
    top = max(float(real.max(initial=0)), float(synthetic.max(initial=0)), 1e-12)
    plot_w, plot_h, left, base = WIDTH - 20, HEIGHT - 50, 10, HEIGHT - 30
    step = plot_w / max(len(real), 1)
    parts = []
    for i, (a, b) in enumerate(zip(real, synthetic, strict=True)):
        x = left + i * step
        for value, colour, offset in ((a, REAL, 0.0), (b, SYNTHETIC, step / 2)):
            h = plot_h * value / top
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{base - h:.1f}" width="{step / 2 - 0.5:.1f}" '
                f'height="{h:.1f}" fill="{colour}" opacity="0.85"/>'
            )
    low, high = (f"{edges[0]:.4g}", f"{edges[-1]:.4g}") if len(edges) else ("", "")
    parts.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#888"/>')
    parts.append(f'<text x="{left}" y="{base + 12}" font-size="10">{escape(low)}</text>')
    parts.append(
        f'<text x="{left + plot_w}" y="{base + 12}" font-size="10" text-anchor="end">'
        f"{escape(high)}</text>"
    )
    return _frame("".join(parts) + _legend(4), title)


def bars(labels: list[str], real: list[float], synthetic: list[float], title: str) -> str:
    """Paired horizontal bars: the share of rows in each category, real and synthetic."""
    row = 16
    height = 22 + row * len(labels)
    top = max([*real, *synthetic, 1e-12])
    label_w, plot_w = 130, WIDTH - 150
    parts = [_legend(4)]
    for i, (label, a, b) in enumerate(zip(labels, real, synthetic, strict=True)):
        y = 20 + i * row
        text = label if len(label) <= 20 else label[:19] + "…"
        parts.append(
            f'<text x="{label_w - 4}" y="{y + 10}" font-size="10" text-anchor="end">'
            f"{escape(text)}</text>"
        )
        parts.append(
            f'<rect x="{label_w}" y="{y}" width="{plot_w * a / top:.1f}" height="6" fill="{REAL}"/>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 7}" width="{plot_w * b / top:.1f}" height="6" '
            f'fill="{SYNTHETIC}"/>'
        )
    return _frame("".join(parts), title, height=height)


def heatmap(names: list[str], matrix: np.ndarray, title: str) -> str:
    """A square heat map of values in [0, 1] (white = 0, dark red = 1), NaN left grey."""
    n = len(names)
    cell = max(8, min(24, 480 // max(n, 1)))
    label_w = 120
    size = label_w + cell * n + 10
    parts = []
    for i in range(n):
        y = label_w + i * cell
        parts.append(
            f'<text x="{label_w - 4}" y="{y + cell * 0.7:.1f}" font-size="10" text-anchor="end">'
            f"{escape(names[i][:18])}</text>"
        )
        x = label_w + i * cell
        parts.append(
            f'<text transform="translate({x + cell * 0.7:.1f},{label_w - 4}) rotate(-60)" '
            f'font-size="10">{escape(names[i][:18])}</text>'
        )
        for j in range(n):
            value = matrix[i, j]
            if np.isnan(value):
                colour = "#eeeeee"
            else:
                shade = int(255 * (1 - min(max(value, 0.0), 1.0)))
                colour = f"rgb(255,{shade},{shade})"
            parts.append(
                f'<rect x="{label_w + j * cell}" y="{y}" width="{cell - 1}" height="{cell - 1}" '
                f'fill="{colour}"><title>{escape(names[i])} | {escape(names[j])}: '
                f"{'n/a' if np.isnan(value) else f'{value:.3f}'}</title></rect>"
            )
    return _frame("".join(parts), title, width=size, height=size)
