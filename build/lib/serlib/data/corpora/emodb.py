"""EmoDB, the Berlin Database of Emotional Speech (German; Burkhardt et al., 2005).

Layout: ``wav/03a01Fa.wav`` = speaker ``03``, text ``a01``, emotion letter (German initial:
W Wut/anger, L Langeweile/boredom, E Ekel/disgust, A Angst/fear, F Freude/happiness,
T Trauer/sadness, N neutral), then a version letter. 10 speakers, 535 files, 16 kHz.

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import re
from pathlib import Path

from serlib.data.corpora.base import CorpusSpec, NameParseError, Utterance, name_parser

__all__ = ["SPEC", "parse_name"]

_NAME = re.compile(r"^(\d\d)([a-b]\d\d)([WLEAFTN])([a-z])$")

#: speaker -> gender, from the corpus documentation
_GENDER = {"03": "male", "08": "female", "09": "female", "10": "male", "11": "male",
           "12": "male", "13": "female", "14": "female", "15": "male", "16": "female"}


def parse_name(path: Path) -> Utterance:
    """Parse ``03a01Fa.wav``."""
    match = _NAME.match(path.stem)
    if not match:
        raise NameParseError("expected <speaker 2 digits><text a01..b10><emotion letter "
                             "WLEAFTN><version letter>, e.g. 03a01Fa.wav")
    speaker, text, emotion, _version = match.groups()
    if speaker not in _GENDER:
        raise NameParseError(f"speaker {speaker} is not one of EmoDB's {sorted(_GENDER)}")
    return Utterance(speaker=speaker, emotion_raw=emotion, gender=_GENDER[speaker],
                     text_id=text)


SPEC = CorpusSpec(
    id="emodb",
    name="Berlin Database of Emotional Speech (EmoDB)",
    language="German",
    licence="free for research use",
    source="http://emodb.bilderbar.info/download/download.zip",
    fetch="auto",
    native_rate=16000,
    emotions={"W": "anger", "L": "boredom", "E": "disgust", "A": "fear", "F": "happiness",
              "T": "sadness", "N": "neutral"},
    make_parser=name_parser(parse_name),
    expected_files=535,
    expected_counts={"anger": 127, "boredom": 81, "neutral": 79, "happiness": 71, "fear": 69,
                     "sadness": 62, "disgust": 46},
    speakers=10,
)
