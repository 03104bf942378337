"""ShEMO, the Sharif Emotional Speech Database (Persian; Mohamad Nezami et al., 2019).

Layout: ``male.zip`` and ``female.zip`` hold ``male/M01A01.wav`` ... = gender letter and
2-digit speaker (speaker id ``M01``), emotion letter (A anger, H happiness, N neutral,
S sadness, W surprise, F fear), index. 87 speakers, 3000 semi-natural utterances, 44.1 kHz.

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import re
from pathlib import Path

from serlib.data.corpora.base import CorpusSpec, NameParseError, Utterance, name_parser

__all__ = ["SPEC", "parse_name"]

_NAME = re.compile(r"^([FM])(\d\d)([AHNSWF])(\d+)$")


def parse_name(path: Path) -> Utterance:
    """Parse ``F01A01.wav``."""
    match = _NAME.match(path.stem)
    if not match:
        raise NameParseError("expected <F|M><speaker 2 digits><emotion AHNSWF><index>, "
                             "e.g. F01A01.wav")
    gender, number, emotion, _index = match.groups()
    return Utterance(speaker=f"{gender}{number}", emotion_raw=emotion,
                     gender="female" if gender == "F" else "male")


SPEC = CorpusSpec(
    id="shemo",
    name="Sharif Emotional Speech Database (ShEMO)",
    language="Persian",
    licence="free for academic use (as published)",
    source="https://github.com/pariajm/sharif-emotional-speech-dataset",
    fetch="auto",
    native_rate=44100,
    emotions={"A": "anger", "H": "happiness", "N": "neutral", "S": "sadness", "W": "surprise",
              "F": "fear"},
    make_parser=name_parser(parse_name),
    expected_files=3000,
    # anger..sadness as tabulated by Agarla et al. (2024, Table 2); surprise = the rest
    expected_counts={"anger": 1059, "fear": 38, "happiness": 201, "neutral": 1028,
                     "sadness": 449, "surprise": 225},
    speakers=87,
)
