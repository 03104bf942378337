"""Every corpus parser on real file names, including the quirks of published copies."""

from __future__ import annotations

from pathlib import Path

import pytest

from serlib.data import CORPORA, SOURCES, VOCABULARY, get_corpus
from serlib.data.corpora import NameParseError, Utterance, cafe, ravdess
from serlib.errors import UnknownCorpusError

# (corpus, relative path, speaker, harmonised emotion, gender, text_id)
GOOD = [
    ("emodb", "wav/03a01Fa.wav", "03", "happiness", "male", "a01"),
    ("emodb", "wav/16b10Lb.wav", "16", "boredom", "female", "b10"),
    ("emodb", "wav/08a02Ab.wav", "08", "fear", "female", "a02"),
    ("emodb", "wav/11b03Td.wav", "11", "sadness", "male", "b03"),
    ("ravdess", "Actor_12/03-01-06-01-02-01-12.wav", "12", "fear", "female", "02"),
    ("ravdess", "Actor_01/03-01-01-01-01-01-01.wav", "01", "neutral", "male", "01"),
    ("ravdess", "Actor_07/03-01-02-02-01-02-07.wav", "07", "calm", "male", "01"),
    ("ravdess", "Actor_24/03-01-08-02-02-02-24.wav", "24", "surprise", "female", "02"),
    ("tess", "OAF_angry/OAF_back_angry.wav", "OAF", "anger", "female", "back"),
    ("tess", "YAF_pleasant_surprised/YAF_bath_ps.wav", "YAF", "surprise", "female", "bath"),
    ("tess", "OAF_Pleasant_surprise/OAF_bite_ps.wav", "OAF", "surprise", "female", "bite"),
    ("tess", "oaf_Fear/OAF_dog_fear.wav", "OAF", "fear", "female", "dog"),
    ("tess", "OAF_neutral/OA_bite_neutral.wav", "OAF", "neutral", "female", "bite"),  # typo
    ("tess", "YAF_happy/YAF_youth_happy.wav", "YAF", "happiness", "female", "youth"),
    ("savee", "AudioData/DC/a01.wav", "DC", "anger", "male", "a01"),
    ("savee", "AudioData/JK/sa15.wav", "JK", "sadness", "male", "sa15"),
    ("savee", "AudioData/KL/su03.wav", "KL", "surprise", "male", "su03"),
    ("savee", "ALL/DC_n30.wav", "DC", "neutral", "male", "n30"),
    ("savee", "JE_sa01.wav", "JE", "sadness", "male", "sa01"),
    ("cafe", "CaFE_48k/Colère/Faible/01-C-1-1.wav", "01", "anger", "male", "1"),
    ("cafe", "CaFE_48k/Dégoût/Fort/12-D-2-6.wav", "12", "disgust", "female", "6"),
    ("cafe", "CaFE_48k/Neutre/06-N-4.wav", "06", "neutral", "female", "4"),
    ("cafe", "CaFE_192k_1/Surprise/Faible/03-S-1-5.aiff", "03", "surprise", "male", "5"),
    ("emovo", "f1/dis-f1-b1.wav", "f1", "disgust", "female", "b1"),
    ("emovo", "m3/rab-m3-n5.wav", "m3", "anger", "male", "n5"),
    ("emovo", "m2/Gio-M2-l3.wav", "m2", "happiness", "male", "l3"),
    ("emovo", "f2/pau-f2-d2.wav", "f2", "fear", "female", "d2"),
    ("shemo", "female/F01A01.wav", "F01", "anger", "female", None),
    ("shemo", "male/M35W12.wav", "M35", "surprise", "male", None),
    ("shemo", "male/M02F07.wav", "M02", "fear", "male", None),
    ("nemo", "samples/EB0_anger_1.wav", "EB0", "anger", "unknown", "1"),
    ("nemo", "samples/WR0_surprised_64.wav", "WR0", "surprise", "unknown", "64"),
    ("urdu", "Angry/SM1_F19_A019.wav", "SM1", "anger", "male", "F19"),
    ("urdu", "Happy/SF3_F2_H052.wav", "SF3", "happiness", "female", "F2"),
    ("urdu", "Angry/SM4_F48_A0100.wav", "SM4", "anger", "male", "F48"),
    ("ased", "02Fearful/f2-03-02-02-65.wav", "65", "fear", "male", "03"),
    ("ased", "04Sad/S4-04-02-01-29.wav", "29", "sadness", "female", "04"),  # upper-case code
    ("ased", "01Neutral/n1-01-01-01-07.wav", "07", "neutral", "female", "01"),
    ("turevdb", "Sound Source/Angry/1157_kz_acik.wav", "1157", "anger", "unknown", "acik"),
    ("turevdb", "Sound Source/Calm/1234_sk_algi.wav", "1234", "calm", "unknown", "algi"),
    ("turevdb", "Sound Source/Sad/7895_hl_utanc.wav", "7895", "sadness", "unknown", "utanc"),
    ("turevdb", "Sound Source/Happy/1984_mt_simit.wav", "1984", "happiness", "unknown", "simit"),
]

BAD = [
    ("emodb", "wav/03a01Xa.wav"),        # no such emotion letter
    ("emodb", "wav/04a01Fa.wav"),        # no speaker 04
    ("emodb", "wav/03a01Fa_copy.wav"),
    ("ravdess", "Actor_01/03-02-01-01-01-01-01.wav"),  # song
    ("ravdess", "Actor_01/01-01-03-01-01-01-01.wav"),  # audio-video modality
    ("ravdess", "Actor_01/03-01-01-02-01-01-01.wav"),  # strong neutral does not exist
    ("ravdess", "Actor_01/03-01-09-01-01-01-01.wav"),
    ("ravdess", "Actor_25/03-01-01-01-01-01-25.wav"),
    ("tess", "OAF_angry/OAF_back_furious.wav"),
    ("tess", "XYZ_back_angry.wav"),
    ("savee", "AudioData/XX/a01.wav"),
    ("savee", "a01.wav"),                # official name outside a speaker folder
    ("savee", "DC_x01.wav"),
    ("cafe", "Neutre/01-N-1-1.wav"),     # neutral has no intensity
    ("cafe", "Colère/01-C-1.wav"),       # the others need one
    ("cafe", "13-C-1-1.wav"),
    ("emovo", "f1/abc-f1-b1.wav"),
    ("emovo", "f4/dis-f4-b1.wav"),
    ("shemo", "F1A01.wav"),
    ("shemo", "F01X01.wav"),
    ("nemo", "samples/EB0_joy_1.wav"),
    ("urdu", "Angry/SM1_F19_X019.wav"),
    ("urdu", "Angry/SM1-F19-A019.wav"),
    ("ased", "f2-03-02-03-65.wav"),      # gender 03
    ("ased", "x9-03-02-02-65.wav"),
    ("turevdb", "Sound Source/Angry/1157_xx_acik.wav"),
]


def _parse(corpus: str, rel: str) -> Utterance:
    spec = get_corpus(corpus)
    return spec.make_parser(Path("/nonexistent"))(Path("/data") / rel)


@pytest.mark.parametrize(("corpus", "rel", "speaker", "emotion", "gender", "text_id"), GOOD)
def test_parser_reads_real_names(corpus, rel, speaker, emotion, gender, text_id):
    utt = _parse(corpus, rel)
    spec = get_corpus(corpus)
    assert utt.speaker == speaker
    assert spec.harmonise(utt.emotion_raw) == emotion
    assert utt.gender == gender
    assert utt.text_id == text_id


@pytest.mark.parametrize(("corpus", "rel"), BAD)
def test_parser_refuses_names_outside_the_scheme(corpus, rel):
    with pytest.raises(NameParseError):
        _parse(corpus, rel)


def test_iemocap_parser_reads_labels_from_emoevaluation(tmp_path):
    evaluation = tmp_path / "Session1" / "dialog" / "EmoEvaluation"
    evaluation.mkdir(parents=True)
    (evaluation / "Ses01F_impro01.txt").write_text(
        "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\n\n"
        "[6.2901 - 8.2357]\tSes01F_impro01_F000\tneu\t[2.5000, 2.5000, 2.5000]\n"
        "C-E2:\tNeutral;\t()\n"
        "[10.0100 - 11.3925]\tSes01F_impro01_M001\txxx\t[2.5000, 3.0000, 3.0000]\n")
    (evaluation / "Ses01M_script01_1b.txt").write_text(
        "[1.0 - 2.0]\tSes01M_script01_1b_F003\texc\t[3.5, 3.5, 3.0]\n")
    parse = get_corpus("iemocap").make_parser(tmp_path)
    wav = tmp_path / "Session1" / "sentences" / "wav"
    utt = parse(wav / "Ses01F_impro01" / "Ses01F_impro01_F000.wav")
    assert (utt.speaker, utt.emotion_raw, utt.gender, utt.text_id) == (
        "Ses01F", "neu", "female", "impro01")
    utt = parse(wav / "Ses01F_impro01" / "Ses01F_impro01_M001.wav")
    assert (utt.speaker, utt.gender) == ("Ses01M", "male")  # the man of session 1
    assert get_corpus("iemocap").harmonise(utt.emotion_raw) == "undecided"
    utt = parse(wav / "Ses01M_script01_1b" / "Ses01M_script01_1b_F003.wav")
    assert (utt.speaker, utt.text_id) == ("Ses01F", "script01_1b")
    assert get_corpus("iemocap").harmonise(utt.emotion_raw) == "excitement"
    with pytest.raises(NameParseError, match="EmoEvaluation"):
        parse(wav / "Ses01F_impro02" / "Ses01F_impro02_F000.wav")
    with pytest.raises(NameParseError):
        parse(wav / "x" / "Sess1_F000.wav")


def test_nemo_parser_uses_data_tsv_for_gender_and_cross_checks(tmp_path):
    (tmp_path / "data.tsv").write_text(
        "file_id\temotion\traw_text\tnormalized_text\tspeaker_id\tgender\tage\n"
        "EB0_anger_1.wav\tanger\tLubię czytać.\tlubię czytać\t        EB0\tfemale\t27\n"
        "WR0_sadness_9.wav\thappiness\tPiłka.\tpiłka\t        WR0\tmale\t23\n",
        encoding="utf-8")
    parse = get_corpus("nemo").make_parser(tmp_path)
    utt = parse(tmp_path / "samples" / "EB0_anger_1.wav")
    assert (utt.speaker, utt.gender, utt.text_id) == ("EB0", "female", "1")
    with pytest.raises(NameParseError, match="disagrees"):
        parse(tmp_path / "samples" / "WR0_sadness_9.wav")
    with pytest.raises(NameParseError, match="no row"):
        parse(tmp_path / "samples" / "KS0_fear_3.wav")


def test_every_corpus_maps_onto_the_vocabulary_and_declares_consistent_counts():
    assert len(CORPORA) == 12
    for spec in CORPORA.values():
        assert set(spec.emotions.values()) <= set(VOCABULARY), spec.id
        assert spec.fetch in ("auto", "manual")
        if spec.expected_counts is not None:
            assert set(spec.expected_counts) <= set(spec.emotions.values()), spec.id
            assert sum(spec.expected_counts.values()) == spec.expected_files, spec.id


def test_every_corpus_has_a_source_and_only_auto_corpora_download():
    assert set(SOURCES) == set(CORPORA)
    for corpus, source in SOURCES.items():
        assert bool(source.archives) == (CORPORA[corpus].fetch == "auto"), corpus
        for archive in source.archives:
            assert archive.url.startswith(("http://", "https://"))
            assert archive.known_hash is None or archive.known_hash.split(":")[0] in (
                "md5", "sha256")


def test_expected_name_grids_match_the_published_counts():
    assert len(ravdess.expected_names()) == 1440
    assert len(cafe.expected_names()) == 936
    for name in list(ravdess.expected_names())[:50]:
        ravdess.parse_name(Path(name + ".wav"))


def test_unknown_corpus_lists_the_supported_ones():
    with pytest.raises(UnknownCorpusError, match="emodb"):
        get_corpus("crema-d")
