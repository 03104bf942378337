"""Corpora on disk: bad names, empty or odd folders, unreadable files, damaged synthetic
metadata, label sets with an empty class. Each is a typed error or a logged skip."""

from __future__ import annotations

import errno
import logging
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from serlib.data import SyntheticConfig, apply_label_set, generate_corpus, load_corpus, scan
from serlib.errors import CacheError, CorpusNotFoundError, DataWarning

from .conftest import audio_bytes, leftovers, speech

GOOD = ["wav/03a01Fa.wav", "wav/16b10Lb.wav", "wav/08a02Ab.wav"]


@pytest.fixture
def emodb(tmp_path: Path) -> Path:
    root = tmp_path / "emodb"
    for name in GOOD:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(audio_bytes(0.3))
    return root


def test_bad_names_are_a_logged_skip(emodb, caplog) -> None:
    (emodb / "wav" / "notes_about_03a01Fa.wav").write_bytes(audio_bytes(0.3))
    with caplog.at_level(logging.WARNING):
        table = load_corpus("emodb", emodb, progress=False)
    assert len(table) == 3 and table.attrs["skipped"]["unparsed"] == 1
    assert "notes_about_03a01Fa.wav" in caplog.text


def test_an_empty_folder_and_a_file_instead_of_a_folder(tmp_path: Path) -> None:
    (tmp_path / "emodb").mkdir()
    with pytest.raises(CorpusNotFoundError, match=r"no \.wav files under .*emodb"):
        load_corpus("emodb", tmp_path / "emodb", progress=False)
    (tmp_path / "file").write_text("x")
    with pytest.raises(CorpusNotFoundError, match="is a file, not a corpus folder"):
        load_corpus("emodb", tmp_path / "file", progress=False)


def test_an_unreadable_file_is_skipped_as_permission_denied(emodb, deny_read, caplog) -> None:
    deny_read(emodb / GOOD[1])
    with caplog.at_level(logging.WARNING):
        result = scan("emodb", emodb, progress=False)
    assert len(result.table) == 2
    (path, reason), = result.bad_audio
    assert path.endswith("16b10Lb.wav") and "permission denied" in reason
    assert "permission denied" in caplog.text


def test_a_folder_named_like_a_recording_is_reported(emodb, caplog) -> None:
    (emodb / "wav" / "11b03Td.wav").mkdir()
    with caplog.at_level(logging.WARNING):
        result = scan("emodb", emodb, progress=False)
    assert len(result.table) == 3
    assert any(p.endswith("11b03Td.wav") and "is a directory" in why
               for p, why in result.bad_audio)


def test_a_folder_that_cannot_be_listed_is_reported_not_ignored(emodb, monkeypatch,
                                                                caplog) -> None:
    hidden = emodb / "wav" / "more"
    hidden.mkdir()
    (hidden / "11b03Td.wav").write_bytes(audio_bytes(0.3))
    real = os.scandir

    def scandir(path="."):
        if Path(path) == hidden:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with caplog.at_level(logging.WARNING):
        result = scan("emodb", emodb, progress=False)
    assert result.unreadable_dirs == [(str(hidden), "cannot list this folder (Permission "
                                       "denied); fix its permissions (chmod a+rx) or run as a "
                                       "user who can read it")]
    assert str(hidden) in caplog.text and len(result.table) == 3


def test_decode_drops_a_non_finite_file_with_its_reason(emodb) -> None:
    wave = speech(0.3)
    wave[10] = np.inf
    sf.write(emodb / "wav" / "11b03Td.wav", wave, 16000, subtype="FLOAT")
    assert len(load_corpus("emodb", emodb, progress=False)) == 4  # headers only
    table = load_corpus("emodb", emodb, decode=True, progress=False)
    assert len(table) == 3 and table.attrs["skipped"]["bad_audio"] == 1


@pytest.fixture
def synthetic(tmp_path: Path) -> tuple[Path, SyntheticConfig]:
    config = SyntheticConfig(speakers_per_language=4, utterances_per_emotion=1,
                             languages=("lang_a",), syllables=(2, 2))
    table = generate_corpus(tmp_path / "syn", config)
    return Path(table["path"].iloc[0]).parents[2], config


@pytest.mark.parametrize("damage", ["garbage", "truncated", "no_path_column", "nan_duration"])
def test_damaged_synthetic_metadata_is_rebuilt_with_a_warning(synthetic, caplog,
                                                              damage: str) -> None:
    folder, config = synthetic
    meta = folder / "metadata.csv"
    good = pd.read_csv(meta)
    if damage == "garbage":
        meta.write_bytes(b"\xff\xfe\x00\x81" * 50)
    elif damage == "truncated":
        meta.write_text(meta.read_text()[: len(meta.read_text()) // 2])
    elif damage == "no_path_column":
        good.drop(columns="path").to_csv(meta, index=False)
    else:
        good.assign(duration=np.nan).to_csv(meta, index=False)
    with caplog.at_level(logging.WARNING):
        table = load_corpus("synthetic", folder)
    assert len(table) == len(good) and table["duration"].notna().all()
    assert "damaged synthetic corpus" in caplog.text and str(meta) in caplog.text
    assert generate_corpus(folder.parent, config)["path"].tolist() == table["path"].tolist()
    assert leftovers(folder) == []


def test_damaged_synthetic_metadata_without_its_config_is_a_typed_error(synthetic) -> None:
    folder, _ = synthetic
    (folder / "metadata.csv").write_text("path,corpus\n")
    (folder / "config.yaml").write_text("speakers_per_language: many\n")
    with pytest.raises(CorpusNotFoundError, match=r"metadata.csv lacks the column.*cannot be "
                                                  r"generated again.*speakers_per_language"):
        load_corpus("synthetic", folder)


def test_an_unwritable_synthetic_root_is_a_cache_error_up_front(tmp_path: Path) -> None:
    blocker = tmp_path / "syn"
    blocker.write_text("a file, not a folder")
    with pytest.raises(CacheError, match=r"cannot write the synthetic corpus.*SERLIB_CACHE"):
        generate_corpus(blocker, SyntheticConfig(speakers_per_language=4,
                                                 utterances_per_emotion=1))


def test_a_disk_that_fills_up_while_generating_leaves_no_complete_looking_corpus(
        tmp_path: Path, monkeypatch) -> None:
    written = []

    def write(path, *args, **kwargs):
        if len(written) == 5:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(path)
        return real_write(path, *args, **kwargs)

    real_write = sf.write
    monkeypatch.setattr(sf, "write", write)
    config = SyntheticConfig(speakers_per_language=4, utterances_per_emotion=1)
    with pytest.raises(CacheError, match=r"No space left on device.*SERLIB_CACHE"):
        generate_corpus(tmp_path / "syn", config)
    assert not list((tmp_path / "syn").rglob("metadata.csv"))
    assert leftovers(tmp_path / "syn") == []
    monkeypatch.setattr(sf, "write", real_write)
    assert len(generate_corpus(tmp_path / "syn", config)) == 40  # the rerun completes it


def test_a_class_with_no_utterance_in_a_corpus_is_said_out_loud() -> None:
    table = pd.DataFrame({"corpus": ["emodb"] * 3 + ["ravdess"] * 3,
                          "emotion": ["anger", "boredom", "sadness", "anger", "calm",
                                      "sadness"]})
    with pytest.warns(DataWarning, match=r"\['boredom'\] have no utterance in corpus "
                                         r"'ravdess'.*2 classes, not 3") as record:
        out = apply_label_set(table, ["anger", "boredom", "sadness"])
    assert len(record) == 1 and len(out) == 5  # warned, not failed
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # the explicit merge: nothing to say
        apply_label_set(table, ["anger", "boredom", "sadness"], merges=["calm_as_boredom"])
