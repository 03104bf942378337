"""Corpora, labels, splits, audio I/O, downloads and the synthetic corpus.

Chapter: book/01_cross_lingual_gap.md
"""

from serlib.data.root import cache_root, corpus_dir, data_root
from serlib.data.synthetic import (
    EMOTIONS,
    METADATA_COLUMNS,
    SyntheticConfig,
    generate_corpus,
    synthetic_config,
)

__all__ = [
    "EMOTIONS",
    "METADATA_COLUMNS",
    "SyntheticConfig",
    "cache_root",
    "corpus_dir",
    "data_root",
    "generate_corpus",
    "synthetic_config",
]
