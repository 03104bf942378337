"""load_domain_tables: real corpora (pooled with +) and synthetic languages by name."""

from __future__ import annotations

import pandas as pd
import pytest

from serlib.data import METADATA_COLUMNS, load_domain_tables, synthetic_config
from serlib.errors import CorpusNotFoundError

EMODB = ["wav/03a01Fa.wav", "wav/03a01Wa.wav", "wav/08a02Ab.wav"]
RAVDESS = ["Actor_01/03-01-05-01-01-01-01.wav", "Actor_02/03-01-04-01-01-01-02.wav"]


def test_corpora_by_name_and_pooled(make_corpus, tmp_path):
    make_corpus(EMODB, folder="data/emodb")
    make_corpus(RAVDESS, folder="data/ravdess")
    tables = load_domain_tables(["emodb", "ravdess+emodb", "emodb"], root=tmp_path / "data")
    assert list(tables) == ["emodb", "ravdess+emodb"]  # order kept, duplicates once
    assert tuple(tables["emodb"].columns) == METADATA_COLUMNS
    assert len(tables["emodb"]) == 3
    pooled = tables["ravdess+emodb"]
    assert len(pooled) == 5 and set(pooled["corpus"]) == {"ravdess", "emodb"}
    assert list(pooled.index) == list(range(5))


def test_missing_corpus_is_a_typed_error(tmp_path):
    with pytest.raises(CorpusNotFoundError):
        load_domain_tables(["emodb"], root=tmp_path)


def test_synthetic_languages(tmp_path, monkeypatch):
    monkeypatch.setenv("SERLIB_CACHE", str(tmp_path))
    config = synthetic_config("smoke", speakers_per_language=4, utterances_per_emotion=1,
                              emotions=("anger", "sadness"))
    tables = load_domain_tables(["lang_b", "lang_a"], synthetic=config)
    assert list(tables) == ["lang_b", "lang_a"]
    for language, table in tables.items():
        assert set(table["language"]) == {language}
        assert len(table) == 4 * 2 and table["speaker"].nunique() == 4
        assert list(table.index) == list(range(len(table)))
    both = pd.concat(tables.values())
    assert both["path"].is_unique
    with pytest.raises(CorpusNotFoundError, match="lang_z"):
        load_domain_tables(["lang_z"], synthetic=config)
