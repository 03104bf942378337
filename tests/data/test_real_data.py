"""The real EmoDB and RAVDESS copies in ../shared/data (skipped when absent)."""

from __future__ import annotations

import numpy as np
import pytest

from serlib.data import (
    apply_label_set,
    check_speaker_independent,
    leave_one_speaker_out,
    load_audio,
    load_corpus,
    save_split,
    speaker_split,
    verify_corpus,
)

pytestmark = pytest.mark.shared

EMODB_COUNTS = {"anger": 127, "boredom": 81, "neutral": 79, "happiness": 71, "fear": 69,
                "sadness": 62, "disgust": 46}


@pytest.fixture(scope="module")
def emodb(emodb_dir):
    return load_corpus("emodb", emodb_dir, progress=False)


@pytest.fixture(scope="module")
def ravdess(ravdess_dir):
    return load_corpus("ravdess", ravdess_dir, progress=False)


def test_emodb_loads_535_rows_with_the_readme_counts(emodb):
    assert len(emodb) == 535
    assert emodb["emotion"].value_counts().to_dict() == EMODB_COUNTS
    assert emodb["speaker"].nunique() == 10
    assert set(emodb["sample_rate"]) == {16000}
    assert emodb.groupby("gender")["speaker"].nunique().to_dict() == {"female": 5, "male": 5}
    assert emodb.attrs["skipped"] == {"unparsed": 0, "bad_audio": 0}


def test_ravdess_loads_1440_rows_at_the_rate_on_disk(ravdess):
    assert len(ravdess) == 1440
    counts = ravdess["emotion"].value_counts()
    assert counts["neutral"] == 96 and (counts.drop("neutral") == 192).all()
    assert set(ravdess["sample_rate"]) == {16000}  # the shared copy is resampled
    assert ravdess["speaker"].nunique() == 24
    assert ravdess.groupby("gender")["speaker"].nunique().to_dict() == {"female": 12,
                                                                        "male": 12}


def test_both_verify_clean(emodb_dir, ravdess_dir):
    assert verify_corpus("emodb", emodb_dir, progress=False).ok
    assert verify_corpus("ravdess", ravdess_dir, progress=False).ok


@pytest.mark.parametrize("corpus", ["emodb", "ravdess"])
def test_agarla5_speaker_split_has_no_overlap(corpus, emodb, ravdess, tmp_path):
    table = apply_label_set({"emodb": emodb, "ravdess": ravdess}[corpus], "agarla5")
    split = speaker_split(table, seed=0)
    check_speaker_independent(split)
    speakers = split.groupby("split")["speaker"].unique().map(set)
    assert not speakers["train"] & speakers["dev"]
    assert not speakers["train"] & speakers["test"]
    assert not speakers["dev"] & speakers["test"]
    n = table["speaker"].nunique()
    assert sum(map(len, speakers)) == n
    for part in ("train", "dev", "test"):
        assert set(split.loc[split["split"] == part, "emotion"]) == set(table["emotion"])
    path = save_split(split, f"{corpus}-agarla5-seed0", tmp_path)
    assert path.is_file()


def test_loso_on_emodb_has_ten_folds(emodb):
    assert leave_one_speaker_out(emodb)["fold"].nunique() == 10


def test_a_handful_of_real_files_decode(emodb, ravdess):
    for path in list(emodb["path"][:3]) + list(ravdess["path"][::500]):
        wav = load_audio(path, 16000)
        assert wav.dtype == np.float32 and wav.ndim == 1 and len(wav) > 16000 // 2
        assert np.isfinite(wav).all()
