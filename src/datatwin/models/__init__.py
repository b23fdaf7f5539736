"""Synthesizers: the base template, the registry and the models."""

from datatwin.models.base import Synthesizer
from datatwin.models.registry import available_synthesizers, default_synthesizer, synthesizer

__all__ = ["Synthesizer", "available_synthesizers", "default_synthesizer", "synthesizer"]
