"""Files that prove they are whole: a SHA-256 digest written beside a file, checked on load.

A model bundle, a cached source model or a training checkpoint that lost a byte still loads
with ``torch.load`` more often than not, and then predicts confident nonsense. Two checks
stop that:

- :func:`write_with_digest` writes a file atomically together with ``<file>.sha256`` (the
  ``sha256sum`` format: ``<hex>  <name>``); :func:`verify_digest` recomputes the digest on
  load and raises :class:`~serlib.errors.ChecksumError` naming the file when they differ.
- :func:`check_finite_state` refuses a state dict with a NaN or infinite value
  (:class:`~serlib.errors.CheckpointError` naming the file and the tensors).

:func:`load_torch_file` reads a ``torch.save`` file and turns every way that fails (missing,
a folder, permission denied, empty, truncated: PyTorch says ``OSError: [Errno 22]`` or
``PytorchStreamReader failed``) into a :class:`~serlib.errors.CheckpointError` naming the
file and the fix.

The data file is renamed into place first, then its digest: a process killed between the
two renames leaves a pair that does not match, which :func:`verify_digest` reports (the
file is then rebuilt, never trusted).

Chapter: book/intro.md
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from serlib.atomic import atomic_path, atomic_write_text
from serlib.errors import CheckpointError, ChecksumError

__all__ = ["check_finite_state", "digest_path", "file_sha256", "load_torch_file",
           "verify_digest", "write_with_digest"]

_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")


def file_sha256(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def digest_path(path: str | os.PathLike[str]) -> Path:
    """Where the digest of ``path`` lives: ``<path>.sha256`` beside it."""
    path = Path(path)
    return path.with_name(path.name + ".sha256")


def write_with_digest(path: str | os.PathLike[str], writer: Callable[[Path], Any]) -> str:
    """Write a file with ``writer`` (atomically) and its SHA-256 beside it; return the digest.

    Args:
        path: the destination.
        writer: called with a temporary path in the same folder; writes the whole file there
            (e.g. ``lambda tmp: torch.save(state, tmp)``). If it raises, nothing is left.

    Example:
        >>> write_with_digest("model.pt", lambda tmp: torch.save(state, tmp))  # doctest: +SKIP
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        writer(tmp)
        digest = file_sha256(tmp)
    atomic_write_text(digest_path(path), f"{digest}  {path.name}\n")
    return digest


def _recorded(path: Path) -> str | None:
    side = digest_path(path)
    try:
        text = side.read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:
        raise ChecksumError(f"{side}: unreadable digest file ({err}); rewrite {path.name} "
                            "(or delete both files and rebuild them)") from None
    match = _LINE.match(text.strip())
    if match is None or match.group(2) != path.name:
        raise ChecksumError(f"{side}: damaged digest file (expected '<sha256>  {path.name}'); "
                            f"{path} cannot be trusted: rebuild it (or delete both files)")
    return match.group(1)


def verify_digest(path: str | os.PathLike[str], *, required: bool = True) -> str | None:
    """Check that ``path`` still has the digest written beside it; return the digest.

    Args:
        path: a file written by :func:`write_with_digest`.
        required: a missing digest file is an error; with False it returns None instead
            (files written before digests existed).

    Raises:
        ChecksumError: the digests differ, the digest file is missing (when required) or
            damaged; the message names the file and says to rebuild it.
        FileNotFoundError: ``path`` itself does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    expected = _recorded(path)
    if expected is None:
        if required:
            raise ChecksumError(f"{path}: no digest file {digest_path(path).name} beside it, so "
                                "its integrity cannot be checked; rebuild it with serlib")
        return None
    actual = file_sha256(path)
    if actual != expected:
        raise ChecksumError(f"{path}: SHA-256 {actual[:12]}... differs from the recorded "
                            f"{expected[:12]}...: the file is corrupt or was replaced (a "
                            "killed write, a damaged disk); delete it and rebuild it")
    return actual


def _non_finite(state: Any, prefix: str, found: list[str]) -> None:
    if isinstance(state, Mapping):
        for key, value in state.items():
            _non_finite(value, f"{prefix}{key}.", found)
    elif isinstance(state, list | tuple):
        for i, value in enumerate(state):
            _non_finite(value, f"{prefix}{i}.", found)
    elif hasattr(state, "dtype") and hasattr(state, "shape"):  # a tensor or an array
        import numpy as np
        import torch

        if isinstance(state, torch.Tensor):
            if (state.is_floating_point() or state.is_complex()) and state.numel() \
                    and not bool(torch.isfinite(state).all()):
                found.append(prefix[:-1])
        elif np.issubdtype(np.asarray(state).dtype, np.inexact) \
                and not np.isfinite(state).all():
            found.append(prefix[:-1])
    elif isinstance(state, float) and not math.isfinite(state):
        found.append(prefix[:-1])


def check_finite_state(state: Any, *, source: str) -> None:
    """Refuse weights with a NaN or infinite value.

    Args:
        state: a state dict (nested mappings and lists of tensors, arrays or numbers, e.g.
            a training checkpoint with model and optimiser states).
        source: where it came from (a file name), for the message.

    Raises:
        CheckpointError: naming ``source`` and the first non-finite tensors.
    """
    found: list[str] = []
    _non_finite(state, "", found)
    if found:
        shown = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
        raise CheckpointError(f"{source}: non-finite weights (NaN or inf) in {shown}; the file "
                              "is corrupt or training diverged: rebuild it or retrain")


def load_torch_file(path: str | os.PathLike[str], *, fix: str = "replace it with a good copy",
                    mmap: bool = False) -> Any:
    """``torch.load(path, map_location="cpu", weights_only=True)`` with typed errors.

    Args:
        path: a file written by ``torch.save``.
        fix: what the user should do about a bad file, completing the message (e.g.
            ``"delete it: it is rebuilt on the next run"``).
        mmap: memory-map the tensors (large files).

    Raises:
        CheckpointError: naming the file, what is wrong and ``fix``.
    """
    import torch

    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"{path}: is a directory, not a checkpoint file; pass the file")
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint file") from None
    if size == 0:
        raise CheckpointError(f"{path}: empty checkpoint file (0 bytes); {fix}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except PermissionError:
        raise CheckpointError(f"{path}: permission denied: this user may not read the "
                              "checkpoint; fix its permissions") from None
    except Exception as err:  # a truncated zip is OSError(22) or RuntimeError; pickles vary
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint ({size} bytes; "
                              f"{type(err).__name__}: {str(err)[:120]}): the file is truncated "
                              f"or corrupt; {fix}") from None
