"""Checkpoint files: truncated, non-finite, damaged downloads, and the integrity helpers."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch

import serlib.models.byols_checkpoints as ckpt_module
from serlib.errors import CheckpointError, ChecksumError
from serlib.integrity import (
    check_finite_state,
    digest_path,
    load_torch_file,
    verify_digest,
    write_with_digest,
)
from serlib.models import BYOLS_CHECKPOINTS, BYOLSEncoder, load_byols_encoder
from serlib.models.vgg import load_vgg16_imagenet

from .conftest import leftovers


@pytest.fixture(scope="module")
def state() -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return BYOLSEncoder(512).state_dict()


def save(path: Path, obj) -> Path:
    torch.save(obj, path)
    return path


@pytest.mark.parametrize("keep", [0.5, 0.99, 100])
def test_a_truncated_byols_file_is_a_checkpoint_error_naming_it(tmp_path, state, keep) -> None:
    """Issue 10, item 7: a truncated file raised a bare ``OSError: [Errno 22]``."""
    path = save(tmp_path / "enc.pth", state)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)] if keep < 1 else data[:keep])
    with pytest.raises(CheckpointError, match=rf"{path}: not a readable PyTorch checkpoint"
                                              r".*truncated or corrupt; replace it"):
        load_byols_encoder(path)


@pytest.mark.parametrize(("obj", "match"), [
    (None, "empty checkpoint file"),
    ([1, 2, 3], "not a BYOL-S"),
    ({"fc.0.weight": "text"}, "not a 2-d tensor"),
])
def test_files_that_are_not_byols_state_dicts(tmp_path, obj, match) -> None:
    path = tmp_path / "enc.pth"
    if obj is None:
        path.write_bytes(b"")
    else:
        save(path, obj)
    with pytest.raises(CheckpointError, match=match):
        load_byols_encoder(path)


def test_non_tensor_entries_and_a_folder(tmp_path, state) -> None:
    with pytest.raises(CheckpointError, match=r"\['extra'\] are not tensors"):
        load_byols_encoder(save(tmp_path / "x.pth", {**state, "extra": 3}))
    with pytest.raises(CheckpointError, match="is a directory"):
        load_byols_encoder(tmp_path)


def test_non_finite_weights_are_refused_at_load_time(tmp_path, state) -> None:
    bad = dict(state)
    bad["fc.0.weight"] = bad["fc.0.weight"].clone()
    bad["fc.0.weight"][0, 0] = float("nan")
    path = save(tmp_path / "nan.pth", bad)
    with pytest.raises(CheckpointError, match=rf"{path}: non-finite weights.*fc\.0\.weight"):
        load_byols_encoder(path)


def test_a_damaged_download_is_fetched_again_once(tmp_path, state, monkeypatch,
                                                  caplog) -> None:
    spec = BYOLS_CHECKPOINTS["byols-d1024"]  # no published hash: pooch trusts the old copy
    target = tmp_path / spec.filename
    target.write_bytes(b"PK\x03\x04 cut short")
    calls = []

    def fetch(checkpoint, *, folder=None, progress=True, timeout=30.0):
        calls.append(folder)
        if folder is not None:  # the second call: a fresh download
            save(target, BYOLSEncoder(1024).state_dict())
        return target

    monkeypatch.setattr(ckpt_module, "fetch_byols_checkpoint", fetch)
    with caplog.at_level(logging.WARNING):
        encoder = load_byols_encoder("byols-d1024")
    assert encoder.d == 1024 and len(calls) == 2
    assert "downloading" in caplog.text and str(target) in caplog.text


def test_a_truncated_vgg_weights_file(tmp_path) -> None:
    path = tmp_path / "vgg16-397923af.pth"
    save(path, {"features.0.weight": torch.ones(2, 2)})
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(CheckpointError, match=rf"{path}: not a readable.*download"):
        load_vgg16_imagenet(path)
    save(path, {"features.0.weight": torch.full((2, 2), float("inf"))})
    with pytest.raises(CheckpointError, match="non-finite"):
        load_vgg16_imagenet(path)


def test_write_with_digest_then_a_flipped_bit_is_caught(tmp_path, state) -> None:
    """Issue 10, item 1 (the lower part): a corrupt file must not load as if it were fine."""
    path = tmp_path / "model.pt"
    digest = write_with_digest(path, lambda tmp: torch.save(state, tmp))
    assert verify_digest(path) == digest
    assert digest_path(path).read_text() == f"{digest}  model.pt\n"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ChecksumError, match=rf"{path}: SHA-256 .* differs.*rebuild"):
        verify_digest(path)
    assert leftovers(tmp_path) == []


def test_missing_and_damaged_digest_files(tmp_path) -> None:
    path = tmp_path / "model.pt"
    path.write_bytes(b"weights")
    with pytest.raises(ChecksumError, match="no digest file"):
        verify_digest(path)
    assert verify_digest(path, required=False) is None
    digest_path(path).write_text("not a digest\n")
    with pytest.raises(ChecksumError, match="damaged digest file"):
        verify_digest(path)
    with pytest.raises(FileNotFoundError):
        verify_digest(tmp_path / "absent.pt")


def test_a_writer_that_fails_leaves_nothing(tmp_path) -> None:
    def writer(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        write_with_digest(tmp_path / "model.pt", writer)
    assert list(tmp_path.iterdir()) == []


def test_check_finite_state_walks_nested_checkpoints() -> None:
    good = {"model": {"w": torch.ones(2)}, "optimizer": {"state": {0: {"step": 3}}},
            "steps": [torch.zeros(1, dtype=torch.int64)], "lr": 0.1}
    check_finite_state(good, source="ckpt.pt")
    bad = {**good, "optimizer": {"state": {0: {"exp_avg": torch.tensor([float("inf")])}}},
           "lr": float("nan")}
    with pytest.raises(CheckpointError, match=r"ckpt.pt: non-finite.*optimizer\.state\.0"
                                              r"\.exp_avg, lr"):
        check_finite_state(bad, source="ckpt.pt")


def test_load_torch_file_names_the_file_and_the_fix(tmp_path) -> None:
    path = tmp_path / "cached-source.pt"
    path.write_bytes(b"\x80\x02garbage")
    with pytest.raises(CheckpointError, match=rf"{path}.*delete it: it is rebuilt"):
        load_torch_file(path, fix="delete it: it is rebuilt on the next run")
    with pytest.raises(CheckpointError, match="no such checkpoint file"):
        load_torch_file(tmp_path / "absent.pt")
