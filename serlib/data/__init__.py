"""Corpora, labels, splits, audio I/O, downloads and the synthetic corpus.

Chapter: book/02_corpora.md
"""

from serlib.data.audio import AudioInfo, audio_info, load_audio
from serlib.data.corpora import (
    CORPORA,
    CorpusSpec,
    NameParseError,
    Utterance,
    corpus_ids,
    get_corpus,
)
from serlib.data.corpora.base import name_parser
from serlib.data.domain_tables import load_domain_tables
from serlib.data.fetch import download_archive, extract_archive, fetch_corpus
from serlib.data.fewshot import few_label_subset
from serlib.data.folds import MIN_FOLDS, default_n_folds, fold_protocol_split, speaker_folds
from serlib.data.labels import (
    LABEL_SETS,
    MERGES,
    VOCABULARY,
    apply_label_set,
    encode_labels,
    label_set_classes,
    mapping_counts,
)
from serlib.data.metadata import (
    load_corpora,
    load_corpus,
    resolve_corpus_root,
    scan,
    summarize_corpus,
)
from serlib.data.plugins import (
    load_corpus_plugins,
    register_corpus,
    registered_root,
    unregister_corpus,
)
from serlib.data.registry import SOURCES, Archive, Source, get_source, manual_instructions
from serlib.data.root import cache_root, corpus_dir, data_root, ensure_writable
from serlib.data.scan import CorpusScan
from serlib.data.screen import ScreenResult, screen_audio
from serlib.data.split_io import load_split, save_split, split_id, utterance_keys
from serlib.data.splits import (
    PARTS,
    check_speaker_independent,
    fold_split,
    leaky_random_split,
    leave_one_speaker_out,
    speaker_split,
)
from serlib.data.synthetic import (
    EMOTIONS,
    METADATA_COLUMNS,
    SyntheticConfig,
    generate_corpus,
    synthetic_config,
)
from serlib.data.verify import VerificationReport, verify_corpus

__all__ = [
    "CORPORA",
    "EMOTIONS",
    "LABEL_SETS",
    "MERGES",
    "METADATA_COLUMNS",
    "MIN_FOLDS",
    "PARTS",
    "SOURCES",
    "VOCABULARY",
    "Archive",
    "AudioInfo",
    "CorpusScan",
    "CorpusSpec",
    "NameParseError",
    "ScreenResult",
    "Source",
    "SyntheticConfig",
    "Utterance",
    "VerificationReport",
    "apply_label_set",
    "audio_info",
    "cache_root",
    "check_speaker_independent",
    "corpus_dir",
    "corpus_ids",
    "data_root",
    "default_n_folds",
    "download_archive",
    "encode_labels",
    "ensure_writable",
    "extract_archive",
    "fetch_corpus",
    "few_label_subset",
    "fold_protocol_split",
    "fold_split",
    "generate_corpus",
    "get_corpus",
    "get_source",
    "label_set_classes",
    "leaky_random_split",
    "leave_one_speaker_out",
    "load_audio",
    "load_corpora",
    "load_corpus",
    "load_corpus_plugins",
    "load_domain_tables",
    "load_split",
    "manual_instructions",
    "mapping_counts",
    "name_parser",
    "register_corpus",
    "registered_root",
    "resolve_corpus_root",
    "save_split",
    "scan",
    "screen_audio",
    "speaker_folds",
    "speaker_split",
    "split_id",
    "summarize_corpus",
    "synthetic_config",
    "unregister_corpus",
    "utterance_keys",
    "verify_corpus",
]

# plug-ins named in $SERLIB_CORPUS_PLUGINS or published as "serlib.corpora" entry points;
# one that fails is a warning, never a failed import (serlib.data.plugins)
load_corpus_plugins(strict=False)
