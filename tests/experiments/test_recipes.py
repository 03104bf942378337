"""The papers' recipes as named configs, the profiles that shrink them, the method table."""

from __future__ import annotations

import dataclasses

import pytest

from serlib.adapt import METHODS
from serlib.config import load_config
from serlib.errors import ConfigError
from serlib.experiments import (
    AGARLA,
    BAKLOUTI,
    PROFILES,
    Recipe,
    apply_profile,
    get_profile,
    get_recipe,
)


def test_baklouti_recipe_is_the_paper():
    assert (BAKLOUTI.lr, BAKLOUTI.batch_size) == (1e-4, 16)
    assert (BAKLOUTI.source_epochs, BAKLOUTI.adapt_epochs) == (400, 50)
    assert BAKLOUTI.lr_decay == 1.0 and BAKLOUTI.crop_seconds is None


def test_agarla_recipe_is_the_paper():
    assert (AGARLA.lr, AGARLA.lr_decay, AGARLA.lr_decay_every) == (1e-3, 0.95, 10)
    assert (AGARLA.batch_size, AGARLA.source_epochs, AGARLA.adapt_epochs) == (100, 100, 100)
    # the methods' defaults are the papers' values
    assert METHODS["hard_pl"].hyper["threshold"].default == 0.5
    assert METHODS["soft_pl"].hyper["lambda_prior"].default == 0.8
    assert METHODS["soft_pl"].hyper["lambda_entropy"].default == 0.4
    assert AGARLA.crop_seconds == 2.0


def test_train_config_of_each_stage():
    source = BAKLOUTI.train_config("source", seed=3, device="cpu")
    adapt = BAKLOUTI.train_config("adapt", seed=3, device="cpu")
    assert (source.num_epochs, adapt.num_epochs, source.lr, source.seed) == (400, 50, 1e-4, 3)
    tuned = dataclasses.replace(AGARLA, adapt_lr=1e-4).train_config("adapt", seed=0)
    assert tuned.lr == 1e-4 and tuned.lr_decay == 0.95
    with pytest.raises(ConfigError):
        AGARLA.train_config("finetune", seed=0)


def test_profiles_change_epochs_not_the_code_path():
    smoke = apply_profile(AGARLA, "smoke")
    assert smoke.source_epochs < AGARLA.source_epochs and smoke.adapt_epochs < 20
    assert dataclasses.replace(smoke, source_epochs=100, adapt_epochs=100,
                               steps_per_epoch=None) == AGARLA
    assert apply_profile(BAKLOUTI, "full") == BAKLOUTI
    assert PROFILES["full"].max_per_speaker_emotion is None
    with pytest.raises(ConfigError, match="unknown profile"):
        apply_profile(AGARLA, "huge")


def test_recipes_load_from_yaml(tmp_path):
    path = tmp_path / "recipe.yaml"
    path.write_text("# a tweaked recipe\nname: mine\nlr: 0.0005\nbatch_size: 32\n")
    recipe = load_config(Recipe, path)
    assert (recipe.name, recipe.lr, recipe.batch_size) == ("mine", 5e-4, 32)
    path.write_text("learning_rate: 0.1\n")
    with pytest.raises(ConfigError, match="unknown key"):
        load_config(Recipe, path)
    with pytest.raises(ConfigError):
        get_recipe("nobody")
    with pytest.raises(ConfigError, match="batch_size=1"):
        Recipe(batch_size=1)
    with pytest.raises(ConfigError, match=r"lr=-0\.1"):
        Recipe(lr=-0.1)


def test_profiles_say_what_the_chapters_run_on():
    smoke, cpu, full = (get_profile(p) for p in ("smoke", "cpu", "full"))
    assert smoke.data == "synthetic" and smoke.tasks() == ("lang_a -> lang_b",)
    assert cpu.data == full.data == "corpora"
    assert cpu.tasks() == ("ravdess -> emodb", "ravdess -> emovo")
    assert full.backbone("baklouti") == "vgg" and full.backbone("agarla") == "byols"
    assert cpu.backbone("agarla") == "byols_embed" and smoke.backbone("agarla") == "mel_stats"
    assert cpu.describe().index[0] == "name"
    dry = get_profile("full", dry_run=True)
    assert dry.dry_run and dry.backbones == full.backbones and dry.seeds == (0,)
    assert apply_profile(BAKLOUTI, dry).source_epochs == 1


def test_a_chapter_without_its_corpora_says_so_and_still_runs(tmp_path, monkeypatch):
    from serlib.experiments import chapter_profile, missing_corpora

    monkeypatch.setenv("SERLIB_DATA", str(tmp_path))
    said: list[str] = []
    profile = chapter_profile("cpu", log=said.append)
    assert profile.data == "synthetic" and profile.name == "cpu"
    assert "ravdess" in said[0] and "serlib data fetch ravdess" in said[0]
    for corpus in ("ravdess", "emodb"):
        (tmp_path / corpus).mkdir()
    assert missing_corpora(get_profile("cpu")) == ["emovo"]
    said.clear()
    profile = chapter_profile("cpu", log=said.append)
    assert profile.targets == ("emodb",) and "emovo" in said[0]
    assert chapter_profile("smoke", log=said.append) == get_profile("smoke")
