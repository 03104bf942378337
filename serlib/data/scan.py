"""Walk a corpus folder, parse every audio file's name and read its header.

The scan is what turns "a folder the user pointed us at" into rows of the metadata table. It
accepts the extracted official archive as well as a plain copy of the audio tree (files are
found recursively; hidden files, ``__MACOSX`` and, where a corpus says so, folders outside
its audio folder are ignored). Names that do not parse, labels the corpus does not define and
files that cannot be read are never guessed: they are collected with a reason and reported.

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from serlib.data.audio import audio_info, load_audio
from serlib.data.corpora.base import CorpusSpec, NameParseError
from serlib.data.synthetic import METADATA_COLUMNS
from serlib.errors import AudioDecodeError, CorpusNotFoundError

__all__ = ["INCOMPLETE_MARKER", "CorpusScan", "find_audio", "scan_corpus"]

logger = logging.getLogger(__name__)

#: file written into a folder while serlib extracts or imports a corpus into it
INCOMPLETE_MARKER = ".serlib-incomplete"

_SKIP_DIRS = {"__MACOSX"}


@dataclass
class CorpusScan:
    """The result of scanning one corpus folder.

    Attributes:
        corpus: the corpus id.
        root: the folder scanned.
        table: one row per usable file, columns :data:`METADATA_COLUMNS`.
        unparsed: (path, reason) for names that do not follow the corpus' scheme.
        bad_audio: (path, reason) for files that parse but cannot be read or are too short.
    """

    corpus: str
    root: Path
    table: pd.DataFrame
    unparsed: list[tuple[str, str]] = field(default_factory=list)
    bad_audio: list[tuple[str, str]] = field(default_factory=list)

    def report(self, max_examples: int = 5) -> str:
        """A short human-readable account of what was skipped and why."""
        lines = [f"{self.corpus}: {len(self.table)} usable files under {self.root}"]
        for title, items in (("unparsable names", self.unparsed),
                             ("unreadable or rejected audio", self.bad_audio)):
            if items:
                lines.append(f"  {len(items)} {title}, e.g.:")
                lines += [f"    {p}: {why}" for p, why in items[:max_examples]]
        return "\n".join(lines)


def _walk(top: Path, extensions: tuple[str, ...]) -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS]
        found += [Path(folder) / f for f in files
                  if not f.startswith(".") and os.path.splitext(f)[1].lower() in extensions]
    return found


def find_audio(spec: CorpusSpec, root: Path) -> list[Path]:
    """Every audio file of ``spec`` under ``root``, sorted (see the module docstring)."""
    tops = [root]
    if spec.audio_dirs:
        wanted = {d.lower() for d in spec.audio_dirs}
        hits = [Path(folder) / d for folder, dirs, _ in os.walk(root) for d in dirs
                if d.lower() in wanted]
        tops = hits or tops
    paths = {p for top in tops for p in _walk(top, spec.extensions)}
    return sorted(paths)


def scan_corpus(spec: CorpusSpec, root: str | os.PathLike[str], *, min_duration: float = 0.0,
                decode: bool = False, progress: bool = True) -> CorpusScan:
    """Scan the corpus folder ``root`` (see :func:`serlib.data.load_corpus`).

    Args:
        spec: the corpus.
        root: its folder (the extracted archive or a copy of the audio tree).
        min_duration: files shorter than this (seconds) go to ``bad_audio``.
        decode: also decode every file (slow) to reject silent or non-finite audio.
        progress: show a progress bar (only on a terminal).

    Raises:
        CorpusNotFoundError: if ``root`` is missing, is an unfinished extraction, or holds
            no audio file of the corpus.
    """
    root = Path(root)
    if not root.is_dir():
        raise CorpusNotFoundError(f"corpus folder {root} does not exist; fetch it with "
                                  f"`serlib data fetch {spec.id}` or pass the folder you have")
    if (root / INCOMPLETE_MARKER).exists():
        raise CorpusNotFoundError(f"{root} is an unfinished extraction or import "
                                  f"({INCOMPLETE_MARKER} present); delete it and run "
                                  f"`serlib data fetch {spec.id}` again")
    paths = find_audio(spec, root)
    if not paths:
        raise CorpusNotFoundError(f"no {'/'.join(spec.extensions)} files under {root}: it does "
                                  f"not look like {spec.name}; see `serlib data fetch {spec.id}`")
    parse = spec.make_parser(root)
    rows, unparsed, bad = [], [], []
    for path in tqdm(paths, desc=f"scanning {spec.id}", unit="file",
                     disable=None if progress else True):
        try:
            utt = parse(path)
            emotion = spec.emotions[utt.emotion_raw]
        except NameParseError as err:
            unparsed.append((str(path), str(err)))
            continue
        except KeyError:
            unparsed.append((str(path), f"label {utt.emotion_raw!r} is not one of "
                                        f"{sorted(spec.emotions)}"))
            continue
        try:
            info = audio_info(path, min_duration=min_duration)
            if decode:
                load_audio(path, info.sample_rate, min_duration=min_duration)
        except AudioDecodeError as err:
            bad.append((str(path), str(err)))
            continue
        rows.append((os.path.abspath(path), spec.id, spec.language, f"{spec.id}_{utt.speaker}",
                     utt.gender, emotion, utt.emotion_raw, utt.text_id, info.duration,
                     info.sample_rate))
    table = pd.DataFrame(rows, columns=list(METADATA_COLUMNS))
    table["sample_rate"] = table["sample_rate"].astype("int64")
    table["duration"] = table["duration"].astype("float64")
    scan = CorpusScan(spec.id, root, table, unparsed, bad)
    if unparsed or bad:
        logger.warning(scan.report())
    return scan
