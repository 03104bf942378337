"""URDU, the Urdu emotional speech dataset (Latif et al., 2018).

Layout: ``{Angry,Happy,Neutral,Sad}/S<G><n>_F<k>_<E><idx>.wav``, e.g. ``SM1_F19_A019.wav`` =
speaker ``SM1`` (G = gender M/F), clip ``F19``, emotion letter A anger, H happiness,
N neutral, S sadness, and a running index. 100 files per emotion (400), 44.1 kHz,
semi-natural speech from Urdu TV talk shows.

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import re
from pathlib import Path

from serlib.data.corpora.base import CorpusSpec, NameParseError, Utterance, name_parser

__all__ = ["SPEC", "parse_name"]

_NAME = re.compile(r"^(S([MF])\d+)_(F\d+)_([AHNS])(\d+)$")


def parse_name(path: Path) -> Utterance:
    """Parse ``SM1_F19_A019.wav``."""
    match = _NAME.match(path.stem)
    if not match:
        raise NameParseError("expected S<M|F><n>_F<k>_<A|H|N|S><index>, e.g. SM1_F19_A019.wav")
    speaker, gender, clip, emotion, _index = match.groups()
    return Utterance(speaker=speaker, emotion_raw=emotion,
                     gender="male" if gender == "M" else "female", text_id=clip)


SPEC = CorpusSpec(
    id="urdu",
    name="URDU emotional speech dataset",
    language="Urdu",
    licence="research use (as published)",
    source="https://github.com/siddiquelatif/URDU-Dataset",
    fetch="auto",
    native_rate=44100,
    emotions={"A": "anger", "H": "happiness", "N": "neutral", "S": "sadness"},
    make_parser=name_parser(parse_name),
    expected_files=400,
    expected_counts={"anger": 100, "happiness": 100, "neutral": 100, "sadness": 100},
)
