"""serlib: cross-lingual, low-resource speech emotion recognition with domain adaptation.

The library behind the book *Speech Emotion Recognition Across Languages*. Its layers, from
the bottom up (imports point downwards only):

- :mod:`serlib.data`: corpora, harmonised labels, speaker-independent splits, audio I/O,
  downloads, and the synthetic corpus;
- :mod:`serlib.features`: log-mel front-ends, batching, crops, normalisation, caches;
- :mod:`serlib.models`: SmallCNN, VGG16 on log-mel images, the BYOL-S encoder;
- :mod:`serlib.losses`: MMD, pseudo-label losses, mixup, gradient reversal;
- :mod:`serlib.train`: the training engine (``fit``), checkpoints, inference;
- :mod:`serlib.adapt`: the adaptation methods as step functions, and their table;
- :mod:`serlib.evaluate` and :mod:`serlib.viz`: metrics, intervals, tables and figures;
- :mod:`serlib.experiments`: profiles, recipes, backbones, the experiment runner, bundles;
- :mod:`serlib.cli`: the ``serlib`` command.

The most used names are re-exported here, e.g. ``serlib.load_corpus`` or ``serlib.fit``.
The table :data:`_MODULES` lists each module with the names it gives; a name is imported
on first use, so that ``import serlib`` (and the ``serlib`` command) starts fast.

Chapter: book/intro.md
"""

from __future__ import annotations

from serlib._lazy import lazy_exports

__version__ = "0.1.0"

#: module -> the public names it defines that this package re-exports (imported on first use)
_MODULES: dict[str, tuple[str, ...]] = {
    "serlib.adapt": ("METHODS", "build_step"),
    "serlib.data": (
        "LABEL_SETS", "METADATA_COLUMNS", "apply_label_set", "cache_root", "data_root",
        "fetch_corpus", "few_label_subset", "generate_corpus", "leave_one_speaker_out",
        "load_audio", "load_corpus", "save_split", "speaker_split", "split_id", "synthetic_config",
        "verify_corpus",
    ),
    "serlib.evaluate": (
        "chance_levels", "classification_report_df", "compute_metrics", "confusion_matrix_df",
        "metrics_with_ci", "score_split", "summarize_seeds", "uar_selection",
    ),
    "serlib.experiments": (
        "AGARLA", "BAKLOUTI", "Study", "get_profile", "load_model_bundle", "run_experiment",
        "save_model_bundle",
    ),
    "serlib.features": (
        "LogMel", "MelConfig", "NormStats", "UtteranceDataset", "cached_embeddings",
        "cached_log_mels", "compute_log_mel", "fit_norm_stats", "make_loader", "mel_preset",
        "split_datasets",
    ),
    "serlib.losses": (
        "entropy_regularizer", "hard_pseudo_label_loss", "mixup", "mmd2", "prior_regularizer",
        "soft_pseudo_label_loss",
    ),
    "serlib.models": (
        "BYOLSClassifier", "BYOLSEncoder", "SmallCNN", "VGG16Mel", "load_byols_encoder",
    ),
    "serlib.train": ("TrainConfig", "fit", "predict", "seed_everything"),
    "serlib.viz": ("plot_confusion_matrix", "plot_log_mel", "plot_tsne"),
}

__getattr__, __dir__ = lazy_exports(__name__, _MODULES, globals())
__all__ = ["__version__", *sorted(name for names in _MODULES.values() for name in names)]
