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
The table :data:`_EXPORTS` lists each one with the module it comes from; a name is imported
on first use, so that ``import serlib`` (and the ``serlib`` command) starts fast.

Chapter: book/intro.md
"""

from __future__ import annotations

from serlib._lazy import lazy_exports

__version__ = "0.1.0"

#: public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    # data
    "LABEL_SETS": "serlib.data",
    "METADATA_COLUMNS": "serlib.data",
    "apply_label_set": "serlib.data",
    "cache_root": "serlib.data",
    "data_root": "serlib.data",
    "fetch_corpus": "serlib.data",
    "few_label_subset": "serlib.data",
    "generate_corpus": "serlib.data",
    "leave_one_speaker_out": "serlib.data",
    "load_audio": "serlib.data",
    "load_corpus": "serlib.data",
    "save_split": "serlib.data",
    "speaker_split": "serlib.data",
    "split_id": "serlib.data",
    "synthetic_config": "serlib.data",
    "verify_corpus": "serlib.data",
    # features
    "LogMel": "serlib.features",
    "MelConfig": "serlib.features",
    "NormStats": "serlib.features",
    "UtteranceDataset": "serlib.features",
    "cached_embeddings": "serlib.features",
    "cached_log_mels": "serlib.features",
    "compute_log_mel": "serlib.features",
    "fit_norm_stats": "serlib.features",
    "make_loader": "serlib.features",
    "mel_preset": "serlib.features",
    "split_datasets": "serlib.features",
    # models
    "BYOLSClassifier": "serlib.models",
    "BYOLSEncoder": "serlib.models",
    "SmallCNN": "serlib.models",
    "VGG16Mel": "serlib.models",
    "load_byols_encoder": "serlib.models",
    # losses
    "entropy_regularizer": "serlib.losses",
    "hard_pseudo_label_loss": "serlib.losses",
    "mixup": "serlib.losses",
    "mmd2": "serlib.losses",
    "prior_regularizer": "serlib.losses",
    "soft_pseudo_label_loss": "serlib.losses",
    # train and adapt
    "METHODS": "serlib.adapt",
    "TrainConfig": "serlib.train",
    "build_step": "serlib.adapt",
    "fit": "serlib.train",
    "predict": "serlib.train",
    "seed_everything": "serlib.train",
    # evaluate and viz
    "chance_levels": "serlib.evaluate",
    "classification_report_df": "serlib.evaluate",
    "compute_metrics": "serlib.evaluate",
    "confusion_matrix_df": "serlib.evaluate",
    "metrics_with_ci": "serlib.evaluate",
    "summarize_seeds": "serlib.evaluate",
    "plot_confusion_matrix": "serlib.viz",
    "plot_log_mel": "serlib.viz",
    "plot_tsne": "serlib.viz",
    # experiments
    "AGARLA": "serlib.experiments",
    "BAKLOUTI": "serlib.experiments",
    "get_profile": "serlib.experiments",
    "load_model_bundle": "serlib.experiments",
    "run_experiment": "serlib.experiments",
    "save_model_bundle": "serlib.experiments",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
