"""What every corpus module declares: a :class:`CorpusSpec` and a file-name parser.

Adding a corpus is one small module in :mod:`serlib.data.corpora` that defines ``SPEC`` (where
the corpus comes from, its language and licence, how its raw labels map onto the shared
vocabulary, what a complete copy holds) and a ``parse_name`` function that turns one audio
path into an :class:`Utterance`, raising :class:`NameParseError` for a name it does not
recognise. Names are never guessed: an unparsable name is reported, not filed under a label.

Chapter: book/02_corpora.md
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CorpusSpec", "NameParseError", "Utterance", "name_parser"]


class NameParseError(ValueError):
    """A file name does not follow the corpus' naming scheme (the message says why)."""


@dataclass(frozen=True)
class Utterance:
    """What a corpus' naming scheme (or label file) says about one audio file.

    Attributes:
        speaker: the corpus' own speaker id (``"03"``, ``"Actor_12"`` ...); the corpus id is
            prefixed later, so ids stay unique when corpora are concatenated.
        emotion_raw: the label exactly as the corpus writes it (``"W"``, ``"05"``, ``"ps"``).
        gender: ``"female"``, ``"male"`` or ``"unknown"``.
        text_id: the sentence or word id when the corpus has one, else None.
    """

    speaker: str
    emotion_raw: str
    gender: str = "unknown"
    text_id: str | None = None


@dataclass(frozen=True)
class CorpusSpec:
    """Everything serlib knows about one corpus, independent of where it lives on disk.

    Attributes:
        id: short lowercase id, also the folder name under the data root (``"emodb"``).
        name: full name.
        language: readable language name for the ``language`` column (``"German"``).
        licence: the licence as published.
        source: the official address (page or archive).
        fetch: ``"auto"`` (serlib may download it) or ``"manual"`` (licence or registration:
            the user downloads it and imports it with ``--from-dir``).
        native_rate: the published sample rate in Hz (copies may differ; the table always
            reports the rate read from each file's header).
        emotions: raw label -> harmonised emotion (see :mod:`serlib.data.labels`).
        expected_files: number of audio files in a complete copy, or None when unpublished.
        expected_counts: harmonised emotion -> number of files, or None when unpublished.
        extensions: audio file extensions to scan (lowercase, with the dot).
        audio_dirs: if a folder of one of these names exists under the corpus folder, only
            files below it are scanned (e.g. TurEV-DB's ``Sound Source``).
        make_parser: given the corpus folder, return the function that parses one path.
            Corpora whose labels live in side files (IEMOCAP, nEMO) read them here.
        expected_names: optional function returning the set of file stems of a complete
            copy; verification then lists missing and extra files by name.
        speakers: number of speakers in a complete copy (documentation; splits check it).
        notes: quirks worth knowing, shown by ``serlib data list --long``.
    """

    id: str
    name: str
    language: str
    licence: str
    source: str
    fetch: str
    native_rate: int
    emotions: Mapping[str, str]
    make_parser: Callable[[Path], Callable[[Path], Utterance]]
    expected_files: int | None = None
    expected_counts: Mapping[str, int] | None = None
    extensions: tuple[str, ...] = (".wav",)
    audio_dirs: tuple[str, ...] = ()
    expected_names: Callable[[], set[str]] | None = None
    speakers: int | None = None
    notes: str = ""

    def harmonise(self, emotion_raw: str) -> str:
        """The shared-vocabulary emotion of a raw label (KeyError if the corpus lacks it)."""
        return self.emotions[emotion_raw]


def name_parser(
    parse: Callable[[Path], Utterance],
) -> Callable[[Path], Callable[[Path], Utterance]]:
    """Wrap a root-independent ``parse_name`` as a ``make_parser`` (labels only in names)."""

    def make_parser(root: Path) -> Callable[[Path], Utterance]:
        del root  # names alone carry the labels
        return parse

    return make_parser
