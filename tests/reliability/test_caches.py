"""Caches under SERLIB_CACHE: damaged bookkeeping is rebuilt, unwritable folders cost a
warning (or a typed error up front), cache keys are made in one place."""

from __future__ import annotations

import errno
import json
import logging
from pathlib import Path

import numpy as np
import pytest

import serlib.features.cache as cache_module
import serlib.features.cache_store as store
from serlib.config import config_hash
from serlib.data import ensure_writable
from serlib.errors import CacheError
from serlib.features import cached_log_mels, mel_preset
from serlib.features.cache import key_hash
from serlib.features.cache_store import FileDigests, read_entry

from .conftest import leftovers


@pytest.fixture
def files(write_wav) -> list[Path]:
    return [write_wav(f"audio/u{i}.wav", 0.3 + 0.1 * i) for i in range(3)]


@pytest.mark.parametrize("damage", [b"\x89garbage\xff", b"[1, 2, 3]", b'"a string"',
                                    b'{"x": 5}', b'{"/a.wav": [1, 2, 3, 4, "nothex"]}',
                                    b'{"trunc'])
def test_a_damaged_digest_index_is_rebuilt_with_a_warning(files, tmp_path, caplog,
                                                          damage: bytes) -> None:
    """Issue 10, item 7: a valid-JSON index of the wrong shape crashed every run."""
    root, config = tmp_path / "cache", mel_preset("agarla")
    good = cached_log_mels(files, config, cache_dir=root, progress=False)
    index = root / "file-digests.json"
    index.write_bytes(damage)
    with caplog.at_level(logging.WARNING):
        again = cached_log_mels(files, config, cache_dir=root, progress=False)
    assert all(np.array_equal(a, b) for a, b in zip(good, again, strict=True))
    assert str(index) in caplog.text
    known = json.loads(index.read_text())  # rewritten, well-formed
    assert sorted(known) == sorted(str(p.absolute()) for p in files)
    assert leftovers(root) == []


def test_an_entry_that_became_a_folder_is_recomputed(files, tmp_path, caplog) -> None:
    root, config = tmp_path / "cache", mel_preset("agarla")
    cached_log_mels(files, config, cache_dir=root, progress=False)
    victim = sorted((root / "logmel").rglob("*.npy"))[0]
    victim.unlink()
    victim.mkdir()
    with caplog.at_level(logging.WARNING):
        assert len(cached_log_mels(files, config, cache_dir=root, progress=False)) == 3
    assert "unreadable feature cache entry" in caplog.text


def test_a_full_disk_costs_one_warning_and_no_half_written_entry(files, tmp_path, caplog,
                                                                 monkeypatch) -> None:
    def full(path, array):
        with store.atomic_path(path) as tmp:
            tmp.write_bytes(b"half")
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cache_module, "write_entry", full)
    root = tmp_path / "cache"
    with caplog.at_level(logging.WARNING):
        feats = cached_log_mels(files, mel_preset("agarla"), cache_dir=root, progress=False)
    assert len(feats) == 3
    assert caplog.text.count("cannot write the feature cache") == 1
    assert not list(root.rglob("*.npy")) and leftovers(root) == []


def test_ensure_writable_names_the_folder_and_serlib_cache(tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SERLIB_CACHE", str(blocker))
    with pytest.raises(CacheError, match=rf"cannot write serlib's cache under {blocker}.*"
                                         "SERLIB_CACHE"):
        ensure_writable()
    assert ensure_writable(tmp_path / "ok" / "deep") == tmp_path / "ok" / "deep"
    assert leftovers(tmp_path) == []
    with pytest.raises(CacheError, match="MiB free"):
        ensure_writable(tmp_path / "ok", min_free_bytes=2**62)


def test_cache_keys_are_made_by_config_hash_only() -> None:
    parts = [1, "logmel", "ab" * 32, '{"n_mels": 64}']
    assert key_hash(parts) == config_hash(*parts, length=None)
    assert len(config_hash(*parts, length=None)) == 64
    assert config_hash(*parts) == config_hash(*parts, length=None)[:16]


def test_digest_index_entries_of_the_wrong_shape_are_hashed_again(tmp_path, files) -> None:
    digests = FileDigests(tmp_path)
    true = digests.digest(files[0])
    digests.save()
    (tmp_path / "file-digests.json").write_text(json.dumps(
        {str(files[0].absolute()): [0, 0, 0, 0, "f" * 64], "/x": 7}))
    assert FileDigests(tmp_path).digest(files[0]) == true
    assert read_entry(tmp_path / "file-digests.json") is None  # not an entry: refused
