"""data_parallel_timing: the same work in 1 process and in 2 gloo processes."""

from __future__ import annotations

import pytest

from serlib.experiments.scaling import ScalingWork, data_parallel_timing


def test_two_processes_train_the_same_steps_and_report_every_figure() -> None:
    work = ScalingWork(model="head", samples=16, batch_size=4)
    r = data_parallel_timing(work, threads=2)
    assert r["steps"] == 4 and r["parameters"] > 0 and r["threads"] == 2
    for key in ("one_thread_s", "one_process_s", "two_processes_s", "join_s"):
        assert r[key] > 0, key
    assert r["speedup"] == pytest.approx(r["one_process_s"] / r["two_processes_s"])


def test_work_refuses_odd_batches_and_unknown_models() -> None:
    with pytest.raises(ValueError, match="even batch_size"):
        ScalingWork(batch_size=3)
    with pytest.raises(ValueError, match="model"):
        ScalingWork(model="vgg")
