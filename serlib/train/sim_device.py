"""A simulated accelerator: proves on a CPU that code keeps its tensors on the device.

Code that is only ever run on a CPU can mix devices without anyone noticing: a batch built
on the CPU and a model on the GPU, a ``.numpy()`` of a GPU tensor, a ``.item()`` in every
training step that stalls the GPU. This module finds those on a machine without a GPU.

:func:`enable_simulated_device` returns ``torch.device("cuda")`` and, from then on, moving
a tensor or a module to ``cuda`` (``.to``, ``.cuda``, a factory with ``device="cuda"``)
gives a :class:`SimTensor`: the CPU data, in a tensor subclass that *reports* the device
``cuda``. Every torch operation on a ``SimTensor`` is checked:

- an operation mixing it with a plain CPU tensor of one or more dimensions (CUDA refuses
  those; 0-dimensional CPU scalars are allowed, as on CUDA; copies and indexing too) is a
  ``"mix"`` violation;
- ``.numpy()`` of it (CUDA refuses that too) is a ``"numpy"`` violation;
- a host sync (``.item()``, ``.tolist()``, ``float()``, ``bool()``, ``.cpu()``) inside a
  training step (:func:`training_step`, which the engine wraps around the method's step) is
  a ``"sync"`` violation: harmless on a CPU, it makes a GPU wait every step.

Violations are collected in :data:`VIOLATIONS` and, when ``SERLIB_DEVICE_AUDIT`` names a
file, appended to it as JSON lines (``{"kind", "op", "where"}``) so that a check after a
whole build (``python -m serlib.train.sim_device check FILE``) fails on any. ``resolve_device``
switches to this device when ``SERLIB_SIMULATED_DEVICE=1``; ``make test-book-dryrun`` runs
every chapter's full dry run that way.

AMP stays off on it (``torch.cuda.is_available()`` is False), so it checks placement, not
precision. Data stays on the CPU, so results are those of a CPU run.

Chapter: book/appendix_scaling.md
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_flatten, tree_map

__all__ = ["AUDIT_FILE_ENV", "SIM_DEVICE", "VIOLATIONS", "SimTensor", "check_audit_file",
           "disable_simulated_device", "enable_simulated_device", "training_step"]

#: the device a :class:`SimTensor` reports
SIM_DEVICE = torch.device("cuda")
#: environment variable naming the file violations are appended to (JSON lines)
AUDIT_FILE_ENV = "SERLIB_DEVICE_AUDIT"
#: every violation seen in this process: ``{"kind", "op", "where"}``
VIOLATIONS: list[dict[str, str]] = []

_STATE = {"mode": None, "in_step": 0}
_T = torch.Tensor
#: operations that may take a CPU tensor beside a device tensor (as on CUDA)
_MIX_OK = {_T.to, _T.copy_, _T.__getitem__, _T.__setitem__, _T.new_tensor, _T.index_select,
           _T.index_put_, _T.new_empty, _T.new_zeros, _T.new_ones, _T.new_full,
           torch.Tensor.set_, torch.Tensor.type_as, torch._has_compatible_shallow_copy_type}
#: gradients are made by autograd as plain tensors: they are on the device of their tensor
_GRAD_GETTERS = {_T.grad.__get__, _T._grad.__get__}
#: operations that copy a device tensor's value to the host
_SYNC = {_T.item, _T.tolist, _T.__float__, _T.__int__, _T.__bool__, _T.cpu, _T.__index__}
#: properties answered as on a GPU
_DEVICE_GETTERS = {_T.device.__get__: SIM_DEVICE, _T.is_cuda.__get__: True,
                   _T.is_cpu.__get__: False}


def _where() -> str:
    """The innermost caller outside torch and this module (``file:line``)."""
    for frame in reversed(traceback.extract_stack()[:-3]):
        if "/torch/" not in frame.filename and frame.filename != __file__:
            return f"{frame.filename}:{frame.lineno}"
    return "?"


def _record(kind: str, func: Any) -> None:
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", repr(func))
    entry = {"kind": kind, "op": str(name), "where": _where()}
    VIOLATIONS.append(entry)
    path = os.environ.get(AUDIT_FILE_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(entry) + "\n")


def _plain(value: Any) -> Any:
    """``value`` with every SimTensor turned back into a plain CPU tensor (shared storage)."""
    return tree_map(lambda t: t.as_subclass(torch.Tensor) if isinstance(t, SimTensor) else t,
                    value)


def _wants_device(args: tuple, kwargs: dict) -> bool | None:
    """True: a ``to``/factory call targets cuda; False: it targets the cpu; None: neither."""
    device = kwargs.get("device")
    if device is None:
        device = next((a for a in args if isinstance(a, str | torch.device)), None)
    if device is None:
        return None
    return torch.device(device).type == "cuda"


def _to_cpu_kwargs(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    args = tuple("cpu" if isinstance(a, str | torch.device) and torch.device(a).type == "cuda"
                 else a for a in args)
    if "device" in kwargs:
        kwargs = {**kwargs, "device": "cpu"}
    return args, kwargs


def _wrap(value: Any) -> Any:
    return tree_map(lambda t: t.as_subclass(SimTensor)
                    if isinstance(t, torch.Tensor) and not isinstance(t, SimTensor) else t, value)


class SimTensor(torch.Tensor):
    """CPU data that reports the device ``cuda`` and records device mixes (see the module)."""

    @classmethod
    def __torch_function__(cls, func: Any, types: Any, args: tuple = (),
                           kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        if func in _DEVICE_GETTERS:
            return _DEVICE_GETTERS[func]
        if func in _GRAD_GETTERS:
            with torch._C.DisableTorchFunctionSubclass():
                return _wrap(func(*args, **kwargs))
        if func is _T.numpy:
            _record("numpy", func)
            return func(*_plain(args), **kwargs)
        if func in _SYNC and _STATE["in_step"]:
            _record("sync", func)
        if func is _T.cpu or (func is _T.to and _wants_device(args[1:], kwargs) is False):
            return func(*_plain(args), **kwargs)
        if func in (_T.to, _T.cuda) and _wants_device(args[1:], kwargs):
            args, kwargs = _to_cpu_kwargs(args, kwargs)
        if func not in _MIX_OK:
            tensors = [t for t in tree_flatten((args, kwargs))[0] if isinstance(t, torch.Tensor)]
            if any(not isinstance(t, SimTensor) and t.dim() > 0 for t in tensors):
                _record("mix", func)
        return super().__torch_function__(func, types, args, kwargs)


class _SimulatedMode(TorchFunctionMode):
    """Turns moves to ``cuda`` of plain tensors (and cuda factories) into SimTensors."""

    def __torch_function__(self, func: Any, types: Any, args: tuple = (),
                           kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        plain_self = bool(args) and isinstance(args[0], torch.Tensor) \
            and not isinstance(args[0], SimTensor)
        if func in (_T.to, _T.cuda) and plain_self and (func is _T.cuda or
                                                         _wants_device(args[1:], kwargs)):
            args, kwargs = _to_cpu_kwargs(args, kwargs)
            return _wrap(func(*args, **kwargs) if func is _T.to else args[0])
        if "device" in kwargs and func not in (_T.to,) and kwargs["device"] is not None \
                and torch.device(kwargs["device"]).type == "cuda":
            args, kwargs = _to_cpu_kwargs(args, kwargs)
            return _wrap(func(*args, **kwargs))
        return func(*args, **kwargs)


def enable_simulated_device() -> torch.device:
    """Switch the simulated accelerator on for the rest of the process; return its device."""
    if _STATE["mode"] is None:
        # module.to(cuda) replaces each parameter by a new one (a SimTensor parameter)
        # instead of assigning ``param.data``, which would keep a plain CPU parameter
        torch.__future__.set_overwrite_module_params_on_conversion(True)
        mode = _SimulatedMode()
        mode.__enter__()
        _STATE["mode"] = mode
    return SIM_DEVICE


def disable_simulated_device() -> None:
    """Switch it off again (tests); tensors already moved stay SimTensors."""
    mode = _STATE["mode"]
    if mode is not None:
        mode.__exit__(None, None, None)
        _STATE["mode"] = None
        torch.__future__.set_overwrite_module_params_on_conversion(False)


@contextlib.contextmanager
def training_step() -> Iterator[None]:
    """Mark a training step: host syncs inside it are violations (when the device is on)."""
    _STATE["in_step"] += 1
    try:
        yield
    finally:
        _STATE["in_step"] -= 1


def check_audit_file(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """The violations recorded in ``path`` (missing file: none)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in lines if line.strip()]


def _main(argv: list[str]) -> int:
    """``python -m serlib.train.sim_device check FILE``: exit 1 on any recorded violation."""
    if len(argv) != 2 or argv[0] != "check":
        print("usage: python -m serlib.train.sim_device check AUDIT_FILE", file=sys.stderr)
        return 2
    found = check_audit_file(argv[1])
    if not found:
        print(f"device audit: 0 violations ({argv[1]})")
        return 0
    print(f"device audit: {len(found)} violations ({argv[1]}):", file=sys.stderr)
    seen: dict[tuple[str, str, str], int] = {}
    for v in found:
        key = (v["kind"], v["op"], v["where"])
        seen[key] = seen.get(key, 0) + 1
    for (kind, op, where), n in sorted(seen.items()):
        print(f"  {kind:6s} {op} at {where} (x{n})", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
