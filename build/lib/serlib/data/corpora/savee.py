"""SAVEE, Surrey Audio-Visual Expressed Emotion (British English; Haq & Jackson, 2009).

Layouts accepted: the official ``AudioData/DC/sa01.wav`` (speaker = folder) and the common
flat copy ``DC_sa01.wav``. Emotion codes a anger, d disgust, f fear, h happiness, n neutral,
sa sadness, su surprise. 4 male speakers (DC, JE, JK, KL) x 120 = 480 files, 44.1 kHz.
Registration required: serlib never downloads it.

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import re
from pathlib import Path

from serlib.data.corpora.base import CorpusSpec, NameParseError, Utterance, name_parser

__all__ = ["SPEC", "parse_name"]

_SPEAKERS = ("DC", "JE", "JK", "KL")
_FLAT = re.compile(r"^(DC|JE|JK|KL)_(a|d|f|h|n|sa|su)(\d\d)$")
_OFFICIAL = re.compile(r"^(a|d|f|h|n|sa|su)(\d\d)$")


def parse_name(path: Path) -> Utterance:
    """Parse ``AudioData/DC/sa01.wav`` or ``DC_sa01.wav``."""
    flat = _FLAT.match(path.stem)
    if flat:
        speaker, emotion, number = flat.groups()
    else:
        official = _OFFICIAL.match(path.stem)
        if not official or path.parent.name not in _SPEAKERS:
            raise NameParseError("expected AudioData/<DC|JE|JK|KL>/<a|d|f|h|n|sa|su><NN>.wav "
                                 "or <DC|JE|JK|KL>_<code><NN>.wav, e.g. DC_sa01.wav")
        speaker = path.parent.name
        emotion, number = official.groups()
    return Utterance(speaker=speaker, emotion_raw=emotion, gender="male",
                     text_id=f"{emotion}{number}")


SPEC = CorpusSpec(
    id="savee",
    name="Surrey Audio-Visual Expressed Emotion (SAVEE)",
    language="English",
    licence="research use only (registration)",
    source="http://kahlan.eps.surrey.ac.uk/savee/",
    fetch="manual",
    native_rate=44100,
    emotions={"a": "anger", "d": "disgust", "f": "fear", "h": "happiness", "n": "neutral",
              "sa": "sadness", "su": "surprise"},
    make_parser=name_parser(parse_name),
    expected_files=480,
    expected_counts={"anger": 60, "disgust": 60, "fear": 60, "happiness": 60, "neutral": 120,
                     "sadness": 60, "surprise": 60},
    speakers=4,
)
