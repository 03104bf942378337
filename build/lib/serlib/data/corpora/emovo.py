"""EMOVO, the Italian emotional speech corpus (Costantini et al., 2014).

Layout: ``f1/dis-f1-b1.wav`` = emotion (dis disgust, gio gioia/happiness, neu neutral,
pau paura/fear, rab rabbia/anger, sor sorpresa/surprise, tri tristezza/sadness), speaker
(f1-f3, m1-m3), sentence (14 per emotion: b1-b3, l1-l4, n1-n5, d1-d2). 6 x 7 x 14 = 588
files at 48 kHz, mostly stereo (downmixed by :func:`serlib.data.load_audio`). Research
licence: serlib never downloads it.

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import re
from pathlib import Path

from serlib.data.corpora.base import CorpusSpec, NameParseError, Utterance, name_parser

__all__ = ["SPEC", "parse_name"]

_NAME = re.compile(r"^(dis|gio|neu|pau|rab|sor|tri)-([fm][1-3])-([a-z]\d)$", re.IGNORECASE)


def parse_name(path: Path) -> Utterance:
    """Parse ``dis-f1-b1.wav`` (any letter case)."""
    match = _NAME.match(path.stem)
    if not match:
        raise NameParseError("expected <dis|gio|neu|pau|rab|sor|tri>-<f1..m3>-<sentence>, "
                             "e.g. rab-m2-n3.wav")
    emotion, speaker, sentence = (g.lower() for g in match.groups())
    gender = "female" if speaker[0] == "f" else "male"
    return Utterance(speaker=speaker, emotion_raw=emotion, gender=gender, text_id=sentence)


SPEC = CorpusSpec(
    id="emovo",
    name="EMOVO Corpus",
    language="Italian",
    licence="research use (as published)",
    source="http://voice.fub.it/activities/corpora/emovo/index.html",
    fetch="manual",
    native_rate=48000,
    emotions={"dis": "disgust", "gio": "happiness", "neu": "neutral", "pau": "fear",
              "rab": "anger", "sor": "surprise", "tri": "sadness"},
    make_parser=name_parser(parse_name),
    expected_files=588,
    expected_counts={e: 84 for e in ("disgust", "happiness", "neutral", "fear", "anger",
                                     "surprise", "sadness")},
    speakers=6,
)
