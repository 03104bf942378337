"""The simulated accelerator: fit and predict keep every tensor on the device; mixes are caught."""

from __future__ import annotations

import functools
import json
import subprocess
import sys

import pytest
import torch

from serlib.adapt import mmd_step, supervised_step
from serlib.evaluate import uar_selection
from serlib.train import TrainConfig, fit, predict, reestimate_batchnorm
from serlib.train import sim_device as sim
from serlib.train.runtime import resolve_device


@pytest.fixture
def simulated(monkeypatch, tmp_path):
    """``"auto"`` resolves to the simulated device; violations go to a file; all undone after."""
    audit = tmp_path / "audit.jsonl"
    monkeypatch.setenv("SERLIB_SIMULATED_DEVICE", "1")
    monkeypatch.setenv(sim.AUDIT_FILE_ENV, str(audit))
    sim.VIOLATIONS.clear()
    yield audit
    sim.disable_simulated_device()
    sim.VIOLATIONS.clear()


def test_auto_resolves_to_the_simulated_device(simulated):
    device = resolve_device("auto")
    assert device.type == "cuda"
    x = torch.ones(3).to(device)
    assert isinstance(x, sim.SimTensor) and x.device.type == "cuda" and x.is_cuda
    assert type(x.cpu()) is torch.Tensor and x.cpu().device.type == "cpu"
    assert isinstance(torch.zeros(2, device="cuda"), sim.SimTensor)


def test_fit_and_predict_run_with_no_violation(simulated, tiny_model, loaders, dev_loader,
                                                tmp_path):
    config = TrainConfig(num_epochs=2, steps_per_epoch=3, lr=1e-2, seed=0, device="auto")
    model = tiny_model()
    step = functools.partial(mmd_step, trade_off=0.5)
    result = fit(model, step, loaders(("source", "unlabelled")), config=config,
                 selection=uar_selection(dev_loader, "source_dev"), progress=False,
                 checkpoint_path=tmp_path / "run.ckpt")
    assert next(model.parameters()).device.type == "cuda"
    assert len(result.history) == 6
    pred = predict(model, dev_loader)
    assert pred.logits.device.type == "cpu" and len(pred.y_pred) == len(pred.y)
    assert reestimate_batchnorm(model, dev_loader) >= 0
    # resume from the checkpoint written on the device: the finished run comes back
    again = fit(tiny_model(seed=3), step, loaders(("source", "unlabelled")), config=config,
                selection=uar_selection(dev_loader, "source_dev"), progress=False,
                checkpoint_path=tmp_path / "run.ckpt")
    assert again.resumed_from == 2
    assert sim.VIOLATIONS == [], sim.VIOLATIONS
    assert sim.check_audit_file(simulated) == []


def test_a_mixed_op_a_numpy_and_a_sync_in_a_step_are_violations(simulated, tiny_model, loaders):
    device = resolve_device("auto")
    x = torch.ones(4, 2).to(device)
    _ = x + torch.ones(4, 2)  # a CPU tensor beside a device tensor: CUDA would refuse
    _ = x + torch.tensor(1.0)  # a 0-d CPU scalar is fine (as on CUDA)
    x.numpy()
    with sim.training_step():
        float(x.sum())
    float(x.sum())  # outside a training step: not a violation

    def leaky_step(model, batches, *, frac_done):
        terms = supervised_step(model, batches, frac_done=frac_done)
        terms["loss"].item()  # a host sync in every step
        return terms

    fit(tiny_model(), leaky_step, loaders(), progress=False,
        config=TrainConfig(num_epochs=1, steps_per_epoch=2, device="auto"))
    kinds = [v["kind"] for v in sim.VIOLATIONS]
    assert kinds == ["mix", "numpy", "sync", "sync", "sync"], sim.VIOLATIONS
    assert all("test_sim_device.py" in v["where"] for v in sim.VIOLATIONS), sim.VIOLATIONS
    lines = [json.loads(line) for line in simulated.read_text().splitlines()]
    assert lines == sim.VIOLATIONS
    done = subprocess.run([sys.executable, "-m", "serlib.train.sim_device", "check",
                           str(simulated)], capture_output=True, text=True, check=False)
    assert done.returncode == 1 and "5 violations" in done.stderr


def test_a_batch_left_on_the_cpu_is_caught(simulated, tiny_model, dev_loader):
    model = tiny_model().to(resolve_device("auto"))
    batch = next(iter(dev_loader))  # never moved to the device
    with torch.no_grad():
        model(batch.x, batch.lengths)
    assert [v["kind"] for v in sim.VIOLATIONS][:1] == ["mix"]


def test_soft_pseudo_labels_train_without_a_host_sync(simulated, tiny_model, loaders):
    from serlib.adapt.soft_pseudo_label import soft_label_state, soft_pseudo_label_step
    from serlib.features.batching import make_loader

    model = tiny_model()
    pool = loaders(("unlabelled",))["unlabelled"].dataset
    state = soft_label_state(model, unlabelled_loader=make_loader(pool, batch_size=8,
                                                                  shuffle=False))
    step = functools.partial(soft_pseudo_label_step, memory=state["memory"])
    fit(model, step, loaders(("source", "unlabelled")), extras=state, progress=False,
        config=TrainConfig(num_epochs=1, steps_per_epoch=2, device="auto"))
    assert sim.VIOLATIONS == [], sim.VIOLATIONS
