"""CaFE, the Canadian French Emotional speech dataset (Gournay, Lahaie & Lefebvre, 2018).

Layout of the 48 kHz archive: ``<Emotion>/<Faible|Fort>/AA-E-I-S.wav`` and, for neutral,
``Neutre/AA-N-S.wav`` (the 192 kHz version has the same names as ``.aiff``). AA actor 01-12
(odd man, even woman), E emotion letter C Colère/anger, D Dégoût/disgust, J Joie/happiness,
N Neutre/neutral, P Peur/fear, S Surprise, T Tristesse/sadness, I intensity 1 faible or
2 fort, S sentence 1-6. Labels are read from the names (folder names carry accents whose
Unicode form differs between unzip tools). 12 x 6 x (6 x 2 + 1) = 936 files.

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import re
from pathlib import Path

from serlib.data.corpora.base import CorpusSpec, NameParseError, Utterance, name_parser

__all__ = ["SPEC", "expected_names", "parse_name"]

_NAME = re.compile(r"^(\d\d)-([CDJNPST])(?:-([12]))?-([1-6])$")


def parse_name(path: Path) -> Utterance:
    """Parse ``01-C-1-1.wav`` (emotion, intensity, sentence) and ``01-N-1.wav`` (neutral)."""
    match = _NAME.match(path.stem)
    if not match:
        raise NameParseError("expected AA-E-I-S (e.g. 01-C-2-4.wav) or AA-N-S for neutral")
    actor, emotion, intensity, sentence = match.groups()
    if (emotion == "N") != (intensity is None):
        raise NameParseError("neutral files have no intensity field; the others need one")
    if not 1 <= int(actor) <= 12:
        raise NameParseError(f"actor {actor} is outside 01-12")
    gender = "male" if int(actor) % 2 else "female"
    return Utterance(speaker=actor, emotion_raw=emotion, gender=gender, text_id=sentence)


def expected_names() -> set[str]:
    """The 936 file stems of the complete corpus."""
    names = set()
    for actor in range(1, 13):
        for sentence in range(1, 7):
            names.add(f"{actor:02d}-N-{sentence}")
            for emotion in "CDJPST":
                for intensity in (1, 2):
                    names.add(f"{actor:02d}-{emotion}-{intensity}-{sentence}")
    return names


SPEC = CorpusSpec(
    id="cafe",
    name="Canadian French Emotional speech dataset (CaFE)",
    language="French",
    licence="CC BY-NC-SA 4.0",
    source="https://zenodo.org/records/1478765",
    fetch="auto",
    native_rate=48000,
    emotions={"C": "anger", "D": "disgust", "J": "happiness", "N": "neutral", "P": "fear",
              "S": "surprise", "T": "sadness"},
    make_parser=name_parser(parse_name),
    expected_files=936,
    expected_counts={"anger": 144, "disgust": 144, "happiness": 144, "fear": 144,
                     "surprise": 144, "sadness": 144, "neutral": 72},
    extensions=(".wav", ".aiff", ".aif"),
    expected_names=expected_names,
    speakers=12,
    notes="Agarla et al. list 864 utterances; the published grid (and the per-emotion "
          "counts they use, 144 and 72 for neutral) gives 936.",
)
