"""TESS, the Toronto Emotional Speech Set (Canadian English; Pichora-Fuller & Dupuis, 2020).

Layout: ``OAF_angry/OAF_back_angry.wav`` = speaker (OAF older / YAF younger actress), target
word (200 words in "Say the word _"), emotion (angry, disgust, fear, happy, neutral,
ps = pleasant surprise, sad). 2 speakers x 7 emotions x 200 words = 2800 files.

Quirks handled: folder-name case varies between copies (labels are read from file names
only); one file carries the typo prefix ``OA_`` instead of ``OAF_`` (read as OAF); some
copies store AIFF data behind a ``.wav`` name or use odd rates (soundfile reads the header,
not the extension). With 2 speakers TESS cannot make a 3-way speaker-independent split on
its own: use leave-one-speaker-out or pool it with other English corpora (Agarla et al.).

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import re
from pathlib import Path

from serlib.data.corpora.base import CorpusSpec, NameParseError, Utterance, name_parser

__all__ = ["SPEC", "parse_name"]

_NAME = re.compile(
    r"^(OAF|YAF|OA)_([^\W_]+)_(angry|disgust|fear|happy|neutral|ps|sad"
    r"|pleasant_surprised?)$", re.IGNORECASE)


def parse_name(path: Path) -> Utterance:
    """Parse ``OAF_back_angry.wav``, ``YAF_bath_ps.wav`` and the typo ``OA_bite_neutral.wav``."""
    match = _NAME.match(path.stem)
    if not match:
        raise NameParseError("expected <OAF|YAF>_<word>_<angry|disgust|fear|happy|neutral|"
                             "ps|sad>, e.g. OAF_back_angry.wav")
    speaker, word, emotion = match.groups()
    speaker = speaker.upper()
    if speaker == "OA":  # the one known typo of the published copy
        speaker = "OAF"
    emotion = emotion.lower()
    if emotion.startswith("pleasant"):
        emotion = "ps"
    return Utterance(speaker=speaker, emotion_raw=emotion, gender="female",
                     text_id=word.lower())


SPEC = CorpusSpec(
    id="tess",
    name="Toronto Emotional Speech Set (TESS)",
    language="English",
    licence="CC BY-NC-ND 4.0",
    source="https://doi.org/10.5683/SP2/E8H2MF",
    fetch="auto",
    native_rate=24414,
    emotions={"angry": "anger", "disgust": "disgust", "fear": "fear", "happy": "happiness",
              "neutral": "neutral", "ps": "surprise", "sad": "sadness"},
    make_parser=name_parser(parse_name),
    expected_files=2800,
    expected_counts={e: 400 for e in ("anger", "disgust", "fear", "happiness", "neutral",
                                      "surprise", "sadness")},
    extensions=(".wav",),
    speakers=2,
    notes="2 speakers: no 3-way speaker-independent split on its own.",
)
