"""Data-parallel training on CPU: 2 gloo processes against 1, every method, resume.

The tests that train start 2 processes with ``torch.multiprocessing`` and the environment
``torchrun`` sets (the ``run_ranks`` fixture of ``tests/conftest.py``), so the code path is
the one ``serlib experiment run --distributed`` takes.
"""

from __future__ import annotations

import os
import signal

import pytest
import torch
from torch.multiprocessing.spawn import ProcessException

from serlib.adapt import build_step, get_method
from serlib.errors import ConfigError
from serlib.evaluate import uar_selection
from serlib.features import UtteranceDataset, eval_loader, make_loader
from serlib.models import EmbeddingClassifier, SmallCNN
from serlib.train import TrainConfig, fit
from serlib.train.distributed import init_distributed, rank
from serlib.train.parallel import ShardBatchSampler, shard_loader

N_MELS, NUM_CLASSES = 16, 3
#: every method that trains, with the settings that make it deterministic (no dropout, no
#: mixup), so that 2 processes can be compared with 1 process on the combined batch
METHODS = {"transfer": {}, "mmd": {"trade_off": 0.5}, "hard_pl": {"normalize": "selected"},
           "soft_pl": {"use_mixup": False}, "dann": {"dropout": 0.0, "hidden": 8},
           "mmd_hard_pl": {"threshold": 0.4}}
#: 2 processes vs 1: float32 sums in another order over a few Adam steps (measured: < 1e-7)
TOLERANCE = 1e-6


def _data(n: int, *, shift: float, seed: int, labelled: bool = True) -> UtteranceDataset:
    g = torch.Generator().manual_seed(seed)
    feats, labels = [], []
    for i in range(n):
        x = torch.randn(1, N_MELS, int(torch.randint(16, 40, (1,), generator=g)), generator=g)
        x[:, (i % NUM_CLASSES) * 4:(i % NUM_CLASSES + 1) * 4] += 1.5
        feats.append(x * 0.5 + shift)
        labels.append(i % NUM_CLASSES)
    return UtteranceDataset(feats, labels if labelled else None)


def _datasets() -> dict[str, UtteranceDataset]:
    return {"source": _data(24, shift=0.0, seed=1), "target": _data(8, shift=0.7, seed=2),
            "unlabelled": _data(16, shift=0.7, seed=3, labelled=False),
            "dev": _data(9, shift=0.7, seed=4)}


def _loaders(data, names, *, batch_size=8, crops=None) -> dict:
    return {name: make_loader(data[name], batch_size=batch_size, shuffle=True, seed=10 + k,
                              drop_last=True, max_frames=crops) for k, name in enumerate(names)}


def _train(method: str, hyper: dict, *, model=None, num_epochs=2, steps=3, crops=None,
           checkpoint=None, crash_at=None) -> dict:
    """Train one method on the toy data; its weights (model and extras) and history."""
    data = _datasets()
    spec = get_method(method)
    names = [n for n, use in (("source", spec.uses_source), ("target", True),
                              ("unlabelled", spec.unlabelled != "none")) if use]
    if model is None:
        torch.manual_seed(0)
        model = EmbeddingClassifier(N_MELS, NUM_CLASSES, hidden=8, dropout=0.0)
    unlabelled = eval_loader(data["unlabelled"]) if "unlabelled" in names else None
    step = build_step(spec, model, hyper=hyper, unlabelled_loader=unlabelled)
    calls = {"n": 0}

    def step_fn(model, batches, *, frac_done):
        calls["n"] += 1
        if calls["n"] == crash_at and rank() == 1:
            os.kill(os.getpid(), signal.SIGKILL)  # one process dies, as on a lost node
        return step(model, batches, frac_done=frac_done)

    config = TrainConfig(num_epochs=num_epochs, steps_per_epoch=steps, lr=1e-2, seed=3,
                         device="cpu", lr_decay=0.5, lr_decay_every=1)
    result = fit(model, step_fn, _loaders(data, names, crops=crops), config=config,
                 selection=uar_selection(eval_loader(data["dev"]), "target_dev"),
                 progress=False, extras=step.state, checkpoint_path=checkpoint)
    weights = {f"{name}.{k}": v.detach().clone() for name, m in
               {"model": model, **step.state}.items() for k, v in m.state_dict().items()}
    return {"weights": weights, "history": result.history, "best_epoch": result.best_epoch,
            "resumed_from": result.resumed_from}


# ----------------------------------------------------------------------------- the jobs
def _job_every_method() -> dict:
    return {m: _train(m, hyper) for m, hyper in METHODS.items()}


def _job_with_randomness(checkpoint=None, crash_at=None) -> dict:
    """soft_pl with mixup, dropout, BatchNorm and random crops: nothing deterministic."""
    torch.manual_seed(0)
    model = SmallCNN(NUM_CLASSES, n_mels=N_MELS, channels=(4, 8, 8), embed_dim=8, dropout=0.3)
    out = _train("soft_pl", {}, model=model, num_epochs=3, crops=24, checkpoint=checkpoint,
                 crash_at=crash_at)
    again = _train("dann", {}, model=model, num_epochs=1, steps=2, crops=24)  # same model
    return {"soft_pl": out, "dann_after": again}


def _max_diff(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max(float((a[k].double() - b[k].double()).abs().max()) for k in a)


# ----------------------------------------------------------------------------- tests
def test_two_processes_reach_the_weights_of_one_on_the_combined_batch(run_ranks):
    ranks = run_ranks(_job_every_method)
    single = _job_every_method()  # this process: one process, batches of 8
    for method in METHODS:
        two, one = ranks[0][method], single[method]
        # the processes agree with each other (weights, the soft-label memory, history)
        assert _max_diff(ranks[1][method]["weights"], two["weights"]) == 0, method
        assert ranks[1][method]["history"].equals(two["history"]), method
        # ... and with one process on the combined batch
        assert _max_diff(two["weights"], one["weights"]) < TOLERANCE, method
        cols = [c for c in one["history"] if c not in ("epoch", "step", "lr")]
        diff = (two["history"][cols] - one["history"][cols]).abs().max().max()
        assert diff < TOLERANCE, (method, diff)
        assert two["best_epoch"] == one["best_epoch"], method


def test_random_methods_stay_in_step_and_resume_after_a_kill(run_ranks, tmp_path):
    full = run_ranks(_job_with_randomness)
    assert _max_diff(full[0]["soft_pl"]["weights"], full[1]["soft_pl"]["weights"]) == 0
    assert _max_diff(full[0]["dann_after"]["weights"], full[1]["dann_after"]["weights"]) == 0
    assert full[0]["soft_pl"]["history"].notna().all().all()

    ckpt = tmp_path / "run.ckpt"
    with pytest.raises(ProcessException):  # rank 1 is killed in the third epoch
        run_ranks(_job_with_randomness, ckpt, 8)
    assert ckpt.is_file()  # rank 0 wrote it after epoch 2
    resumed = run_ranks(_job_with_randomness, ckpt)
    assert resumed[0]["soft_pl"]["resumed_from"] == 2
    for r in range(2):
        a, b = full[r]["soft_pl"], resumed[r]["soft_pl"]
        assert _max_diff(a["weights"], b["weights"]) == 0
        assert a["history"].equals(b["history"])


# ----------------------------------------------------------------------------- without processes
def test_shards_of_a_loader_make_the_single_process_batches():
    data = _datasets()["source"]
    for batch_size, drop_last, world in ((8, True, 2), (8, False, 3), (5, False, 2)):
        one = make_loader(data, batch_size=batch_size, shuffle=True, seed=4,
                          drop_last=drop_last)
        shards = [shard_loader(make_loader(data, batch_size=batch_size, shuffle=True, seed=4,
                                           drop_last=drop_last), rank=r, world_size=world)
                  for r in range(world)]
        for _ in range(2):  # two passes: the order is redrawn alike
            expected = [b.index.tolist() for b in one]
            parts = [[b.index.tolist() for b in s] for s in shards]
            assert all(len(p) == len(expected) for p in parts)
            for k, batch in enumerate(expected):
                joined = [i for p in parts for i in p[k]]
                assert joined[: len(batch)] == batch  # rank order = the batch's order
                assert set(joined) == set(batch)  # topped up with its own items only
                assert len({len(p[k]) for p in parts}) == 1  # the same size everywhere


def test_share_tops_a_batch_up_to_a_multiple_of_the_processes():
    batches = [list(range(7)), [7, 8]]
    shares = [list(ShardBatchSampler(batches, rank=r, world_size=3)) for r in range(3)]
    assert shares == [[[0, 1, 2], [7]], [[3, 4, 5], [8]], [[6, 0, 1], [7]]]


def test_a_loader_that_cannot_be_split_is_a_clear_error():
    data = _datasets()["source"]
    unbatched = torch.utils.data.DataLoader(data, batch_size=None)
    with pytest.raises(ConfigError, match="make_loader"):
        shard_loader(unbatched, rank=0, world_size=2)


def test_without_torchrun_distributed_is_a_clear_error(monkeypatch):
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(ConfigError, match="torchrun --nproc-per-node"):
        init_distributed("cpu")
