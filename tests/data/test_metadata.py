"""load_corpus on tiny fake corpora laid out like the official archives and plain copies."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from serlib.data import (
    METADATA_COLUMNS,
    generate_corpus,
    load_corpora,
    load_corpus,
    scan,
    summarize_corpus,
    synthetic_config,
)
from serlib.data.scan import INCOMPLETE_MARKER
from serlib.errors import CorpusNotFoundError, CorpusVerificationError, UnknownCorpusError

EMODB = ["wav/03a01Fa.wav", "wav/03a01Wa.wav", "wav/08a02Ab.wav", "wav/16b10Lb.wav"]


def _check_table(table: pd.DataFrame) -> None:
    assert tuple(table.columns) == METADATA_COLUMNS
    assert all(Path(p).is_absolute() and Path(p).is_file() for p in table["path"])
    assert set(table["gender"]) <= {"female", "male", "unknown"}
    assert (table["duration"] > 0).all()
    assert table["sample_rate"].dtype == np.int64


def test_emodb_official_archive_and_plain_copy_give_the_same_rows(make_corpus):
    official = make_corpus([*EMODB, "lablaut/03a01Fa.lab"], folder="official")
    (official / "silb").mkdir()
    plain = make_corpus([Path(n).name for n in EMODB], folder="plain")
    a, b = load_corpus("emodb", official), load_corpus("emodb", plain)
    _check_table(a)
    assert len(a) == len(b) == 4
    pd.testing.assert_frame_equal(a.drop(columns="path"), b.drop(columns="path"))
    row = a.iloc[0]
    assert (row.corpus, row.language, row.speaker, row.gender, row.emotion, row.emotion_raw,
            row.text_id, row.sample_rate) == ("emodb", "German", "emodb_03", "male",
                                              "happiness", "F", "a01", 8000)


def test_root_may_be_the_data_root_or_the_corpus_folder(make_corpus, tmp_path, monkeypatch):
    make_corpus(EMODB, folder="data/emodb")
    assert len(load_corpus("emodb", tmp_path / "data")) == 4
    assert len(load_corpus("emodb", tmp_path / "data" / "emodb")) == 4
    monkeypatch.setenv("SERLIB_DATA", str(tmp_path / "data"))
    assert len(load_corpus("emodb")) == 4


def test_unparsable_names_and_bad_files_are_reported_never_guessed(make_corpus, caplog):
    root = make_corpus(["Actor_01/03-01-05-01-01-01-01.wav",
                        "Actor_01/03-02-05-01-01-01-01.wav",   # song, not speech
                        "Actor_01/notes_final.wav",
                        "Actor_01/._03-01-05-01-01-01-01.wav",  # macOS resource fork: ignored
                        "__MACOSX/Actor_01/03-01-05-01-02-01-01.wav"])
    (root / "Actor_01" / "03-01-04-01-01-01-01.wav").write_bytes(b"")  # empty
    (root / "Actor_01" / "readme.txt").write_text("not audio")
    with caplog.at_level(logging.WARNING):
        result = scan("ravdess", root)
    assert len(result.table) == 1
    assert sorted(Path(p).name for p, _ in result.unparsed) == [
        "03-02-05-01-01-01-01.wav", "notes_final.wav"]
    assert [Path(p).name for p, _ in result.bad_audio] == ["03-01-04-01-01-01-01.wav"]
    assert "2 unparsable names" in caplog.text and "1 unreadable" in caplog.text
    table = load_corpus("ravdess", root)
    assert table.attrs["skipped"] == {"unparsed": 2, "bad_audio": 1}
    with pytest.raises(CorpusVerificationError, match="notes_final"):
        load_corpus("ravdess", root, strict=True)


def test_tess_quirks_load(make_corpus, tmp_path):
    aiff = tmp_path / "aiff.bin"
    sf.write(aiff, np.full(2441, 0.1, np.float32), 24414, format="AIFF", subtype="PCM_16")
    root = make_corpus(["TESS Toronto/OAF_angry/OAF_back_angry.wav",
                        "TESS Toronto/oaf_Neutral/OA_bite_neutral.wav",
                        "TESS Toronto/YAF_pleasant_surprised/YAF_bath_ps.wav"])
    (root / "TESS Toronto" / "YAF_fear").mkdir()
    (root / "TESS Toronto" / "YAF_fear" / "YAF_dog_fear.wav").write_bytes(aiff.read_bytes())
    table = load_corpus("tess", root).set_index("emotion")
    assert sorted(table.index) == ["anger", "fear", "neutral", "surprise"]
    assert table.loc["neutral", "speaker"] == "tess_OAF"
    assert table.loc["fear", "sample_rate"] == 24414
    assert table.loc["fear", "duration"] == pytest.approx(0.1, abs=1e-3)


def test_savee_accepts_official_and_flat_layouts(make_corpus):
    official = make_corpus(["AudioData/DC/a01.wav", "AudioData/JK/sa02.wav"], folder="o")
    flat = make_corpus(["DC_a01.wav", "JK_sa02.wav"], folder="f")
    for root in (official, flat):
        table = load_corpus("savee", root)
        assert sorted(table["speaker"]) == ["savee_DC", "savee_JK"]
        assert sorted(table["emotion"]) == ["anger", "sadness"]


def test_iemocap_reads_only_utterance_wavs_with_labels(make_corpus):
    root = make_corpus(["Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_F000.wav",
                        "Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_M001.wav",
                        "Session1/dialog/wav/Ses01F_impro01.wav"])  # whole dialog: not read
    evaluation = root / "Session1" / "dialog" / "EmoEvaluation"
    evaluation.mkdir(parents=True)
    (evaluation / "Ses01F_impro01.txt").write_text(
        "[6.2901 - 8.2357]\tSes01F_impro01_F000\tneu\t[2.5000, 2.5000, 2.5000]\n"
        "[8.9 - 9.9]\tSes01F_impro01_M001\tfru\t[2.0, 3.5, 3.5]\n")
    table = load_corpus("iemocap", root)
    assert sorted(zip(table["speaker"], table["emotion"], strict=True)) == [
        ("iemocap_Ses01F", "neutral"), ("iemocap_Ses01M", "frustration")]


def test_turevdb_reads_only_sound_source(make_corpus):
    root = make_corpus(["TurEV-DB-HEAD/Sound Source/Angry/1157_kz_acik.wav",
                        "TurEV-DB-HEAD/Sound Source/Calm/1157_sk_acik.wav",
                        "TurEV-DB-HEAD/Model Output/other.wav"])
    result = scan("turevdb", root)
    assert len(result.table) == 2 and not result.unparsed


def test_speakers_stay_unique_when_corpora_are_concatenated(make_corpus, tmp_path):
    make_corpus(["wav/03a01Fa.wav"], folder="data/emodb")
    make_corpus(["Actor_03/03-01-05-01-01-01-03.wav"], folder="data/ravdess")
    table = load_corpora(["emodb", "ravdess"], tmp_path / "data")
    assert sorted(table["speaker"]) == ["emodb_03", "ravdess_03"]
    counts = summarize_corpus(table)
    assert counts.loc["total", "total"] == 2


def test_synthetic_folder_loads_through_the_same_interface(tmp_path):
    config = synthetic_config("smoke", speakers_per_language=4, utterances_per_emotion=1,
                              languages=("lang_a",))
    made = generate_corpus(tmp_path, config)
    folder = next(tmp_path.glob("synthetic-*"))
    for root in (folder, tmp_path):
        table = load_corpus("synthetic", root)
        _check_table(table)
        pd.testing.assert_frame_equal(table, made[list(METADATA_COLUMNS)])


def test_missing_unfinished_and_empty_folders_are_refused(make_corpus, tmp_path):
    with pytest.raises(CorpusNotFoundError, match="does not exist"):
        load_corpus("emodb", tmp_path / "nowhere")
    root = make_corpus(EMODB, folder="half")
    (root / INCOMPLETE_MARKER).write_text("")
    with pytest.raises(CorpusNotFoundError, match="unfinished"):
        load_corpus("emodb", root)
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusNotFoundError, match=r"no \.wav files"):
        load_corpus("emodb", tmp_path / "empty")
    with pytest.raises(UnknownCorpusError, match="supported"):
        load_corpus("nope", tmp_path)


def test_min_duration_and_decode_skip_short_and_silent_files(make_corpus, tmp_path):
    root = make_corpus(EMODB[:2])
    sf.write(root / "wav" / "09a01Na.wav", np.zeros(800, np.float32), 8000)  # silent 0.1 s
    assert len(load_corpus("emodb", root)) == 3
    assert len(load_corpus("emodb", root, min_duration=0.05)) == 1  # the 20 ms files go
    result = scan("emodb", root, decode=True)
    assert len(result.table) == 2
    assert "silent" in result.bad_audio[0][1]
