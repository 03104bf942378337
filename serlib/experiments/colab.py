"""Colab: keep serlib's cache on Google Drive, so that it outlives a session.

Chapter: book/04_source_models.md
"""

from __future__ import annotations

__all__ = ["colab_cache"]


def colab_cache(folder: str = "/content/drive/MyDrive/serlib-cache", *,
                mount: bool = True) -> str | None:
    """On Colab, put ``$SERLIB_CACHE`` on Google Drive so that it outlives the session.

    The cache holds log-mels, source models, results and the checkpoints that let a run
    resume after a disconnect; on Colab's own disk all of that is lost when the session ends.
    Call it in a notebook's first cell, before anything of serlib reads the cache::

        from serlib.experiments.colab import colab_cache
        colab_cache()  # asks once for access to your Drive

    Args:
        folder: the folder on the mounted Drive.
        mount: mount Drive (``google.colab.drive.mount``) if it is not mounted yet.

    Returns:
        The cache folder now in ``$SERLIB_CACHE``; None outside Colab (nothing changes) or
        when ``$SERLIB_CACHE`` is already set (it is kept).
    """
    import os

    try:
        from google.colab import drive  # type: ignore[import-not-found]
    except ImportError:
        return None
    if os.environ.get("SERLIB_CACHE"):
        return None
    if mount and not os.path.isdir("/content/drive/MyDrive"):
        drive.mount("/content/drive")
    os.makedirs(folder, exist_ok=True)
    os.environ["SERLIB_CACHE"] = folder
    print(f"SERLIB_CACHE={folder} (on your Drive: caches and checkpoints survive the session)")
    return folder
