"""Bad input at the top of the stack: bundles, results files, experiment configs, the runner
and the command line. Each case ends in a typed error naming the file or value, a logged
skip, or an error row, and leaves nothing half-written."""

from __future__ import annotations

import multiprocessing
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml

from serlib.cli import main
from serlib.errors import (
    CacheError,
    CacheWarning,
    CheckpointError,
    ConfigError,
    DataWarning,
    ResultsError,
)
from serlib.experiments import (
    RESULT_COLUMNS,
    append_result,
    load_experiment,
    load_model_bundle,
    read_results,
    resolve_experiment,
    run_experiment,
    save_model_bundle,
)
from serlib.features import mel_preset
from serlib.integrity import digest_path, write_with_digest
from serlib.models import SmallCNN

TINY = {
    "name": "tiny_faults", "data": "synthetic",
    "synthetic_overrides": {"speakers_per_language": 4, "utterances_per_emotion": 2},
    "tasks": ["lang_a -> lang_b"], "methods": ["zero_shot", "hard_pl"], "n_labels": [4],
    "seeds": [0], "backbone": "small_cnn",
    "backbone_options": {"channels": [4, 8, 8], "embed_dim": 8}, "train": {"batch_size": 8},
    "profiles": {"smoke": {"source_epochs": 1, "adapt_epochs": 1, "steps_per_epoch": 2}},
    "device": "cpu",
}


def _config(tmp_path: Path, **changes) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump({**TINY, **changes}))
    return path


def _no_temp_files(folder: Path) -> None:
    assert not [p for p in folder.rglob("*") if ".tmp" in p.name or p.name.startswith(".")]


# ------------------------------------------------------------------------------ bundles


def _bundle(tmp_path: Path, *, nan: bool = False) -> Path:
    torch.manual_seed(0)
    model = SmallCNN(5, n_mels=64, channels=(4, 8, 8), embed_dim=8)
    spec = {"architecture": "SmallCNN", "kwargs": {"num_classes": 5, "n_mels": 64,
                                                    "channels": [4, 8, 8], "embed_dim": 8}}
    path = save_model_bundle(tmp_path / "model.pt", model, labels=list("abcde"),
                             mel_config=mel_preset("agarla"), model_spec=spec,
                             metadata={"data": "corpora"})
    if nan:  # a well-formed bundle whose weights are NaN (and whose digest matches)
        payload = torch.load(path, weights_only=True)
        next(v for v in payload["state_dict"].values() if v.is_floating_point()).fill_(
            float("nan"))
        write_with_digest(path, lambda tmp: torch.save(payload, tmp))
    return path


def test_a_bundle_with_one_flipped_bit_is_refused_naming_the_file(tmp_path, write_wav,
                                                                   capsys):
    path = _bundle(tmp_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x04  # one bit inside the weights
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"model\.pt"):
        load_model_bundle(path)
    wav = write_wav("good.wav", seconds=1.0)
    assert main(["predict", str(path), str(wav)]) == 2
    err = capsys.readouterr().err
    assert "model.pt" in err and "nan" not in err.lower().replace("non-finite", "")


def test_a_bundle_with_non_finite_weights_is_refused(tmp_path):
    with pytest.raises(CheckpointError, match="non-finite"):
        load_model_bundle(_bundle(tmp_path, nan=True))


def test_a_bundle_without_its_digest_is_refused(tmp_path):
    path = _bundle(tmp_path)
    digest_path(path).unlink()
    with pytest.raises(CheckpointError, match="digest"):
        load_model_bundle(path)


def test_non_finite_model_is_never_bundled(tmp_path):
    model = SmallCNN(5, n_mels=64)
    with torch.no_grad():
        model.head[1].weight.fill_(float("inf"))
    with pytest.raises(CheckpointError, match="non-finite"):
        save_model_bundle(tmp_path / "m.pt", model, labels=list("abcde"),
                          mel_config=mel_preset("agarla"),
                          model_spec={"architecture": "SmallCNN",
                                      "kwargs": {"num_classes": 5, "n_mels": 64}})
    assert not list(tmp_path.iterdir())


def test_predict_on_many_files_reports_each_bad_one_and_prints_the_good(tmp_path, write_wav,
                                                                        capsys):
    path = _bundle(tmp_path)
    good = [write_wav(f"g{i}.wav", seconds=1.0) for i in range(2)]
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    folder = tmp_path / "folder.wav"
    folder.mkdir()
    code = main(["predict", str(path), str(good[0]), str(empty), str(folder), str(good[1])])
    out, err = capsys.readouterr()
    assert code == 1
    assert "g0.wav" in out and "g1.wav" in out
    assert "empty.wav" in err and "folder.wav" in err and "2 of 4" in err


# ------------------------------------------------------------------------------ results


def _row(key: str, **changes) -> dict:
    row = {c: None for c in RESULT_COLUMNS}
    row.update({"run_key": key, "status": "ok", "method": "zero_shot", "source": "a",
                "target": "b", "n_labels": "0", "seed": 0, "wa": 0.5, "uar": 0.4,
                "chance_wa": 0.3, "chance_uar": 0.2, "source_wa": 0.6, "source_uar": 0.5,
                **changes})
    return row


def _writer(args):
    path, start = args
    for i in range(start, start + 15):
        append_result(path, _row(f"run{i:03d}"))


def test_two_writers_at_once_keep_every_row(tmp_path):
    path = tmp_path / "same.csv"
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(_writer, [(path, 0), (path, 100)])
    table = read_results(path)
    assert len(table) == 30 and table["run_key"].nunique() == 30
    _no_temp_files(tmp_path)


def _with_half_a_last_row(tmp_path: Path) -> Path:
    """A results file of rows a and b, b cut in half (a writer that died mid-row)."""
    path = tmp_path / "r.csv"
    append_result(path, _row("a"))
    append_result(path, _row("b"))
    text = path.read_text()
    path.write_text(text[: len(text) - len(text.splitlines()[-1]) // 2 - 1])  # cut row b
    return path


def test_a_half_written_last_row_is_not_done(tmp_path):
    path = _with_half_a_last_row(tmp_path)
    with pytest.warns(DataWarning, match="did not parse"):
        table = read_results(path)
    assert list(table["run_key"]) == ["a"]


def test_a_row_with_a_garbage_metric_is_not_done(tmp_path):
    path = tmp_path / "r.csv"
    append_result(path, _row("a"))
    append_result(path, _row("b", uar="abc"))
    with pytest.warns(DataWarning):
        assert list(read_results(path)["run_key"]) == ["a"]


@pytest.mark.parametrize(("content", "match"), [
    (b"\xff\xfe\x00garbage\x81\x82", "not a readable serlib results file"),
    (b"name,score\nx,1\n", "no column"),
    (b"", "not a readable"),
])
def test_a_file_that_is_not_a_results_file_is_a_typed_error(tmp_path, content, match):
    path = tmp_path / "r.csv"
    path.write_bytes(content)
    with pytest.raises(ResultsError, match=match):
        read_results(path)


def test_a_new_run_is_appended_as_one_line_and_reads_back_the_same(tmp_path):
    """Appending leaves every earlier byte as it was; the table reads back as the rows."""
    path = tmp_path / "r.csv"
    append_result(path, _row("a", seed=3, uar=0.125))
    before = path.read_bytes()
    append_result(path, _row("b", n_labels="all", best_epoch=7, hyper="{'tau': 0.9}"))
    after = path.read_bytes()
    assert after.startswith(before) and after.count(b"\n") == before.count(b"\n") + 1
    table = read_results(path)
    assert list(table["run_key"]) == ["a", "b"]
    assert table["uar"].tolist() == [0.125, 0.4] and table["seed"].tolist() == [3, 0]
    assert table["n_labels"].tolist() == ["0", "all"]
    assert table["hyper"].iloc[1] == "{'tau': 0.9}" and table["best_epoch"].iloc[1] == 7


def test_a_half_written_last_row_is_rewritten_away_by_the_next_row(tmp_path):
    """A file that does not end with a complete row is never appended to: the next row
    rewrites the table without the broken one (so the broken row cannot swallow it)."""
    path = _with_half_a_last_row(tmp_path)
    with pytest.warns(DataWarning, match="did not parse"):
        append_result(path, _row("c"))
    assert list(read_results(path)["run_key"]) == ["a", "c"]


def test_an_error_row_is_replaced_when_the_run_succeeds(tmp_path):
    path = tmp_path / "r.csv"
    append_result(path, _row("a", status="error", error="boom", uar=None))
    append_result(path, _row("a"))
    table = read_results(path)
    assert list(table["status"]) == ["ok"]


# ------------------------------------------------------------------------------ configs


@pytest.mark.parametrize(("changes", "match"), [
    ({"train": {"lr": "fast"}}, "lr"),
    ({"train": {"lr": -0.1}}, r"lr=-0\.1"),
    ({"train": {"steps_per_epoch": 0}}, "steps_per_epoch=0"),
    ({"backbone": "resnet"}, "backbone='resnet'"),
    ({"seeds": []}, "seeds must not be empty"),
    ({"hyper": {"mmd": {"num_kernels": 0}}}, "num_kernels=0"),
    ({"hyper": {"mmd": {"trade_off": "big"}}}, "trade_off='big'"),
    ({"hyper": {"soft_pl": {"use_mixup": 1}}}, "use_mixup=1"),
    ({"hyper": {"magic": {}}}, "unknown method"),
    ({"n_labels": [True]}, "n_labels"),
])
def test_bad_values_fail_when_the_plan_is_made(tmp_path, changes, match, capsys):
    path = _config(tmp_path, **changes)
    with pytest.raises(ConfigError, match=match):
        resolve_experiment(load_experiment(path), "smoke")
    assert main(["experiment", "plan", str(path)]) == 2
    assert re.search(match, capsys.readouterr().err), "the CLI names the problem"


def test_a_config_file_that_is_a_folder_or_missing(tmp_path):
    with pytest.raises(ConfigError, match="shipped"):
        load_experiment(tmp_path / "nope.yaml")


# ------------------------------------------------------------------------------ the runner


def test_a_bug_in_one_run_is_an_error_row_and_a_non_zero_exit(tmp_path, monkeypatch, capsys):
    import serlib.experiments.runner as runner

    real = runner.train_method

    def broken(method, *args, **kwargs):
        if method.name == "hard_pl":
            raise RuntimeError("a bug in the method")
        return real(method, *args, **kwargs)

    monkeypatch.setattr(runner, "train_method", broken)
    results = tmp_path / "r.csv"
    result = run_experiment(_config(tmp_path), "smoke", results_path=results, progress=False,
                            log=None)
    assert result.ran == 1 and len(result.errors) == 1 and "a bug" in result.errors[0]
    table = pd.read_csv(results)
    assert sorted(table["status"]) == ["error", "ok"]
    assert "RuntimeError: a bug in the method" in table.loc[table.status == "error",
                                                            "error"].iloc[0]
    capsys.readouterr()
    code = main(["experiment", "run", str(_config(tmp_path)), "--results", str(results),
                 "--no-progress"])
    assert code == 1  # the error row is retried, and fails again
    out = capsys.readouterr().out  # one line per failed run, no traceback (item 9's rule)
    failed = [line for line in out.splitlines() if "FAILED:" in line]
    assert len(failed) == 1 and failed[0].endswith("RuntimeError: a bug in the method")
    assert "Traceback" not in out
    monkeypatch.setenv("SERLIB_DEBUG", "1")  # ... unless asked for
    main(["experiment", "run", str(_config(tmp_path)), "--results", str(results),
          "--no-progress"])
    assert "Traceback" in capsys.readouterr().out
    monkeypatch.delenv("SERLIB_DEBUG")
    monkeypatch.setattr(runner, "train_method", real)
    again = run_experiment(_config(tmp_path), "smoke", results_path=results, progress=False,
                           log=None)
    assert again.ran == 1 and not again.errors  # fixed: the run is retried and succeeds
    assert list(read_results(results)["status"]) == ["ok", "ok"]


def test_one_undecodable_target_file_does_not_cost_the_task(tmp_path, monkeypatch):
    from serlib.data import cache_root, generate_corpus, synthetic_config

    config = synthetic_config("smoke", speakers_per_language=4, utterances_per_emotion=2)
    table = generate_corpus(cache_root() / "synthetic", config)
    victim = Path(table[table.language == "lang_b"]["path"].iloc[0])
    original = victim.read_bytes()
    try:
        victim.write_bytes(b"RIFF....WAVEgarbage")
        result = run_experiment(_config(tmp_path), "smoke", results_path=tmp_path / "r.csv",
                                progress=False, log=None)
    finally:
        victim.write_bytes(original)
    assert result.ran == 2 and not result.errors
    assert (result.results["n_dropped"] == 1).all()


def test_a_cache_that_cannot_be_written_fails_before_any_work(tmp_path, monkeypatch):
    blocker = tmp_path / "cache-is-a-file"
    blocker.write_text("not a folder")
    with pytest.raises(CacheError, match="SERLIB_CACHE"):
        run_experiment(_config(tmp_path), "smoke", results_path=blocker / "r.csv",
                       progress=False, log=None)


def test_a_damaged_cached_source_model_is_retrained_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.setenv("SERLIB_CACHE", str(tmp_path / "cache"))  # its own source models
    results = tmp_path / "r.csv"
    run_experiment(_config(tmp_path, methods=["zero_shot"]), "smoke", results_path=results,
                   progress=False, log=None)
    from serlib.experiments.source_models import source_model_dir

    cached = next(source_model_dir().glob("source-*.state.pt"))
    cached.write_bytes(cached.read_bytes()[:100])  # truncated
    results.unlink()
    with pytest.warns(CacheWarning, match="training it again"):
        again = run_experiment(_config(tmp_path, methods=["zero_shot"]), "smoke",
                               results_path=results, progress=False, log=None)
    assert again.ran == 1


def test_results_and_bundles_follow_the_umask(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        run_experiment(_config(tmp_path, methods=["zero_shot"]), "smoke",
                       results_path=tmp_path / "r.csv", progress=False, log=None)
    finally:
        os.umask(old)
    for path in [tmp_path / "r.csv", *(tmp_path / "r-models").glob("*.pt")]:
        assert path.stat().st_mode & 0o777 == 0o644, path


def test_warnings_filter_is_not_left_changed():
    assert not any(f[0] == "ignore" and f[2] is DataWarning for f in warnings.filters)
