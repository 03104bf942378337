"""Issue 21's walkthrough, as a new user would: add a corpus with 2 speakers and 4 classes,
one speaker showing a single emotion, then plan, run and summarise through the CLI.

Every outcome is a result or a clear message: zero-shot runs under ``all_test``; a method
with 100 target labels cannot run on a 2-speaker target, and the plan (and the run) say so
once, with the protocols that can run it; no traceback anywhere.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest
import yaml

from serlib.cli import main
from serlib.data import (
    CORPORA,
    CorpusSpec,
    NameParseError,
    Utterance,
    generate_corpus,
    register_corpus,
    synthetic_config,
    unregister_corpus,
)
from serlib.data.corpora.base import name_parser
from serlib.experiments import read_results

_NAME = re.compile(r"^([fm]\d\d)_([A-Z]{3})_(\d\d)$")
CODES = {"anger": "ANG", "happiness": "HAP", "neutral": "NEU", "sadness": "SAD"}


def parse_name(path: Path) -> Utterance:
    """``f01_ANG_03.wav``: speaker, emotion code, take."""
    match = _NAME.match(path.stem)
    if not match:
        raise NameParseError("expected <f|m><2 digits>_<CODE>_<2 digits>.wav")
    speaker, code, take = match.groups()
    return Utterance(speaker=speaker, emotion_raw=code, text_id=take,
                     gender={"f": "female", "m": "male"}[speaker[0]])


def _spec(corpus: str) -> CorpusSpec:
    return CorpusSpec(id=corpus, name=f"walkthrough {corpus}", language="Synthetic",
                      licence="generated", source="serlib.data.synthetic", fetch="manual",
                      native_rate=16000, emotions={v: k for k, v in CODES.items()},
                      make_parser=name_parser(parse_name))


@pytest.fixture
def corpora(tmp_path: Path):
    """``walk_src`` (4 speakers x 4 classes) and ``walk_new`` (2 speakers, 4 classes; its
    second speaker shows anger only), written as WAV files and registered as plug-ins."""
    table = generate_corpus(tmp_path / "synthetic", synthetic_config(
        "smoke", speakers_per_language=4, utterances_per_emotion=3,
        emotions=tuple(CODES)))
    before = dict(CORPORA)
    speakers_of = {"walk_src": ("lang_a", None), "walk_new": ("lang_b", 2)}
    for corpus, (language, keep) in speakers_of.items():
        rows = table[table["language"] == language]
        speakers = sorted(rows["speaker"].unique())[:keep]
        folder = tmp_path / "data" / corpus
        folder.mkdir(parents=True)
        for _, row in rows[rows["speaker"].isin(speakers)].iterrows():
            if corpus == "walk_new" and row["speaker"] == speakers[1] \
                    and row["emotion"] != "anger":
                continue  # one speaker who shows a single emotion
            speaker = row["speaker"].rsplit("_", 1)[1]
            take = int(row["text_id"].lstrip("s")) % 100
            name = f"{speaker}_{CODES[row['emotion']]}_{take:02d}.wav"
            while (folder / name).exists():
                take += 1
                name = f"{speaker}_{CODES[row['emotion']]}_{take % 100:02d}.wav"
            shutil.copy(row["path"], folder / name)
        register_corpus(_spec(corpus), root=folder)
    yield
    for corpus in set(CORPORA) - set(before):
        unregister_corpus(corpus)
    CORPORA.update(before)


def _config(tmp_path: Path, name: str, **changes: object) -> Path:
    config = {
        "name": name, "data": "corpora", "label_set": "shared4",
        "tasks": ["walk_src -> walk_new"], "methods": ["zero_shot", "transfer"],
        "n_labels": [100], "seeds": [0], "backbone": "small_cnn",
        "backbone_options": {"channels": [4, 8, 8], "embed_dim": 8},
        "train": {"batch_size": 8},
        "profiles": {"smoke": {"source_epochs": 2, "adapt_epochs": 1, "steps_per_epoch": 2}},
        "device": "cpu", **changes}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _cli(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Traceback" not in text, text
    return code, text


def test_a_new_two_speaker_corpus_is_planned_run_and_summarised(corpora, tmp_path, capsys):
    assert dataclasses.asdict(CORPORA["walk_new"])["speakers"] is None  # counted on disk

    # the paper protocol: the 2-speaker target is reported once, with what can run it
    paper = _config(tmp_path, "walk_paper")
    code, plan = _cli(capsys, "experiment", "plan", str(paper))
    assert code == 0 and "0 runs" in plan
    assert plan.count("target 'walk_new' has 2 speaker(s)") == 1
    assert "protocol 'paper' needs at least 3" in plan
    assert "protocols that can run it: ['all_test']" in plan
    assert "target 'walk_new': all 4 classes of shared4" in plan
    code, out = _cli(capsys, "experiment", "run", str(paper), "--no-progress",
                     "--results", str(tmp_path / "paper.csv"))
    assert code == 1  # nothing could run: said, not silent
    assert "target 'walk_new' has 2 speaker(s)" in out and "nothing to run" in out

    # all_test: zero-shot runs on every utterance; transfer (100 labels) cannot, said once
    zero = _config(tmp_path, "walk_all", protocol="all_test")
    code, plan = _cli(capsys, "experiment", "plan", str(zero))
    assert code == 0 and "1 runs" in plan and "zero_shot walk_src -> walk_new" in plan
    assert plan.count("transfer trains on the target, which protocol 'all_test' keeps for "
                      "testing only") == 1
    assert "protocols that can run it: ['paper', 'speaker_folds']" in plan
    results = tmp_path / "all.csv"
    code, out = _cli(capsys, "experiment", "run", str(zero), "--no-progress",
                     "--results", str(results))
    assert code == 0, out
    assert "zero_shot walk_src -> walk_new n=0 seed=0 [inductive]: UAR" in out
    assert "note: transfer trains on the target" in out
    rows = read_results(results)
    assert len(rows) == 1 and rows.loc[0, "status"] == "ok"
    row = rows.iloc[0]
    assert row["protocol"] == "all_test" and row["labels_used"] == 0
    assert row["target_classes"] == "anger happiness neutral sadness"
    assert row["n"] == 15 and row["chance_uar"] == pytest.approx(0.25)  # 12 + 3 anger

    code, summary = _cli(capsys, "experiment", "summary", str(results))
    assert code == 0 and "zero_shot" in summary and "walk_new" in summary
