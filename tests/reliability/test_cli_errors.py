"""The command line never prints a Python traceback for a user's input or environment
(issue 21, item 9); ``SERLIB_DEBUG=1`` shows it when wanted."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from serlib.cli import main
from serlib.errors import ResultsError, StorageError
from serlib.experiments import RESULT_COLUMNS, append_result, read_results

from .test_long_recordings import _bundle


def _row(key: str) -> dict:
    row = {c: None for c in RESULT_COLUMNS}
    row.update({"run_key": key, "status": "ok", "method": "zero_shot", "source": "a",
                "target": "b", "n_labels": "0", "seed": 0, "wa": 0.5, "uar": 0.4,
                "chance_wa": 0.3, "chance_uar": 0.25, "source_wa": 0.6, "source_uar": 0.5})
    return row


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


class _FillsUp:
    """A file handle on a disk that fills up half-way through a write."""

    def __init__(self, handle):
        self.handle = handle

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()

    def __getattr__(self, name):
        return getattr(self.handle, name)

    def write(self, data):
        self.handle.write(data[: len(data) // 2])
        self.handle.flush()
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("how", ["append", "rewrite"])
def test_a_full_disk_when_writing_a_row_keeps_the_file_and_says_so(tmp_path, monkeypatch, how):
    """Both ways of writing a row: one line appended (cut back off when the disk fills up
    half-way) and the whole table rewritten (an error row of the run is replaced)."""
    import serlib.experiments.results as results

    path = tmp_path / "r.csv"
    append_result(path, _row("k0"))
    if how == "rewrite":
        append_result(path, {**_row("k1"), "status": "error", "uar": None})
        monkeypatch.setattr(results, "save_table_csv", _disk_full)
    else:
        monkeypatch.setattr(results, "open", lambda *a, **k: _FillsUp(open(*a, **k)),
                            raising=False)
    before = path.read_bytes()
    with pytest.raises(StorageError) as err:
        append_result(path, {**_row("k1"), "status": "error"})
    message = str(err.value)
    assert "error row of run k1" in message and "r.csv" in message
    assert "No space left on device" in message and "finished runs are kept" in message
    assert isinstance(err.value, OSError)
    assert path.read_bytes() == before


def test_a_full_disk_during_a_run_ends_in_one_line_not_a_traceback(tmp_path, monkeypatch,
                                                                   capsys):
    import serlib.experiments.results as results
    import serlib.experiments.runner as runner

    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump({
        "name": "tiny_disk", "data": "synthetic",
        "synthetic_overrides": {"speakers_per_language": 4, "utterances_per_emotion": 2},
        "tasks": ["lang_a -> lang_b"], "methods": ["zero_shot"], "n_labels": [0],
        "seeds": [0], "backbone": "small_cnn",
        "backbone_options": {"channels": [4, 8, 8], "embed_dim": 8},
        "profiles": {"smoke": {"source_epochs": 1, "adapt_epochs": 1, "steps_per_epoch": 1}},
        "device": "cpu"}))
    monkeypatch.setenv("SERLIB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(runner, "run_one", _disk_full)  # the run fails for lack of space
    monkeypatch.setattr(results, "save_table_csv", _disk_full)  # and so does its error row
    code = main(["experiment", "run", str(config), "--results", str(tmp_path / "r.csv"),
                 "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err and err.count("\n") == 1
    assert "cannot write the error row" in err and "No space left on device" in err


def test_a_closed_pipe_ends_predict_silently(tmp_path, write_wav):
    """``serlib predict ... | head -1``: no BrokenPipeError, nothing on stderr."""
    model = _bundle(tmp_path)
    wavs = [str(write_wav(f"w{i}.wav", seconds=0.5)) for i in range(3)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    command = [sys.executable, "-m", "serlib", "predict", model, *wavs]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=env) as proc:
        first = proc.stdout.readline()
        proc.stdout.close()  # what `head -1` does after one line
        err = proc.stderr.read().decode()
        code = proc.wait(timeout=120)
    assert first.startswith(b"model:")
    assert "Traceback" not in err and "BrokenPipeError" not in err
    assert code == 0


def test_a_broken_pipe_inside_python_is_a_clean_exit(tmp_path, monkeypatch):
    path = tmp_path / "r.csv"
    append_result(path, _row("k0"))

    class Closed:
        def write(self, text):
            raise BrokenPipeError(errno.EPIPE, "Broken pipe")

        def flush(self):
            raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", Closed())
    assert main(["experiment", "summary", str(path)]) == 0


def test_serlib_debug_shows_the_traceback(tmp_path, monkeypatch, capsys):
    assert main(["experiment", "summary", str(tmp_path / "nosuch.csv")]) == 2
    assert "Traceback" not in capsys.readouterr().err
    monkeypatch.setenv("SERLIB_DEBUG", "1")
    with pytest.raises(ResultsError, match=r"nosuch\.csv"):
        main(["experiment", "summary", str(tmp_path / "nosuch.csv")])


def test_an_unexpected_error_is_one_line_pointing_at_serlib_debug(tmp_path, monkeypatch,
                                                                 capsys):
    import serlib.cli.experiment as experiment

    def bug(args):
        raise RuntimeError("something serlib did not expect")

    monkeypatch.setattr(experiment, "_summary", bug)
    assert main(["experiment", "summary", "x.csv"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "RuntimeError: something serlib did not expect" in err
    assert "SERLIB_DEBUG=1" in err


def test_an_environment_error_names_the_file(tmp_path, monkeypatch, capsys):
    import serlib.cli.experiment as experiment

    def denied(args):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "locked"))

    monkeypatch.setattr(experiment, "_summary", denied)
    assert main(["experiment", "summary", "x.csv"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "locked: Permission denied" in err
    assert read_results(tmp_path / "absent.csv").empty  # the runner's "nothing yet" case
