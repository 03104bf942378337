"""ASED, the Amharic Speech Emotion Dataset v1 (Retta et al., 2022).

Layout: ``{01Neutral,02Fearful,03Happy,04Sad,05Angry}/<e><k>-<ss>-<rr>-<gg>-<spk>.wav``, e.g.
``f2-03-02-02-65.wav`` = emotion code (n1 neutral, f2 fear, h3 happiness, s4 sadness,
a5 anger; letter case varies, one file starts with ``S4``), sentence, repetition, gender
(01 female, 02 male), speaker (01-65). 2474 files, 16 kHz.

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import re
from pathlib import Path

from serlib.data.corpora.base import CorpusSpec, NameParseError, Utterance, name_parser

__all__ = ["SPEC", "parse_name"]

_NAME = re.compile(r"^(n1|f2|h3|s4|a5)-(\d\d)-(\d\d)-(0[12])-(\d\d)$", re.IGNORECASE)


def parse_name(path: Path) -> Utterance:
    """Parse ``f2-03-02-02-65.wav`` (any letter case)."""
    match = _NAME.match(path.stem)
    if not match:
        raise NameParseError("expected <n1|f2|h3|s4|a5>-<sentence>-<repetition>-<01|02>-"
                             "<speaker>, e.g. f2-03-02-02-65.wav")
    code, sentence, _rep, gender, speaker = match.groups()
    return Utterance(speaker=speaker, emotion_raw=code.lower(),
                     gender="female" if gender == "01" else "male", text_id=sentence)


SPEC = CorpusSpec(
    id="ased",
    name="Amharic Speech Emotion Dataset (ASED) v1",
    language="Amharic",
    licence="as published (free for research)",
    source="https://github.com/Ethio2021/ASED_V1",
    fetch="auto",
    native_rate=16000,
    emotions={"n1": "neutral", "f2": "fear", "h3": "happiness", "s4": "sadness",
              "a5": "anger"},
    make_parser=name_parser(parse_name),
    expected_files=2474,
    expected_counts=None,  # per-emotion counts are not published in the README
    speakers=65,
)
