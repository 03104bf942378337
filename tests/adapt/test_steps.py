"""The methods' step functions: their terms, masks, memories, and what they may not read."""

from __future__ import annotations

import functools

import pytest
import torch
import torch.nn.functional as F

from serlib.adapt import (
    METHODS,
    SoftLabelMemory,
    build_step,
    dann_step,
    hard_pseudo_label_step,
    make_adversary,
    mmd_hard_pseudo_label_step,
    mmd_step,
    soft_pseudo_label_step,
    supervised_step,
)
from serlib.errors import ConfigError
from serlib.evaluate import uar_selection
from serlib.features.batching import Batch, make_loader
from serlib.losses import hard_pseudo_label_loss, mmd2, soft_pseudo_label_loss
from serlib.train import TrainConfig, fit, predict


@pytest.fixture
def batches(datasets, batch_of) -> dict[str, Batch]:
    return {"source": batch_of(datasets["source"]), "target": batch_of(datasets["target"], 4),
            "unlabelled": batch_of(datasets["unlabelled"], 5)}


def _grads(model) -> dict[str, torch.Tensor]:
    return {k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None}


def test_supervised_step_sums_the_labelled_cross_entropies(tiny_model, batches):
    model = tiny_model()
    terms = supervised_step(model, {k: batches[k] for k in ("source", "target")})
    s, t = batches["source"], batches["target"]
    ce_s = F.cross_entropy(model(s.x, s.lengths), s.y)
    ce_t = F.cross_entropy(model(t.x, t.lengths), t.y)
    assert terms["ce_s"].item() == pytest.approx(ce_s.item(), rel=1e-6)
    assert terms["ce_t"].item() == pytest.approx(ce_t.item(), rel=1e-6)
    assert terms["loss"].item() == pytest.approx((ce_s + ce_t).item(), rel=1e-6)
    only_target = supervised_step(model, {"target": t})
    assert set(only_target) == {"loss", "ce_t"}
    with pytest.raises(ValueError, match="no labelled batch"):
        supervised_step(model, {"unlabelled": batches["unlabelled"]})


def test_mmd_step_adds_trade_off_times_mmd_on_model_features(tiny_model, batches):
    model = tiny_model()
    terms = mmd_step(model, batches, trade_off=0.3)
    s, t, u = batches["source"], batches["target"], batches["unlabelled"]
    feats_t = torch.cat([model.forward_features(t.x, t.lengths),
                         model.forward_features(u.x, u.lengths)])
    expected = mmd2(model.forward_features(s.x, s.lengths), feats_t, estimator="biased")
    assert terms["mmd"].item() == pytest.approx(expected.item(), rel=1e-5)
    assert terms["loss"].item() == pytest.approx(
        (terms["ce_s"] + terms["ce_t"] + 0.3 * terms["mmd"]).item(), rel=1e-6)
    unsupervised = mmd_step(model, {"source": s, "unlabelled": u})  # Eq. 1 to the letter
    assert "ce_t" not in unsupervised
    with pytest.raises(ValueError, match="target"):
        mmd_step(model, {"source": s})


def test_mmd_step_with_zero_trade_off_is_supervised(tiny_model, batches):
    labelled = {k: batches[k] for k in ("source", "target")}
    a, b = tiny_model(), tiny_model()
    mmd_step(a, labelled, trade_off=0.0)["loss"].backward()
    supervised_step(b, labelled)["loss"].backward()
    ga, gb = _grads(a), _grads(b)
    assert all(torch.allclose(ga[k], gb[k], atol=1e-6) for k in gb)


def test_hard_pseudo_labels_mask_and_loss(tiny_model, batches):
    model = tiny_model()
    u = batches["unlabelled"]
    terms = hard_pseudo_label_step(model, batches, threshold=0.4)
    pl, mask, _ = hard_pseudo_label_loss(model(u.x, u.lengths), 0.4)
    assert terms["pl"].item() == pytest.approx(pl.item(), rel=1e-6)
    assert terms["mask_rate"].item() == pytest.approx(mask.float().mean().item())
    assert terms["loss"].item() == pytest.approx(
        (terms["ce_s"] + terms["ce_t"] + terms["pl"]).item(), rel=1e-6)
    nothing = hard_pseudo_label_step(model, batches, threshold=1.0)
    assert nothing["mask_rate"].item() == 0.0 and nothing["pl"].item() == 0.0
    everything = hard_pseudo_label_step(model, batches, threshold=0.0)
    assert everything["mask_rate"].item() == 1.0
    with pytest.raises(ValueError, match="unlabelled"):
        hard_pseudo_label_step(model, {"source": batches["source"]})


@pytest.mark.parametrize("step", [
    functools.partial(hard_pseudo_label_step, threshold=0.3),
    functools.partial(mmd_hard_pseudo_label_step, threshold=0.3),
    mmd_step,
])
def test_steps_never_read_the_labels_of_unlabelled_data(tiny_model, batches, step):
    u = batches["unlabelled"]
    hidden = step(tiny_model(), batches)
    peeked = dict(batches, unlabelled=Batch(u.x, u.lengths, torch.randint(0, 3, u.y.shape),
                                            u.index))
    leaked = step(tiny_model(), peeked)
    assert all(torch.equal(hidden[k], leaked[k]) for k in hidden)


def test_soft_step_trains_on_the_memory_and_refreshes_it(tiny_model, batches):
    model = tiny_model()
    u = batches["unlabelled"]
    old = torch.softmax(torch.randn(15, 3), dim=1)
    memory = SoftLabelMemory(15, 3, old)
    terms = soft_pseudo_label_step(model, batches, memory=memory, use_mixup=False)
    logits_u = model(u.x, u.lengths)
    expected, parts = soft_pseudo_label_loss(logits_u, old[u.index])
    assert terms["pl"].item() == pytest.approx(expected.item(), rel=1e-5)
    assert terms["pl_ce"].item() == pytest.approx(parts["ce"].item(), rel=1e-5)
    assert terms["pl"].item() == pytest.approx(
        (terms["pl_ce"] + 0.8 * terms["prior"] + 0.4 * terms["entropy"]).item(), rel=1e-5)
    # the visited rows now hold this step's predictions, the others are untouched
    assert torch.allclose(memory.probs[u.index], logits_u.softmax(dim=1), atol=1e-6)
    others = torch.ones(15, dtype=torch.bool)
    others[u.index] = False
    assert torch.equal(memory.probs[others], old[others])
    # the soft CE term has a gradient (unlike soft targets taken from the same forward)
    model.zero_grad()
    soft_pseudo_label_step(model, {"unlabelled": u, "source": batches["source"]},
                           memory=SoftLabelMemory(15, 3, old), use_mixup=False,
                           lambda_prior=0.0, lambda_entropy=0.0)["pl"].backward()
    assert any(p.grad.abs().sum() > 0 for p in model.parameters() if p.grad is not None)


def test_soft_step_with_mixup_is_seeded(tiny_model, batches):
    results = []
    for _ in range(2):
        torch.manual_seed(0)
        memory = SoftLabelMemory(15, 3)
        results.append(soft_pseudo_label_step(tiny_model(), batches, memory=memory)["pl"])
    assert torch.equal(results[0], results[1])


def test_soft_memory_from_model(tiny_model, datasets):
    model = tiny_model()
    loader = make_loader(datasets["unlabelled"], batch_size=4, shuffle=True, seed=2)
    memory = SoftLabelMemory.from_model(model, loader)
    pred = predict(model, make_loader(datasets["unlabelled"], batch_size=4, shuffle=False))
    assert torch.allclose(memory.probs, pred.probs, atol=1e-6)
    assert torch.allclose(SoftLabelMemory(4, 2).probs, torch.full((4, 2), 0.5))
    with pytest.raises(ValueError, match="shape"):
        SoftLabelMemory(4, 2, torch.ones(3, 2) / 2)


def test_dann_reverses_nothing_at_the_start(tiny_model, batches):
    labelled = {k: batches[k] for k in ("source", "target")}
    a, b = tiny_model(), tiny_model()
    adversary = make_adversary(8, hidden=4)
    terms = dann_step(a, batches, adversary=adversary, frac_done=0.0)
    assert terms["coeff"].item() == 0.0 and 0.0 <= terms["domain_acc"].item() <= 1.0
    terms["loss"].backward()
    supervised_step(b, labelled)["loss"].backward()
    ga, gb = _grads(a), _grads(b)
    assert all(torch.allclose(ga[k], gb[k], atol=1e-6) for k in gb)  # coeff 0: no reversal
    assert any(p.grad.abs().sum() > 0 for p in adversary.parameters())  # D still learns
    later = dann_step(tiny_model(), batches, adversary=adversary, frac_done=0.5)
    assert later["coeff"].item() > 0.9


def test_mmd_hard_pseudo_label_step_sums_its_terms(tiny_model, batches):
    terms = mmd_hard_pseudo_label_step(tiny_model(), batches, trade_off=0.5, threshold=0.3)
    assert terms["loss"].item() == pytest.approx(
        (terms["ce_s"] + terms["ce_t"] + 0.5 * terms["mmd"] + terms["pl"]).item(), rel=1e-6)


@pytest.mark.parametrize("method", sorted(set(METHODS) - {"zero_shot"}))
def test_every_method_trains(tiny_model, datasets, loaders, dev_loader, method):
    spec = METHODS[method]
    names = (("source",) if spec.uses_source else ()) + ("target",)
    if spec.unlabelled != "none":
        names += ("unlabelled",)
    model = tiny_model()
    built = loaders(names, batch_size=5)
    eval_loader = make_loader(datasets["unlabelled"], batch_size=5, shuffle=False)
    step = build_step(method, model, unlabelled_loader=eval_loader)
    result = fit(model, step, built, config=TrainConfig(num_epochs=2, steps_per_epoch=2,
                                                        device="cpu"),
                 selection=uar_selection(dev_loader, "target_dev"), progress=False,
                 extras=step.state)
    assert result.history["loss"].notna().all() and result.selected_on == "target_dev"


def test_zero_shot_has_no_step(tiny_model):
    with pytest.raises(ConfigError, match="source model"):
        build_step("zero_shot", tiny_model())
    with pytest.raises(ConfigError, match="unknown method"):
        build_step("magic", tiny_model())


class LogitsAreInputs(torch.nn.Module):
    """A stub model whose 'features' and logits are its inputs (for hand-computed cases)."""

    def __init__(self):
        super().__init__()
        self.head = torch.nn.Identity()

    def forward_features(self, x, lengths=None):
        return x

    def forward(self, x, lengths=None):
        return x


def _logit_batch(logits, y=None):
    logits = torch.tensor(logits, dtype=torch.float32, requires_grad=True)
    n = logits.shape[0]
    y = torch.full((n,), -1) if y is None else torch.tensor(y)
    return Batch(logits, torch.ones(n, dtype=torch.long), y, torch.arange(n))


def test_soft_step_hand_values():
    # probabilities [.5, .5] and [.75, .25]; previous-visit targets [1, 0] and [0, 1]
    u = _logit_batch([[0.0, 0.0], [float(torch.log(torch.tensor(3.0))), 0.0]])
    memory = SoftLabelMemory(2, 2, torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    terms = soft_pseudo_label_step(LogitsAreInputs(), {"source": _logit_batch([[2.0, 0.0]], [0]),
                                                       "unlabelled": u},
                                   memory=memory, use_mixup=False)
    pl_ce = (0.693147 + 1.386294) / 2  # -(log .5 + log .25) / 2
    prior = 0.5 * float(torch.log(torch.tensor(0.5 / 0.625))) \
        + 0.5 * float(torch.log(torch.tensor(0.5 / 0.375)))  # KL(uniform || mean prediction)
    entropy = (0.693147 + 0.562335) / 2
    assert terms["pl_ce"].item() == pytest.approx(pl_ce, abs=1e-5)
    assert terms["prior"].item() == pytest.approx(prior, abs=1e-5)
    assert terms["entropy"].item() == pytest.approx(entropy, abs=1e-5)
    assert terms["pl"].item() == pytest.approx(pl_ce + 0.8 * prior + 0.4 * entropy, abs=1e-5)
    assert torch.allclose(memory.probs, torch.tensor([[0.5, 0.5], [0.75, 0.25]]))


def test_hard_step_mask_hand_values():
    # max probabilities: 0.5, 0.731 (logit gap 1), 0.881 (gap 2), 0.953 (gap 3)
    u = _logit_batch([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [3.0, 0.0]])
    source = _logit_batch([[1.0, 0.0]], [0])
    for threshold, rate in ((0.5, 1.0), (0.6, 0.75), (0.85, 0.5), (0.9, 0.25), (0.96, 0.0)):
        terms = hard_pseudo_label_step(LogitsAreInputs(), {"source": source, "unlabelled": u},
                                       threshold=threshold)
        assert terms["mask_rate"].item() == pytest.approx(rate)
    terms = hard_pseudo_label_step(LogitsAreInputs(), {"source": source, "unlabelled": u},
                                   threshold=0.85)
    expected = (float(-torch.log_softmax(torch.tensor([0.0, 2.0]), 0)[1])
                + float(-torch.log_softmax(torch.tensor([3.0, 0.0]), 0)[0])) / 4
    assert terms["pl"].item() == pytest.approx(expected, abs=1e-6)
