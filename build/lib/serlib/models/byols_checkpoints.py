"""Published BYOL-S checkpoints: a registry, a checked download, and a strict loader.

Agarla et al. (2024) use the **1024-d** BYOL-S encoder. What serlib ships by default is the
**512-d** one (:data:`DEFAULT_BYOLS_CHECKPOINT`): it is the only AudioNTT checkpoint whose
publisher also published its file in the repository we can checksum (2.4 MB, the
SERAB repository, MIT licence), it runs on a laptop, and its EmoDB embeddings are well above
chance (tested). The 1024-d and 2048-d checkpoints are one argument away:
``load_byols_encoder("byols-d1024")``.

Registry (:data:`BYOLS_CHECKPOINTS`), file names as their publishers give them:

- ``byols-d512``: ``Neclow/SERAB``, ``SERAB/checkpoints/default512_...``; SHA-256 known.
- ``byols-d1024``: the file name SERAB's own loader expects for d = 1024 in the same
  ``checkpoints/`` folder; SHA-256 not published (``None``).
- ``byols-d2048``: ``GasserElbanna/serab-byols``, ``checkpoints/default2048_...`` (the URL
  s3prl's ``byol_s_default`` downloads); SHA-256 not published (``None``).

A file without a published hash is accepted only if it loads into the architecture with
zero missing and zero unexpected keys. Downloads (pooch) go to ``cache_root()/weights``;
offline, :class:`~serlib.errors.DownloadError` names the URL and how to use a local copy:
``load_byols_encoder("/path/to/file.pth")`` or ``SERLIB_BYOLS_CHECKPOINT=/path/to/file.pth``.

A file that cannot be trusted (truncated, not a state dict, wrong keys, NaN or infinite
weights) is a :class:`~serlib.errors.CheckpointError` naming it and the fix. A *downloaded*
copy in ``cache_root()/weights`` that turns out unreadable (a download cut short) is deleted
and downloaded again, once, with a warning.

Chapter: book/04_source_models.md
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from torch import Tensor

from serlib.data.download import download_file
from serlib.data.root import cache_root
from serlib.errors import CheckpointError, ChecksumError
from serlib.integrity import check_finite_state, file_sha256, load_torch_file
from serlib.models.byols import BYOLSEncoder

__all__ = [
    "BYOLS_CHECKPOINTS",
    "BYOLS_ENV",
    "DEFAULT_BYOLS_CHECKPOINT",
    "PAPER_BYOLS_CHECKPOINT",
    "ByolsCheckpoint",
    "fetch_byols_checkpoint",
    "load_byols_encoder",
    "load_byols_state",
]

log = logging.getLogger(__name__)

#: environment variable that may point at a local checkpoint file
BYOLS_ENV = "SERLIB_BYOLS_CHECKPOINT"


@dataclass(frozen=True)
class ByolsCheckpoint:
    """A published BYOL-S (AudioNTT2020) checkpoint.

    Attributes:
        name: registry name, e.g. ``"byols-d512"``.
        d: embedding size.
        url: where its publisher hosts it.
        sha256: the file's SHA-256 if known, else None (then verified by strict loading).
        filename: the file name (as published).
    """

    name: str
    d: int
    url: str
    sha256: str | None

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]


_SERAB = "https://raw.githubusercontent.com/Neclow/SERAB/HEAD/SERAB/checkpoints/"
_SERAB_BYOLS = "https://github.com/GasserElbanna/serab-byols/raw/main/checkpoints/"

BYOLS_CHECKPOINTS: dict[str, ByolsCheckpoint] = {
    "byols-d512": ByolsCheckpoint(
        "byols-d512", 512,
        _SERAB + "default512_BYOLAs64x96-2107281850-e100-bs256-lr0003-rs42.pth",
        "449f5d0dc6b6fa8433d5e43769097520d3bc0fdae88977a7ac29e2e72ca51b52"),
    # No published hash: accepted after a strict load (zero missing/unexpected keys).
    "byols-d1024": ByolsCheckpoint(
        "byols-d1024", 1024,
        _SERAB + "default1024_BYOLAs64x96-2107292000-e100-bs256-lr0003-rs42.pth", None),
    # No published hash: accepted after a strict load (zero missing/unexpected keys).
    "byols-d2048": ByolsCheckpoint(
        "byols-d2048", 2048,
        _SERAB_BYOLS + "default2048_BYOLAs64x96-2105311814-e100-bs256-lr0003-rs42.pth", None),
}
DEFAULT_BYOLS_CHECKPOINT = "byols-d512"
PAPER_BYOLS_CHECKPOINT = "byols-d1024"


def _local_hint(spec: ByolsCheckpoint) -> str:
    return (f"download {spec.url} elsewhere and pass its path: "
            f"load_byols_encoder('/path/to/{spec.filename}'), or set "
            f"{BYOLS_ENV}=/path/to/{spec.filename}")


def fetch_byols_checkpoint(checkpoint: str | ByolsCheckpoint, *,
                           folder: str | os.PathLike[str] | None = None,
                           progress: bool = True, timeout: float = 30.0) -> Path:
    """Download a registered checkpoint (once) and return its local path.

    Args:
        checkpoint: a registry name or a :class:`ByolsCheckpoint`.
        folder: where to keep it (default ``cache_root()/weights``).
        progress: show a progress bar.
        timeout: seconds to wait for the server.

    Raises:
        DownloadError: the URL could not be fetched (offline); the message says how to use
            a local copy instead.
        ChecksumError: the file does not have the published SHA-256 (it is deleted).
    """
    spec = BYOLS_CHECKPOINTS[checkpoint] if isinstance(checkpoint, str) else checkpoint
    folder = Path(folder) if folder is not None else cache_root() / "weights"
    return download_file(spec.url, folder, filename=spec.filename,
                         known_hash=spec.sha256 and f"sha256:{spec.sha256}",
                         what=f"the BYOL-S checkpoint {spec.name}",
                         offline_hint=_local_hint(spec), progress=progress, timeout=timeout)


def load_byols_state(encoder: BYOLSEncoder, state: Mapping[str, Tensor], *,
                     source: str = "checkpoint") -> BYOLSEncoder:
    """Load ``state`` into ``encoder``; any missing, unexpected or mis-shaped key is an error.

    Raises:
        CheckpointError: listing the missing, unexpected and mis-shaped keys.
    """
    own = encoder.state_dict()
    not_tensors = sorted(str(k) for k, v in state.items() if not isinstance(v, Tensor))
    if not_tensors:
        raise CheckpointError(f"{source}: entries {not_tensors[:5]} are not tensors; not a "
                              "BYOL-S state dict")
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = sorted(f"{k}: {tuple(state[k].shape)} vs {tuple(own[k].shape)}"
                    for k in set(own) & set(state) if tuple(state[k].shape) != tuple(own[k].shape))
    if missing or unexpected or shapes:
        raise CheckpointError(
            f"{source} does not fit BYOLSEncoder(d={encoder.d}, n_mels={encoder.n_mels}): "
            f"missing keys {missing}, unexpected keys {unexpected}, shape mismatches {shapes}")
    encoder.load_state_dict(state, strict=True)
    return encoder


def _resolve(path_or_name: str | os.PathLike[str] | None,
             progress: bool) -> tuple[Path, ByolsCheckpoint | None]:
    """The local file, and its registry entry when serlib downloaded it."""
    if path_or_name is None:
        path_or_name = os.environ.get(BYOLS_ENV) or DEFAULT_BYOLS_CHECKPOINT
    if isinstance(path_or_name, str) and path_or_name in BYOLS_CHECKPOINTS:
        spec = BYOLS_CHECKPOINTS[path_or_name]
        return fetch_byols_checkpoint(spec, progress=progress), spec
    path = Path(path_or_name).expanduser()
    if not path.is_file():
        what = "is a directory, not a checkpoint file" if path.is_dir() else \
            "no such checkpoint file"
        raise CheckpointError(f"{path}: {what}; pass a path to a BYOL-S .pth "
                              f"file or a registered name {sorted(BYOLS_CHECKPOINTS)}")
    known = {s.filename: s for s in BYOLS_CHECKPOINTS.values()}.get(path.name)
    if known is not None and known.sha256 is not None and file_sha256(path) != known.sha256:
        raise ChecksumError(f"{path} is named like the published {known.name} checkpoint but its "
                            f"SHA-256 differs from {known.sha256}: the copy is corrupt or "
                            "different; download it again")
    return path, None


def _read(path: Path, spec: ByolsCheckpoint | None, progress: bool) -> object:
    """The unpickled file; a damaged download is fetched again once."""
    if spec is None:
        known = {s.filename: s for s in BYOLS_CHECKPOINTS.values()}.get(path.name)
        fix = (f"download it again ({known.url})" if known is not None
               else "replace it with a good copy of the checkpoint")
        return load_torch_file(path, fix=fix)
    try:
        return load_torch_file(path, fix="it is downloaded again")
    except CheckpointError as err:
        log.warning("%s; deleting it and downloading %s again", err, spec.url)
        path.unlink(missing_ok=True)
    path = fetch_byols_checkpoint(spec, folder=path.parent, progress=progress)
    return load_torch_file(path, fix=f"delete it and download {spec.url} by hand")


def load_byols_encoder(path_or_name: str | os.PathLike[str] | None = None, *,
                       d: int | None = None, progress: bool = True) -> BYOLSEncoder:
    """A BYOL-S encoder with published weights, in eval mode.

    Args:
        path_or_name: a registry name (:data:`BYOLS_CHECKPOINTS`), a local ``.pth`` file,
            or None: ``$SERLIB_BYOLS_CHECKPOINT`` if set, else
            :data:`DEFAULT_BYOLS_CHECKPOINT` (downloaded once into ``cache_root()/weights``).
        d: expected embedding size; None reads it from the weights.
        progress: show a download progress bar.

    Raises:
        DownloadError: a registered checkpoint cannot be downloaded (offline).
        ChecksumError: a file does not have its published SHA-256.
        CheckpointError: missing, unreadable or truncated, not a state dict, non-finite
            weights, or keys that do not fit the architecture.

    Example:
        >>> encoder = load_byols_encoder("/data/weights/default512_...pth")  # doctest: +SKIP

    Chapter: book/04_source_models.md
    """
    path, spec = _resolve(path_or_name, progress)
    state = _read(path, spec, progress)
    if isinstance(state, Mapping) and isinstance(state.get("state_dict"), Mapping):
        state = state["state_dict"]
    if not isinstance(state, Mapping) or "fc.0.weight" not in state:
        keys = sorted(state)[:10] if isinstance(state, Mapping) else type(state).__name__
        raise CheckpointError(f"{path}: not a BYOL-S (AudioNTT2020) state dict: no key "
                              f"'fc.0.weight' (found {keys})")
    if not isinstance(state["fc.0.weight"], Tensor) or state["fc.0.weight"].ndim != 2:
        raise CheckpointError(f"{path}: 'fc.0.weight' is not a 2-d tensor; not a BYOL-S "
                              "state dict")
    check_finite_state(state, source=str(path))
    found_d, trunk_dim = state["fc.0.weight"].shape
    if d is not None and d != found_d:
        raise CheckpointError(f"{path}: holds a d={found_d} encoder, expected d={d}")
    encoder = BYOLSEncoder(int(found_d), n_mels=int(trunk_dim) // 64 * 8)
    load_byols_state(encoder, state, source=str(path))
    return encoder.eval()
