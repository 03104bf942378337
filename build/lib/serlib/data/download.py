"""Download one file with pooch: cached, hash-checked, and failing fast and clearly offline.

Every download in serlib (corpus archives, pretrained weights) goes through
:func:`download_file`, so that all of them behave the same: the file is written to a
temporary name and renamed when complete (pooch), a known hash is checked (a mismatching
file is deleted), and a failure raises :class:`~serlib.errors.DownloadError` naming the URL
and what to do on a machine without internet.

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import os
from pathlib import Path

import pooch
import requests

from serlib.data.root import ensure_writable
from serlib.errors import ChecksumError, DownloadError

__all__ = ["download_file"]


def download_file(url: str, folder: str | os.PathLike[str], *, filename: str,
                  known_hash: str | None, what: str, offline_hint: str,
                  progress: bool = True, timeout: float = 60.0) -> Path:
    """Download ``url`` to ``folder/filename`` once and return the local path.

    Args:
        url: the address.
        folder: where to keep the file (created if needed).
        filename: the local file name.
        known_hash: ``"md5:..."``/``"sha256:..."`` as published, or None when unpublished.
        what: what is downloaded, for messages (e.g. ``"the EmoDB archive"``).
        offline_hint: the offline alternative, completing "If this machine is offline, ...".
        progress: show a progress bar.
        timeout: seconds to wait for the server.

    Raises:
        CacheError: ``folder`` cannot be written (checked first: not reported as offline).
        DownloadError: the URL could not be fetched; the message gives ``offline_hint``.
        ChecksumError: the file does not have the published hash (it is deleted).
    """
    if not (Path(folder) / filename).is_file():  # an existing copy may sit in a read-only dir
        ensure_writable(folder, what=what)
    try:
        path = pooch.retrieve(url, known_hash=known_hash, fname=filename, path=Path(folder),
                              progressbar=progress,
                              downloader=pooch.HTTPDownloader(progressbar=progress,
                                                              timeout=timeout))
    except ValueError as err:
        raise ChecksumError(f"{url}: {what} does not match the published hash {known_hash} "
                            f"({err}); it was deleted: try again") from None
    except (requests.RequestException, OSError) as err:
        raise DownloadError(f"could not download {what} from {url} ({type(err).__name__}: "
                            f"{err}). If this machine is offline, {offline_hint}") from None
    return Path(path)
