"""RAVDESS, speech part (North-American English; Livingstone & Russo, 2018).

Layout: ``Actor_12/03-01-06-01-02-01-12.wav`` = modality (03 audio-only), vocal channel
(01 speech; 02 song is not part of this corpus), emotion (01 neutral, 02 calm, 03 happy,
04 sad, 05 angry, 06 fearful, 07 disgust, 08 surprised), intensity (01 normal, 02 strong;
neutral has no strong), statement (01/02), repetition (01/02), actor (odd male, even female).
24 actors x 60 = 1440 files, 48 kHz as published.

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import re
from pathlib import Path

from serlib.data.corpora.base import CorpusSpec, NameParseError, Utterance, name_parser

__all__ = ["SPEC", "expected_names", "parse_name"]

_NAME = re.compile(r"^(\d\d)-(\d\d)-(0[1-8])-(0[12])-(0[12])-(0[12])-(\d\d)$")


def parse_name(path: Path) -> Utterance:
    """Parse ``03-01-05-01-02-01-12.wav``."""
    match = _NAME.match(path.stem)
    if not match:
        raise NameParseError("expected 7 two-digit fields MM-VV-EE-II-SS-RR-AA, "
                             "e.g. 03-01-05-01-02-01-12.wav")
    modality, channel, emotion, intensity, statement, _rep, actor = match.groups()
    if modality != "03":
        raise NameParseError(f"modality {modality} is not audio-only (03)")
    if channel != "01":
        raise NameParseError(f"vocal channel {channel} is song, not speech (01)")
    if emotion == "01" and intensity == "02":
        raise NameParseError("neutral (01) has no strong intensity (02) in RAVDESS")
    if not 1 <= int(actor) <= 24:
        raise NameParseError(f"actor {actor} is outside 01-24")
    gender = "male" if int(actor) % 2 else "female"
    return Utterance(speaker=actor, emotion_raw=emotion, gender=gender, text_id=statement)


def expected_names() -> set[str]:
    """The 1440 file stems of the complete speech set."""
    names = set()
    for actor in range(1, 25):
        for emotion in range(1, 9):
            for intensity in (1,) if emotion == 1 else (1, 2):
                for statement in (1, 2):
                    for rep in (1, 2):
                        names.add(f"03-01-{emotion:02d}-{intensity:02d}-{statement:02d}-"
                                  f"{rep:02d}-{actor:02d}")
    return names


SPEC = CorpusSpec(
    id="ravdess",
    name="Ryerson Audio-Visual Database of Emotional Speech and Song (RAVDESS), speech",
    language="English",
    licence="CC BY-NC-SA 4.0",
    source="https://zenodo.org/records/1188976",
    fetch="auto",
    native_rate=48000,
    emotions={"01": "neutral", "02": "calm", "03": "happiness", "04": "sadness",
              "05": "anger", "06": "fear", "07": "disgust", "08": "surprise"},
    make_parser=name_parser(parse_name),
    expected_files=1440,
    expected_counts={"neutral": 96, "calm": 192, "happiness": 192, "sadness": 192,
                     "anger": 192, "fear": 192, "disgust": 192, "surprise": 192},
    expected_names=expected_names,
    speakers=24,
)
