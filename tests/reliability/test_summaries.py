"""Bad input to ``serlib experiment summary`` (issue 21, items 1, 2, 11 and 16).

Rules: a condition is the full configuration that produced a row (rows of different
configurations are never pooled, and the summary says when a name holds several); printed
tables and CSVs agree whatever the inputs' dtypes; a missing file is an error; the summary
takes the README's ``summary CONFIG --profile P`` form and shows pooled chance beside the
pooled UAR and its interval.
"""

from __future__ import annotations

import re
import warnings

import pandas as pd
import pytest

from serlib.cli import main
from serlib.errors import DataWarning, ResultsError
from serlib.experiments import RESULT_COLUMNS, append_result, read_results
from serlib.experiments.summary import render_summary, summarize_results


def _row(key: str, **changes) -> dict:
    row = {c: None for c in RESULT_COLUMNS}
    row.update({"run_key": key, "status": "ok", "method": "zero_shot", "source": "a",
                "target": "b", "n_labels": "0", "seed": 0, "wa": 0.5, "uar": 0.4,
                "chance_wa": 0.3, "chance_uar": 0.25, "source_wa": 0.6, "source_uar": 0.5,
                "config_digest": "aaaa1111", "test_time_info": "inductive",
                "labels_used": "0", "label_set": "shared4", **changes})
    return row


def _write(path, rows) -> None:
    for row in rows:
        append_result(path, row)


def test_a_rerun_with_another_lr_is_a_second_condition_not_a_fake_seed(tmp_path, capsys):
    """Same name, same seed, edited lr: two rows of the summary, each of one seed."""
    path = tmp_path / "r.csv"
    _write(path, [_row("k0", uar=0.20, config_digest="aaaa1111"),
                  _row("k0-lr", uar=0.30, config_digest="bbbb2222")])
    with pytest.warns(DataWarning, match="2 different configurations"):
        summary = summarize_results(read_results(path))
    assert len(summary) == 2
    assert sorted(summary["uar_mean"]) == pytest.approx([0.20, 0.30])
    assert summary["uar_std"].isna().all() and (summary["seeds"] == 1).all()
    assert main(["experiment", "summary", str(path)]) == 0
    out = capsys.readouterr().out
    assert "aaaa1111" in out and "bbbb2222" in out  # a config column tells them apart
    assert "note:" in out and "never pooled" in out and "±" not in out.replace("± nan", "")


def test_two_experiments_files_summarised_together_are_not_pooled(tmp_path, capsys):
    first, second = tmp_path / "one.csv", tmp_path / "two.csv"
    _write(first, [_row("k0", uar=0.20, config_digest="aaaa1111")])
    _write(second, [_row("k0", uar=0.60, config_digest="cccc3333")])  # same run key
    assert main(["experiment", "summary", str(first), str(second)]) == 0
    out = capsys.readouterr().out
    assert "20.0" in out and "60.0" in out and "40.0" not in out
    assert "2 different configurations" in out


def test_rows_without_a_digest_are_told_apart_by_their_columns_with_a_warning(tmp_path):
    path = tmp_path / "old.csv"
    _write(path, [_row("k0", config_digest=None, hyper="lr=0.001", uar=0.2),
                  _row("k1", config_digest=None, hyper="lr=0.01", uar=0.3)])
    with pytest.warns(DataWarning, match="no config_digest"):
        summary = summarize_results(read_results(path))
    assert len(summary) == 2


def test_test_time_info_and_labels_used_are_shown(tmp_path, capsys):
    path = tmp_path / "r.csv"
    _write(path, [_row("k0", test_time_info="transductive: target train (unlabelled)",
                       labels_used="100")])
    assert main(["experiment", "summary", str(path)]) == 0
    out = capsys.readouterr().out
    assert "test-time info" in out and "transductive: target train" in out
    assert "n labels used" in out and "100" in out


def _numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"(?<![\w.])\d+\.\d(?![\d])", text)]


@pytest.mark.parametrize("other", ["header_only", "good_only"])
def test_printed_table_and_csv_agree_whatever_the_inputs(tmp_path, capsys, other):
    """The chance level was printed 100x too small when a second input was header-only."""
    good = tmp_path / "good.csv"
    _write(good, [_row("k0", uar=0.40, chance_uar=0.25, chance_wa=0.30, seed=0),
                  _row("k1", uar=0.50, chance_uar=0.25, chance_wa=0.30, seed=1)])
    files = [str(good)]
    if other == "header_only":
        header = tmp_path / "header.csv"
        header.write_text(",".join(RESULT_COLUMNS) + "\n")
        files.append(str(header))
    out_csv = tmp_path / "summary.csv"
    assert main(["experiment", "summary", *files, "--out", str(out_csv)]) == 0
    printed = capsys.readouterr().out
    saved = pd.read_csv(out_csv)
    row = saved.iloc[0]
    assert row["chance_uar"] == pytest.approx(0.25)
    table_line = next(line for line in printed.splitlines() if "zero_shot" in line)
    numbers = _numbers(table_line)
    for value in (100 * row["uar_mean"], 100 * row["chance_uar"], 100 * row["chance_wa"],
                  100 * row["wa_mean"]):
        assert round(value, 1) in numbers, (value, table_line)
    assert "0.2 " not in table_line  # the 100x-too-small chance level


def test_an_empty_file_among_the_inputs_is_an_error_naming_it(tmp_path, capsys):
    good = tmp_path / "good.csv"
    _write(good, [_row("k0")])
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert main(["experiment", "summary", str(good), str(empty)]) == 2
    assert "empty.csv" in capsys.readouterr().err


def test_a_missing_results_file_is_an_error_not_no_results_yet(tmp_path, capsys):
    assert main(["experiment", "summary", str(tmp_path / "nosuch.csv")]) == 2
    out, err = capsys.readouterr()
    assert "no results yet" not in out
    assert "nosuch.csv" in err and "does not exist" in err


def test_an_argument_that_is_neither_a_file_nor_a_config_is_named(tmp_path, capsys):
    assert main(["experiment", "summary", "no_such_experiment"]) == 2
    err = capsys.readouterr().err
    assert "no_such_experiment" in err and "neither a results CSV nor an experiment" in err


def test_summary_takes_a_config_and_a_profile_as_the_readme_says(tmp_path, monkeypatch,
                                                                  capsys):
    monkeypatch.setenv("SERLIB_CACHE", str(tmp_path / "cache"))
    config = tmp_path / "mine.yaml"
    config.write_text("name: mine\ndata: synthetic\ntasks: ['lang_a -> lang_b']\n"
                      "methods: [zero_shot]\nn_labels: [0]\nseeds: [0]\n")
    assert main(["experiment", "summary", str(config), "--profile", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "no results for profile 'cpu' yet" in err and "mine-cpu.csv" in err
    results = tmp_path / "cache" / "results" / "mine-cpu.csv"
    _write(results, [_row("k0", uar=0.4)])
    folder = results.with_name("mine-cpu-predictions")
    folder.mkdir()
    pd.DataFrame({"y_true": [0, 1, 2, 3, 0, 1], "y_pred": [0, 1, 2, 0, 0, 3]}).to_csv(
        folder / "k0.csv", index=False)
    assert main(["experiment", "summary", str(config), "--profile", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "pooled UAR [95 % CI]" in out and "pooled chance_uar" in out
    line = next(line for line in out.splitlines() if "zero_shot" in line)
    assert "25.0" in line  # the pooled chance (4 classes), beside the pooled UAR


def test_pooled_chance_is_that_of_the_pooled_test_set_not_a_mean_over_folds(tmp_path):
    """Two folds, each missing a class: each fold's chance is 1/3, the pooled one 1/4."""
    folder = tmp_path / "pred"
    folder.mkdir()
    pd.DataFrame({"y_true": [0, 1, 2], "y_pred": [0, 1, 2]}).to_csv(folder / "f0.csv",
                                                                    index=False)
    pd.DataFrame({"y_true": [1, 2, 3], "y_pred": [1, 2, 3]}).to_csv(folder / "f1.csv",
                                                                    index=False)
    rows = pd.DataFrame([_row("f0", fold=0, chance_uar=1 / 3), _row("f1", fold=1,
                                                                      chance_uar=1 / 3)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # one configuration: no note
        summary = summarize_results(rows, predictions=folder, num_classes=4)
    assert summary.loc[0, "chance_uar"] == pytest.approx(1 / 3)
    assert summary.loc[0, "pooled_chance_uar"] == pytest.approx(1 / 4)
    assert "25.0" in render_summary(summary)


def test_writing_the_summary_under_a_file_is_a_clear_error(tmp_path, capsys):
    path = tmp_path / "r.csv"
    _write(path, [_row("k0")])
    blocker = tmp_path / "existing_file"
    blocker.write_text("x")
    assert main(["experiment", "summary", str(path), "--out",
                 str(blocker / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "existing_file" in err and "writable folder" in err


def test_a_summary_of_only_header_only_files_says_so(tmp_path, capsys):
    header = tmp_path / "header.csv"
    header.write_text(",".join(RESULT_COLUMNS) + "\n")
    with pytest.raises(ResultsError):  # the Python API: a missing file is an error too
        from serlib.cli.experiment import _summary_inputs
        _summary_inputs([str(tmp_path / "gone.csv")], "smoke")
    assert main(["experiment", "summary", str(header)]) == 0
    assert "(no results yet)" in capsys.readouterr().out
