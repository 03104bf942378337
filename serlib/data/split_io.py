"""Save and load splits as CSV files that list their files, named by a split id.

A split file holds one row per utterance: a machine-independent ``key``
(``<corpus>/<speaker>/<file name>``), the absolute ``path`` on the machine that wrote it,
``corpus``, ``speaker``, ``emotion`` and the split columns present (``split``, ``fold``,
``labelled``). The split id is a hash of the keys and split columns only, so the same split
made on two machines has the same id, and an experiment's results can name the split they
used. Files go to ``$SERLIB_CACHE/splits/`` (never the read-only data root) atomically.

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd

from serlib.atomic import atomic_path
from serlib.data.root import cache_root
from serlib.data.splits import check_speaker_independent
from serlib.errors import SplitError

__all__ = ["SPLIT_COLUMNS", "load_split", "save_split", "split_id", "utterance_keys"]

#: columns that describe a split (whichever are present are saved and hashed)
SPLIT_COLUMNS = ("split", "fold", "labelled")


def utterance_keys(table: pd.DataFrame) -> pd.Series:
    """``<corpus>/<speaker>/<file name>`` for every row: unique, machine-independent."""
    names = table["path"].map(lambda p: Path(p).name)
    return table["corpus"].astype(str) + "/" + table["speaker"].astype(str) + "/" + names


def _split_frame(table: pd.DataFrame) -> pd.DataFrame:
    present = [c for c in SPLIT_COLUMNS if c in table]
    if not present:
        raise SplitError(f"the table has none of the split columns {SPLIT_COLUMNS}; "
                         "make a split first (speaker_split, leave_one_speaker_out, ...)")
    frame = table[["corpus", "speaker", "emotion", "path", *present]].copy()
    frame.insert(0, "key", utterance_keys(table))
    if frame["key"].duplicated().any():
        dup = frame.loc[frame["key"].duplicated(), "key"].iloc[0]
        raise SplitError(f"utterance key {dup!r} appears twice; remove duplicated files")
    return frame.sort_values("key").reset_index(drop=True)


def split_id(table: pd.DataFrame, length: int = 12) -> str:
    """Stable hex id of a split: a hash of the utterance keys and the split columns."""
    frame = _split_frame(table)
    cols = ["key", *[c for c in SPLIT_COLUMNS if c in frame]]
    blob = frame[cols].astype(str).to_csv(index=False).encode()
    return hashlib.sha256(blob).hexdigest()[:length]


def save_split(table: pd.DataFrame, name: str,
               folder: str | os.PathLike[str] | None = None) -> Path:
    """Write a split as ``<folder>/<name>-<split id>.csv`` (atomically) and return the path.

    Args:
        table: a table with split columns (``split`` and/or ``fold``, optional ``labelled``).
        name: a readable prefix, e.g. ``"emodb-agarla5-seed0"``.
        folder: default ``$SERLIB_CACHE/splits``.

    Raises:
        SplitError: if a speaker appears in two parts (unless the table is the
            leakage demonstration of :func:`serlib.data.leaky_random_split`).
    """
    if "split" in table and not table.attrs.get("leaky", False):
        check_speaker_independent(table)
    frame = _split_frame(table)
    sid = split_id(table)
    prefix = "leaky-" if table.attrs.get("leaky", False) else ""
    path = Path(folder) if folder is not None else cache_root() / "splits"
    path = path / f"{prefix}{name}-{sid}.csv"
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)
    return path


def load_split(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a split file written by :func:`save_split`."""
    path = Path(path)
    if not path.is_file():
        raise SplitError(f"split file {path} does not exist")
    return pd.read_csv(path, dtype={"speaker": str, "key": str})
