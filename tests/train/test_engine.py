"""The training engine: determinism, resume, selection on dev only, cycling, steps per epoch."""

from __future__ import annotations

import functools

import pandas as pd
import pytest
import torch

from serlib.adapt import make_adversary, mmd_step, supervised_step
from serlib.adapt.dann import dann_step
from serlib.errors import CheckpointError, ConfigError
from serlib.evaluate import uar_selection
from serlib.features.batching import UtteranceDataset, make_loader
from serlib.train import Cycler, TrainConfig, fit


def _dev(loader):
    """Selection by UAR on the tests' dev loader."""
    return uar_selection(loader, "source_dev")


def _train_loader(dataset, *, batch_size, seed, max_frames=None):
    return make_loader(dataset, batch_size=batch_size, shuffle=True, seed=seed, drop_last=True,
                       max_frames=max_frames)


def _weights(model) -> dict:
    return {k: v.clone() for k, v in model.state_dict().items()}


def _same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _run(tiny_model, loaders, dev_loader, *, seed=0, names=("source",), dropout=0.0, **kwargs):
    model = tiny_model(dropout=dropout)
    settings = {"num_epochs": 3, "steps_per_epoch": 4, "lr": 1e-2, "seed": seed,
                "device": "cpu", **kwargs.pop("config", {})}
    config = TrainConfig(**settings)
    result = fit(model, kwargs.pop("step_fn", supervised_step), loaders(names), config=config,
                 selection=_dev(dev_loader), progress=False, **kwargs)
    return model, result


def test_same_seed_same_run(tiny_model, loaders, dev_loader):
    model_a, a = _run(tiny_model, loaders, dev_loader, names=("source", "target"), dropout=0.5)
    model_b, b = _run(tiny_model, loaders, dev_loader, names=("source", "target"), dropout=0.5)
    pd.testing.assert_frame_equal(a.history, b.history)
    pd.testing.assert_frame_equal(a.epochs, b.epochs)
    assert (a.best_epoch, a.best_score) == (b.best_epoch, b.best_score)
    assert _same_weights(_weights(model_a), _weights(model_b))


def test_other_seed_other_run(tiny_model, loaders, dev_loader):
    _, a = _run(tiny_model, loaders, dev_loader, seed=0, dropout=0.5)  # seeds the dropout
    _, b = _run(tiny_model, loaders, dev_loader, seed=1, dropout=0.5)
    assert not a.history["loss"].equals(b.history["loss"])


def test_history_has_named_terms_per_step(tiny_model, loaders, dev_loader):
    _, result = _run(tiny_model, loaders, dev_loader, names=("source", "target"))
    assert len(result.history) == 3 * 4
    assert {"epoch", "step", "lr", "loss", "ce_s", "ce_t"} <= set(result.history.columns)
    assert list(result.history["step"]) == list(range(12))
    assert list(result.epochs["epoch"]) == [1, 2, 3]
    assert "dev_score" in result.epochs
    assert result.selected_on == "source_dev"


def test_steps_per_epoch_defaults_to_first_loader(tiny_model, loaders):
    model = tiny_model()
    config = TrainConfig(num_epochs=2, lr=1e-2, device="cpu")
    result = fit(model, supervised_step, loaders(("target", "source")), config=config,
                 progress=False)  # target: 9 utterances in batches of 8 -> 2 batches
    assert len(result.history) == 2 * 2
    assert result.best_epoch is None and result.selected_on is None


def test_selection_keeps_the_best_dev_epoch(tiny_model, loaders, dev_loader):
    model, result = _run(tiny_model, loaders, dev_loader, config={"lr": 5e-2})
    best = result.epochs.loc[result.epochs["dev_score"].idxmax()]
    assert result.best_epoch == int(best["epoch"])
    assert result.best_score == pytest.approx(uar_selection(dev_loader, "source_dev").score(model))


class CountingLoader:
    """Wraps a loader and counts how often it is iterated."""

    def __init__(self, loader):
        self.loader, self.passes = loader, 0

    def __iter__(self):
        self.passes += 1
        return iter(self.loader)

    def __len__(self):
        return len(self.loader)


def test_selection_iterates_the_dev_loader_once_per_epoch(tiny_model, loaders, dev_loader):
    counting = CountingLoader(dev_loader)
    _run(tiny_model, loaders, counting)
    assert counting.passes == 3


def test_early_stopping(tiny_model, loaders, dev_loader):
    def frozen_step(model, batches, *, frac_done):  # the model never changes
        loss = sum(p.sum() for p in model.parameters()) * 0.0
        return {"loss": loss}

    _, result = _run(tiny_model, loaders, dev_loader, step_fn=frozen_step,
                     config={"patience": 1, "lr": 1e-3})
    assert result.stopped_early
    assert len(result.epochs) == 2 and result.best_epoch == 1


def test_step_must_return_loss(tiny_model, loaders):
    with pytest.raises(ValueError, match="'loss'"):
        fit(tiny_model(), lambda model, batches, frac_done: {"ce": torch.tensor(1.0)},
            loaders(), config=TrainConfig(num_epochs=1, device="cpu"), progress=False)


def test_config_errors():
    with pytest.raises(ConfigError):
        TrainConfig(num_epochs=0)
    with pytest.raises(ConfigError):
        TrainConfig(steps_per_epoch=0)
    with pytest.raises(ConfigError):
        TrainConfig(lr_decay=1.5)


def test_lr_decays_every_n_epochs(tiny_model, loaders):
    config = TrainConfig(num_epochs=4, steps_per_epoch=1, lr=1.0e-2, lr_decay=0.5,
                         lr_decay_every=2, device="cpu")
    result = fit(tiny_model(), supervised_step, loaders(), config=config, progress=False)
    assert result.history["lr"].tolist() == pytest.approx([1e-2, 1e-2, 5e-3, 5e-3])


# ----------------------------------------------------------------------------- cycling


def test_cycler_restarts_the_shorter_loader(datasets):
    loader = make_loader(datasets["target"], batch_size=4, shuffle=True, seed=3)  # 3 batches
    cycler = Cycler(loader)
    seen = [next(cycler).index.tolist() for _ in range(6)]
    first, second = seen[:3], seen[3:]
    flat = [sorted(i for batch in part for i in batch) for part in (first, second)]
    assert flat[0] == flat[1] == list(range(9))
    assert first != second  # reshuffled
    assert cycler.passes == 2 and cycler.taken == 3


def test_cycler_state_replays_the_same_batches(datasets):
    a = Cycler(make_loader(datasets["source"], batch_size=5, shuffle=True, seed=1))
    for _ in range(7):
        next(a)
    state = a.state_dict()
    rest_a = [next(a).index.tolist() for _ in range(6)]
    b = Cycler(make_loader(datasets["source"], batch_size=5, shuffle=True, seed=99))
    b.load_state_dict(state)
    assert [next(b).index.tolist() for _ in range(6)] == rest_a


def test_engine_pairs_loaders_of_different_lengths(tiny_model, datasets):
    seen: dict[str, list[int]] = {"source": [], "target": []}

    def recording_step(model, batches, *, frac_done):
        for name in seen:
            seen[name] += batches[name].index.tolist()
        return supervised_step(model, batches, frac_done=frac_done)

    names = {"source": make_loader(datasets["source"], batch_size=8, shuffle=True, seed=0),
             "target": make_loader(datasets["target"], batch_size=3, shuffle=True, seed=1)}
    fit(tiny_model(), recording_step, names,
        config=TrainConfig(num_epochs=2, steps_per_epoch=6, device="cpu"), progress=False)
    assert len(seen["source"]) == 12 * 8  # 3 batches per pass, cycled 4 times
    assert len(seen["target"]) == 12 * 3
    for name, size in (("source", 24), ("target", 9)):
        passes = [seen[name][i:i + size] for i in range(0, len(seen[name]), size)]
        assert all(sorted(p) == list(range(size)) for p in passes)


# ----------------------------------------------------------------------------- resume


class Crash(Exception):
    pass


def test_resume_gives_the_uninterrupted_result(tiny_model, loaders, dev_loader, tmp_path):
    config = TrainConfig(num_epochs=4, steps_per_epoch=3, lr=2e-2, lr_decay=0.5,
                         lr_decay_every=1, seed=5, device="cpu")
    names = ("source", "target", "unlabelled")
    step = functools.partial(mmd_step, trade_off=0.5)
    model_a = tiny_model(dropout=0.3)
    full = fit(model_a, step, loaders(names, batch_size=5), config=config,
               selection=_dev(dev_loader), progress=False)

    calls = {"n": 0}

    def crashing_step(model, batches, *, frac_done):
        calls["n"] += 1
        if calls["n"] == 8:  # in the third epoch
            raise Crash
        return step(model, batches, frac_done=frac_done)

    ckpt = tmp_path / "run.ckpt"
    with pytest.raises(Crash):
        fit(tiny_model(dropout=0.3), crashing_step, loaders(names, batch_size=5), config=config,
            selection=_dev(dev_loader), progress=False,
            checkpoint_path=ckpt)
    assert ckpt.is_file()
    # a new process: fresh model and loaders, the same checkpoint
    model_b = tiny_model(seed=123, dropout=0.3)
    resumed = fit(model_b, step, loaders(names, batch_size=5), config=config,
                  selection=_dev(dev_loader), progress=False,
            checkpoint_path=ckpt)
    assert resumed.resumed_from == 2
    pd.testing.assert_frame_equal(full.history, resumed.history)
    pd.testing.assert_frame_equal(full.epochs, resumed.epochs)
    assert (full.best_epoch, full.best_score) == (resumed.best_epoch, resumed.best_score)
    assert _same_weights(_weights(model_a), _weights(model_b))

    # a finished checkpoint: nothing is trained again, the same result comes back
    def never(model, batches, *, frac_done):
        raise AssertionError("a finished run must not train again")

    model_c = tiny_model(seed=7, dropout=0.3)
    again = fit(model_c, never, loaders(names, batch_size=5), config=config,
                selection=_dev(dev_loader), progress=False,
            checkpoint_path=ckpt)
    pd.testing.assert_frame_equal(full.history, again.history)
    assert _same_weights(_weights(model_a), _weights(model_c))


def test_checkpoint_of_another_run_is_refused(tiny_model, loaders, tmp_path):
    ckpt = tmp_path / "run.ckpt"
    fit(tiny_model(), supervised_step, loaders(), progress=False, checkpoint_path=ckpt,
        config=TrainConfig(num_epochs=1, steps_per_epoch=1, device="cpu"))
    with pytest.raises(CheckpointError, match="another run"):
        fit(tiny_model(), supervised_step, loaders(), progress=False, checkpoint_path=ckpt,
            config=TrainConfig(num_epochs=1, steps_per_epoch=1, lr=0.5, device="cpu"))



@pytest.mark.parametrize("damage", ["garbage", "flipped", "nan"])
def test_a_damaged_checkpoint_is_rebuilt_with_a_warning(tiny_model, loaders, tmp_path, damage):
    from serlib.errors import CacheWarning
    from serlib.integrity import digest_path, write_with_digest

    config = TrainConfig(num_epochs=2, steps_per_epoch=1, device="cpu")
    ckpt = tmp_path / "run.ckpt"
    clean = fit(tiny_model(), supervised_step, loaders(), progress=False, config=config)
    fit(tiny_model(), supervised_step, loaders(), progress=False, checkpoint_path=ckpt,
        config=config)
    if damage == "garbage":
        ckpt.write_bytes(b"not a checkpoint")
    elif damage == "flipped":
        data = bytearray(ckpt.read_bytes())
        data[len(data) // 2] ^= 0x01
        ckpt.write_bytes(bytes(data))
    else:  # a well-formed file whose weights are NaN, with a matching digest
        payload = torch.load(ckpt, weights_only=True)
        for v in payload["modules"]["model"].values():
            if v.is_floating_point():
                v.fill_(float("nan"))
        digest_path(ckpt).unlink()
        write_with_digest(ckpt, lambda tmp: torch.save(payload, tmp))
    with pytest.warns(CacheWarning, match=ckpt.name.replace(".", r"\.")):
        again = fit(tiny_model(), supervised_step, loaders(), progress=False,
                    checkpoint_path=ckpt, config=config)
    assert again.resumed_from is None  # trained from the start, the same result
    pd.testing.assert_frame_equal(clean.history, again.history)


def test_extras_are_trained_and_checkpointed(tiny_model, loaders, tmp_path):
    model = tiny_model()
    adversary = make_adversary(8, hidden=4)
    before = _weights(adversary)
    step = functools.partial(dann_step, adversary=adversary)
    ckpt = tmp_path / "dann.ckpt"
    fit(model, step, loaders(("source", "unlabelled")), extras={"adversary": adversary},
        config=TrainConfig(num_epochs=1, steps_per_epoch=3, device="cpu"), progress=False,
        checkpoint_path=ckpt)
    assert not _same_weights(before, _weights(adversary))
    saved = torch.load(ckpt, weights_only=True)
    assert set(saved["modules"]) == {"model", "adversary"}
    with pytest.raises(ValueError, match="reserved"):
        fit(model, step, loaders(), extras={"model": adversary},
            config=TrainConfig(num_epochs=1, device="cpu"), progress=False)


def test_frozen_parameters_stay_frozen(tiny_model, loaders):
    model = tiny_model()
    for p in model.conv.parameters():
        p.requires_grad_(False)
    conv = {k: v.detach().clone() for k, v in model.conv.named_parameters()}
    fit(model, supervised_step, loaders(),
        config=TrainConfig(num_epochs=1, steps_per_epoch=2, device="cpu"), progress=False)
    after = dict(model.conv.named_parameters())
    assert all(torch.equal(v, after[k]) for k, v in conv.items())


def test_amp_is_off_on_cpu(tiny_model, loaders):
    result = fit(tiny_model(), supervised_step, loaders(),
                 config=TrainConfig(num_epochs=1, steps_per_epoch=2, amp=True, device="cpu"),
                 progress=False)
    assert result.history["loss"].notna().all()


def test_unlabelled_items_in_a_labelled_loader_are_an_error(tiny_model, datasets):
    loader = make_loader(UtteranceDataset(datasets["target"].feats, None), batch_size=4,
                         shuffle=False)
    with pytest.raises(ValueError, match="unlabelled"):
        fit(tiny_model(), supervised_step, {"target": loader},
            config=TrainConfig(num_epochs=1, device="cpu"), progress=False)


def test_resume_with_random_crops(tiny_model, datasets, dev_loader, tmp_path):
    def make():
        return {"source": _train_loader(datasets["source"], batch_size=5, seed=1, max_frames=20),
                "unlabelled": _train_loader(datasets["unlabelled"], batch_size=4, seed=2,
                                           max_frames=16)}

    config = TrainConfig(num_epochs=3, steps_per_epoch=5, lr=1e-2, seed=0, device="cpu")
    step = functools.partial(mmd_step, trade_off=1.0)
    model_a = tiny_model(dropout=0.2)
    full = fit(model_a, step, make(), config=config, selection=_dev(dev_loader), progress=False)
    calls = {"n": 0}

    def crashing(model, batches, *, frac_done):
        calls["n"] += 1
        if calls["n"] == 12:
            raise Crash
        return step(model, batches, frac_done=frac_done)

    ckpt = tmp_path / "crops.ckpt"
    with pytest.raises(Crash):
        fit(tiny_model(dropout=0.2), crashing, make(), config=config, selection=_dev(dev_loader),
            progress=False, checkpoint_path=ckpt)
    model_b = tiny_model(dropout=0.2)
    resumed = fit(model_b, step, make(), config=config, selection=_dev(dev_loader), progress=False,
                  checkpoint_path=ckpt)
    assert resumed.resumed_from == 2
    pd.testing.assert_frame_equal(full.history, resumed.history)
    assert _same_weights(_weights(model_a), _weights(model_b))


def test_training_loader_crops_and_drops_the_last_batch(datasets):
    loader = _train_loader(datasets["source"], batch_size=5, seed=0, max_frames=12)
    batches = list(loader)
    assert len(batches) == 4 and all(len(b.y) == 5 for b in batches)  # 24 = 4 x 5 + 4 dropped
    assert all(int(b.lengths.max()) <= 12 for b in batches)
    small = _train_loader(datasets["target"], batch_size=100, seed=0)
    assert [len(b.y) for b in small] == [9]


def test_epoch_means_are_the_history_means(tiny_model, loaders, dev_loader):
    """An epoch's summary is the mean of its steps' terms (what a DataFrame would give)."""
    _, result = _run(tiny_model, loaders, dev_loader, names=("source", "target"))
    by_epoch = result.history.drop(columns=["step", "lr"]).groupby("epoch").mean()
    for _, row in result.epochs.iterrows():
        for name in by_epoch.columns:
            assert row[name] == pytest.approx(by_epoch.loc[row["epoch"], name], rel=1e-12)


def test_epoch_means_skip_missing_and_nan_terms():
    from serlib.train.engine import _epoch_means

    rows = [{"epoch": 1, "step": 0, "lr": 0.1, "loss": 1.0, "mmd": float("nan")},
            {"epoch": 1, "step": 1, "lr": 0.1, "loss": 3.0, "mmd": 2.0, "extra": 5.0}]
    assert _epoch_means(rows) == {"loss": 2.0, "mmd": 2.0, "extra": 5.0}
    assert list(_epoch_means(rows)) == ["loss", "mmd", "extra"]  # first-seen order
