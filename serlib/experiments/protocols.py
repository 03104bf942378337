"""Evaluation protocols as a table: how a target is split, and what each protocol needs.

- ``paper``: the target split 60/20/20 by speaker (Agarla et al.): one run per grid point;
- ``speaker_folds``: every target speaker tested exactly once (one run per fold; dev and
  the labelled subset from the other speakers; see :mod:`serlib.data.folds`);
- ``all_test``: every target utterance is a test utterance; nothing of the target trains
  or selects a model, so only methods that never touch the target run (zero-shot), on any
  target, even one with a single speaker.

Each entry says what it needs (:attr:`Protocol.min_speakers`) and which methods it can
run (:meth:`Protocol.runs`). A target that cannot meet the protocol is reported once in
the plan, with the protocols that can run it (:func:`protocol_note`). Fold counts are per
target: ``n_folds`` (a number for every target, or a mapping target → number) or, when
unset, :func:`serlib.data.default_n_folds` of the target's speakers (from the corpus
registry, the synthetic config, or, when the registry has no count, the corpus on disk).

Chapter: book/05_measuring.md
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from serlib.adapt.methods import Method
from serlib.errors import ConfigError, CorpusNotFoundError

if TYPE_CHECKING:
    from serlib.experiments.config import ExperimentConfig

__all__ = ["PROTOCOLS", "Protocol", "ProtocolName", "get_protocol", "protocol_note",
           "target_fold_count", "target_speakers"]

ProtocolName = Literal["paper", "speaker_folds", "all_test"]


@dataclass(frozen=True)
class Protocol:
    """One evaluation protocol (see the module docstring).

    Attributes:
        name: its ``protocol`` value.
        min_speakers: target speakers it needs.
        target_train: whether the target has train and dev parts (methods may train and
            select on the target); False: every target utterance is tested.
        folds: whether the protocol runs once per speaker fold.
        doc: one line for messages.
    """

    name: str
    min_speakers: int
    target_train: bool
    folds: bool
    doc: str

    def runs(self, method: Method) -> bool:
        """Whether ``method`` can run: without target train data only a method that
        never touches the target can."""
        return self.target_train or (method.target_labels == "none"
                                     and method.unlabelled == "none")


#: every protocol, by its ``protocol`` value
PROTOCOLS: dict[str, Protocol] = {
    "paper": Protocol("paper", 3, True, False,
                      "target split 60/20/20 by speaker (train, dev, test)"),
    "speaker_folds": Protocol("speaker_folds", 3, True, True,
                              "every target speaker tested once (one run per fold)"),
    "all_test": Protocol("all_test", 1, False, False,
                         "every target utterance tested; only methods that never touch the "
                         "target (zero-shot)"),
}


def get_protocol(name: str) -> Protocol:
    """The protocol called ``name``.

    Raises:
        ConfigError: unknown name (lists the valid ones).
    """
    if name not in PROTOCOLS:
        raise ConfigError(f"protocol={name!r}; use one of {list(PROTOCOLS)}")
    return PROTOCOLS[name]


def target_speakers(config: ExperimentConfig, target: str) -> int | None:
    """The number of speakers of a target domain: the registry's (or the synthetic
    config's) count, else those of the corpus on disk; None: unknown and not on disk."""
    from serlib.data import CORPORA, load_corpus, synthetic_config

    if config.data == "synthetic":
        return int(synthetic_config(config.synthetic, **dict(config.synthetic_overrides))
                   .speakers_per_language)
    total = 0
    for part in target.split("+"):
        corpus = part.rstrip("?")
        count = CORPORA[corpus].speakers if corpus in CORPORA else None
        if count is None:
            try:
                count = int(load_corpus(corpus, progress=False)["speaker"].nunique())
            except (CorpusNotFoundError, OSError, KeyError):
                if part.endswith("?"):
                    continue
                return None
        total += int(count)
    return total


def target_fold_count(config: ExperimentConfig, target: str,
                      n_speakers: int | None) -> int | None:
    """The number of speaker folds of ``target`` (see the module docstring); None: the
    speakers are unknown and nothing overrides the count.

    Raises:
        ConfigError: a fold count larger than the target's speakers.
    """
    from serlib.data import default_n_folds

    override = config.n_folds
    if isinstance(override, Mapping):
        override = override.get(target)
    if override is None:
        return None if n_speakers is None else default_n_folds(n_speakers)
    if n_speakers is not None and override > n_speakers:
        raise ConfigError(f"{config.name}: n_folds={override} for target {target!r}, which has "
                          f"{n_speakers} speakers; use at most {n_speakers} (or null)")
    return int(override)


def protocol_note(protocol: Protocol, target: str, n_speakers: int) -> str:
    """The one plan line for a target that cannot meet ``protocol``."""
    able = [p.name for p in PROTOCOLS.values() if p.min_speakers <= n_speakers]
    return (f"target {target!r} has {n_speakers} speaker(s); protocol {protocol.name!r} needs "
            f"at least {protocol.min_speakers}, so its runs are left out; protocols that can "
            f"run it: {able}")
