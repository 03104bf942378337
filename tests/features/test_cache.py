"""The log-mel cache: same features, computed once, never stale, corrupt entries recomputed."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch

import serlib.features.cache as cache_module
import serlib.features.cache_store as store
from serlib.features import cached_log_mels, default_cache_dir, extract_log_mels, mel_preset
from serlib.features.cache_store import FileDigests, read_entry, write_entry


def entries(root: Path) -> list[Path]:
    return sorted((root / "logmel").rglob("*.npy"))


def same(a: list[torch.Tensor], b: list[torch.Tensor]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        torch.testing.assert_close(x, y)


def test_cached_equals_uncached_and_warm_run_reads_only(wav_files, tmp_path: Path,
                                                        monkeypatch) -> None:
    config, root = mel_preset("byols"), tmp_path / "cache"
    table = pd.DataFrame({"path": [str(p) for p in wav_files]})
    cold = cached_log_mels(table, config, cache_dir=root, progress=False)
    same(cold, extract_log_mels(table, config, progress=False))
    assert len(entries(root)) == len(wav_files)
    assert (root / "file-digests.json").is_file()

    def boom(*args, **kwargs):
        raise AssertionError("recomputed or re-hashed on a warm run")

    monkeypatch.setattr(cache_module, "load_audio", boom)
    monkeypatch.setattr(store, "file_sha256", boom)
    same(cached_log_mels(wav_files, config, cache_dir=root, progress=False), cold)


def test_default_folder_is_under_serlib_cache(wav_files, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SERLIB_CACHE", str(tmp_path / "c"))
    assert default_cache_dir() == (tmp_path / "c" / "features").resolve()
    cached_log_mels(wav_files[:1], mel_preset("agarla"), progress=False)
    assert len(entries(default_cache_dir())) == 1


def test_changed_config_gets_new_entries(wav_files, tmp_path: Path) -> None:
    root = tmp_path / "cache"
    a = cached_log_mels(wav_files, mel_preset("agarla"), cache_dir=root, progress=False)
    b = cached_log_mels(wav_files, mel_preset("agarla", n_mels=32), cache_dir=root,
                        progress=False)
    assert a[0].shape[1] == 64 and b[0].shape[1] == 32
    assert len(entries(root)) == 2 * len(wav_files)
    assert len({p.parent.parent.name for p in entries(root)}) == 2  # one group per config


def test_changed_file_is_never_stale(wav_files, tmp_path: Path, make_speech) -> None:
    """Same size, same modification time, new bytes: the features follow the new content."""
    config, root, path = mel_preset("agarla"), tmp_path / "cache", wav_files[1]
    before = cached_log_mels([path], config, cache_dir=root, progress=False)[0]
    st = os.stat(path)
    wave, rate = sf.read(path, dtype="float32")
    sf.write(path, make_speech(wave.size / rate, rate, seed=42), rate, subtype="PCM_16")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # hide the change from mtime
    assert os.stat(path).st_size == st.st_size and os.stat(path).st_mtime_ns == st.st_mtime_ns
    after = cached_log_mels([path], config, cache_dir=root, progress=False)[0]
    same([after], extract_log_mels(pd.DataFrame({"path": [str(path)]}), config, progress=False))
    assert not torch.allclose(after, before)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "nan", "shape"])
def test_corrupt_entry_is_detected_and_recomputed(damage: str, wav_files, tmp_path: Path,
                                                  caplog) -> None:
    config, root = mel_preset("agarla"), tmp_path / "cache"
    good = cached_log_mels(wav_files, config, cache_dir=root, progress=False)
    victim = entries(root)[0]
    if damage == "truncate":
        victim.write_bytes(victim.read_bytes()[:-100])
    elif damage == "garbage":
        victim.write_bytes(b"\x93NUMPY not really" * 10)
    elif damage == "nan":  # a well-formed entry with a valid checksum but NaN inside
        write_entry(victim, np.full((64, 30), np.nan, dtype=np.float32))
    else:
        write_entry(victim, np.zeros((40, 30), dtype=np.float32))
    with caplog.at_level(logging.WARNING):
        again = cached_log_mels(wav_files, config, cache_dir=root, progress=False)
    same(again, good)
    assert "corrupt feature cache entry" in caplog.text
    assert read_entry(victim) is not None  # rewritten


def test_read_only_cache_still_returns_features(wav_files, tmp_path: Path, monkeypatch,
                                                caplog) -> None:
    def refuse(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(cache_module, "write_entry", refuse)
    with caplog.at_level(logging.WARNING):
        feats = cached_log_mels(wav_files, mel_preset("agarla"), cache_dir=tmp_path / "ro",
                                progress=False)
    assert len(feats) == len(wav_files)
    assert caplog.text.count("cannot write the feature cache") == 1


def test_entry_format_and_digests(tmp_path: Path) -> None:
    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    path = write_entry(tmp_path / "e.npy", array)
    np.testing.assert_array_equal(read_entry(path), array)
    np.testing.assert_array_equal(np.load(path), array)  # still a valid .npy for NumPy
    for other in (np.float64(3.5), np.arange(5, dtype=np.int64), np.ones((2, 3, 4), ">f4")):
        back = read_entry(write_entry(tmp_path / "o.npy", other))
        assert back.dtype == other.dtype and back.shape == np.shape(other)
        np.testing.assert_array_equal(back, other)
    assert read_entry(path).flags.writeable  # can back a tensor without a warning
    assert read_entry(tmp_path / "missing.npy") is None
    assert read_entry(path, lambda a: "wrong" if a.shape != (4, 3) else None) is None
    audio = tmp_path / "a.bin"
    audio.write_bytes(b"abc")
    digests = FileDigests(tmp_path)
    assert digests.digest(audio) == store.file_sha256(audio)
    digests.save()
    assert FileDigests(tmp_path).digest(audio) == digests.digest(audio)
