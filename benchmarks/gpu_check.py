"""The prepared GPU check: a slice of the full profile on one CUDA GPU in about 8 minutes.

Run ``make gpu-check`` (or ``python benchmarks/gpu_check.py``). On a machine whose torch sees
no CUDA device it prints why (torch's CUDA build, the driver, the GPU's capability) and exits
0 (``--require-gpu``: exits 1, as ``gpu.yml`` does). On a GPU it runs, each part timed and
bounded:

1. ``vgg16``: VGG16 on 224 px log-mel images, fine-tuned with AMP (``fit``: GradScaler,
   autocast, channels_last, cudnn.benchmark) for ``--steps`` steps: images/s, peak GPU memory,
   every loss finite;
2. ``byols``: BYOL-S (the published weights if ``SERLIB_BYOLS_CHECKPOINT`` is set, else a
   random init: the speed is the same) fine-tuned likewise on 2 s crops;
3. ``agreement``: the VGG16 of part 1 on one fixed batch, on the GPU under autocast and on
   the CPU in float32: the largest logit difference relative to the logits' range must stay
   below ``AGREEMENT_TOL`` (float16 rounding), and the predicted classes must agree;
4. ``predict``: :func:`serlib.train.predict` with the model on the GPU over a loader built on
   the CPU (its batches are moved by ``predict``), outputs finite;
5. ``resume``: a child process trains with a checkpoint after every epoch, is killed
   (SIGKILL) once a checkpoint exists, and is started again: it resumes from the checkpoint
   and its final history must equal an uninterrupted run's (within ``RESUME_TOL`` on a GPU,
   whose kernels are not bitwise deterministic; exactly on the CPU);
6. ``experiment``: ``serlib experiment run configs/smoke.yaml`` on the GPU (the runner's code
   path end to end: source models, adaptation, selection, bundles); skipped with ``--tiny``.

Everything goes to one JSON (``--out``, default ``_build/gpu_check.json``): versions, device,
per part its wall time, throughput, peak GPU memory, losses finite, and the checks' values
and tolerances; ``ok`` is true when every part passed. ``--tiny --device cpu`` runs the same
code at a tiny size on the CPU (CI, ``tests/train/test_gpu_check.py``).

Chapter: book/appendix_scaling.md
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import torch

REPO = Path(__file__).resolve().parents[1]
#: largest |logit_gpu - logit_cpu| / (logit range) on the fixed batch (float16 rounding)
AGREEMENT_TOL = 0.05
#: largest relative difference of the final losses, resumed vs uninterrupted, on a GPU
RESUME_TOL = 1e-3


def _peak_gpu_bytes(device: torch.device) -> int | None:
    if device.type == "cuda" and torch.cuda.is_available():
        return int(torch.cuda.max_memory_allocated(device))
    return None


def _reset_peak(device: torch.device) -> None:
    if device.type == "cuda" and torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats(device)


def _loader(n: int, *, frames: int, n_mels: int, batch_size: int, seed: int,
            shuffle: bool = True):
    from serlib.features.batching import UtteranceDataset, make_loader

    g = torch.Generator().manual_seed(seed)
    feats = [torch.randn(1, n_mels, frames, generator=g) for _ in range(n)]
    labels = [i % 7 for i in range(n)]
    for x, y in zip(feats, labels, strict=True):
        x[:, y * (n_mels // 8):(y + 1) * (n_mels // 8)] += 1.0
    return make_loader(UtteranceDataset(feats, labels), batch_size=batch_size,
                       shuffle=shuffle, seed=seed, drop_last=shuffle)


def _train(name: str, model: torch.nn.Module, *, steps: int, batch_size: int, frames: int,
           n_mels: int, device: str, lr: float) -> dict[str, Any]:
    """Fine-tune ``model`` for ``steps`` steps with AMP; throughput, memory, finiteness."""
    from serlib.adapt import supervised_step
    from serlib.train import TrainConfig, fit
    from serlib.train.runtime import resolve_device

    dev = resolve_device(device)
    loader = _loader(max(batch_size * 4, 8), frames=frames, n_mels=n_mels,
                     batch_size=batch_size, seed=1)
    epochs = max(1, math.ceil(steps / len(loader)))
    config = TrainConfig(num_epochs=epochs, steps_per_epoch=min(steps, len(loader)), lr=lr,
                         device=device, amp=True, seed=0)
    _reset_peak(dev)
    start = time.perf_counter()
    result = fit(model, supervised_step, {"source": loader}, config=config, progress=False)
    if dev.type == "cuda" and torch.cuda.is_available():
        torch.cuda.synchronize()
    wall = time.perf_counter() - start
    losses = result.history["loss"].to_numpy()
    done = len(result.history)
    return {"part": name, "steps": done, "batch_size": batch_size, "wall_s": round(wall, 3),
            "items_per_s": round(done * batch_size / wall, 2),
            "peak_gpu_bytes": _peak_gpu_bytes(dev),
            "losses_finite": bool(len(losses) and all(math.isfinite(v) for v in losses)),
            "first_loss": float(losses[0]), "last_loss": float(losses[-1]),
            "ok": bool(all(math.isfinite(v) for v in losses))}


def _agreement(model: torch.nn.Module, *, frames: int, n_mels: int,
               device: str) -> dict[str, Any]:
    """The same fixed batch through the model on the device (autocast) and on the CPU (fp32)."""
    import copy

    from serlib.train import predict
    from serlib.train.runtime import resolve_device

    loader = _loader(8, frames=frames, n_mels=n_mels, batch_size=8, seed=7, shuffle=False)
    on_device = predict(model, loader, device=resolve_device(device))
    on_cpu = predict(copy.deepcopy(model).float(), loader, device="cpu")
    spread = float(on_cpu.logits.max() - on_cpu.logits.min()) or 1.0
    diff = float((on_device.logits - on_cpu.logits).abs().max()) / spread
    same = float((on_device.logits.argmax(1) == on_cpu.logits.argmax(1)).float().mean())
    return {"part": "agreement", "max_rel_logit_diff": diff, "tolerance": AGREEMENT_TOL,
            "argmax_agreement": same, "predict_finite": bool(torch.isfinite(
                on_device.logits).all()), "ok": diff <= AGREEMENT_TOL and same >= 0.875}


def _resume_child(args: argparse.Namespace) -> int:
    """Child of the resume part: train a small model with a checkpoint after every epoch."""
    from serlib.adapt import supervised_step
    from serlib.models import SmallCNN
    from serlib.train import TrainConfig, fit

    os.environ["SERLIB_CHECKPOINT_EVERY"] = "0"
    torch.manual_seed(0)
    model = SmallCNN(7, n_mels=32)
    loader = _loader(32, frames=48, n_mels=32, batch_size=8, seed=3)
    config = TrainConfig(num_epochs=args.epochs, steps_per_epoch=4, lr=1e-3, seed=0,
                         device=args.device)
    slow = args.slow

    def step(model, batches, *, frac_done):
        if slow:
            time.sleep(slow)  # leaves time to be killed mid-run
        return supervised_step(model, batches, frac_done=frac_done)

    result = fit(model, step, {"source": loader}, config=config, progress=False,
                 checkpoint_path=args.checkpoint)
    Path(args.result).write_text(json.dumps({"loss": result.history["loss"].tolist(),
                                             "resumed_from": result.resumed_from}))
    return 0


def _resume(work: Path, device: str, epochs: int) -> dict[str, Any]:
    """Kill a training child once it wrote a checkpoint; restart it; compare the histories."""
    base = [sys.executable, str(Path(__file__).resolve()), "_resume-child", "--device", device,
            "--epochs", str(epochs)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO),
                                                                     os.environ.get(
                                                                         "PYTHONPATH")]))}
    from serlib.train import remove_checkpoint

    for stale in ("clean.ckpt", "killed.ckpt"):  # of an earlier check: start afresh
        remove_checkpoint(work / stale)
    clean = work / "clean.json"
    before = os.environ.get("SERLIB_CHECKPOINT_EVERY")
    try:  # the uninterrupted run, in this process
        _resume_child(argparse.Namespace(device=device, epochs=epochs, slow=0.0,
                                         checkpoint=str(work / "clean.ckpt"),
                                         result=str(clean)))
    finally:
        if before is None:
            os.environ.pop("SERLIB_CHECKPOINT_EVERY", None)
        else:
            os.environ["SERLIB_CHECKPOINT_EVERY"] = before
    ckpt, out = work / "killed.ckpt", work / "killed.json"
    child = subprocess.Popen([*base, "--checkpoint", str(ckpt), "--result", str(out),
                              "--slow", "0.2"], env=env)
    deadline = time.monotonic() + 240
    while not ckpt.is_file() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    killed = child.poll() is None
    if killed:
        child.send_signal(signal.SIGKILL)
    child.wait()
    subprocess.run([*base, "--checkpoint", str(ckpt), "--result", str(out)], env=env,
                   check=True, timeout=300)
    a, b = json.loads(clean.read_text()), json.loads(out.read_text())
    exact = a["loss"] == b["loss"]
    rel = max((abs(x - y) / max(abs(x), 1e-8) for x, y in zip(a["loss"], b["loss"],
                                                                strict=True)), default=0.0)
    tol = 0.0 if device == "cpu" else RESUME_TOL
    return {"part": "resume", "killed_mid_run": killed, "resumed_from": b["resumed_from"],
            "epochs": epochs,
            "identical": exact, "max_rel_loss_diff": rel, "tolerance": tol,
            "ok": killed and bool(b["resumed_from"]) and b["resumed_from"] < epochs
            and rel <= tol}


def _experiment(work: Path, timeout: int) -> dict[str, Any]:
    """``serlib experiment run configs/smoke.yaml`` with the device it resolves (the GPU)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "serlib", "experiment", "run",
                           "configs/smoke.yaml", "--profile", "smoke", "--no-progress",
                           "--results", str(work / "smoke.csv")], cwd=REPO, timeout=timeout,
                          capture_output=True, text=True, check=False)
    return {"part": "experiment", "wall_s": round(time.perf_counter() - start, 1),
            "returncode": done.returncode, "tail": done.stdout[-600:] + done.stderr[-600:],
            "ok": done.returncode == 0}


def run(args: argparse.Namespace) -> dict[str, Any]:
    from serlib.train.runtime import accelerator_report, resolve_device

    report: dict[str, Any] = {"versions": accelerator_report(), "tiny": args.tiny,
                              "device": str(resolve_device(args.device)), "parts": []}
    dev = resolve_device(args.device)
    tiny = args.tiny
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    steps = 2 if tiny else args.steps
    parts = report["parts"]

    def guarded(name: str, fn) -> None:
        began = time.perf_counter()
        try:
            part = fn()
        except Exception as err:
            part = {"part": name, "ok": False, "error": f"{type(err).__name__}: {err}"}
        part.setdefault("wall_s", round(time.perf_counter() - began, 3))
        parts.append(part)
        shown = {k: v for k, v in part.items() if k not in ("part", "tail")}
        print(f"[gpu-check] {name}: {'ok' if part['ok'] else 'FAILED'} "
              f"({part['wall_s']} s) {json.dumps(shown)}", flush=True)

    from serlib.models import BYOLSClassifier, BYOLSEncoder, VGG16Mel

    size = 32 if tiny else 224
    vgg = VGG16Mel(7, image_size=size, progress=False,
                   weights_path=os.environ.get("SERLIB_VGG16_WEIGHTS") or None)
    guarded("vgg16", lambda: _train("vgg16", vgg, steps=steps, batch_size=2 if tiny else 16,
                                    frames=64 if tiny else 300, n_mels=32 if tiny else 128,
                                    device=args.device, lr=1e-4))

    def byols() -> dict[str, Any]:
        from serlib.models import load_byols_encoder

        ckpt = os.environ.get("SERLIB_BYOLS_CHECKPOINT")
        encoder = load_byols_encoder(ckpt) if ckpt and not tiny else BYOLSEncoder()
        return _train("byols", BYOLSClassifier(encoder, 7), steps=steps,
                      batch_size=2 if tiny else 64, frames=32 if tiny else 200, n_mels=64,
                      device=args.device, lr=1e-4)

    guarded("byols", byols)
    guarded("agreement", lambda: _agreement(vgg, frames=64 if tiny else 300,
                                            n_mels=32 if tiny else 128, device=args.device))

    def predict_part() -> dict[str, Any]:
        from serlib.train import predict

        loader = _loader(16, frames=64, n_mels=32 if tiny else 128, batch_size=8, seed=9,
                         shuffle=False)
        pred = predict(vgg.to(dev), loader)
        return {"part": "predict", "model_device": str(next(vgg.parameters()).device),
                "n": len(pred.y), "ok": bool(torch.isfinite(pred.logits).all())}

    guarded("predict", predict_part)
    guarded("resume", lambda: _resume(work, args.device if args.device != "auto" else
                                      dev.type, epochs=2 if tiny else 6))
    if not tiny:
        left = max(30, int(args.budget_s - (time.perf_counter() - start)))
        guarded("experiment", lambda: _experiment(work, left))
    report["wall_s"] = round(time.perf_counter() - start, 1)
    report["ok"] = all(p["ok"] for p in parts)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", default="check",
                        choices=["check", "_resume-child"])
    parser.add_argument("--device", default="auto", help="auto (CUDA if usable) or cpu, cuda")
    parser.add_argument("--tiny", action="store_true", help="tiny sizes (CI on the CPU)")
    parser.add_argument("--steps", type=int, default=300, help="fine-tuning steps per model")
    parser.add_argument("--budget-s", type=float, default=480.0)
    parser.add_argument("--out", default=str(REPO / "_build" / "gpu_check.json"))
    parser.add_argument("--work", default=str(REPO / "_build" / "gpu_check"))
    parser.add_argument("--require-gpu", action="store_true",
                        help="exit 1 when no CUDA device is usable (gpu.yml)")
    parser.add_argument("--checkpoint")
    parser.add_argument("--result")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--slow", type=float, default=0.0)
    args = parser.parse_args(argv)
    if args.command == "_resume-child":
        return _resume_child(args)
    from serlib.train.runtime import accelerator_report

    if not torch.cuda.is_available() and args.device in ("auto", "cuda") and not args.tiny:
        info = accelerator_report()
        print(f"[gpu-check] no usable CUDA device: torch {info['torch']} (built for CUDA "
              f"{info['torch_cuda']}), driver {info['driver'] or 'none (no nvidia-smi)'}, GPU "
              f"{info['gpu'] or 'none'}. Nothing to check here; on a GPU machine run "
              "`make gpu-check` (`--tiny --device cpu` runs the same code tiny on the CPU).")
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({"skipped": "no CUDA device", "versions": info},
                                             indent=1))
        return 1 if args.require_gpu else 0
    report = run(args)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(args.out).with_suffix(".tmp")
    tmp.write_text(json.dumps(report, indent=1))
    os.replace(tmp, args.out)
    print(f"[gpu-check] {'all parts passed' if report['ok'] else 'SOME PARTS FAILED'} in "
          f"{report['wall_s']} s; report: {args.out}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
