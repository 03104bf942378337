"""Pre-trained weights resolved per backbone: a BYOL-S file never reaches VGG16, and back."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from serlib.errors import ConfigError
from serlib.experiments import (
    check_weights,
    load_experiment,
    read_results,
    resolve_experiment,
    resolve_weights,
    run_experiment,
    shipped_configs,
)
from serlib.models import BYOLSEncoder


@pytest.fixture(scope="module")
def byols_file(tmp_path_factory) -> Path:
    """A BYOL-S d512 state dict (random weights, the published layout)."""
    path = tmp_path_factory.mktemp("weights") / "byols-d512.pth"
    torch.save(BYOLSEncoder(512).state_dict(), path)
    return path


@pytest.fixture(scope="module")
def vgg_file(tmp_path_factory) -> Path:
    """A stand-in for torchvision's vgg16-397923af.pth (random weights, same keys)."""
    from torchvision.models import vgg16

    path = tmp_path_factory.mktemp("weights") / "vgg16-397923af.pth"
    torch.save(vgg16(weights=None).state_dict(), path)
    return path


@pytest.mark.parametrize("name", sorted(shipped_configs()))
@pytest.mark.parametrize("profile", ["smoke", "cpu", "full"])
def test_every_shipped_config_gets_weights_that_fit_its_backbone(name, profile, byols_file,
                                                                  monkeypatch):
    monkeypatch.setenv("SERLIB_BYOLS_CHECKPOINT", str(byols_file))
    monkeypatch.delenv("SERLIB_VGG16_WEIGHTS", raising=False)
    config = resolve_experiment(load_experiment(name), profile).config
    weights = resolve_weights(config.backbone, config.weights, config.backbone_options)
    if config.backbone in ("byols", "byols_neck", "byols_embed"):
        assert weights == str(byols_file)
    else:  # vgg: torchvision's download (None), small_cnn: nothing; never the BYOL-S file
        assert weights is None
    check_weights(config.backbone, weights)


def test_vgg_takes_its_own_variable(vgg_file, byols_file, monkeypatch):
    monkeypatch.setenv("SERLIB_BYOLS_CHECKPOINT", str(byols_file))
    monkeypatch.setenv("SERLIB_VGG16_WEIGHTS", str(vgg_file))
    assert resolve_weights("vgg", None) == str(vgg_file)
    assert resolve_weights("byols_neck", None) == str(byols_file)
    assert resolve_weights("vgg", None, {"pretrained": False}) is None
    check_weights("vgg", str(vgg_file))


@pytest.mark.parametrize(("backbone", "which"), [("vgg", "byols"), ("byols", "vgg"),
                                                 ("byols_embed", "vgg"), ("byols_neck", "vgg")])
def test_weights_of_another_architecture_are_a_config_error(backbone, which, byols_file,
                                                            vgg_file):
    path = byols_file if which == "byols" else vgg_file
    with pytest.raises(ConfigError, match=rf"{path.name} does not hold weights for backbone "
                                          rf"{backbone}: expected"):
        check_weights(backbone, str(path))


def test_weights_for_a_backbone_that_takes_none(byols_file):
    with pytest.raises(ConfigError, match="small_cnn has no pre-trained weights"):
        resolve_weights("small_cnn", str(byols_file))
    with pytest.raises(ConfigError, match="pretrained: false takes no weights"):
        resolve_weights("vgg", str(byols_file), {"pretrained": False})


TINY_VGG = {
    "name": "tiny_vgg", "data": "synthetic",
    "synthetic_overrides": {"speakers_per_language": 4, "utterances_per_emotion": 1},
    "tasks": ["lang_a -> lang_b"], "methods": ["zero_shot", "mmd"], "n_labels": ["all"],
    "seeds": [0], "backbone": "vgg", "recipe": "baklouti", "device": "cpu",
}


def _write(tmp_path: Path, **changes) -> Path:
    path = tmp_path / "vgg.yaml"
    path.write_text(yaml.safe_dump({**TINY_VGG, **changes}))
    return path


def test_a_wrong_weights_file_fails_before_any_data_is_prepared(tmp_path, byols_file,
                                                                monkeypatch):
    import serlib.experiments.runner as runner

    def no_data(*args, **kwargs):
        raise AssertionError("data were prepared")

    monkeypatch.setattr(runner, "prepare_task", no_data)
    monkeypatch.setenv("SERLIB_VGG16_WEIGHTS", str(byols_file))
    with pytest.raises(ConfigError, match="backbone vgg"):
        run_experiment(_write(tmp_path), "full", results_path=tmp_path / "r.csv",
                       progress=False, log=None)


def test_a_backbone_that_cannot_be_built_is_that_runs_error_row(tmp_path, monkeypatch):
    """Offline, VGG16 with ImageNet weights and no local copy: error rows, not an abort."""
    monkeypatch.delenv("SERLIB_VGG16_WEIGHTS", raising=False)
    monkeypatch.setattr("serlib.models.vgg._reachable", lambda url, timeout: False)
    from serlib.experiments import get_profile

    result = run_experiment(_write(tmp_path), get_profile("full", dry_run=True),
                            results_path=tmp_path / "r.csv", progress=False, log=None)
    assert result.ran == 0 and len(result.errors) == 2
    assert all(("DownloadError" in e and "SERLIB_VGG16_WEIGHTS" not in e) or "weights_path" in e
               for e in result.errors)


@pytest.mark.parametrize("weights", [
    "random_64px", pytest.param("local_file_224px", marks=pytest.mark.slow)])
def test_a_tiny_full_profile_vgg16_run_executes_end_to_end(tmp_path, weights, vgg_file,
                                                           byols_file, monkeypatch):
    """The paper-scale path (VGG16, MMD at FC1) capped to a dry run, on a CPU: random init at
    64 px (the same torchvision code path, fast), and at 224 px from a local weights file
    standing in for torchvision's ImageNet download (slow: a minute on 2 cores)."""
    from serlib.experiments import get_profile

    monkeypatch.setenv("SERLIB_BYOLS_CHECKPOINT", str(byols_file))  # must not reach VGG16
    options = ({"backbone_options": {"pretrained": False, "image_size": 64}}
               if weights == "random_64px" else {"weights": str(vgg_file)})
    results = tmp_path / "r.csv"
    result = run_experiment(_write(tmp_path, **options), get_profile("full", dry_run=True),
                            results_path=results, progress=False, log=None)
    assert result.ran == 2 and not result.errors and not result.skipped
    table = read_results(results)
    assert set(table["backbone"]) == {"vgg"} and table["uar"].between(0, 1).all()
