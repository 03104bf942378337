"""Save and load splits as CSV files that list their files, named by a split id.

A split file holds one row per utterance: a machine-independent ``key``
(``<corpus>/<speaker>/<file name>``), the absolute ``path`` on the machine that wrote it,
``corpus``, ``speaker``, ``emotion`` and the split columns present (``split``, ``fold``,
``labelled``). The split id is a hash of the keys and split columns only, so the same split
made on two machines has the same id, and an experiment's results can name the split they
used. Files go to ``$SERLIB_CACHE/splits/`` (never the read-only data root) atomically.
:func:`load_split` trusts nothing it reads back: a file that is not a CSV, lacks a column,
holds an unknown part name, a duplicated key, or does not hash to the id in its name is a
:class:`~serlib.errors.SplitError` naming the file and the fix.

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pandas as pd

from serlib.atomic import atomic_path
from serlib.data.root import cache_root, ensure_writable
from serlib.data.splits import PARTS, check_speaker_independent
from serlib.errors import CacheError, SplitError

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
        CacheError: the folder cannot be written (names it and ``SERLIB_CACHE``).
    """
    if "split" in table and not table.attrs.get("leaky", False):
        check_speaker_independent(table)
    frame = _split_frame(table)
    sid = split_id(table)
    prefix = "leaky-" if table.attrs.get("leaky", False) else ""
    target = ensure_writable(Path(folder) if folder is not None else cache_root() / "splits",
                             what="the split files")
    path = target / f"{prefix}{name}-{sid}.csv"
    try:
        with atomic_path(path) as tmp:
            frame.to_csv(tmp, index=False)
    except OSError as err:  # e.g. the disk filled up while writing
        raise CacheError(f"cannot write the split file {path} ({err.strerror or err}); free "
                         "some space or point SERLIB_CACHE at another folder") from None
    return path


_ID = re.compile(r"-([0-9a-f]{12})\.csv$")


def _check_split(frame: pd.DataFrame, path: Path) -> None:
    fix = "delete it and make the split again (save_split rewrites it)"
    missing = [c for c in ("key", "corpus", "speaker", "emotion", "path") if c not in frame]
    present = [c for c in SPLIT_COLUMNS if c in frame]
    if missing or not present:
        raise SplitError(f"{path}: not a split file: lacks the column(s) "
                         f"{missing or list(SPLIT_COLUMNS)}; {fix}")
    if frame.empty:
        raise SplitError(f"{path}: the split file holds no rows; {fix}")
    for column in ("key", "corpus", "speaker", "emotion", "path", *present):
        if frame[column].isna().any():
            row = int(frame[column].isna().to_numpy().argmax()) + 2
            raise SplitError(f"{path}: row {row} has no {column!r} (truncated or edited?); "
                             f"{fix}")
    if "split" in frame:
        unknown = sorted(set(frame["split"].astype(str)) - set(PARTS))
        if unknown:
            raise SplitError(f"{path}: unknown part name(s) {unknown} in column 'split' "
                             f"(allowed: {list(PARTS)}); {fix}")
    if "fold" in frame and not pd.api.types.is_integer_dtype(frame["fold"]):
        raise SplitError(f"{path}: column 'fold' must hold integers, found "
                         f"{frame['fold'].dtype}; {fix}")
    if "labelled" in frame and not pd.api.types.is_bool_dtype(frame["labelled"]):
        raise SplitError(f"{path}: column 'labelled' must hold True/False; {fix}")
    if frame["key"].duplicated().any():
        dup = frame.loc[frame["key"].duplicated(), "key"].iloc[0]
        raise SplitError(f"{path}: utterance key {dup!r} appears twice; {fix}")
    match = _ID.search(path.name)
    if match is not None and split_id(frame) != match.group(1):
        raise SplitError(f"{path}: its content does not hash to the split id {match.group(1)} "
                         f"in its name (edited, truncated or corrupt); {fix}")


def load_split(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a split file written by :func:`save_split`, checking everything it holds.

    Raises:
        SplitError: the file is missing, unreadable, or damaged (see the module docstring);
            the message names the file and says to make the split again.
    """
    path = Path(path)
    if not path.is_file():
        raise SplitError(f"split file {path} does not exist" +
                         (" (it is a folder)" if path.is_dir() else ""))
    try:
        frame = pd.read_csv(path, dtype={"speaker": str, "key": str, "corpus": str,
                                         "emotion": str, "path": str, "split": str})
    except (OSError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise SplitError(f"{path}: unreadable split file ({type(err).__name__}: {err}); "
                         "delete it and make the split again") from None
    _check_split(frame, path)
    return frame
