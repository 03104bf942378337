"""``load_corpus``: any supported corpus on disk as one tidy metadata table.

Every corpus, real or synthetic, comes out with the same columns
(:data:`~serlib.data.synthetic.METADATA_COLUMNS`): ``path`` (absolute), ``corpus``,
``language``, ``speaker`` (prefixed with the corpus id, so ids stay unique when corpora are
concatenated), ``gender``, ``emotion`` (harmonised), ``emotion_raw`` (as the corpus writes
it), ``text_id``, ``duration`` (s) and ``sample_rate`` (Hz, from each file's header).

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from serlib.config import load_config
from serlib.data.corpora import get_corpus
from serlib.data.plugins import registered_root
from serlib.data.root import cache_root, corpus_dir
from serlib.data.scan import CorpusScan, scan_corpus
from serlib.data.synthetic import (
    METADATA_COLUMNS,
    SyntheticConfig,
    _corpus_folder,
    generate_corpus,
)
from serlib.data.table_check import read_metadata_csv
from serlib.errors import ConfigError, CorpusNotFoundError, CorpusVerificationError

__all__ = ["load_corpora", "load_corpus", "resolve_corpus_root", "scan", "summarize_corpus"]

PathLike = str | os.PathLike[str]


def resolve_corpus_root(corpus: str, root: PathLike | None = None) -> Path:
    """The folder of ``corpus``: ``root/<corpus>`` if that exists, else ``root`` itself.

    With ``root=None`` this is the folder a plug-in corpus was registered with
    (:func:`serlib.data.register_corpus`), else ``serlib.data.corpus_dir(corpus)``
    (``$SERLIB_DATA/<corpus>``).
    """
    if root is None:
        return registered_root(corpus) or corpus_dir(corpus)
    root = Path(root).expanduser()
    return root / corpus if (root / corpus).is_dir() else root


def _synthetic_folder(root: PathLike | None) -> Path:
    base = Path(root).expanduser() if root is not None else cache_root() / "synthetic"
    if (base / "metadata.csv").is_file():
        return base
    found = sorted(p.parent for p in base.glob("synthetic-*/metadata.csv"))
    if len(found) == 1:
        return found[0]
    raise CorpusNotFoundError(
        f"{base} holds {len(found)} synthetic corpora; pass the synthetic-<hash> folder that "
        "contains metadata.csv (generate one with serlib.data.generate_corpus)")


def _load_synthetic(root: PathLike | None) -> pd.DataFrame:
    folder = _synthetic_folder(root)
    table_path = folder / "metadata.csv"
    table, reason = read_metadata_csv(table_path, METADATA_COLUMNS)
    if table is not None:
        table["path"] = [str((folder / p).absolute()) for p in table["path"]]
        absent = [p for p in table["path"] if not Path(p).is_file()]
        if not absent:
            return table[list(METADATA_COLUMNS)]
        reason = f"{len(absent)} listed files are missing (e.g. {absent[0]})"
    try:  # the corpus' own config.yaml says how to make it again
        config = load_config(SyntheticConfig, folder / "config.yaml")
    except ConfigError as err:
        raise CorpusNotFoundError(
            f"{table_path} {reason}, and the corpus cannot be generated again ({err}); "
            "delete the folder and make it with serlib.data.generate_corpus") from None
    if _corpus_folder(folder.parent, config) != folder:
        raise CorpusNotFoundError(
            f"{table_path} {reason}, and {folder / 'config.yaml'} does not describe this "
            "folder; delete the folder and make it with serlib.data.generate_corpus")
    table = generate_corpus(folder.parent, config)  # warns, then regenerates
    return table[list(METADATA_COLUMNS)]


def scan(corpus: str, root: PathLike | None = None, *, min_duration: float = 0.0,
         decode: bool = False, progress: bool = True) -> CorpusScan:
    """Scan a real corpus and keep the report of what was skipped (see :func:`load_corpus`)."""
    spec = get_corpus(corpus)
    return scan_corpus(spec, resolve_corpus_root(spec.id, root), min_duration=min_duration,
                       decode=decode, progress=progress)


def load_corpus(corpus: str, root: PathLike | None = None, *, min_duration: float = 0.0,
                decode: bool = False, strict: bool = False,
                progress: bool = True) -> pd.DataFrame:
    """Load the metadata table of a corpus on disk.

    Args:
        corpus: a corpus id (``serlib data list``) or ``"synthetic"``.
        root: the corpus folder, or a data root holding ``<corpus>/``; default
            ``$SERLIB_DATA/<corpus>``. For ``"synthetic"``: the ``synthetic-<hash>`` folder
            (or a folder holding exactly one).
        min_duration: skip files shorter than this many seconds.
        decode: decode every file to skip truncated, silent or non-finite ones too (slow the
            first time, then cached: :func:`~serlib.data.screen_audio`).
        strict: raise instead of skipping when a name does not parse or a file is bad.
        progress: show a progress bar on a terminal.

    Returns:
        One row per usable file, columns :data:`METADATA_COLUMNS`, sorted by path. Skipped
        files are logged (count and examples) and summarised in ``table.attrs["skipped"]``.

    Raises:
        CorpusNotFoundError: unknown id, missing or unfinished folder, no audio files.
        CorpusVerificationError: with ``strict=True``, if anything was skipped.

    Chapter: book/02_corpora.md
    """
    if corpus.lower() == "synthetic":
        return _load_synthetic(root)
    result = scan(corpus, root, min_duration=min_duration, decode=decode, progress=progress)
    if strict and (result.unparsed or result.bad_audio):
        raise CorpusVerificationError(result.report() + "\nfix or remove these files, or "
                                      "load with strict=False to skip them")
    table = result.table
    table.attrs["skipped"] = {"unparsed": len(result.unparsed),
                              "bad_audio": len(result.bad_audio)}
    return table


def load_corpora(corpora: Iterable[str], root: PathLike | None = None,
                 **kwargs: object) -> pd.DataFrame:
    """Concatenate several corpora from one data root (speaker ids stay unique)."""
    tables = [load_corpus(c, root, **kwargs) for c in corpora]  # type: ignore[arg-type]
    return pd.concat(tables, ignore_index=True)


def summarize_corpus(table: pd.DataFrame) -> pd.DataFrame:
    """Counts of emotion x speaker, with totals (the ``serlib data summary`` table)."""
    return pd.crosstab(table["emotion"], table["speaker"], margins=True, margins_name="total")
