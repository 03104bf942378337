"""Fetch a corpus: download its official archive (or import a folder you have), extract it
into a staging folder, verify it, and only then move it into place.

The staging folder ``<data root>/.<id>.partial`` carries a marker file while it is filled,
so neither a killed download (pooch writes to a temporary file and renames it when complete)
nor a killed extraction ever leaves anything at ``<data root>/<id>`` that
:func:`serlib.data.load_corpus` accepts; the next fetch restarts cleanly. Downloads are
cached under ``$SERLIB_CACHE/downloads/<id>/`` and checked against the publisher's hash
where one is documented (:mod:`serlib.data.registry`).

Chapter: book/02_corpora.md
"""

from __future__ import annotations

import os
import shutil
import tarfile
import zipfile
from pathlib import Path

from tqdm.auto import tqdm

from serlib.data.corpora import get_corpus
from serlib.data.download import download_file
from serlib.data.metadata import resolve_corpus_root
from serlib.data.registry import Archive, get_source, manual_instructions
from serlib.data.root import cache_root, data_root
from serlib.data.scan import INCOMPLETE_MARKER
from serlib.data.verify import verify_corpus
from serlib.errors import CorpusNotFoundError, DownloadError

__all__ = ["download_archive", "extract_archive", "fetch_corpus"]

PathLike = str | os.PathLike[str]


def download_archive(archive: Archive, folder: PathLike, *, corpus: str = "",
                     progress: bool = True, timeout: float = 60.0) -> Path:
    """Download ``archive`` into ``folder`` (cached; hash-checked when a hash is known).

    Raises:
        DownloadError: the URL could not be fetched (the message says how to work offline).
        ChecksumError: the file does not have the published hash (it is deleted).
    """
    folder = Path(folder)
    hint = (f"get the archive elsewhere and either put it at {folder / archive.filename} "
            f"or unpack it and run `serlib data fetch {corpus or '<id>'} --from-dir DIR`")
    return download_file(archive.url, folder, filename=archive.filename,
                         known_hash=archive.known_hash, what=f"the {corpus or 'corpus'} archive",
                         offline_hint=hint, progress=progress, timeout=timeout)


def _safe_target(dest: Path, name: str) -> Path:
    target = (dest / name).resolve()
    if not target.is_relative_to(dest.resolve()):
        raise DownloadError(f"archive member {name!r} would be written outside {dest}; "
                            "refusing to extract a malicious or broken archive")
    return target


def extract_archive(archive: PathLike, dest: PathLike, *, progress: bool = True) -> None:
    """Extract a zip or tar archive into ``dest`` (members outside ``dest`` are refused)."""
    archive, dest = Path(archive), Path(dest)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for info in tqdm(zf.infolist(), desc=f"extracting {archive.name}", unit="file",
                             disable=None if progress else True):
                target = _safe_target(dest, info.filename)
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tf:
            for member in tqdm(tf.getmembers(), desc=f"extracting {archive.name}",
                               unit="file", disable=None if progress else True):
                target = _safe_target(dest, member.name)
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                elif member.isfile():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    src = tf.extractfile(member)
                    assert src is not None
                    with src, open(target, "wb") as out:
                        shutil.copyfileobj(src, out)
    else:
        raise DownloadError(f"{archive} is neither a zip nor a tar archive (an HTML error page "
                            "instead of the file?); delete it and fetch again")


def _copy_tree(src: Path, dest: Path, *, progress: bool) -> None:
    files = [Path(d) / f for d, _, fs in os.walk(src) for f in fs]
    for path in tqdm(files, desc=f"importing {src}", unit="file",
                     disable=None if progress else True):
        target = dest / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


def fetch_corpus(corpus: str, *, dest_root: PathLike | None = None,
                 from_dir: PathLike | None = None, force: bool = False, verify: bool = True,
                 progress: bool = True) -> Path:
    """Put a verified copy of ``corpus`` at ``<dest_root>/<id>`` and return that folder.

    Args:
        corpus: a corpus id.
        dest_root: default :func:`serlib.data.data_root` (must be writable).
        from_dir: import this folder (the unpacked archive or a copy of the audio) instead of
            downloading; the only way to get a ``manual`` corpus.
        force: replace an existing copy.
        verify: check file and per-emotion counts before installing (default; turn off only
            for a copy you know to differ from the published one).
        progress: progress bars on a terminal.

    Raises:
        CorpusNotFoundError: manual corpus without ``from_dir`` (the message says where to
            get it), or a ``from_dir`` that does not hold the corpus.
        DownloadError, ChecksumError: the download failed or was corrupt.
        CorpusVerificationError: the extracted or imported copy is incomplete.
    """
    spec = get_corpus(corpus)
    dest_root = Path(dest_root) if dest_root is not None else data_root()
    final = dest_root / spec.id
    if final.is_dir() and not force:
        if verify:
            verify_corpus(spec.id, final, progress=progress)
        return final
    if from_dir is None and spec.fetch == "manual":
        raise CorpusNotFoundError(f"{spec.id} cannot be downloaded by serlib: "
                                  + manual_instructions(spec.id))
    try:
        dest_root.mkdir(parents=True, exist_ok=True)
        staging = dest_root / f".{spec.id}.partial"
        if staging.exists():
            shutil.rmtree(staging)  # left by a killed run: restart cleanly
        staging.mkdir()
        (staging / INCOMPLETE_MARKER).write_text("serlib is filling this folder\n")
    except OSError as err:
        raise CorpusNotFoundError(
            f"cannot write the corpus into {dest_root} ({err.strerror or err}); install it "
            "into a writable data root: `serlib data fetch "
            f"{spec.id} --dest DIR` on the command line (dest_root=DIR in Python), or set "
            "SERLIB_DATA=DIR") from None
    try:
        if from_dir is not None:
            src = resolve_corpus_root(spec.id, from_dir)
            if verify:
                verify_corpus(spec.id, src, progress=progress)  # refuse a half copy up front
            _copy_tree(src, staging, progress=progress)
        else:
            folder = cache_root() / "downloads" / spec.id
            for archive in get_source(spec.id).archives:
                path = download_archive(archive, folder, corpus=spec.id, progress=progress)
                extract_archive(path, staging, progress=progress)
        (staging / INCOMPLETE_MARKER).unlink()
        if verify:
            verify_corpus(spec.id, staging, progress=progress)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if final.exists():
        old = dest_root / f".{spec.id}.old"
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
        os.replace(staging, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, final)
    return final
