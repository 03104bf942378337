"""``serlib data list|fetch|verify|summary`` end to end on tiny corpora."""

from __future__ import annotations

import pytest

from serlib.cli import main


@pytest.fixture
def data_root(make_corpus, tmp_path, monkeypatch):
    make_corpus(["wav/03a01Fa.wav", "wav/03a01Wa.wav", "wav/08a02Lb.wav"], folder="data/emodb")
    monkeypatch.setenv("SERLIB_DATA", str(tmp_path / "data"))
    return tmp_path / "data"


def test_list_shows_every_corpus_and_its_status(data_root, capsys):
    assert main(["data", "list", "--long"]) == 0
    out = capsys.readouterr().out
    assert "present (3/535 files)" in out
    for corpus in ("ravdess", "tess", "savee", "cafe", "emovo", "shemo", "iemocap", "nemo",
                   "urdu", "ased", "turevdb"):
        assert corpus in out
    assert "CC BY-NC-SA 4.0" in out and "absent" in out


def test_verify_exit_code_reflects_the_result(data_root, capsys):
    assert main(["data", "verify", "emodb"]) == 1
    assert "3 found, 535 expected" in capsys.readouterr().out


def test_summary_counts_emotion_by_speaker(data_root, capsys):
    assert main(["data", "summary", "emodb"]) == 0
    out = capsys.readouterr().out
    assert "emodb_03" in out and "boredom" in out
    assert main(["data", "summary", "emodb", "--label-set", "agarla5"]) == 0
    out = capsys.readouterr().out
    assert "dropped" in out


def test_fetch_manual_corpus_prints_where_to_get_it(data_root, capsys):
    assert main(["data", "fetch", "iemocap"]) == 1
    out = capsys.readouterr().out
    assert "sail.usc.edu" in out and "--from-dir" in out


def test_errors_print_one_clear_line(data_root, capsys):
    assert main(["data", "verify", "nope"]) == 2
    assert "unknown corpus" in capsys.readouterr().err
