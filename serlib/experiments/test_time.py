"""Test-time information: every setting that lets a run see unlabelled target data, as a table.

A run is scored on target test recordings. What it may *know* about them besides the one
recording it classifies is set by four settings, each one entry of :data:`TEST_TIME`:

- ``frames``: whose statistics correct the frames of a frozen trunk (``byols_embed``):
  ``none`` (source statistics only), ``utterance`` (the recording's own), ``domain`` (the
  unlabelled target pool as a whole) or ``speaker`` (each test speaker's own utterances);
- ``normalize``: whose statistics standardise the model's inputs or embeddings: ``none``,
  ``utterance``, ``max`` (each log-mel image by its maximum, VGG), ``source`` (source
  train), ``target`` (each domain's own) or ``speaker`` (each speaker's own);
- ``adabn``: BatchNorm statistics re-estimated on the unlabelled target training pool;
- ``refine``: ``none`` or ``speaker_centroids`` (each test speaker's utterances re-labelled
  by their own class centroids).

Each entry owns its valid values, its check, and which information class each value needs.
From them :func:`test_time_info` derives a run's **test-time information**, one of
:data:`TEST_TIME_INFO` (never typed by hand):

- ``inductive``: one recording at a time, source statistics only;
- ``target domain``: the unlabelled target pool as a whole;
- ``target speaker``: several unlabelled utterances of the same test speaker at once.

Backbones declare the values they support (``Backbone.test_time``); an unsupported
combination is a :class:`~serlib.errors.ConfigError` when the config is read
(:func:`check_supported`). Training on unlabelled target data (MMD, pseudo-labels) is a
property of the *method*, not of test time: such a model still classifies one recording at
a time.

Chapter: book/09_beyond.md
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from serlib.errors import ConfigError

__all__ = ["ASSUMES", "FRAMES", "NORMALIZE", "REFINE", "TEST_TIME", "TEST_TIME_INFO",
           "TestTimeInfo", "TestTimeSetting", "check_supported", "check_test_time_point",
           "describe_point", "inductive_first", "test_time_info"]

#: the information classes, from least to most target information
TEST_TIME_INFO = ("inductive", "target domain", "target speaker")
TestTimeInfo = Literal["inductive", "target domain", "target speaker"]
#: what each information class assumes at test time (the chapters' sentences say it)
ASSUMES: dict[str, str] = {
    "inductive": "one recording at a time and nothing of the target",
    "target domain": "the unlabelled target recordings as a whole at test time",
    "target speaker": "several unlabelled recordings of each test speaker at test time"}
#: ``frames`` values
FRAMES = Literal["none", "utterance", "domain", "speaker"]
#: ``normalize`` values
NORMALIZE = Literal["none", "utterance", "max", "source", "target", "speaker"]
#: ``refine`` values
REFINE = Literal["none", "speaker_centroids"]


@dataclass(frozen=True)
class TestTimeSetting:
    """One test-time setting: its values, the information each needs, and what it changes.

    Attributes:
        name: the config key.
        needs: valid value → the information class it needs (one of ``TEST_TIME_INFO``).
        source_model: True if the setting changes the source model's inputs (then it is
            part of the source model's cache key); False if it acts after training.
        doc: one line for the plan and the docs.
    """

    __test__ = False  # not a pytest class

    name: str
    needs: Mapping[Any, str]
    source_model: bool
    doc: str

    @property
    def values(self) -> tuple[Any, ...]:
        """The valid values."""
        return tuple(self.needs)

    def check(self, value: Any, where: str) -> Any:
        """``value`` if valid.

        Raises:
            ConfigError: naming the key, the value and the valid ones.
        """
        if not any(value == v and type(value) is type(v) for v in self.needs):
            raise ConfigError(f"{where}: {self.name}={value!r}; use one of "
                              f"{list(self.values)}")
        return value


#: every test-time setting (the grid axis ``test_time`` sets several at once)
TEST_TIME: dict[str, TestTimeSetting] = {
    "frames": TestTimeSetting(
        "frames", {"none": "inductive", "utterance": "inductive", "domain": "target domain",
                   "speaker": "target speaker"}, True,
        "statistics that correct a frozen trunk's frames (none = source statistics only)"),
    "normalize": TestTimeSetting(
        "normalize", {"none": "inductive", "utterance": "inductive", "max": "inductive",
                      "source": "inductive", "target": "target domain",
                      "speaker": "target speaker"}, True,
        "statistics that standardise the model's inputs or embeddings"),
    "adabn": TestTimeSetting(
        "adabn", {False: "inductive", True: "target domain"}, False,
        "BatchNorm statistics re-estimated on the unlabelled target training pool"),
    "refine": TestTimeSetting(
        "refine", {"none": "inductive", "speaker_centroids": "target speaker"}, False,
        "test predictions re-labelled by each test speaker's own class centroids"),
}


def test_time_info(values: Mapping[str, Any]) -> str:
    """The test-time information of a run's settings: the most any of them needs.

    Args:
        values: test-time setting → value (missing settings count as inductive).

    Example:
        >>> test_time_info({"frames": "none", "normalize": "source", "refine": "none"})
        'inductive'
        >>> test_time_info({"frames": "speaker", "normalize": "source"})
        'target speaker'
    """
    rank = 0
    for name, value in values.items():
        setting = TEST_TIME[name]
        rank = max(rank, TEST_TIME_INFO.index(setting.needs[setting.check(value, name)]))
    return TEST_TIME_INFO[rank]


test_time_info.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def check_test_time_point(point: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A mapping of test-time settings (an entry of the ``test_time`` axis), checked.

    Raises:
        ConfigError: an unknown key, or an invalid value.
    """
    if not isinstance(point, Mapping) or not point:
        raise ConfigError(f"{where}: {point!r}; each entry is a mapping of test-time settings "
                          f"({list(TEST_TIME)}), e.g. {{frames: none, normalize: source}}")
    unknown = sorted(set(point) - set(TEST_TIME))
    if unknown:
        raise ConfigError(f"{where}: unknown test-time setting(s) {unknown}; valid keys are "
                          f"{list(TEST_TIME)}")
    return {k: TEST_TIME[k].check(v, f"{where}") for k, v in point.items()}


def check_supported(backbone: str, supports: Mapping[str, tuple[Any, ...]],
                    point: Mapping[str, Any], where: str) -> None:
    """Refuse a test-time value the backbone does not apply.

    Args:
        backbone: the backbone's name.
        supports: setting → the values the backbone applies (``Backbone.test_time``).
        point: setting → value of one run.
        where: names the config in the message.

    Raises:
        ConfigError: naming the setting, the value, the backbone and what it supports.
    """
    for name, value in point.items():
        allowed = supports.get(name, ())
        if value not in allowed:
            raise ConfigError(f"{where}: {name}={value!r} is not applied by backbone "
                              f"{backbone!r}; it supports {name} in {list(allowed)}")


def describe_point(point: Mapping[str, Any]) -> str:
    """A test-time point in words: ``{frames: speaker, normalize: speaker}`` →
    ``"frames speaker, normalize speaker"``."""
    return ", ".join(f"{key} {value}" for key, value in point.items())


def inductive_first(table: Any) -> Any:
    """A results table (a ``pandas.DataFrame`` with ``test_time_info``) ordered by its rows'
    test-time information, the inductive ones first, stable within a class."""
    return table.sort_values("test_time_info", kind="stable",
                             key=lambda info: info.map(TEST_TIME_INFO.index))
