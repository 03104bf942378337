"""Cost records of a fit (FLOPs, steps, checkpoint bytes, RAM) and the T4 estimate from them."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from serlib.adapt import supervised_step
from serlib.train import TrainConfig, costs, fit

REPO = Path(__file__).resolve().parents[2]


def _cost_report():
    spec = importlib.util.spec_from_file_location("cost_report", REPO / "tools" / "cost_report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_fit_records_its_costs(tiny_model, loaders, tmp_path, monkeypatch):
    monkeypatch.setenv(costs.COST_LOG_ENV, str(tmp_path / "costs"))
    monkeypatch.setenv("SERLIB_CHAPTER", "99_test")
    costs._COUNTED.clear()
    config = TrainConfig(num_epochs=2, steps_per_epoch=3, device="cpu")
    fit(tiny_model(), supervised_step, loaders(), config=config, progress=False,
        checkpoint_path=tmp_path / "run.ckpt")
    (record,) = [json.loads(line) for f in (tmp_path / "costs").glob("*.jsonl")
                 for line in f.read_text().splitlines()]
    assert record["chapter"] == "99_test" and record["model"] == "SmallCNN"
    assert record["steps_run"] == 6 and record["flops_per_step"] > 0
    size = (tmp_path / "run.ckpt").stat().st_size
    assert size < record["checkpoint_bytes"] <= 2 * size  # SERLIB_CHECKPOINT_EVERY=0: 2 writes
    assert record["checkpoint_file_bytes"] == size and record["peak_ram_bytes"] > 0
    assert record["stage"] == "source" and record["batch_size"] == 8


def test_no_record_without_the_variable(tiny_model, loaders, tmp_path, monkeypatch):
    monkeypatch.delenv(costs.COST_LOG_ENV, raising=False)
    fit(tiny_model(), supervised_step, loaders(), progress=False,
        config=TrainConfig(num_epochs=1, steps_per_epoch=1, device="cpu"))
    assert not list(tmp_path.iterdir())


def test_the_checkpoint_budget_writes_only_the_last_epoch(tiny_model, loaders, tmp_path,
                                                          monkeypatch):
    monkeypatch.setenv("SERLIB_CHECKPOINT_EVERY", "3600")
    monkeypatch.setenv(costs.COST_LOG_ENV, str(tmp_path / "costs"))
    fit(tiny_model(), supervised_step, loaders(), progress=False, checkpoint_path=tmp_path / "a",
        config=TrainConfig(num_epochs=3, steps_per_epoch=1, device="cpu"))
    (record,) = [json.loads(line) for f in (tmp_path / "costs").glob("*.jsonl")
                 for line in f.read_text().splitlines()]
    assert record["checkpoint_bytes"] == (tmp_path / "a").stat().st_size  # one write, not 3


def test_cost_report_estimates_and_enforces_the_budget(tmp_path):
    report = _cost_report()
    folder = tmp_path / "costs"
    folder.mkdir()
    base = {"chapter": "04_x", "model": "VGG16Mel", "image_size": 64, "batch_size": 8,
            "items": 70, "flops_per_step": 6.6e10, "num_epochs": 1, "steps_per_epoch": 2,
            "steps_run": 2, "checkpoint_file_bytes": 2_000_000_000, "peak_ram_bytes": 10,
            "full": {"num_epochs": 400, "steps_per_epoch": None, "batch_size": 16,
                     "seeds": 1}}
    (folder / "1.jsonl").write_text(json.dumps(base) + "\n")
    out = tmp_path / "t4.json"
    assert report.main([str(folder), "--out", str(out)]) == 0
    entry = json.loads(out.read_text())["04_x"]
    assert entry["steps"] == 400 * 33  # ceil(70 * 7.5 / 16) steps per epoch
    assert 0.3 < entry["t4_seconds"] / 3600 < 2 and "estimated" in entry["source"]
    assert entry["flops"] == 6.6e10 * 2 * (224 / 64) ** 2 * 400 * 33
    base["full"]["seeds"] = 3
    (folder / "1.jsonl").write_text(json.dumps(base) + "\n")
    assert report.main([str(folder), "--out", str(out), "--max-hours", "0.5"]) == 1
    assert report.main([str(tmp_path / "none"), "--out", str(out), "--max-hours", "9",
                        "--max-checkpoint-gb", "999"]) == 0  # kept from the previous run


def test_a_fit_inside_weighted_fits_records_its_weight(tiny_model, loaders, tmp_path,
                                                       monkeypatch):
    monkeypatch.setenv(costs.COST_LOG_ENV, str(tmp_path / "costs"))
    with costs.weighted_fits(2.0), costs.weighted_fits(1.5):
        fit(tiny_model(), supervised_step, loaders(), progress=False,
            config=TrainConfig(num_epochs=1, steps_per_epoch=1, device="cpu"))
    fit(tiny_model(), supervised_step, loaders(), progress=False,
        config=TrainConfig(num_epochs=1, steps_per_epoch=1, device="cpu"))
    records = [json.loads(line) for f in (tmp_path / "costs").glob("*.jsonl")
               for line in f.read_text().splitlines()]
    assert [r["weight"] for r in records] == [3.0, 1.0]
    with pytest.raises(ValueError, match="must be > 0"):
        with costs.weighted_fits(0):
            pass


def test_a_cut_sweep_is_estimated_as_the_uncapped_sweep(tmp_path):
    """Two of four budgets, each weighted 4 / 2, cost what the four unweighted fits cost."""
    report = _cost_report()
    base = {"model": "BYOLSClassifier", "image_size": None, "batch_size": 8, "items": 70,
            "flops_per_step": 3.3e9, "num_epochs": 1, "steps_per_epoch": 2, "steps_run": 2,
            "checkpoint_file_bytes": 400_000_000, "peak_ram_bytes": 10,
            "full": {"num_epochs": 100, "steps_per_epoch": None, "batch_size": 100,
                     "seeds": 1}}
    uncapped = [{**base, "chapter": "08_x"} for _ in (0, 25, 50, 100)]
    capped = [{**base, "chapter": "08_x", "weight": 4 / 2} for _ in (0, 25)]
    zero_shot = {**base, "chapter": "08_x", "flops_per_step": 1e9}  # not cut: weight 1
    full, cut = (report.estimate([*r, zero_shot])["08_x"] for r in (uncapped, capped))
    for key in ("t4_seconds", "flops", "steps", "checkpoint_bytes", "fits"):
        assert cut[key] == pytest.approx(full[key], rel=1e-6), key
    assert (cut["fits"], cut["fits_recorded"], full["fits_recorded"]) == (5, 3, 5)
    old = report.estimate([{k: v for k, v in r.items() if k != "weight"} for r in capped]
                          + [zero_shot])["08_x"]
    assert old["t4_seconds"] < 0.7 * full["t4_seconds"]  # what the records said before
