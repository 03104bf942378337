"""Split files read back from disk are checked; writing them fails up front and cleanly."""

from __future__ import annotations

import errno
from pathlib import Path

import pandas as pd
import pytest

import serlib.data.split_io as split_io
from serlib.data import load_split, save_split, speaker_split
from serlib.errors import CacheError, SplitError

from .conftest import leftovers


@pytest.fixture
def split_file(tmp_path: Path) -> Path:
    rows = [{"path": f"/data/emodb/wav/{s:02d}a0{k}{e}a.wav", "corpus": "emodb",
             "speaker": f"emodb_{s:02d}", "emotion": emo}
            for s in range(3, 9) for k in range(3) for e, emo in (("W", "anger"), ("T", "sadness"))]
    return save_split(speaker_split(pd.DataFrame(rows)), "emodb", tmp_path / "splits")


def test_a_good_split_file_loads(split_file: Path) -> None:
    assert len(load_split(split_file)) == 36


@pytest.mark.parametrize(("damage", "match"), [
    ("garbage", "unreadable split file"),
    ("empty", "unreadable split file"),
    ("header_only", "holds no rows"),
    ("truncated_mid_row", "unknown part name|has no|does not hash"),
    ("truncated_at_a_row", "does not hash to the split id"),
    ("no_key_column", r"lacks the column\(s\) \['key'\]"),
    ("unknown_part", r"unknown part name\(s\) \['training'\]"),
    ("duplicated_key", "appears twice"),
    ("moved_a_speaker", "does not hash to the split id"),
])
def test_a_damaged_split_file_is_a_split_error_naming_it(split_file: Path, damage: str,
                                                         match: str) -> None:
    frame = pd.read_csv(split_file)
    text = split_file.read_text()
    if damage == "garbage":
        split_file.write_bytes(b"\x00\xff\xfe" * 40)
    elif damage == "empty":
        split_file.write_text("")
    elif damage == "header_only":
        split_file.write_text(text.splitlines()[0] + "\n")
    elif damage == "truncated_mid_row":
        split_file.write_text(text[: len(text) // 2 + 7])
    elif damage == "truncated_at_a_row":
        split_file.write_text("\n".join(text.splitlines()[:20]) + "\n")
    elif damage == "no_key_column":
        frame.drop(columns="key").to_csv(split_file, index=False)
    elif damage == "unknown_part":
        frame.replace({"split": {"train": "training"}}).to_csv(split_file, index=False)
    elif damage == "duplicated_key":
        pd.concat([frame, frame.iloc[:1]]).to_csv(split_file, index=False)
    else:
        frame.loc[frame["speaker"] == frame["speaker"].iloc[0], "split"] = "test" \
            if frame["split"].iloc[0] != "test" else "train"
        frame.to_csv(split_file, index=False)
    with pytest.raises(SplitError, match=match) as info:
        load_split(split_file)
    assert str(split_file) in str(info.value)


def test_a_folder_given_as_a_split_file(tmp_path: Path) -> None:
    with pytest.raises(SplitError, match="is a folder"):
        load_split(tmp_path)


def test_saving_into_an_unwritable_folder_is_a_cache_error(split_file: Path,
                                                           tmp_path: Path) -> None:
    table = load_split(split_file)
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(CacheError, match=rf"split files under {blocker}.*SERLIB_CACHE"):
        save_split(table, "again", blocker)


def test_a_full_disk_while_saving_leaves_nothing_half_written(split_file: Path, tmp_path,
                                                              monkeypatch) -> None:
    table = load_split(split_file)
    folder = tmp_path / "full"

    real = pd.DataFrame.to_csv

    def to_csv(self, path=None, **kwargs):
        if path is None:
            return real(self, **kwargs)
        Path(path).write_text("key,corp")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(split_io.pd.DataFrame, "to_csv", to_csv)
    with pytest.raises(CacheError, match="No space left on device"):
        save_split(table, "full", folder)
    assert list(folder.iterdir()) == [] and leftovers(folder) == []
