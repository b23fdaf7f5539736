"""Progress on stderr that shows itself only for work that takes longer than a second."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

__all__ = ["Reporter"]

DELAY = 1.0


class Reporter:
    """Messages and progress for the command line; silent when ``quiet``."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.console = Console(stderr=True, highlight=False, soft_wrap=True)

    def info(self, message: str) -> None:
        """A line of information on stderr."""
        if not self.quiet:
            self.console.print(message)

    @contextlib.contextmanager
    def step(self, description: str) -> Iterator[None]:
        """A spinner for one step, shown if the step is still running after a second."""
        if self.quiet:
            yield
            return
        status = self.console.status(description)
        lock = threading.Lock()
        shown = False

        def show() -> None:
            nonlocal shown
            with lock:
                if not finished:
                    status.start()
                    shown = True

        finished = False
        timer = threading.Timer(DELAY, show)
        timer.daemon = True
        started = time.perf_counter()
        timer.start()
        try:
            yield
        finally:
            with lock:
                finished = True
                timer.cancel()
                if shown:
                    status.stop()
        elapsed = time.perf_counter() - started
        if elapsed >= DELAY:
            self.console.print(f"{description} done in {elapsed:.1f} s")

    @contextlib.contextmanager
    def bar(self, description: str, total: int) -> Iterator[Callable[[int], None]]:
        """A progress bar over ``total`` units; yields a function that advances it."""
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,}/{task.total:,}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        )
        task = progress.add_task(description, total=total)
        started = time.perf_counter()
        running = False

        def advance(units: int) -> None:
            nonlocal running
            progress.advance(task, units)
            if not self.quiet and not running and time.perf_counter() - started >= DELAY:
                progress.start()
                running = True

        try:
            yield advance
        finally:
            if running:
                progress.stop()

    @contextlib.contextmanager
    def training(self, description: str) -> Iterator[Callable[[dict[str, Any]], None]]:
        """One live display for a fit: a bar with epoch, loss and time left once a model reports
        epochs, shown only if the fit takes longer than a second."""
        if self.quiet:
            yield lambda info: None
            return
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        )
        task = progress.add_task(description, total=None, detail="")
        lock = threading.Lock()
        state = {"running": False, "done": False}

        def show() -> None:
            with lock:
                if not state["done"] and not state["running"]:
                    progress.start()
                    state["running"] = True

        def report(info: dict[str, Any]) -> None:
            detail = f"epoch {info['epoch']}/{info['epochs']}  loss {info['loss']:.4g}"
            progress.update(task, total=info["epochs"], completed=info["epoch"], detail=detail)

        timer = threading.Timer(DELAY, show)
        timer.daemon = True
        started = time.perf_counter()
        timer.start()
        try:
            yield report
        finally:
            with lock:
                state["done"] = True
                timer.cancel()
                if state["running"]:
                    progress.stop()
        elapsed = time.perf_counter() - started
        if elapsed >= DELAY:
            self.console.print(f"{description} done in {elapsed:.1f} s")
