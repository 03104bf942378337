"""nEMO, a dataset of emotional speech in Polish (Christop, 2024).

Layout: ``samples/<SPK>_<emotion>_<n>.wav`` plus ``data.tsv`` with the columns file_id,
emotion, raw_text, normalized_text, speaker_id, gender, age. Emotions anger, fear, happiness,
neutral, sadness, surprised. 9 actors, 4481 files, 24 kHz. Labels and speakers come from the
names; gender comes from ``data.tsv`` when present (else "unknown"), and a file whose name
disagrees with its ``data.tsv`` row is reported instead of trusted. ``n`` is the sentence id
(the same number is the same sentence for every speaker).

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path

from serlib.data.corpora.base import CorpusSpec, NameParseError, Utterance

__all__ = ["SPEC", "make_parser", "parse_name", "read_table"]

_NAME = re.compile(r"^([A-Z]{2}\d)_(anger|fear|happiness|neutral|sadness|surprised)_(\d+)$")


def parse_name(path: Path) -> Utterance:
    """Parse ``EB0_anger_12.wav`` (gender unknown without ``data.tsv``)."""
    match = _NAME.match(path.stem)
    if not match:
        raise NameParseError("expected <speaker e.g. EB0>_<anger|fear|happiness|neutral|"
                             "sadness|surprised>_<n>, e.g. EB0_anger_12.wav")
    speaker, emotion, number = match.groups()
    return Utterance(speaker=speaker, emotion_raw=emotion, text_id=number)


def read_table(root: Path) -> dict[str, dict[str, str]]:
    """file_id -> row of the first ``data.tsv`` under ``root`` (empty if there is none)."""
    for tsv in sorted(root.rglob("data.tsv")):
        with tsv.open(encoding="utf-8", newline="") as handle:
            rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            return {row["file_id"].strip(): {k: (v or "").strip() for k, v in row.items()}
                    for row in rows}
    return {}


def make_parser(root: Path) -> Callable[[Path], Utterance]:
    """Parser of one path, cross-checked against ``data.tsv`` when it exists."""
    table = read_table(root)

    def parse(path: Path) -> Utterance:
        utt = parse_name(path)
        row = table.get(path.name)
        if row is None:
            if table:
                raise NameParseError("no row for this file in data.tsv")
            return utt
        if row.get("emotion") != utt.emotion_raw or row.get("speaker_id") != utt.speaker:
            raise NameParseError(f"data.tsv says emotion={row.get('emotion')!r}, "
                                 f"speaker={row.get('speaker_id')!r}; the name disagrees")
        gender = row.get("gender", "").lower()
        gender = gender if gender in ("female", "male") else "unknown"
        return Utterance(utt.speaker, utt.emotion_raw, gender, utt.text_id)

    return parse


SPEC = CorpusSpec(
    id="nemo",
    name="nEMO: Dataset of Emotional Speech in Polish",
    language="Polish",
    licence="CC BY-NC-SA 4.0",
    source="https://github.com/amu-cai/nEMO",
    fetch="auto",
    native_rate=24000,
    emotions={"anger": "anger", "fear": "fear", "happiness": "happiness",
              "neutral": "neutral", "sadness": "sadness", "surprised": "surprise"},
    make_parser=make_parser,
    expected_files=4481,
    expected_counts=None,  # per-emotion counts are not published in the README
    speakers=9,
)
