"""Augmenting real tables with synthetic rows: :func:`rebalance` adds rows of the rare classes."""

from __future__ import annotations

from datatwin.augment.rebalance import rebalance

__all__ = ["rebalance"]
