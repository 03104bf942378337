"""Results files: one row per run, safe with several writers, checked when read back.

A results file is a CSV with one row per run (:data:`RESULT_COLUMNS`). It is the memory of
an experiment: a run whose key has an ``ok`` row is done and is not run again. So:

- **appending is safe with concurrent writers** (two terminals, two GPUs, N shards):
  :func:`append_result` takes an exclusive lock on ``<file>.lock`` and looks at the file as
  it is *now*. A new run's row is appended as one line (the file ends with a complete row,
  has this module's header and no row of that run yet; a failed write is cut back off, so
  the rows already there stay intact); otherwise (an error row that this run replaces, a
  half-written last row, another header) the whole table is read and written atomically.
  No writer works from a stale copy, and appending a row neither parses nor rewrites the
  table (doing both for every row made a large grid's bookkeeping grow with its square);
- **rows are trusted only when they parse completely**: a half-written last row, a row
  whose metrics are not numbers in [0, 1], or a row without a status is reported (with the
  file and the line) and left out, so that its run is done again;
- **a file that is not a results file** (garbage bytes, another CSV without ``run_key``) is
  a :class:`~serlib.errors.ResultsError` naming it and the way out, never a crash (an empty,
  0-byte file too; a file with only the header holds no rows);
- **a row that cannot be written** (disk full, read-only folder) is a
  :class:`~serlib.errors.StorageError` naming the file; the rows already there are intact
  (the write is atomic), so the finished runs are kept.

Every row carries ``config_digest`` (the hash of the resolved configuration except seed and
fold), ``test_time_info`` and ``labels_used``: the summary never pools rows of different
configurations (:mod:`serlib.experiments.summary`).

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

import contextlib
import csv
import logging
import os
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from serlib.errors import DataWarning, ResultsError, StorageError
from serlib.evaluate import save_table_csv

__all__ = ["RESULT_COLUMNS", "append_result", "read_results", "results_lock"]

logger = logging.getLogger(__name__)

#: the columns of a results file, in order (one row per run)
RESULT_COLUMNS = (
    "run_key", "status", "error", "retry", "experiment", "method", "source", "target",
    "n_labels", "threshold", "trade_off", "hyper", "seed", "profile", "profile_note",
    "backbone", "frames", "normalize", "adabn", "refine", "recipe",
    "label_set", "target_classes", "restrict_to_target_classes", "protocol", "fold",
    "config_digest", "test_time_info", "selection",
    "labels_used",
    "source_split_id", "target_split_id", "selected_on", "best_epoch", "dev_uar", "epochs",
    "wa", "uar", "macro_f1", "n", "uar_low", "uar_high", "chance_wa", "chance_uar",
    "source_wa", "source_uar", "source_macro_f1", "source_n", "source_uar_low",
    "source_uar_high", "source_chance_wa", "source_chance_uar",
    "n_source_train", "n_target_labelled", "n_target_unlabelled", "n_dropped",
    "wall_time", "model_path", "serlib_version", "finished_at",
)
#: columns read as text (keys and ids must never become numbers)
_TEXT = {"run_key": str, "n_labels": str, "source_split_id": str, "target_split_id": str,
         "status": str, "hyper": str, "config_digest": str, "test_time_info": str,
         "target_classes": str}
#: what an ``ok`` row must hold to count as done
_FRACTIONS = ("wa", "uar", "chance_wa", "chance_uar", "source_wa", "source_uar")


@contextlib.contextmanager
def results_lock(path: str | os.PathLike[str], *, shared: bool = False) -> Iterator[None]:
    """A lock on ``<path>.lock``: exclusive (a writer; blocks until the others are done) or
    ``shared`` (a reader: waits only for a writer, so that it never sees half a row)."""
    lock = Path(f"{path}.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a+b") as handle:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            import msvcrt

            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
            try:
                yield
            finally:
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
            return
        fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _complete(table: pd.DataFrame) -> pd.Series:
    """Which rows parsed completely (an ok row needs numeric metrics in [0, 1])."""
    status = table["status"].astype(str)
    good = table["run_key"].notna() & status.isin(["ok", "error"])
    ok = status == "ok"
    for col in _FRACTIONS:
        values = pd.to_numeric(table[col], errors="coerce")
        good &= ~ok | (values.between(0, 1) & values.notna())
    return good


def read_results(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The results file at ``path`` (its complete rows), or an empty table.

    Raises:
        ResultsError: the file is not a serlib results file (unreadable, not CSV, no
            ``run_key`` column); the message names it and says what to do.

    Warns:
        DataWarning: rows that do not parse completely were left out (their runs are done
            again); the message names the file and the lines.
    """
    path = Path(path)
    if not path.exists():
        return pd.DataFrame(columns=list(RESULT_COLUMNS))
    with contextlib.ExitStack() as stack:
        with contextlib.suppress(OSError):  # a read-only folder has no writer to wait for
            stack.enter_context(results_lock(path, shared=True))  # never half a row
        return _read_results(path)


def _read_results(path: Path) -> pd.DataFrame:
    """:func:`read_results` without the lock (a writer that holds it already)."""
    if not path.exists():
        return pd.DataFrame(columns=list(RESULT_COLUMNS))
    fix = "move it away (a new one is written) or pass another file with --results"
    try:
        table = pd.read_csv(path, dtype=_TEXT, on_bad_lines="skip", engine="python")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError,
            IsADirectoryError, PermissionError) as err:
        raise ResultsError(f"{path} is not a readable serlib results file "
                           f"({type(err).__name__}); {fix}") from None
    missing = sorted({"run_key", "status", *_FRACTIONS} - set(table.columns))
    if missing:
        raise ResultsError(f"{path} is not a serlib results file: it has no column(s) "
                           f"{missing}; {fix}")
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        lines = sum(1 for _ in csv.reader(handle)) - 1  # records, header excluded
    good = _complete(table)
    lost = lines - int(good.sum())
    if lost > 0:
        bad_lines = [i + 2 for i in np.flatnonzero(~good.to_numpy())]
        message = (f"{path}: {lost} row(s) did not parse completely (lines "
                   f"{bad_lines[:5] or 'cut short'}); their runs are not done and run again")
        logger.warning(message)
        warnings.warn(message, DataWarning, stacklevel=2)
    table = table[good].reset_index(drop=True)
    return table.reindex(columns=list(dict.fromkeys([*RESULT_COLUMNS, *table.columns])))


#: the header line :func:`append_result` writes (a file with another header is rewritten)
_HEADER = (",".join(RESULT_COLUMNS) + "\n").encode()
#: run keys that can be found in the raw text (as a line's first field): written unquoted
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.:-]+")


def _row_frame(row: dict[str, Any]) -> pd.DataFrame:
    new = pd.DataFrame([{c: row.get(c) for c in RESULT_COLUMNS}])
    new["n_labels"] = new["n_labels"].astype(str)
    return new


def _appendable(path: Path, key: str) -> int | None:
    """The file's size when a row of run ``key`` can be appended as one line: the file has
    this module's header, ends with a complete line and holds no row of the run; else None."""
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return None
    if (not text.startswith(_HEADER) or not text.endswith(b"\n")
            or not _PLAIN_KEY.fullmatch(key) or f"\n{key},".encode() in text):
        return None
    return len(text)


def _append_line(path: Path, line: bytes, size: int) -> None:
    """Append ``line`` to the file of ``size`` bytes; on failure cut the file back to
    ``size`` (never a half-written row) and raise."""
    with open(path, "r+b") as handle:
        handle.seek(size)
        try:
            handle.write(line)
            handle.flush()
        except OSError:
            handle.truncate(size)
            raise


def append_result(path: str | os.PathLike[str], row: dict[str, Any]) -> None:
    """Add ``row`` to the results file at ``path``, safely with concurrent writers.

    Under the file's lock: append the row as one line when the file ends with a complete
    row of this module's format and holds no row of the same run; otherwise read the file
    as it is now, drop earlier rows of the same run (an error row that this run replaces),
    add ``row`` and write the whole table atomically. Read the table back with
    :func:`read_results`.

    Raises:
        StorageError: the file cannot be written (disk full, read-only); it is unchanged.
    """
    path = Path(path)
    new = _row_frame(row)
    try:
        with results_lock(path):
            size = _appendable(path, str(row["run_key"]))
            if size is not None:
                _append_line(path, new.to_csv(header=False, index=False).encode(), size)
                return
            current = _read_results(path)
            current = current[current["run_key"].astype(str) != str(row["run_key"])]
            out = new if current.empty else pd.concat([current, new], ignore_index=True)
            save_table_csv(out, path)
    except OSError as err:
        raise StorageError(
            f"cannot write the {row.get('status', '')} row of run {row.get('run_key')} to "
            f"{path} ({err.strerror or err}); the rows already there are intact: free some "
            "space or make the folder writable, then run again (finished runs are kept)"
        ) from err
