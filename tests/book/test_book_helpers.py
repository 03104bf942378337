"""serlib.book: glue (with and without myst-nb) and the chapter's stopwatch."""

from __future__ import annotations

import builtins
import sys

import pytest

from serlib.book import Stopwatch, cpu_threads, format_seconds, glue


def test_format_seconds() -> None:
    assert format_seconds(0) == "0 s"
    assert format_seconds(42.4) == "42 s"
    assert format_seconds(185) == "3 min 05 s"
    assert format_seconds(3720) == "1 h 02 min"
    with pytest.raises(ValueError, match="finite"):
        format_seconds(float("nan"))
    with pytest.raises(ValueError, match="finite"):
        format_seconds(-1)


def test_stopwatch_reports_its_profile_and_threads(monkeypatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert cpu_threads() == 3
    watch = Stopwatch()
    assert watch.seconds >= 0
    text = watch.report("smoke")
    assert text.startswith("This chapter ran in ") and 'PROFILE = "smoke"' in text


def test_glue_records_a_hidden_value_for_myst_nb(monkeypatch) -> None:
    pytest.importorskip("myst_nb")
    shown = []
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: shown.append((a, k)))
    import myst_nb.ext.glue as myst_glue

    monkeypatch.setattr(myst_glue, "ipy_display", lambda *a, **k: shown.append((a, k)))
    glue("gap_06", 12.5)
    (args, kwargs), = shown
    bundle = args[0]
    assert kwargs["metadata"]["scrapbook"]["name"] == "gap_06"
    assert all(key.startswith("application/papermill.record/") for key in bundle)


def test_glue_does_nothing_without_myst_nb(monkeypatch) -> None:
    real_import = builtins.__import__

    def no_myst(name, *args, **kwargs):
        if name.startswith("myst_nb"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: shown.append(a))
    monkeypatch.delitem(sys.modules, "myst_nb", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_myst)
    assert glue("gap_06", 1.0) is None  # no error ...
    assert shown == []  # ... and nothing shown
    glue("gap_06", 2.0, display=True)  # display=True shows the value itself
    assert shown == [(2.0,)]


@pytest.mark.parametrize("name", ["", "a b", "gap::06"])
def test_glue_rejects_names_a_role_cannot_reference(name: str) -> None:
    with pytest.raises(ValueError, match="glue name"):
        glue(name, 1)


def test_glue_shows_numpy_scalars_as_plain_numbers(monkeypatch) -> None:
    pytest.importorskip("myst_nb")
    import myst_nb.ext.glue as myst_glue
    import numpy as np

    shown = []
    monkeypatch.setattr(myst_glue, "ipy_display", lambda *a, **k: shown.append((a, k)))
    glue("uar_06", np.float64(0.625))
    (args, _), = shown
    assert "0.625" in str(args[0]) and "np.float64" not in str(args[0])


@pytest.mark.parametrize(("kind", "value"), [("percent", 130.0), ("percent", -1.0),
                                              ("count", -3), ("sd_distance", 12108.24),
                                              ("fraction", 1.5)])
def test_glue_refuses_a_value_outside_its_kinds_range(kind: str, value: float) -> None:
    from serlib.errors import GlueRangeError

    with pytest.raises(GlueRangeError, match="outside"):
        glue("x_09", value, kind=kind)


def test_glue_accepts_values_in_range_and_nan() -> None:
    from serlib.book import GLUE_KINDS

    for kind, (low, _) in GLUE_KINDS.items():
        glue("x_09", low, kind=kind)
        glue("x_09", float("nan"), kind=kind)
    with pytest.raises(ValueError, match="unknown kind"):
        glue("x_09", 1.0, kind="percentage")
