"""The HTML report in a real headless Chromium: loads without console errors and draws its plots."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pandas as pd
import pytest

import datatwin as dt

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--log-level=0",
    "--window-size=1200,2400",
]


def _screenshot(page: Path, tmp_path: Path) -> tuple[bytes, str]:
    png = tmp_path / "shot.png"
    done = subprocess.run(
        [
            str(CHROMIUM),
            *FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={png}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert png.exists(), done.stderr[-2000:]
    return png.read_bytes(), done.stderr


def _pixels(png: bytes) -> tuple[int, int, bytes]:
    """Width, height and raw (filtered) scanlines of a PNG, with the standard library only."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, data, width, height = 8, b"", 0, 0
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position : position + 8])
        chunk = png[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", chunk[:8])
        elif kind == b"IDAT":
            data += chunk
        position += 12 + length
    return width, height, zlib.decompress(data)


def test_report_page_loads_cleanly_and_draws(adult: pd.DataFrame, tmp_path: Path) -> None:
    holdout = adult.sample(n=1000, random_state=1)
    train = adult.drop(index=holdout.index)
    synthetic = dt.synthesizer("copula", seed=0).fit(train).sample(3000, seed=0)
    page = tmp_path / "report.html"
    dt.evaluate(train, synthetic, holdout=holdout, target="income").to_html(page)
    png, log = _screenshot(page, tmp_path)
    console = [line for line in log.splitlines() if ":CONSOLE" in line]
    assert console == []
    width, height, raw = _pixels(png)
    assert (width, height) == (1200, 2400)
    # a blank page is one colour; the report has text, bars in two colours and a heat map
    assert len(set(raw)) > 50
    white = raw.count(b"\xff\xff\xff") * 3 / len(raw)
    assert white < 0.97


def test_a_page_with_a_console_error_is_caught(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><p>x</p><script>console.error('boom')</script>")
    _, log = _screenshot(page, tmp_path)
    assert any(":CONSOLE" in line and "boom" in line for line in log.splitlines())
