"""The on-disk side of the feature caches: checksummed entries and file content digests.

An entry is one array in NumPy's ``.npy`` format followed by a 12-byte trailer: the magic
``SERLIBC2`` and the CRC-32 of the ``.npy`` bytes (``np.load`` still reads the file).
:func:`read_entry` returns ``None`` (and logs why) for a missing, truncated, overwritten or
otherwise corrupt
entry, or one that fails the caller's check (shape, finiteness), so that the caller
recomputes it; :func:`write_entry` writes atomically (temporary file, then rename).

:class:`FileDigests` gives the SHA-256 of an audio file's bytes, the part of a cache key that
says *which content* was processed. Hashing every file again on a warm run would cost more
than loading the cached features, so digests are remembered in ``file-digests.json`` with
the file's size, modification time, change time (``st_ctime_ns``) and inode: a file whose
bytes change gets a new change time (restoring the modification time with ``touch -r`` or
``os.utime`` still updates it), so a changed file is always hashed again. A damaged
``file-digests.json`` (not JSON, or JSON of the wrong shape) is never trusted: it is
discarded with a warning and rebuilt; a malformed entry is hashed again.

Chapter: book/03_log_mel.md
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from serlib.atomic import atomic_path
from serlib.integrity import file_sha256

__all__ = ["FileDigests", "file_sha256", "read_entry", "write_entry"]

log = logging.getLogger(__name__)

_MAGIC = b"SERLIBC2"
_TRAILER = len(_MAGIC) + 4  # magic + CRC-32 (little endian)


def _crc(data: bytes | memoryview) -> bytes:
    return zlib.crc32(data).to_bytes(4, "little")


def write_entry(path: str | os.PathLike[str], array: np.ndarray) -> Path:
    """Write ``array`` with its checksum to ``path``, atomically."""
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array, order="C"), allow_pickle=False)
    body = buffer.getvalue()
    with atomic_path(path) as tmp:
        tmp.write_bytes(body + _MAGIC + _crc(body))
    return Path(path)


_HEADER = re.compile(rb"\{'descr': '([<>|]?[a-z][0-9]+)', 'fortran_order': False, "
                     rb"'shape': \(([0-9, ]*)\), \}")


def _parse_npy(body: memoryview) -> np.ndarray:
    """An array from ``.npy`` bytes: a fast path for the C-ordered version-1 headers that
    :func:`write_entry` writes (no ``ast`` parsing), NumPy's reader otherwise."""
    if bytes(body[:8]) == b"\x93NUMPY\x01\x00":
        size = int.from_bytes(body[8:10], "little")
        match = _HEADER.match(bytes(body[10 : 10 + size]))
        if match is not None:
            shape = tuple(int(n) for n in match.group(2).split(b",") if n.strip())
            array = np.frombuffer(body, dtype=match.group(1).decode(), offset=10 + size)
            return array.reshape(shape)  # raises ValueError if the data is short
    return np.load(io.BytesIO(body), allow_pickle=False)


def read_entry(path: str | os.PathLike[str],
               check: Callable[[np.ndarray], str | None] | None = None) -> np.ndarray | None:
    """The array stored at ``path``, or ``None`` if it is missing or cannot be trusted.

    Args:
        path: an entry written by :func:`write_entry`.
        check: returns a reason to reject a well-formed array (e.g. a wrong shape or NaN),
            or ``None`` to accept it.

    Returns:
        The array (backed by the bytes read, no further copy), or None.
    """
    try:
        with open(path, "rb") as handle:
            data = memoryview(bytearray(os.fstat(handle.fileno()).st_size))
            handle.readinto(data)  # a writable buffer: the array can back a tensor
    except FileNotFoundError:
        return None
    except OSError as err:  # a folder, no permission, an I/O error: recompute
        log.warning("unreadable feature cache entry %s (%s): recomputing it", path, err)
        return None
    reason = None
    body, trailer = data[:-_TRAILER], bytes(data[-_TRAILER:])
    if len(data) <= _TRAILER or trailer[: len(_MAGIC)] != _MAGIC:
        reason = "truncated or not a serlib cache entry"
    elif _crc(body) != trailer[len(_MAGIC):]:
        reason = "checksum mismatch"
    else:
        try:
            array = _parse_npy(body)
        except (ValueError, OSError, EOFError, SyntaxError) as err:
            reason = f"unreadable ({err})"
        else:
            reason = check(array) if check is not None else None
            if reason is None:
                return array
    log.warning("corrupt feature cache entry %s (%s): recomputing it", path, reason)
    return None


def _valid_record(record: object) -> bool:
    """``[size, mtime_ns, ctime_ns, inode, sha256 hex]``."""
    return (isinstance(record, list) and len(record) == 5
            and all(isinstance(n, int) and not isinstance(n, bool) for n in record[:4])
            and isinstance(record[4], str) and len(record[4]) == 64
            and all(c in "0123456789abcdef" for c in record[4]))


class FileDigests:
    """SHA-256 of audio files, remembered across runs while a file is unchanged.

    Args:
        folder: where ``file-digests.json`` lives (the cache folder).
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.path = Path(folder) / "file-digests.json"
        self._known: dict[str, list] = {}
        self._changed = False
        try:
            known = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as err:  # ValueError: not UTF-8, not JSON
            log.warning("damaged %s (%s): discarding it; files will be hashed again",
                        self.path, err)
            self._changed = True
            return
        if not isinstance(known, dict):
            log.warning("damaged %s (a JSON %s, not a mapping): discarding it; files will be "
                        "hashed again", self.path, type(known).__name__)
            self._changed = True
            return
        self._known = {k: v for k, v in known.items() if _valid_record(v)}
        if len(self._known) != len(known):
            log.warning("%s: ignoring %d malformed entries (they are hashed again)",
                        self.path, len(known) - len(self._known))
            self._changed = True

    def digest(self, path: str | os.PathLike[str]) -> str:
        """SHA-256 of ``path``'s bytes (from memory when size and times are unchanged)."""
        name = str(Path(path).absolute())
        st = os.stat(name)
        stamp = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        known = self._known.get(name)
        if known is not None and known[:4] == stamp:
            return str(known[4])
        digest = file_sha256(name)
        self._known[name] = [*stamp, digest]
        self._changed = True
        return digest

    def save(self) -> None:
        """Write the remembered digests (atomically; a failure only costs re-hashing)."""
        if not self._changed:
            return
        try:
            with atomic_path(self.path) as tmp:
                tmp.write_text(json.dumps(self._known), encoding="utf-8")
            self._changed = False
        except OSError as err:
            log.warning("could not save %s (%s); files will be hashed again", self.path, err)
