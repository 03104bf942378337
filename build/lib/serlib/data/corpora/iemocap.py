"""IEMOCAP, the Interactive Emotional Dyadic Motion Capture database (English; Busso et al.).

Layout: ``Session{1..5}/sentences/wav/<dialog>/<utterance>.wav`` with the labels in
``Session{1..5}/dialog/EmoEvaluation/<dialog>.txt``, one line per utterance::

    [6.2901 - 8.2357]	Ses01F_impro01_F000	neu	[2.5000, 2.5000, 2.5000]

Labels: ang hap exc sad fru fea sur dis neu oth xxx (xxx = annotators did not agree).
The speaker is the session plus the gender letter of the utterance id (``Ses01F_impro01_F000``
was spoken by the woman of session 1: ``Ses01F``). 10 speakers, 10 039 utterances, 16 kHz.
Licence form required: serlib never downloads it.

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from serlib.data.corpora.base import CorpusSpec, NameParseError, Utterance

__all__ = ["SPEC", "make_parser", "parse_utterance_id", "read_labels"]

_UTT = re.compile(r"^Ses(0[1-5])[FM]_(.+)_([FM])\d+$")
_LINE = re.compile(r"^\[[\d.]+ - [\d.]+\]\s+(Ses\S+)\s+(\w+)\s+\[")


def parse_utterance_id(utt: str) -> tuple[str, str, str]:
    """``Ses01F_impro01_M013`` -> (speaker ``Ses01M``, gender, dialog part ``impro01``)."""
    match = _UTT.match(utt)
    if not match:
        raise NameParseError(f"{utt!r} is not an IEMOCAP utterance id like Ses01F_impro01_F000")
    session, dialog, letter = match.groups()
    return f"Ses{session}{letter}", "female" if letter == "F" else "male", dialog


def read_labels(root: Path) -> dict[str, str]:
    """Utterance id -> raw label from every ``EmoEvaluation/*.txt`` under ``root``."""
    labels: dict[str, str] = {}
    for txt in sorted(root.rglob("EmoEvaluation/*.txt")):
        if txt.name.startswith("."):
            continue
        for line in txt.read_text(encoding="utf-8", errors="replace").splitlines():
            match = _LINE.match(line)
            if match:
                labels[match.group(1)] = match.group(2)
    return labels


def make_parser(root: Path) -> Callable[[Path], Utterance]:
    """Read the label files once and return the parser of one wav path."""
    labels = read_labels(root)

    def parse(path: Path) -> Utterance:
        speaker, gender, dialog = parse_utterance_id(path.stem)
        if path.stem not in labels:
            raise NameParseError("no line for this utterance in any "
                                 "Session*/dialog/EmoEvaluation/*.txt")
        return Utterance(speaker=speaker, emotion_raw=labels[path.stem], gender=gender,
                         text_id=dialog)

    return parse


SPEC = CorpusSpec(
    id="iemocap",
    name="Interactive Emotional Dyadic Motion Capture database (IEMOCAP)",
    language="English",
    licence="IEMOCAP licence agreement (USC SAIL)",
    source="https://sail.usc.edu/iemocap/",
    fetch="manual",
    native_rate=16000,
    emotions={"ang": "anger", "hap": "happiness", "exc": "excitement", "sad": "sadness",
              "fru": "frustration", "fea": "fear", "sur": "surprise", "dis": "disgust",
              "neu": "neutral", "oth": "other", "xxx": "undecided"},
    make_parser=make_parser,
    expected_files=10039,
    # majority labels of the 10 039 utterances as commonly reported for the release
    expected_counts={"anger": 1103, "happiness": 595, "excitement": 1041, "sadness": 1084,
                     "frustration": 1849, "fear": 40, "surprise": 107, "disgust": 2,
                     "neutral": 1708, "other": 3, "undecided": 2507},
    audio_dirs=("sentences",),
    speakers=10,
)
