"""TurEV-DB, the Turkish Emotional Voice database (Canpolat et al., 2020).

Layout: ``Sound Source/{Angry,Calm,Happy,Sad}/<spk>_<code>_<word>.wav``, e.g.
``Sound Source/Angry/1157_kz_acik.wav`` = speaker ``1157``, code kz (kızgın, angry),
hl (hüzünlü, sad), sk (sakin, calm), mt (mutlu, happy), and the spoken word. 6 speakers,
1735 files, 44.1 kHz. The repository also holds model outputs: only ``Sound Source`` is read.
Speaker gender is not in the names (reported as "unknown").

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import re
from pathlib import Path

from serlib.data.corpora.base import CorpusSpec, NameParseError, Utterance, name_parser

__all__ = ["SPEC", "parse_name"]

_NAME = re.compile(r"^(\d+)_(kz|hl|sk|mt)_([^\W_]+)$", re.IGNORECASE)


def parse_name(path: Path) -> Utterance:
    """Parse ``1157_kz_acik.wav``."""
    match = _NAME.match(path.stem)
    if not match:
        raise NameParseError("expected <speaker digits>_<kz|hl|sk|mt>_<word>, "
                             "e.g. 1157_kz_acik.wav")
    speaker, code, word = match.groups()
    return Utterance(speaker=speaker, emotion_raw=code.lower(), text_id=word.lower())


SPEC = CorpusSpec(
    id="turevdb",
    name="Turkish Emotional Voice Database (TurEV-DB)",
    language="Turkish",
    licence="CC BY-NC-ND 4.0",
    source="https://github.com/Xeonen/TurEV-DB",
    fetch="auto",
    native_rate=44100,
    emotions={"kz": "anger", "hl": "sadness", "sk": "calm", "mt": "happiness"},
    make_parser=name_parser(parse_name),
    expected_files=1735,
    expected_counts=None,  # per-emotion counts are not published in the README
    audio_dirs=("Sound Source",),
    speakers=6,
)
