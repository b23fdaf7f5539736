"""The epoch loop every neural model shares: budgets, early stopping, history and progress."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from datatwin.models.deep.torchutil import denormals_flushed, require_torch

__all__ = ["Budget", "EpochLoop"]

Progress = Callable[[dict[str, Any]], None]


@dataclass
class Budget:
    """How long training may run: epochs, wall-clock minutes, epochs without improvement."""

    epochs: int
    max_minutes: float | None = None
    patience: int | None = None


@dataclass
class EpochLoop:
    """Runs ``train_epoch`` until a budget ends; ``validate`` (lower is better) decides stopping.

    The epochs run with denormal floats flushed (see :func:`denormals_flushed`).
    """

    budget: Budget
    progress: Progress | None = None
    history: dict[str, list[float]] = field(default_factory=lambda: {"train": [], "valid": []})
    stopped_because: str = "epochs"

    def run(
        self,
        train_epoch: Callable[[], float],
        validate: Callable[[], float],
        on_best: Callable[[], None],
    ) -> None:
        with denormals_flushed(require_torch()):
            self._run(train_epoch, validate, on_best)

    def _run(
        self,
        train_epoch: Callable[[], float],
        validate: Callable[[], float],
        on_best: Callable[[], None],
    ) -> None:
        started = time.perf_counter()
        best, waited = math.inf, 0
        for epoch in range(1, self.budget.epochs + 1):
            train_loss = float(train_epoch())
            valid_loss = float(validate())
            self.history["train"].append(train_loss)
            self.history["valid"].append(valid_loss)
            if valid_loss < best - 1e-6:
                best, waited = valid_loss, 0
                on_best()
            else:
                waited += 1
            elapsed = time.perf_counter() - started
            per_epoch = elapsed / epoch
            if self.progress is not None:
                self.progress(
                    {
                        "epoch": epoch,
                        "epochs": self.budget.epochs,
                        "loss": train_loss,
                        "valid_loss": valid_loss,
                        "seconds_left": per_epoch * (self.budget.epochs - epoch),
                    }
                )
            if self.budget.patience is not None and waited >= self.budget.patience:
                self.stopped_because = "early stopping"
                return
            minutes = self.budget.max_minutes
            if minutes is not None and elapsed + per_epoch > minutes * 60:
                self.stopped_because = "time budget"
                return
