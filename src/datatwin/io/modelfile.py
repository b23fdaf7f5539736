"""The ``.dtw`` model file: one file, a JSON manifest and raw numeric arrays, no pickle.

Layout (all integers little-endian)::

    b"DATATWIN"                      8-byte magic
    uint32 container version         currently 1
    uint64 manifest length M
    M bytes of UTF-8 JSON            the manifest (format version, library version, model name,
                                     parameters, schema, learned state, and an index of the arrays)
    the arrays' bytes, back to back  each described in the manifest by dtype, shape, offset, size
    32 bytes                         SHA-256 of everything before it

Loading checks the magic, the versions, the checksum and every array's description before it
builds anything; arrays are read with ``numpy.frombuffer`` from a closed list of numeric dtypes, so
a model file can never make the loader run code.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import struct
from pathlib import Path
from typing import Any

import numpy as np

from datatwin._version import __version__
from datatwin.errors import ModelFileError
from datatwin.io.atomic import atomic_write_bytes

__all__ = ["FORMAT_VERSION", "read_model", "write_model"]

MAGIC = b"DATATWIN"
CONTAINER_VERSION = 1
FORMAT_VERSION = 1
HEADER = struct.Struct("<8sIQ")
DIGEST = 32
MAX_MANIFEST = 256 * 1024 * 1024
ALLOWED_DTYPES = frozenset({"<f8", "<f4", "<i8", "<i4", "<i2", "|i1", "|u1", "|b1", "<u4", "<u8"})


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in a model manifest")


def write_model(
    path: str | os.PathLike[str],
    *,
    synthesizer: str,
    params: dict[str, Any],
    schema: dict[str, Any],
    codec: list[dict[str, Any]],
    state: dict[str, Any],
    arrays: dict[str, np.ndarray],
) -> None:
    """Write a model file atomically (a temporary file renamed over ``path``)."""
    index, chunks, offset = {}, [], 0
    for name, array in arrays.items():
        data = np.ascontiguousarray(array)
        if data.dtype.byteorder == ">":
            data = data.astype(data.dtype.newbyteorder("<"))
        dtype = data.dtype.str
        if dtype not in ALLOWED_DTYPES:
            raise ModelFileError(
                f"Array {name!r} has dtype {dtype}, which a model file cannot hold."
            )
        raw = data.tobytes()
        index[name] = {
            "dtype": dtype,
            "shape": list(data.shape),
            "offset": offset,
            "nbytes": len(raw),
        }
        chunks.append(raw)
        offset += len(raw)
    manifest = {
        "format": "datatwin-model",
        "format_version": FORMAT_VERSION,
        "library_version": __version__,
        "synthesizer": synthesizer,
        "params": params,
        "schema": schema,
        "codec": codec,
        "state": state,
        "arrays": index,
    }
    text = json.dumps(
        manifest,
        default=_json_default,
        allow_nan=False,
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    body = HEADER.pack(MAGIC, CONTAINER_VERSION, len(text)) + text + b"".join(chunks)
    atomic_write_bytes(Path(path), body + hashlib.sha256(body).digest())


def read_model(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The manifest and arrays of a model file, after checking that it is whole and ours."""
    name = str(path)
    try:
        blob = Path(path).read_bytes()
    except FileNotFoundError:
        raise ModelFileError(f"Model file {name!r} does not exist; check the path.") from None
    except IsADirectoryError:
        raise ModelFileError(f"{name!r} is a folder, not a model file.") from None
    except OSError as exc:
        raise ModelFileError(f"Model file {name!r} cannot be read ({exc.strerror}).") from None
    if not blob or not MAGIC.startswith(blob[: len(MAGIC)]):
        raise ModelFileError(f"{name!r} is not a datatwin model file (.dtw).")
    if len(blob) < HEADER.size:
        raise ModelFileError(f"Model file {name!r} is truncated; save the model again.")
    _, container, length = HEADER.unpack_from(blob)
    if container < 1:
        raise ModelFileError(f"Model file {name!r} is damaged (invalid container version).")
    if container > CONTAINER_VERSION:
        raise ModelFileError(
            f"Model file {name!r} uses container version {container}, which this datatwin "
            f"({__version__}) cannot read; upgrade datatwin."
        )
    if len(blob) < HEADER.size + DIGEST or length > min(MAX_MANIFEST, len(blob)):
        raise ModelFileError(f"Model file {name!r} is truncated; save the model again.")
    body, digest = blob[:-DIGEST], blob[-DIGEST:]
    if hashlib.sha256(body).digest() != digest:
        raise ModelFileError(
            f"Model file {name!r} is truncated or was altered after it was saved; save it again."
        )
    try:
        manifest = json.loads(
            body[HEADER.size : HEADER.size + length].decode("utf-8"),
            parse_constant=_reject_constant,
        )
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError):
        raise ModelFileError(f"Model file {name!r} has a damaged manifest.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != "datatwin-model":
        raise ModelFileError(f"{name!r} is not a datatwin model file (.dtw).")
    from datatwin.io.upgrade import upgrade_manifest

    manifest = upgrade_manifest(manifest, name)
    arrays = _arrays(manifest, memoryview(body)[HEADER.size + length :], name)
    return manifest, arrays


def _reject_constant(token: str) -> Any:
    raise ValueError(f"non-standard JSON constant {token}")


def _arrays(manifest: dict[str, Any], payload: memoryview, name: str) -> dict[str, np.ndarray]:
    index = manifest.get("arrays")
    if not isinstance(index, dict):
        raise ModelFileError(f"Model file {name!r} has no array index.")
    arrays = {}
    for key, spec in index.items():
        try:
            dtype, shape = spec["dtype"], tuple(int(s) for s in spec["shape"])
            offset, nbytes = int(spec["offset"]), int(spec["nbytes"])
        except (KeyError, TypeError, ValueError):
            raise ModelFileError(f"Model file {name!r} describes array {key!r} badly.") from None
        valid = (
            dtype in ALLOWED_DTYPES
            and all(s >= 0 for s in shape)
            and offset >= 0
            and nbytes == math.prod(shape) * np.dtype(dtype).itemsize
            and offset + nbytes <= len(payload)
        )
        if not valid:
            raise ModelFileError(f"Model file {name!r} describes array {key!r} badly.")
        data = np.frombuffer(payload[offset : offset + nbytes], dtype=np.dtype(dtype))
        arrays[key] = data.reshape(shape).copy()
    return arrays
