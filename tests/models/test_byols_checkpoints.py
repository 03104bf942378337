"""BYOL-S checkpoints: registry, strict loading, clear errors, fast offline failure."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
import torch

from serlib.errors import CheckpointError, ChecksumError, DownloadError
from serlib.features.cache_store import file_sha256
from serlib.models import (
    BYOLS_CHECKPOINTS,
    BYOLS_ENV,
    DEFAULT_BYOLS_CHECKPOINT,
    PAPER_BYOLS_CHECKPOINT,
    ByolsCheckpoint,
    BYOLSEncoder,
    fetch_byols_checkpoint,
    load_byols_encoder,
)

D512_SHA256 = "449f5d0dc6b6fa8433d5e43769097520d3bc0fdae88977a7ac29e2e72ca51b52"


def test_registry() -> None:
    assert {c.d for c in BYOLS_CHECKPOINTS.values()} == {512, 1024, 2048}
    assert BYOLS_CHECKPOINTS[DEFAULT_BYOLS_CHECKPOINT].d == 512
    assert BYOLS_CHECKPOINTS[PAPER_BYOLS_CHECKPOINT].d == 1024  # what Agarla et al. used
    assert BYOLS_CHECKPOINTS["byols-d512"].sha256 == D512_SHA256
    for spec in BYOLS_CHECKPOINTS.values():
        assert spec.url.startswith("https://") and spec.filename.endswith(".pth")
        assert spec.filename.startswith(f"default{spec.d}_BYOLAs64x96-")


def save(tmp_path: Path, state: dict, name: str = "enc.pth") -> Path:
    path = tmp_path / name
    torch.save(state, path)
    return path


def test_local_file_round_trip(tmp_path: Path, monkeypatch) -> None:
    torch.manual_seed(0)
    original = BYOLSEncoder(1024)
    path = save(tmp_path, original.state_dict())
    loaded = load_byols_encoder(path)
    assert loaded.d == 1024 and not loaded.training
    for key, value in original.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[key], value)
    monkeypatch.setenv(BYOLS_ENV, str(path))
    assert load_byols_encoder().d == 1024  # the environment variable is the default
    wrapped = save(tmp_path, {"state_dict": original.state_dict()}, "wrapped.pth")
    assert load_byols_encoder(wrapped, d=1024).d == 1024


def test_mismatching_checkpoint_lists_the_keys(tmp_path: Path) -> None:
    state = BYOLSEncoder(512).state_dict()
    state.pop("fc.3.bias")
    state["projector.weight"] = torch.zeros(3)
    with pytest.raises(CheckpointError) as err:
        load_byols_encoder(save(tmp_path, state))
    assert "fc.3.bias" in str(err.value) and "projector.weight" in str(err.value)
    state = BYOLSEncoder(512).state_dict()
    state["features.0.weight"] = torch.zeros(32, 1, 3, 3)
    with pytest.raises(CheckpointError, match=r"features.0.weight: \(32, 1, 3, 3\)"):
        load_byols_encoder(save(tmp_path, state))
    with pytest.raises(CheckpointError, match="d=512 encoder, expected d=2048"):
        load_byols_encoder(save(tmp_path, BYOLSEncoder(512).state_dict()), d=2048)


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_byols_encoder(tmp_path / "nope.pth")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a zip")
    with pytest.raises(CheckpointError, match="not a readable"):
        load_byols_encoder(junk)
    with pytest.raises(CheckpointError, match=r"fc\.0\.weight"):
        load_byols_encoder(save(tmp_path, {"weight": torch.zeros(2)}))
    fake = save(tmp_path, BYOLSEncoder(512).state_dict(),
                BYOLS_CHECKPOINTS["byols-d512"].filename)
    with pytest.raises(ChecksumError, match="SHA-256"):
        load_byols_encoder(fake)  # named like the published file, different bytes


def refused_url() -> str:
    with socket.socket() as s:  # a port nobody listens on: connections are refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/default512_BYOLAs64x96-x.pth"


def test_offline_download_fails_fast_with_instructions(tmp_path: Path) -> None:
    spec = ByolsCheckpoint("byols-test", 512, refused_url(), None)
    start = time.perf_counter()
    with pytest.raises(DownloadError) as err:
        fetch_byols_checkpoint(spec, folder=tmp_path, progress=False, timeout=2)
    assert time.perf_counter() - start < 1.0
    message = str(err.value)
    assert spec.url in message
    assert f"load_byols_encoder('/path/to/{spec.filename}')" in message
    assert f"{BYOLS_ENV}=/path/to/{spec.filename}" in message
    assert not list(tmp_path.iterdir())  # nothing half-written


@pytest.mark.shared
def test_real_d512_checkpoint_loads_strictly(byols_checkpoint: Path) -> None:
    assert file_sha256(byols_checkpoint) == D512_SHA256
    encoder = load_byols_encoder(byols_checkpoint)
    state = torch.load(byols_checkpoint, map_location="cpu", weights_only=True)
    assert sorted(state) == sorted(encoder.state_dict())  # zero missing / unexpected keys
    assert encoder.d == 512
    with torch.no_grad():
        emb = encoder(torch.randn(2, 1, 64, 96))
    assert emb.shape == (2, 512) and torch.isfinite(emb).all()
