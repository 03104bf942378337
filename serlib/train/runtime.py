"""Seeds, random-number states and the device: what makes a run repeatable.

:func:`seed_everything` seeds every generator a run draws from; :func:`rng_state` and
:func:`set_rng_state` save and restore them (the engine puts them in its checkpoints, so a
resumed run draws the same numbers as an uninterrupted one). :func:`resolve_device` turns
``"auto"`` into the best device of the machine (the simulated accelerator of
:mod:`serlib.train.sim_device` when ``SERLIB_SIMULATED_DEVICE=1``); :func:`device_of` says
where a model is; :func:`autocast` is mixed precision where it helps (CUDA) and nothing
elsewhere; :func:`accelerator_report` says why CUDA is or is not usable.

Chapter: book/10_reproducing.md
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

__all__ = ["SIMULATED_DEVICE_ENV", "accelerator_report", "autocast", "device_of",
           "resolve_device", "rng_state", "seed_everything", "set_rng_state", "torch_threads"]

#: ``SERLIB_SIMULATED_DEVICE=1``: ``"auto"`` resolves to the simulated accelerator (tests, CI)
SIMULATED_DEVICE_ENV = "SERLIB_SIMULATED_DEVICE"


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and every CUDA device)."""
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - third-party code may still use the global state
    torch.manual_seed(seed)


def resolve_device(device: str = "auto") -> torch.device:
    """``"auto"`` picks cuda, then mps, then cpu; anything else is passed to ``torch.device``.

    With ``SERLIB_SIMULATED_DEVICE=1`` in the environment, ``"auto"`` (and ``"cuda"`` on a
    machine without CUDA) resolves to the simulated accelerator instead: CPU data that
    reports the device ``cuda`` and records every device mix (see
    :mod:`serlib.train.sim_device`).
    """
    if os.environ.get(SIMULATED_DEVICE_ENV, "") not in ("", "0") and (
            device == "auto" or (device.startswith("cuda") and not torch.cuda.is_available())):
        from serlib.train.sim_device import enable_simulated_device

        return enable_simulated_device()
    if device != "auto":
        return torch.device(device)
    if torch.cuda.is_available():
        torch.backends.cudnn.benchmark = True  # fixed input shapes (VGG16): the fastest kernels
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def device_of(model: torch.nn.Module) -> torch.device:
    """Where ``model`` lives: the device of its first parameter (or buffer); CPU if it has none."""
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return torch.device("cpu")


def autocast(device: torch.device | str, *,
             enabled: bool = True) -> contextlib.AbstractContextManager:
    """float16 autocast on a usable CUDA device; a no-op context elsewhere (CPU, mps, simulated).

    Training, prediction, dev selection, probes and AdaBN all run inside it, so evaluation on
    a GPU gets the same speed-up as training; outputs are cast back to float32 by the callers.
    """
    device = torch.device(device) if isinstance(device, str) else device
    if enabled and device.type == "cuda" and torch.cuda.is_available():
        return torch.autocast(device_type="cuda", dtype=torch.float16)
    return contextlib.nullcontext()


def accelerator_report() -> dict[str, Any]:
    """What torch and the machine say about CUDA: why a GPU is (not) used, in plain values.

    Returns a dict with ``cuda_available``, ``torch`` (version), ``torch_cuda`` (the CUDA the
    wheel was built for, None for a CPU build), ``driver`` (from ``nvidia-smi`` when present),
    ``gpu`` and ``capability`` (of device 0, when usable) and ``arch_list`` (the compute
    capabilities the wheel supports). A driver with no usable device usually means the
    wheel's CUDA is newer than the driver, or the GPU's capability is not in ``arch_list``.
    """
    report: dict[str, Any] = {"cuda_available": torch.cuda.is_available(),
                              "torch": torch.__version__, "torch_cuda": torch.version.cuda,
                              "driver": None, "gpu": None, "capability": None,
                              "arch_list": None}
    if shutil.which("nvidia-smi"):
        try:
            done = subprocess.run(["nvidia-smi", "--query-gpu=driver_version,name",
                                   "--format=csv,noheader"], capture_output=True, text=True,
                                  timeout=20, check=False)
            first = done.stdout.strip().splitlines()[0] if done.stdout.strip() else ""
            if first:
                report["driver"], _, name = (part.strip() for part in first.partition(","))
                report["gpu"] = name or None
        except (OSError, subprocess.SubprocessError):
            pass
    if report["cuda_available"]:
        report["gpu"] = torch.cuda.get_device_name(0)
        report["capability"] = ".".join(map(str, torch.cuda.get_device_capability(0)))
        with contextlib.suppress(Exception):
            report["arch_list"] = torch.cuda.get_arch_list()
    return report


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Use ``threads`` CPU threads inside the block, then restore the previous number."""
    if threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def rng_state() -> dict[str, Any]:
    """The states of Python's, NumPy's and torch's global generators, as plain values.

    NumPy's state is stored as lists (not an array) so that the checkpoint can be loaded
    with ``torch.load(weights_only=True)``.
    """
    name, keys, pos, has_gauss, cached = np.random.get_state()  # noqa: NPY002
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": [name, keys.tolist(), int(pos), int(has_gauss), float(cached)],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` returned."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))  # noqa: NPY002
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
