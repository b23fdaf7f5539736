"""The .dtw model file: safe to load, whole or refused."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import datatwin as dt
from datatwin.io.modelfile import HEADER, MAGIC, read_model, write_model


@pytest.fixture
def saved(mixed: pd.DataFrame, tmp_path: Path) -> Path:
    path = tmp_path / "m.dtw"
    dt.synthesizer("copula", seed=0).fit(mixed).save(path)
    return path


def test_manifest_holds_versions_schema_and_parameters(saved: Path) -> None:
    manifest, arrays = read_model(saved)
    assert manifest["format"] == "datatwin-model"
    assert manifest["format_version"] == 1
    assert manifest["library_version"] == dt.__version__
    assert manifest["synthesizer"] == "copula"
    assert manifest["params"]["seed"] == 0
    assert [c["name"] for c in manifest["schema"]["columns"]][:2] == ["id", "age"]
    assert all(isinstance(a, np.ndarray) for a in arrays.values())
    assert b"pickle" not in saved.read_bytes()


def test_no_real_personal_data_in_the_file(mixed: pd.DataFrame, saved: Path) -> None:
    blob = saved.read_bytes()
    assert not any(email.encode() in blob for email in mixed["email"])


def _rewrite(path: Path, manifest_edit: dict[str, object]) -> None:
    manifest, arrays = read_model(path)
    manifest.update(manifest_edit)
    write_model(
        path,
        synthesizer=manifest["synthesizer"],
        params=manifest["params"],
        schema=manifest["schema"],
        codec=manifest["codec"],
        state=manifest["state"],
        arrays=arrays,
    )


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda b: b[: len(b) // 2], "truncated"),
        (lambda b: b[:10], "truncated"),
        (lambda b: b"", "not a datatwin model"),
        (lambda b: b"PK\x03\x04" + b"\x00" * 100, "not a datatwin model"),
        (lambda b: b[:200] + bytes([b[200] ^ 0xFF]) + b[201:], "altered"),
        (lambda b: b[:-1] + bytes([b[-1] ^ 1]), "altered"),
        (lambda b: MAGIC + struct.pack("<IQ", 7, 0) + b[HEADER.size :], "container version 7"),
    ],
)
def test_damaged_files_are_refused(saved: Path, damage: object, message: str) -> None:
    saved.write_bytes(damage(saved.read_bytes()))  # type: ignore[operator]
    with pytest.raises(dt.ModelFileError, match=message):
        dt.load(saved)


def test_a_newer_format_version_asks_for_an_upgrade(saved: Path) -> None:
    manifest, _arrays = read_model(saved)
    body = json.dumps({**manifest, "format_version": 2}).encode()
    import hashlib

    blob = HEADER.pack(MAGIC, 1, len(body)) + body
    saved.write_bytes(blob + hashlib.sha256(blob).digest())
    with pytest.raises(dt.ModelFileError, match="newer datatwin"):
        dt.load(saved)


def test_a_planted_synthesizer_name_is_refused(saved: Path) -> None:
    _rewrite(saved, {"synthesizer": "os:system"})
    with pytest.raises(dt.ModelFileError, match="no synthesizer named"):
        dt.load(saved)


def test_an_inconsistent_state_is_refused(saved: Path) -> None:
    _rewrite(saved, {"codec": []})
    with pytest.raises(dt.ModelFileError, match="cannot be used"):
        dt.load(saved)


def test_object_arrays_cannot_be_written(tmp_path: Path) -> None:
    with pytest.raises(dt.ModelFileError, match="dtype"):
        write_model(
            tmp_path / "x.dtw",
            synthesizer="copula",
            params={},
            schema={},
            codec=[],
            state={},
            arrays={"bad": np.array([object()], dtype=object)},
        )


def test_missing_and_folder_paths(tmp_path: Path) -> None:
    with pytest.raises(dt.ModelFileError, match="does not exist"):
        dt.load(tmp_path / "nope.dtw")
    with pytest.raises(dt.ModelFileError, match="folder"):
        dt.load(tmp_path)


def test_a_failed_save_leaves_the_old_file(saved: Path, tmp_path: Path) -> None:
    before = saved.read_bytes()
    with pytest.raises(dt.ModelFileError):
        write_model(
            saved,
            synthesizer="copula",
            params={},
            schema={},
            codec=[],
            state={},
            arrays={"bad": np.array([object()], dtype=object)},
        )
    assert saved.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [saved.name]
