"""Bring model manifests written by older datatwin versions up to the current format version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from datatwin._version import __version__
from datatwin.errors import ModelFileError
from datatwin.io.modelfile import FORMAT_VERSION

__all__ = ["upgrade_manifest"]

# version N -> function turning a version-N manifest into a version-(N+1) manifest.
_UPGRADERS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def upgrade_manifest(manifest: dict[str, Any], name: str) -> dict[str, Any]:
    """``manifest`` in the current format version, or :class:`ModelFileError`."""
    version = manifest.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise ModelFileError(f"Model file {name!r} has an invalid format version {version!r}.")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"Model file {name!r} was written by a newer datatwin (format {version}; this is "
            f"{__version__}, format {FORMAT_VERSION}); upgrade datatwin to load it."
        )
    while manifest["format_version"] < FORMAT_VERSION:
        manifest = _UPGRADERS[manifest["format_version"]](manifest)
    return manifest
