"""Glue a computed value into the chapter's prose (myst-nb's ``glue``, optional).

Chapter: book/06_cross_lingual_gap.md
"""

from __future__ import annotations

from typing import Any

__all__ = ["glue"]


def glue(name: str, value: Any, display: bool = False) -> None:
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

    Raises:
        ValueError: ``name`` is empty or holds characters a role cannot reference.
    """
    if not name or not all(ch.isalnum() or ch in "_-" for ch in name):
        raise ValueError(f"glue name {name!r}: use letters, digits, '_' and '-' only "
                         "(e.g. 'gap_06')")
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        value = value.item()  # a NumPy/torch scalar: its plain repr is np.float64(...)
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # Colab or plain Jupyter: the prose is not rendered there
        if display:
            from IPython.display import display as show

            show(value)
        return
    myst_glue(name, value, display=display)
