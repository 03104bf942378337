"""Honest evaluation: WA, UAR, macro-F1, chance levels, bootstrap intervals, scoring a model
on a split, model selection by dev UAR, tables and comparisons over seeds, t-SNE and the
neighbourhoods of its maps, permutation tests of a domain shift, a speaker-level bootstrap,
pseudo-label quality, label-free validators.

Chapter: book/05_measuring.md
"""

from serlib.evaluate.bootstrap import bootstrap_ci, bootstrap_distribution, metrics_with_ci
from serlib.evaluate.comparison import comparison_table
from serlib.evaluate.encoding import encode_labels
from serlib.evaluate.metrics import METRICS, chance_levels, compute_metrics, metrics_from_confusion
from serlib.evaluate.neighbours import NeighbourShare, neighbour_share
from serlib.evaluate.paired import PairedComparison, paired_comparison, paired_verdict, sign_test
from serlib.evaluate.permutation import PermutationTest, mmd_permutation_test
from serlib.evaluate.pseudo_labels import pseudo_label_curve, pseudo_label_quality
from serlib.evaluate.ranking import (
    Ranking,
    paired_ranking,
    ranking_verdict,
    reference_verdict,
    versus_reference,
)
from serlib.evaluate.report import classification_report_df, confusion_matrix_df
from serlib.evaluate.scoring import SCORE_KEYS, score_predictions, score_split, uar_selection
from serlib.evaluate.seeds import format_mean_std, summarize_seeds
from serlib.evaluate.speaker_bootstrap import speaker_bootstrap_ci, speaker_bootstrap_distribution
from serlib.evaluate.tables import format_table, percent_columns, save_table_csv
from serlib.evaluate.tsne import compute_tsne, tsne_perplexity
from serlib.evaluate.validators import (
    choose_by,
    information_maximization,
    label_free_scores,
    prediction_entropy,
    rank_agreement,
    rank_correlation,
)

__all__ = [
    "METRICS",
    "SCORE_KEYS",
    "NeighbourShare",
    "PairedComparison",
    "PermutationTest",
    "Ranking",
    "bootstrap_ci",
    "bootstrap_distribution",
    "chance_levels",
    "choose_by",
    "classification_report_df",
    "comparison_table",
    "compute_metrics",
    "compute_tsne",
    "confusion_matrix_df",
    "encode_labels",
    "format_mean_std",
    "format_table",
    "information_maximization",
    "label_free_scores",
    "metrics_from_confusion",
    "metrics_with_ci",
    "mmd_permutation_test",
    "neighbour_share",
    "paired_comparison",
    "paired_ranking",
    "paired_verdict",
    "percent_columns",
    "prediction_entropy",
    "pseudo_label_curve",
    "pseudo_label_quality",
    "rank_agreement",
    "rank_correlation",
    "ranking_verdict",
    "reference_verdict",
    "save_table_csv",
    "score_predictions",
    "score_split",
    "sign_test",
    "speaker_bootstrap_ci",
    "speaker_bootstrap_distribution",
    "summarize_seeds",
    "tsne_perplexity",
    "uar_selection",
    "versus_reference",
]
