"""Estimated T4 time and disk per chapter, from the cost records of the full dry run.

``make test-book-dryrun`` runs every chapter with ``PROFILE="full", DRY_RUN=True`` and
``SERLIB_COST_LOG=_build/costs``: every ``fit`` appends a record (counted FLOPs of one step,
the steps it ran, the uncapped schedule it stands for, checkpoint bytes, peak RAM; see
:mod:`serlib.train.costs`). This tool turns them into ``_build/t4_estimates.json``::

    {"04_source_models": {"t4_seconds": 5400.0, "flops": 3.1e17, "steps": 24000,
                          "checkpoint_bytes": 1.1e10, "peak_ram_bytes": 3.2e9,
                          "fits": 3.0, "fits_recorded": 3, "source": "estimated from
                          counted FLOPs of the dry run (cost model: ...)"}, ...}

and fails (exit 1) when a chapter's estimate exceeds ``--max-hours`` (2, a free Colab
session), its checkpoint writes exceed ``--max-checkpoint-gb`` (60: 7 min of writes, in the
estimate) or its largest checkpoint, twice (the old file and the new one while it is
replaced), exceeds ``--max-disk-gb`` (20). Chapters without new
records keep the estimates already in the output file (a build that reused executed
chapters). A measurement of a GPU (``benchmarks/gpu_check.py``) replaces an estimate when
its JSON is given with ``--measured``.

Cost model (stated in every entry's ``source``):

- a full-profile step costs the dry run's counted FLOPs per step scaled to the full batch
  (``batch_full / batch_dry``) and, for VGG16, to 224 px images (``(224 / size_dry)²``:
  the convolutions dominate; the fully connected layers do not grow, so this errs high);
- steps per fit: the uncapped epochs × the uncapped steps per epoch; where the recipe makes
  an epoch one pass over the data, the data the dry run capped to one utterance per speaker
  and emotion is scaled back by ``DATA_FACTOR`` = 7.5 (RAVDESS: 1,440 utterances in 192
  speaker × emotion cells); every fit is repeated for each seed of the full profile (the
  dry run runs one; errs high where a chapter runs fewer seeds or shares source models);
- a fit that stands for several (its record's ``weight``: a dry run that cut a sweep, e.g.
  two of four label budgets, ran its fits inside ``serlib.train.costs.weighted_fits``, which
  ``serlib.experiments.cuts`` sets to the uncapped count over the capped count) costs
  ``weight`` times its own cost (time, FLOPs, steps, checkpoint writes): the estimate counts
  the fits the full edition makes (``fits``), not the ones the dry run made
  (``fits_recorded``);
- a T4 sustains ``EFFICIENCY`` = 25 % of its 65 TFLOP/s float16 tensor-core peak in mixed
  precision, plus ``STEP_OVERHEAD_S`` = 15 ms per step (loading, launches) and
  ``EVAL_FRACTION`` = 20 % for dev selection and probes;
- one checkpoint (the dry run's file size) every ``CHECKPOINT_EVERY_S`` = 600 s of a fit and
  after its last epoch, written at ``DISK_BYTES_PER_S`` = 150 MB/s.

Chapter: book/appendix_scaling.md
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

T4_PEAK_FLOPS = 65e12
EFFICIENCY = 0.25
STEP_OVERHEAD_S = 0.015
EVAL_FRACTION = 0.20
DATA_FACTOR = 7.5
FULL_IMAGE_SIZE = 224
CHECKPOINT_EVERY_S = 600.0
DISK_BYTES_PER_S = 150e6
MODEL = (f"T4 at {EFFICIENCY:.0%} of {T4_PEAK_FLOPS / 1e12:.0f} TFLOP/s fp16 peak, "
         f"+{STEP_OVERHEAD_S * 1e3:.0f} ms per step, +{EVAL_FRACTION:.0%} for evaluation; "
         f"steps uncapped from the recipe (data x{DATA_FACTOR} where an epoch is one pass, "
         "x the full profile's seeds; x each cut sweep's uncapped/capped runs); "
         f"VGG16 FLOPs scaled to {FULL_IMAGE_SIZE} px; a checkpoint every "
         f"{CHECKPOINT_EVERY_S:.0f} s at {DISK_BYTES_PER_S / 1e6:.0f} MB/s")
SOURCE = f"estimated from counted FLOPs of the dry run (cost model: {MODEL})"


def read_records(folder: Path) -> list[dict[str, Any]]:
    """Every record of every ``*.jsonl`` file under ``folder``."""
    records = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                records.append(json.loads(line))
    return records


def cost_of_fit(record: dict[str, Any]) -> dict[str, float]:
    """The full-profile cost of one recorded (dry-run) fit, by the cost model above."""
    full = record.get("full") or {}
    batch_dry = record.get("batch_size") or 1
    batch_full = full.get("batch_size") or batch_dry
    scale = batch_full / batch_dry
    if record.get("model") == "VGG16Mel" and record.get("image_size"):
        scale *= (FULL_IMAGE_SIZE / record["image_size"]) ** 2
    flops_step = (record.get("flops_per_step") or 0.0) * scale
    epochs = full.get("num_epochs") or record["num_epochs"]
    if full and full.get("steps_per_epoch") is None:  # one pass over the uncapped data
        per_epoch = max(1, math.ceil(record.get("items", 0) * DATA_FACTOR / batch_full))
    else:
        per_epoch = full.get("steps_per_epoch") or record["steps_per_epoch"]
    steps = epochs * per_epoch * (full.get("seeds") or 1)  # the dry run runs one seed
    weight = float(record.get("weight", 1.0))  # the fits of a cut sweep it stands for
    compute = steps * (flops_step / (T4_PEAK_FLOPS * EFFICIENCY) + STEP_OVERHEAD_S)
    compute *= 1 + EVAL_FRACTION
    size = record.get("checkpoint_file_bytes", 0)
    saves = (math.floor(compute / CHECKPOINT_EVERY_S) + 1) if size else 0
    written = saves * size
    return {"t4_seconds": weight * (compute + written / DISK_BYTES_PER_S),
            "flops": weight * flops_step * steps, "steps": round(weight * steps),
            "checkpoint_bytes": round(weight * written), "checkpoint_file_bytes": size,
            "peak_ram_bytes": record.get("peak_ram_bytes", 0), "fits": weight}


def estimate(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per chapter: the sums over its fits (peak RAM: the maximum)."""
    out: dict[str, dict[str, Any]] = defaultdict(lambda: {
        "t4_seconds": 0.0, "flops": 0.0, "steps": 0, "checkpoint_bytes": 0,
        "checkpoint_file_bytes": 0, "peak_ram_bytes": 0, "fits": 0.0, "fits_recorded": 0,
        "source": SOURCE})
    for record in records:
        cost, entry = cost_of_fit(record), out[record.get("chapter", "unknown")]
        for key in ("t4_seconds", "flops", "steps", "checkpoint_bytes"):
            entry[key] += cost[key]
        for key in ("peak_ram_bytes", "checkpoint_file_bytes"):
            entry[key] = max(entry[key], cost[key])
        entry["fits"] += cost["fits"]
        entry["fits_recorded"] += 1
    return {k: {**v, "t4_seconds": round(v["t4_seconds"], 1), "fits": round(v["fits"], 2)}
            for k, v in sorted(out.items())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("records", type=Path, help="the folder of SERLIB_COST_LOG")
    parser.add_argument("--out", type=Path, default=Path("_build/t4_estimates.json"))
    parser.add_argument("--max-hours", type=float, default=2.0)
    parser.add_argument("--max-checkpoint-gb", type=float, default=60.0,
                        help="checkpoint bytes a chapter may write (GB)")
    parser.add_argument("--max-disk-gb", type=float, default=20.0,
                        help="disk a chapter's checkpoint may hold: old + new file (GB)")
    parser.add_argument("--measured", type=Path, default=None,
                        help="a gpu_check.py JSON whose 'chapters' replace the estimates")
    args = parser.parse_args(argv)
    estimates = estimate(read_records(args.records)) if args.records.is_dir() else {}
    previous = json.loads(args.out.read_text()) if args.out.is_file() else {}
    merged = {**previous, **estimates}
    if args.measured and args.measured.is_file():
        for stem, seconds in json.loads(args.measured.read_text()).get("chapters", {}).items():
            merged.setdefault(stem, {})
            merged[stem].update(t4_seconds=seconds, source="measured by benchmarks/gpu_check.py")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(merged, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, args.out)
    failures = []
    for stem, entry in sorted(merged.items()):
        hours, gb = entry["t4_seconds"] / 3600, entry.get("checkpoint_bytes", 0) / 1e9
        print(f"{stem:28s} {hours:6.2f} h on a T4 (estimated), {entry.get('steps', 0):>9,} "
              f"steps, {entry.get('fits', 0):6.1f} fits, {entry.get('flops', 0):.2e} FLOPs, "
              f"checkpoints {gb:6.2f} GB, peak RAM "
              f"{entry.get('peak_ram_bytes', 0) / 1e9:.2f} GB")
        if hours > args.max_hours:
            failures.append(f"{stem}: {hours:.2f} h estimated > {args.max_hours} h")
        if gb > args.max_checkpoint_gb:
            failures.append(f"{stem}: {gb:.1f} GB of checkpoint writes > "
                            f"{args.max_checkpoint_gb} GB")
        disk = 2 * entry.get("checkpoint_file_bytes", 0) / 1e9  # the old file + the new one
        if disk > args.max_disk_gb:
            failures.append(f"{stem}: {disk:.1f} GB of checkpoint on disk > {args.max_disk_gb} GB")
    print(f"wrote {args.out} ({SOURCE})")
    if failures:
        print("over budget (a free Colab session): " + "; ".join(failures)
              + ". Fewer fits or seeds on the page (complete grids: `serlib experiment run "
              "... --profile full`)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
