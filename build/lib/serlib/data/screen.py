"""Screen a metadata table's audio: keep the files that decode, drop the others with a reason.

One undecodable, truncated, non-finite, silent or too short file must not cost a whole
experiment. :func:`screen_audio` decodes every file of a table once (at its own sample
rate: no resampling) with the same checks as :func:`~serlib.data.load_audio`, and returns
the rows that pass and a report of the rows that do not::

    result = screen_audio(table)          # ScreenResult(kept, dropped)
    table = result.kept                   # same columns, same index, bad rows removed
    result.dropped                        # DataFrame: path, reason (and corpus if known)
    len(result.dropped)                   # what a results row records

Each dropped file is logged (``logging`` WARNING, file and reason) and one
:class:`~serlib.errors.DataWarning` summarises the count. With the defaults, a kept file is
one that :func:`~serlib.features.cached_log_mels` can decode.

The verdicts are cached in ``$SERLIB_CACHE/screening/audio-<settings hash>.json``, keyed by
the file's absolute path, size, modification time, change time and inode (a rewritten,
``chmod``-ed or replaced file is screened again), so a second screening only stats the
files. A damaged cache file is rebuilt with a warning; a read-only cache folder only costs
screening again next time (one warning).

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from serlib.atomic import atomic_path
from serlib.config import config_hash
from serlib.data.audio import audio_info, describe_os_error, load_audio
from serlib.data.root import cache_root
from serlib.errors import AudioDecodeError, DataWarning

__all__ = ["SCREEN_VERSION", "ScreenResult", "screen_audio"]

log = logging.getLogger(__name__)

#: bump when the checks change (invalidates every cached verdict)
SCREEN_VERSION = 1


@dataclass
class ScreenResult:
    """What :func:`screen_audio` found.

    Attributes:
        kept: the rows whose audio passed, in table order, index and columns unchanged.
        dropped: one row per dropped file: ``path``, ``reason`` (a sentence naming the file
            and what is wrong) and ``corpus`` when the table has that column.
    """

    kept: pd.DataFrame
    dropped: pd.DataFrame

    @property
    def n_dropped(self) -> int:
        """Number of dropped files (what a results row records)."""
        return len(self.dropped)

    def report(self, max_examples: int = 10) -> str:
        """A short human-readable account of what was dropped and why."""
        total = len(self.kept) + len(self.dropped)
        lines = [f"kept {len(self.kept)} of {total} files, dropped {len(self.dropped)}"]
        lines += [f"  {r}" for r in self.dropped["reason"].head(max_examples)]
        if len(self.dropped) > max_examples:
            lines.append(f"  ... and {len(self.dropped) - max_examples} more")
        return "\n".join(lines)


def _stamp(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def _valid(record: object) -> bool:
    return (isinstance(record, list) and len(record) == 5
            and all(isinstance(n, int) and not isinstance(n, bool) for n in record[:4])
            and (record[4] is None or isinstance(record[4], str)))


class _Verdicts:
    """The screening cache file: ``{"version", "settings", "files": {path: record}}``."""

    def __init__(self, path: Path | None, settings: dict) -> None:
        self.path, self.settings = path, settings
        self.files: dict[str, list] = self._read(warn=True) if path is not None else {}
        self.changed = False

    def _read(self, *, warn: bool) -> dict[str, list]:
        assert self.path is not None
        try:
            payload = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as err:
            reason = f"unreadable ({err})"
        else:
            files = payload.get("files") if isinstance(payload, dict) else None
            if not isinstance(payload, dict) or payload.get("version") != SCREEN_VERSION \
                    or payload.get("settings") != self.settings or not isinstance(files, dict):
                reason = "valid JSON of the wrong shape or for other settings"
            else:
                good = {k: v for k, v in files.items() if _valid(v)}
                if len(good) == len(files):
                    return good
                reason = f"{len(files) - len(good)} malformed entries"
                if warn:
                    log.warning("damaged screening cache %s (%s): those files are screened "
                                "again", self.path, reason)
                self.changed = True
                return good
        if warn:
            log.warning("damaged screening cache %s (%s): rebuilding it", self.path, reason)
        self.changed = True
        return {}

    def save(self) -> None:
        if self.path is None or not self.changed:
            return
        merged = {**self._read(warn=False), **self.files}  # keep what another process added
        payload = {"version": SCREEN_VERSION, "settings": self.settings, "files": merged}
        try:
            with atomic_path(self.path) as tmp:
                tmp.write_text(json.dumps(payload), encoding="utf-8")
        except OSError as err:
            log.warning("cannot write the screening cache %s (%s): files will be screened "
                        "again next time; set SERLIB_CACHE to a writable folder", self.path,
                        err)


def _screen_file(path: str, min_duration: float, silence_threshold: float) -> str | None:
    """None if the file is usable, else the reason (naming the file)."""
    try:
        info = audio_info(path, min_duration=min_duration)
        load_audio(path, info.sample_rate, min_duration=min_duration,
                   silence_threshold=silence_threshold)
    except AudioDecodeError as err:
        return str(err)
    return None


def screen_audio(table: pd.DataFrame, *, min_duration: float = 0.1,
                 silence_threshold: float = 1e-4,
                 cache_dir: str | os.PathLike[str] | None = None, use_cache: bool = True,
                 progress: bool = True) -> ScreenResult:
    """Decode every file of ``table`` once; keep the good rows, report the dropped ones.

    Args:
        table: a metadata table with a ``path`` column (absolute paths).
        min_duration: files shorter than this (seconds) are dropped; the default is that of
            :func:`~serlib.data.load_audio`, which the feature extractors use.
        silence_threshold: files whose peak is below this are dropped as silent.
        cache_dir: where verdicts are cached (default ``$SERLIB_CACHE/screening``).
        use_cache: False screens every file again and writes nothing.
        progress: show a progress bar.

    Returns:
        :class:`ScreenResult` ``(kept, dropped)``.

    Example:
        >>> result = screen_audio(load_corpus("emodb"))  # doctest: +SKIP
        >>> table, n_dropped = result.kept, result.n_dropped  # doctest: +SKIP

    Chapter: book/02_corpora.md
    """
    if "path" not in table:
        raise KeyError("screen_audio needs a table with a 'path' column")
    settings = {"min_duration": float(min_duration),
                "silence_threshold": float(silence_threshold)}
    folder = Path(cache_dir) if cache_dir is not None else cache_root() / "screening"
    cache_file = folder / f"audio-{config_hash(SCREEN_VERSION, settings)}.json"
    verdicts = _Verdicts(cache_file if use_cache else None, settings)
    reasons: list[str | None] = []
    for raw in tqdm(list(table["path"]), desc="screening audio", unit="file",
                    disable=not progress, leave=False):
        name = str(Path(raw).absolute())
        try:
            stamp = _stamp(os.stat(name))
        except OSError as err:
            reasons.append(describe_os_error(name, err))
            continue
        known = verdicts.files.get(name)
        if known is not None and known[:4] == stamp:
            reasons.append(known[4])
            continue
        reason = _screen_file(raw, min_duration, silence_threshold)
        verdicts.files[name] = [*stamp, reason]
        verdicts.changed = True
        reasons.append(reason)
    verdicts.save()
    bad = pd.Series([r is not None for r in reasons], index=table.index, dtype=bool)
    kept = table[~bad]
    kept.attrs = dict(table.attrs)
    dropped = pd.DataFrame({"path": [str(p) for p in table.loc[bad, "path"]],
                            "reason": [r for r in reasons if r is not None]})
    if "corpus" in table:
        dropped.insert(1, "corpus", list(table.loc[bad, "corpus"]))
    for reason in dropped["reason"]:
        log.warning("dropping %s", reason)
    if len(dropped):
        per = (f" ({', '.join(f'{c}: {n}' for c, n in dropped['corpus'].value_counts().items())})"
               if "corpus" in dropped else "")
        warnings.warn(f"screen_audio dropped {len(dropped)} of {len(table)} files{per} that "
                      "cannot be used (missing, unreadable, corrupt, non-finite, silent or too "
                      "short); see ScreenResult.dropped for each file and reason",
                      DataWarning, stacklevel=2)
    return ScreenResult(kept, dropped)
