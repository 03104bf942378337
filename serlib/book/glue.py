"""Glue a computed value into the chapter's prose (myst-nb's ``glue``, optional).

Chapter: book/06_cross_lingual_gap.md
"""

from __future__ import annotations

import math
from typing import Any

from serlib.errors import GlueRangeError

__all__ = ["GLUE_KINDS", "glue"]

#: The kinds of number a chapter may declare for a glued value, and the closed range each
#: allows (NaN is allowed: a value the profile did not compute). ``glue(..., kind=...)``
#: checks the value once, when it is glued, so a number outside its range fails the build
#: instead of reaching the prose (e.g. "12108 standard deviations", or a UAR of 130 %).
GLUE_KINDS: dict[str, tuple[float, float]] = {
    "percent": (0.0, 100.0),       # a UAR, an accuracy, a share, in %
    "fraction": (0.0, 1.0),        # the same as a fraction
    "count": (0.0, math.inf),      # utterances, labels, speakers, epochs
    "seconds": (0.0, math.inf),    # a duration
    "sd_distance": (0.0, 10.0),    # a distance in standard deviations: beyond 10 it is a
                                   # division by a (near-)constant dimension, not a distance
    "points": (-100.0, 100.0),     # a difference of two percentages, in points
}


def check_range(name: str, value: Any, kind: str) -> None:
    """Raise when ``value`` lies outside the range of ``kind`` (see :data:`GLUE_KINDS`).

    Raises:
        GlueRangeError: an unknown kind, a value that is not a number, or out of range.
    """
    if kind not in GLUE_KINDS:
        raise GlueRangeError(f"glue {name!r}: unknown kind {kind!r}; use one of "
                             f"{sorted(GLUE_KINDS)} (serlib.book.glue.GLUE_KINDS)")
    low, high = GLUE_KINDS[kind]
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise GlueRangeError(f"glue {name!r}: kind {kind!r} needs a number, got "
                             f"{value!r}") from None
    if not math.isnan(number) and not low <= number <= high:
        raise GlueRangeError(f"glue {name!r} = {number:g} lies outside [{low:g}, {high:g}], "
                             f"the range of a {kind!r} value: the computation that produced it "
                             "is wrong (check its units and its denominators)")


def glue(name: str, value: Any, display: bool = False, *, kind: str | None = None) -> None:
    """Store ``value`` under ``name`` for the page's ``{glue:text}`` / ``{glue:}`` roles.

    A thin wrapper around :func:`myst_nb.glue`: when myst-nb is installed (the book's build)
    the value is recorded in the cell's outputs, where Jupyter Book finds it without
    executing anything; when it is not (Google Colab, a plain Jupyter), nothing happens, so
    the same notebook runs everywhere. With ``display=False`` (the default) the cell shows
    nothing; the prose shows the value where it references it, e.g.
    ``the gap is {glue:text}`gap_06:.1f` UAR points``.

    Args:
        name: the key the prose uses; unique in the chapter. Prefix it with the chapter
            number (``gap_06``), so that pages can reference each other's values.
        value: any object (a NumPy or torch scalar becomes the Python number, so that
            the page shows ``0.5``, not ``np.float64(0.5)``); its plain-text representation
            is what ``{glue:text}`` shows, and a format spec after the name
            (``{glue:text}`gap_06:.1f```) formats numbers.
        display: also show the value in the cell's output.
        kind: what the number is (``"percent"``, ``"count"``, ``"sd_distance"``, ... see
            :data:`GLUE_KINDS`); the value must lie in that kind's range.

    Raises:
        ValueError: ``name`` is empty or holds characters a role cannot reference.
        GlueRangeError: ``kind`` is given and ``value`` lies outside its range.
    """
    if not name or not all(ch.isalnum() or ch in "_-" for ch in name):
        raise ValueError(f"glue name {name!r}: use letters, digits, '_' and '-' only "
                         "(e.g. 'gap_06')")
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        value = value.item()  # a NumPy/torch scalar: its plain repr is np.float64(...)
    if kind is not None:
        check_range(name, value, kind)
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # Colab or plain Jupyter: the prose is not rendered there
        if display:
            from IPython.display import display as show

            show(value)
        return
    myst_glue(name, value, display=display)
