"""Corpus folders (issue 21, items 3, 4, 11 and 15).

Rules: a corpus folder from which nothing, or less than ``MIN_PARSED_FRACTION``, parses is a
typed error naming the folder, the id and the names expected; list, verify and load agree on
every corpus, and every file-name pattern a corpus documents parses (a genuine name whose
word part ends in a digit included); an unknown id is not "a corpus not on disk"; the
read-only hint names the CLI flag; a YAML key written twice is an error naming both lines.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from serlib.cli import main
from serlib.cli.data import corpus_status
from serlib.config import read_yaml
from serlib.data import CORPORA, fetch_corpus, load_corpus, verify_corpus
from serlib.data.corpora import _MODULES
from serlib.data.scan import MIN_PARSED_FRACTION
from serlib.errors import (
    ConfigError,
    CorpusLayoutError,
    CorpusNotFoundError,
    UnknownCorpusError,
)
from serlib.experiments import load_experiment
from serlib.features import load_mel_config

from .conftest import audio_bytes

#: per built-in corpus: names its module documents (docstring layouts and examples), as
#: they appear in published copies, plus the quirks the docstrings name
DOCUMENTED = {
    "emodb": ["wav/03a01Fa.wav", "wav/16b10Lb.wav"],
    "ravdess": ["Actor_12/03-01-06-01-02-01-12.wav", "03-01-05-01-02-01-12.wav"],
    "tess": ["OAF_angry/OAF_back_angry.wav", "YAF_pleasant_surprised/YAF_bath_ps.wav",
             "OAF_neutral/OA_bite_neutral.wav"],
    "savee": ["AudioData/DC/sa01.wav", "JE_su15.wav"],
    "cafe": ["Colère/Faible/01-C-1-1.wav", "Neutre/02-N-3.wav", "Peur/Fort/12-P-2-6.aiff"],
    "emovo": ["f1/dis-f1-b1.wav", "m2/rab-m2-n3.wav"],
    "shemo": ["male/M01A01.wav", "female/F12W103.wav"],
    "iemocap": ["Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_F000.wav"],
    "nemo": ["samples/EB0_anger_12.wav"],
    "urdu": ["Angry/SM1_F19_A019.wav", "Sad/SF3_F2_S07.wav"],
    "ased": ["02Fearful/f2-03-02-02-65.wav", "04Sad/S4-01-01-01-02.wav"],
    "turevdb": ["Sound Source/Angry/1157_kz_acik.wav", "Sound Source/Calm/1234_sk_algi.wav"],
}
#: genuine names whose word part ends in a digit (or holds letters beyond a-z)
WORD_WITH_DIGIT = {
    "turevdb": ["Sound Source/Happy/1984_mt_simit2.wav", "Sound Source/Sad/7895_hl_göz.wav"],
    "tess": ["YAF_happy/YAF_back2_happy.wav"],
}


def _side_files(corpus: str, root: Path) -> None:
    """The label files of corpora whose labels are not in the names."""
    if corpus == "iemocap":
        folder = root / "Session1" / "dialog" / "EmoEvaluation"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "Ses01F_impro01.txt").write_text(
            "[6.2901 - 8.2357]\tSes01F_impro01_F000\tneu\t[2.5000, 2.5000, 2.5000]\n")


def _corpus(tmp_path: Path, corpus: str, names: list[str]) -> Path:
    root = tmp_path / corpus
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(audio_bytes(0.3, fmt="AIFF" if name.endswith(".aiff") else "WAV"))
    _side_files(corpus, root)
    return root


def test_every_built_in_corpus_documents_its_names_here():
    assert set(DOCUMENTED) == set(_MODULES)


@pytest.mark.parametrize("corpus", sorted(DOCUMENTED))
def test_every_documented_name_parses(tmp_path, corpus):
    names = DOCUMENTED[corpus] + WORD_WITH_DIGIT.get(corpus, [])
    root = _corpus(tmp_path, corpus, names)
    parse = CORPORA[corpus].make_parser(root)
    for name in names:
        utt = parse(root / name)
        assert utt.emotion_raw in CORPORA[corpus].emotions, name


@pytest.mark.parametrize("corpus", sorted(DOCUMENTED))
def test_list_verify_and_load_agree(tmp_path, monkeypatch, corpus):
    names = DOCUMENTED[corpus] + WORD_WITH_DIGIT.get(corpus, [])
    _corpus(tmp_path, corpus, names)
    monkeypatch.setenv("SERLIB_DATA", str(tmp_path))
    loaded = len(load_corpus(corpus, tmp_path, progress=False))
    verified = verify_corpus(corpus, tmp_path, raise_on_error=False, progress=False).n_files
    listed = corpus_status(corpus)
    assert loaded == verified == len(names)
    assert listed.startswith(f"present ({len(names)}/"), listed


def test_another_corpus_folder_is_a_typed_error_naming_folder_id_and_names(tmp_path):
    """EmoDB pointed at a RAVDESS folder: not an empty table and exit 0."""
    root = _corpus(tmp_path, "ravdess", [f"Actor_0{i}/03-01-0{i}-01-01-01-0{i}.wav"
                                         for i in range(1, 6)])
    with pytest.raises(CorpusLayoutError) as err:
        load_corpus("emodb", root, progress=False)
    message = str(err.value)
    assert str(root) in message and "'emodb'" in message
    assert "0 of 5" in message and "03a01Fa" in message  # what an EmoDB name looks like
    assert isinstance(err.value, CorpusNotFoundError)  # "does not look like the corpus"


def test_the_cli_reports_a_wrong_folder_in_one_line(tmp_path, capsys):
    root = _corpus(tmp_path, "ravdess", ["Actor_01/03-01-01-01-01-01-01.wav"])
    assert main(["data", "summary", "emodb", "--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "does not look like the corpus 'emodb'" in err


def test_below_the_stated_fraction_is_an_error_above_it_a_logged_skip(tmp_path, caplog):
    assert MIN_PARSED_FRACTION == 0.5
    good = ["wav/03a01Fa.wav", "wav/16b10Lb.wav", "wav/08a02Ab.wav"]
    bad = [f"wav/other_{i}.wav" for i in range(4)]
    with pytest.raises(CorpusLayoutError, match=r"only 3 of 7 .*at least 50%"):
        load_corpus("emodb", _corpus(tmp_path / "a", "emodb", good + bad), progress=False)
    with caplog.at_level(logging.WARNING):
        table = load_corpus("emodb", _corpus(tmp_path / "b", "emodb", good + bad[:2]),
                            progress=False)
    assert len(table) == 3 and "other_0.wav" in caplog.text


def test_an_unknown_corpus_id_is_not_reported_as_missing_from_disk(capsys):
    with pytest.raises(UnknownCorpusError, match="unknown corpus id 'emodbb'") as err:
        load_corpus("emodbb")
    assert not isinstance(err.value, CorpusNotFoundError)
    assert "not a missing folder" in str(err.value)
    assert main(["data", "verify", "emodbb"]) == 2
    assert "unknown corpus id" in capsys.readouterr().err


def test_a_data_root_that_cannot_be_written_names_the_cli_flag(tmp_path):
    source = _corpus(tmp_path, "emodb", ["wav/03a01Fa.wav"])
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with pytest.raises(CorpusNotFoundError) as err:
        fetch_corpus("emodb", dest_root=blocker / "data", from_dir=source, verify=False,
                     progress=False)
    assert "--dest" in str(err.value) and "dest_root" in str(err.value)


# ------------------------------------------------------------------------- YAML keys

@pytest.mark.parametrize("reader", ["yaml", "experiment", "mel"])
def test_a_key_written_twice_is_an_error_naming_the_key_and_both_lines(tmp_path, reader):
    path = tmp_path / "twice.yaml"
    if reader == "mel":
        path.write_text("n_mels: 64\nhop_length: 160\nn_mels: 128\n")
        key, lines = "n_mels", "lines 1 and 3"
    else:
        path.write_text("name: x\nmethods: [zero_shot, hard_pl, mmd, dann]\nlr: 0.1\n"
                        "methods: [zero_shot]\n")
        key, lines = "methods", "lines 2 and 4"
    read = {"yaml": read_yaml, "experiment": load_experiment, "mel": load_mel_config}[reader]
    with pytest.raises(ConfigError) as err:
        read(path)
    assert f"'{key}'" in str(err.value) and lines in str(err.value)
    assert "twice.yaml" in str(err.value)


def test_a_nested_key_written_twice_is_an_error_too(tmp_path):
    path = tmp_path / "nested.yaml"
    path.write_text("train:\n  lr: 0.1\n  batch_size: 8\n  lr: 0.01\n")
    with pytest.raises(ConfigError, match=r"'lr' is written twice \(lines 2 and 4\)"):
        read_yaml(path)


def test_the_cli_reports_a_duplicate_key_without_a_traceback(tmp_path, capsys):
    path = tmp_path / "twice.yaml"
    path.write_text("name: x\ndata: synthetic\nseeds: [0]\nseeds: [1]\n")
    assert main(["experiment", "plan", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "'seeds' is written twice (lines 3 and 4)" in err
