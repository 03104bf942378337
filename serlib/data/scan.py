"""Walk a corpus folder, parse every audio file's name and read its header.

The scan is what turns "a folder the user pointed us at" into rows of the metadata table. It
accepts the extracted official archive as well as a plain copy of the audio tree (files are
found recursively; hidden files, ``__MACOSX`` and, where a corpus says so, folders outside
its audio folder are ignored). Names that do not parse, labels the corpus does not define,
files that cannot be read, folders named like recordings and sub-folders that cannot be
listed are never guessed or silently skipped: they are collected with a reason and reported.

A folder in which fewer than :data:`MIN_PARSED_FRACTION` of the audio files have names of the
corpus' scheme is not that corpus (typically another corpus' folder, e.g. RAVDESS files
loaded as EmoDB): it is a :class:`~serlib.errors.CorpusLayoutError` naming the folder, the
corpus id and the names expected, never an empty or thin table with exit status 0.

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from serlib.data.audio import audio_info, describe_os_error
from serlib.data.corpora.base import CorpusSpec, NameParseError
from serlib.data.screen import screen_audio
from serlib.data.synthetic import METADATA_COLUMNS
from serlib.errors import AudioDecodeError, CorpusLayoutError, CorpusNotFoundError, DataWarning

__all__ = ["INCOMPLETE_MARKER", "MIN_PARSED_FRACTION", "CorpusScan", "find_audio",
           "scan_corpus"]

logger = logging.getLogger(__name__)

#: file written into a folder while serlib extracts or imports a corpus into it
INCOMPLETE_MARKER = ".serlib-incomplete"

_SKIP_DIRS = {"__MACOSX"}

#: the smallest share of a folder's audio files whose names must follow the corpus' scheme
#: for the folder to be taken as that corpus (a few stray or renamed files are reported and
#: skipped; below this share the folder is another corpus or a wrong folder: an error)
MIN_PARSED_FRACTION = 0.5


@dataclass
class CorpusScan:
    """The result of scanning one corpus folder.

    Attributes:
        corpus: the corpus id.
        root: the folder scanned.
        table: one row per usable file, columns :data:`METADATA_COLUMNS`.
        unparsed: (path, reason) for names that do not follow the corpus' scheme.
        bad_audio: (path, reason) for files that parse but cannot be read or are too short,
            and for folders named like recordings.
        unreadable_dirs: (folder, reason) for folders that could not be listed.
    """

    corpus: str
    root: Path
    table: pd.DataFrame
    unparsed: list[tuple[str, str]] = field(default_factory=list)
    bad_audio: list[tuple[str, str]] = field(default_factory=list)
    unreadable_dirs: list[tuple[str, str]] = field(default_factory=list)

    def report(self, max_examples: int = 5) -> str:
        """A short human-readable account of what was skipped and why."""
        lines = [f"{self.corpus}: {len(self.table)} usable files under {self.root}"]
        for title, items in (("unparsable names", self.unparsed),
                             ("unreadable or rejected audio", self.bad_audio),
                             ("folders that cannot be listed", self.unreadable_dirs)):
            if items:
                lines.append(f"  {len(items)} {title}, e.g.:")
                lines += [f"    {p}: {why}" for p, why in items[:max_examples]]
        return "\n".join(lines)


def _walk(top: Path, extensions: tuple[str, ...],
          problems: list[tuple[str, str]] | None = None,
          folders: list[tuple[str, str]] | None = None) -> list[Path]:
    def failed(err: OSError) -> None:
        if problems is not None:
            fix = ("fix its permissions (chmod a+rx) or run as a user who can read it"
                   if isinstance(err, PermissionError) else "check the disk or copy it again")
            problems.append((str(err.filename or top),
                             f"cannot list this folder ({err.strerror or err}); {fix}"))

    found = []
    for folder, dirs, files in os.walk(top, onerror=failed):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS]
        if folders is not None:
            folders += [(str(Path(folder) / d), describe_os_error(Path(folder) / d,
                                                                  IsADirectoryError()))
                        for d in dirs if os.path.splitext(d)[1].lower() in extensions]
        found += [Path(folder) / f for f in files
                  if not f.startswith(".") and os.path.splitext(f)[1].lower() in extensions]
    return found


def find_audio(spec: CorpusSpec, root: Path, *,
               problems: list[tuple[str, str]] | None = None,
               folders: list[tuple[str, str]] | None = None) -> list[Path]:
    """Every audio file of ``spec`` under ``root``, sorted (see the module docstring).

    Args:
        spec: the corpus.
        root: its folder.
        problems: if given, receives ``(folder, reason)`` for folders that cannot be listed.
        folders: if given, receives ``(folder, reason)`` for folders named like recordings.
    """
    tops = [root]
    if spec.audio_dirs:
        wanted = {d.lower() for d in spec.audio_dirs}
        hits = [Path(folder) / d for folder, dirs, _ in os.walk(root) for d in dirs
                if d.lower() in wanted]
        tops = hits or tops
    paths = {p for top in tops for p in _walk(top, spec.extensions, problems, folders)}
    return sorted(paths)


def scan_corpus(spec: CorpusSpec, root: str | os.PathLike[str], *, min_duration: float = 0.0,
                decode: bool = False, progress: bool = True) -> CorpusScan:
    """Scan the corpus folder ``root`` (see :func:`serlib.data.load_corpus`).

    Args:
        spec: the corpus.
        root: its folder (the extracted archive or a copy of the audio tree).
        min_duration: files shorter than this (seconds) go to ``bad_audio``.
        decode: also decode every file to reject truncated, silent or non-finite audio
            (:func:`~serlib.data.screen_audio`: slow once, then cached by file identity).
        progress: show a progress bar (only on a terminal).

    Raises:
        CorpusNotFoundError: if ``root`` is missing, is an unfinished extraction, or holds
            no audio file of the corpus.
    """
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise CorpusNotFoundError(f"{root} is a file, not a corpus folder; pass the folder "
                                  f"that holds {spec.name} (see `serlib data fetch {spec.id}`)")
    if not root.is_dir():
        raise CorpusNotFoundError(f"corpus folder {root} does not exist; fetch it with "
                                  f"`serlib data fetch {spec.id}` or pass the folder you have")
    try:
        os.listdir(root)
    except OSError as err:
        raise CorpusNotFoundError(f"cannot list the corpus folder {root} "
                                  f"({err.strerror or err}); fix its permissions (chmod a+rx) "
                                  "or pass a folder this user can read") from None
    if (root / INCOMPLETE_MARKER).exists():
        raise CorpusNotFoundError(f"{root} is an unfinished extraction or import "
                                  f"({INCOMPLETE_MARKER} present); delete it and run "
                                  f"`serlib data fetch {spec.id}` again")
    problems: list[tuple[str, str]] = []
    bad: list[tuple[str, str]] = []
    paths = find_audio(spec, root, problems=problems, folders=bad)
    if not paths:
        why = (f"; {len(problems)} folder(s) could not be listed, e.g. {problems[0][0]} "
               f"({problems[0][1]})" if problems else "")
        raise CorpusNotFoundError(f"no {'/'.join(spec.extensions)} files under {root}: it does "
                                  f"not look like {spec.name}{why}; see "
                                  f"`serlib data fetch {spec.id}`")
    parse = spec.make_parser(root)
    parsed, unparsed = [], []
    for path in paths:
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
        parsed.append((path, utt, emotion))
    _check_parsed_share(spec, root, len(paths), unparsed)
    rows = []
    for path, utt, emotion in tqdm(parsed, desc=f"scanning {spec.id}", unit="file",
                                   disable=None if progress else True):
        try:
            info = audio_info(path, min_duration=min_duration)
        except AudioDecodeError as err:
            bad.append((str(path), str(err)))
            continue
        rows.append((os.path.abspath(path), spec.id, spec.language, f"{spec.id}_{utt.speaker}",
                     utt.gender, emotion, utt.emotion_raw, utt.text_id, info.duration,
                     info.sample_rate))
    table = pd.DataFrame(rows, columns=list(METADATA_COLUMNS))
    table["sample_rate"] = table["sample_rate"].astype("int64")
    table["duration"] = table["duration"].astype("float64")
    if decode and len(table):
        with warnings.catch_warnings():  # reported below with the other skipped files
            warnings.simplefilter("ignore", DataWarning)
            screened = screen_audio(table, min_duration=min_duration, progress=progress)
        table = screened.kept.reset_index(drop=True)
        bad += list(zip(screened.dropped["path"], screened.dropped["reason"], strict=True))
    scan = CorpusScan(spec.id, root, table, unparsed, bad, problems)
    if unparsed or bad or problems:
        logger.warning(scan.report())
    return scan


def _check_parsed_share(spec: CorpusSpec, root: Path, total: int,
                        unparsed: list[tuple[str, str]]) -> None:
    """Raise :class:`CorpusLayoutError` if too few names follow the corpus' scheme."""
    ok = total - len(unparsed)
    if total == 0 or ok / total >= MIN_PARSED_FRACTION:
        return
    expected = next((why for _, why in unparsed if why.startswith("expected")), unparsed[0][1])
    examples = ", ".join(os.path.basename(p) for p, _ in unparsed[:3])
    raise CorpusLayoutError(
        f"{root} does not look like the corpus {spec.id!r} ({spec.name}): only {ok} of "
        f"{total} audio file names follow its naming scheme (at least "
        f"{MIN_PARSED_FRACTION:.0%} must); found e.g. {examples}; {spec.id} names are "
        f"{expected.removeprefix('expected ')}. Is this another corpus' folder? Pass the "
        f"folder that holds {spec.name} (see `serlib data fetch {spec.id}`)")
