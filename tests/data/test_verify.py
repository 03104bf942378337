"""verify_corpus fails loudly on any difference from the published counts and names."""

from __future__ import annotations

import shutil

import pytest

from serlib.data import verify_corpus
from serlib.data.corpora import ravdess
from serlib.errors import CorpusVerificationError


@pytest.fixture
def fake_ravdess(make_corpus):
    """A complete RAVDESS speech grid of 1440 tiny files."""
    names = [f"Actor_{n[-2:]}/{n}.wav" for n in sorted(ravdess.expected_names())]
    return make_corpus(names, folder="ravdess")


def test_complete_copy_verifies(fake_ravdess):
    report = verify_corpus("ravdess", fake_ravdess, progress=False)
    assert report.ok
    assert report.n_files == 1440 and report.counts["neutral"] == 96
    assert "OK" in report.summary()


def test_missing_extra_and_duplicated_files_are_reported(fake_ravdess):
    (fake_ravdess / "Actor_05" / "03-01-03-02-01-01-05.wav").unlink()
    shutil.copy(fake_ravdess / "Actor_06" / "03-01-04-01-01-01-06.wav",
                fake_ravdess / "Actor_06" / "03-01-04-01-01-01-06 (copy).wav")
    (fake_ravdess / "Actor_07" / "dup").mkdir()
    shutil.copy(fake_ravdess / "Actor_07" / "03-01-05-01-01-01-07.wav",
                fake_ravdess / "Actor_07" / "dup" / "03-01-05-01-01-01-07.wav")
    report = verify_corpus("ravdess", fake_ravdess, raise_on_error=False, progress=False)
    assert not report.ok
    assert report.missing_names == ["03-01-03-02-01-01-05"]
    assert report.duplicates == ["ravdess_07/03-01-05-01-01-01-07"]
    assert report.count_differences == {"anger": (193, 192), "happiness": (191, 192)}
    assert len(report.unparsed) == 1
    with pytest.raises(CorpusVerificationError) as err:
        verify_corpus("ravdess", fake_ravdess, progress=False)
    text = str(err.value)
    assert "MISMATCH" in text and "03-01-03-02-01-01-05" in text and "(copy)" in text


def test_half_extracted_copy_fails(fake_ravdess):
    for actor in range(13, 25):
        shutil.rmtree(fake_ravdess / f"Actor_{actor:02d}")
    with pytest.raises(CorpusVerificationError, match="720 found, 1440 expected"):
        verify_corpus("ravdess", fake_ravdess, progress=False)


def test_unreadable_file_fails_verification(fake_ravdess):
    (fake_ravdess / "Actor_01" / "03-01-01-01-01-01-01.wav").write_bytes(b"RIFF")
    report = verify_corpus("ravdess", fake_ravdess, raise_on_error=False, progress=False)
    assert not report.ok and len(report.bad_audio) == 1
    assert report.missing_names == ["03-01-01-01-01-01-01"]


def test_corpus_without_published_emotion_counts_checks_the_total(make_corpus):
    root = make_corpus(["samples/EB0_anger_1.wav", "samples/EB0_fear_1.wav"], folder="nemo")
    report = verify_corpus("nemo", root, raise_on_error=False, progress=False)
    assert report.expected_counts is None and not report.ok
    assert "not published" in report.summary()
