"""User audio of any length, any name, on any device (issue 21, items 6, 7, 9 and 11).

Rules: every reader of user audio has a documented maximum duration, checked from the
header before anything is decoded, and long recordings are processed in bounded memory;
statistics from unlabelled recordings need enough distinct recordings and never use a
degenerate spread silently; a bundle's inputs are built on its model's device; a file's
real problem is named (a folder, a symlink loop, a non-UTF-8 name is no corrupt file).
"""

from __future__ import annotations

import io
import os
import tracemalloc
import warnings

import numpy as np
import pytest
import soundfile as sf
import torch
from torch import nn

from serlib.cli import main
from serlib.data import load_audio
from serlib.data.audio import CHUNK_SECONDS, MAX_DURATION
from serlib.errors import (
    CheckpointError,
    ConfigError,
    DataWarning,
    DegenerateStatisticsError,
    RecordingNotFoundError,
    RecordingTooLongError,
)
from serlib.experiments import save_model_bundle
from serlib.experiments.bundles import ModelBundle
from serlib.experiments.calibration import MIN_RECORDINGS, calibrated_bundle
from serlib.experiments.recordings import WINDOW_SECONDS, predict_recordings
from serlib.features import compute_norm_stats, fit_norm_stats, mel_preset
from serlib.models import EmbeddingClassifier, FrozenFrontClassifier, SmallCNN

from .conftest import speech

LABELS = ("anger", "fear", "happiness", "neutral", "sadness")


def _one_hertz_wav(path) -> None:
    """64 KB of 16-bit samples whose header says 1 Hz: 8.9 hours once resampled."""
    buf = io.BytesIO()
    sf.write(buf, (0.1 * np.random.default_rng(0).standard_normal(32000)).astype(np.float32),
             1, format="WAV", subtype="PCM_16")
    path.write_bytes(buf.getvalue())


def _bundle(tmp_path, labels=LABELS) -> str:
    torch.manual_seed(0)
    model = SmallCNN(5, n_mels=64, channels=(4, 8, 8), embed_dim=8)
    spec = {"architecture": "SmallCNN", "kwargs": {"num_classes": 5, "n_mels": 64,
                                                    "channels": [4, 8, 8], "embed_dim": 8}}
    return str(save_model_bundle(tmp_path / "model.pt", model, labels=list(labels),
                                 mel_config=mel_preset("agarla"), model_spec=spec,
                                 metadata={"data": "corpora"}))


# ------------------------------------------------------------------ maximum duration

def test_a_header_saying_one_hertz_is_refused_before_decoding(tmp_path, monkeypatch):
    path = tmp_path / "one_hz.wav"
    _one_hertz_wav(path)

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded before the length check")

    import serlib.data.audio as audio

    monkeypatch.setattr(sf, "read", no_decoding)
    monkeypatch.setattr(audio, "_load_in_blocks", no_decoding)
    with pytest.raises(RecordingTooLongError) as err:
        load_audio(path)
    message = str(err.value)
    assert "one_hz.wav" in message and "8.9 h" in message and f"{MAX_DURATION:g} s" in message
    assert "SERLIB_MAX_DURATION" in message and "damaged header" in message


def test_serlib_predict_refuses_it_in_one_line(tmp_path, capsys):
    path = tmp_path / "one_hz.wav"
    _one_hertz_wav(path)
    assert main(["predict", _bundle(tmp_path), str(path)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "longer than the 600 s serlib reads" in err


def test_the_limit_is_configurable(tmp_path, monkeypatch, write_wav):
    path = write_wav("two_seconds.wav", seconds=2.0)
    with pytest.raises(RecordingTooLongError, match="longer than the 1 s"):
        load_audio(path, max_duration=1.0)
    monkeypatch.setenv("SERLIB_MAX_DURATION", "1.5")
    with pytest.raises(RecordingTooLongError, match=r"1\.5 s"):
        load_audio(path)
    assert load_audio(path, max_duration=3.0).size == 32000  # the argument wins
    monkeypatch.setenv("SERLIB_MAX_DURATION", "ten minutes")
    with pytest.raises(ConfigError, match="SERLIB_MAX_DURATION='ten minutes'"):
        load_audio(path)
    monkeypatch.delenv("SERLIB_MAX_DURATION")
    with pytest.raises(ConfigError, match="positive number of seconds"):
        load_audio(path, max_duration=-1)


def test_a_long_file_is_decoded_in_blocks_in_bounded_memory(tmp_path):
    seconds = 2 * CHUNK_SECONDS + 10  # three blocks
    t = np.arange(int(seconds * 48000)) / 48000
    wave = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    path = tmp_path / "long.wav"
    sf.write(path, np.stack([wave, wave], axis=1), 48000, subtype="FLOAT")
    del t
    tracemalloc.start()
    out = load_audio(path, sample_rate=16000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    whole = wave.nbytes * 2  # what reading the stereo file at once would take
    assert out.shape == (int(seconds * 16000),)
    assert peak < 0.75 * whole + out.nbytes, (peak, whole)
    import soxr
    reference = soxr.resample(wave, 48000, 16000, quality="HQ")
    assert np.abs(out - reference).max() < 1e-3


def test_a_long_recording_is_predicted_window_by_window(tmp_path, write_wav, monkeypatch):
    from serlib.experiments import load_model_bundle

    bundle = load_model_bundle(_bundle(tmp_path))
    seconds = 2.2 * WINDOW_SECONDS  # a 30 s window, then 36 s (no short last window)
    path = write_wav("long.wav", seconds=seconds)
    widths = []
    forward = bundle.model.forward

    def spy(x, lengths=None):
        widths.append(int(lengths[0]))
        return forward(x, lengths)

    monkeypatch.setattr(bundle.model, "forward", spy)
    table = predict_recordings(bundle, [path])
    window = int(WINDOW_SECONDS * 16000 / bundle.mel_config.hop_length)
    assert len(widths) == 2 and abs(widths[0] - window) <= 2
    assert max(widths) <= 1.5 * window
    assert table[list(LABELS)].to_numpy().sum() == pytest.approx(1.0, abs=1e-5)


# ---------------------------------------------------------- names, folders, symlinks

def test_a_folder_named_like_a_recording_is_not_no_such_recording(tmp_path, capsys):
    folder = tmp_path / "x.wav"
    folder.mkdir()
    assert main(["predict", _bundle(tmp_path), str(folder)]) == 1
    err = capsys.readouterr().err
    assert "is a directory" in err and "no such recording" not in err


def test_a_symlink_loop_and_a_dangling_link_are_named(tmp_path, capsys):
    loop = tmp_path / "loop.wav"
    loop.symlink_to(loop)
    dangling = tmp_path / "dangling.wav"
    dangling.symlink_to(tmp_path / "gone.wav")
    assert main(["predict", _bundle(tmp_path), str(loop), str(dangling),
                 str(tmp_path / "absent.wav")]) == 1
    err = capsys.readouterr().err
    assert "loop.wav: a symbolic link that loops" in err
    assert "dangling.wav: a symbolic link to" in err and "gone.wav" in err
    assert "absent.wav: no such recording" in err


def test_a_file_name_that_is_not_utf8_is_read_not_called_corrupt(tmp_path):
    name = os.fsdecode(os.path.join(os.fsencode(str(tmp_path)), b"caf\xe9.wav"))
    sf.write(os.fsencode(name), speech(0.5), 16000)
    assert load_audio(name).size == 8000
    with pytest.raises(RecordingNotFoundError):
        from serlib.experiments.bundles import recording_log_mels
        from serlib.features import LogMel

        bundle = ModelBundle(model=nn.Identity(), labels=LABELS,
                             mel_config=mel_preset("agarla"), norm_stats=None, model_spec={})
        recording_log_mels(bundle, LogMel(bundle.mel_config), tmp_path / "gone.wav")


# ------------------------------------------------------------- bundles and devices

def test_hand_edited_labels_that_disagree_with_the_model_are_a_clear_error(tmp_path, write_wav,
                                                                          capsys):
    from serlib.experiments import load_model_bundle

    bundle = load_model_bundle(_bundle(tmp_path))
    bundle.labels = ("anger", "fear")  # the model has 5 outputs
    wav = write_wav("a.wav", seconds=1.0)
    with pytest.raises(CheckpointError, match="5 outputs but the bundle lists 2 labels"):
        predict_recordings(bundle, [wav])


class _SpyFront(nn.Module):
    """A front-end whose weights live on ``device``; records where its inputs were."""

    def __init__(self, device: str, dim: int = 6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1, device=device))
        self.dim, self.seen = dim, []
        self.calls = 0

    def forward(self, x, lengths=None):
        self.seen.append((x.device, None if lengths is None else lengths.device))
        self.calls += 1
        g = torch.Generator().manual_seed(self.calls)
        return torch.randn(x.shape[0], 1, self.dim, 1, generator=g)  # (batch, 1, dim, 1)


def _spy_bundle(device: str) -> ModelBundle:
    front = _SpyFront(device)
    model = FrozenFrontClassifier(front, EmbeddingClassifier(6, 5, hidden=4))
    return ModelBundle(model=model.eval(), labels=LABELS, mel_config=mel_preset("agarla"),
                       norm_stats=None, model_spec={})


def _recordings(tmp_path, n: int) -> list:
    paths = []
    for i in range(n):
        path = tmp_path / f"rec{i:02d}.wav"
        sf.write(path, speech(0.6, seed=i), 16000)
        paths.append(path)
    return paths


def test_inputs_are_moved_to_the_models_device(tmp_path):
    """A model moved to another device (here meta) gets its inputs there, in predict and
    in calibration."""
    paths = _recordings(tmp_path, MIN_RECORDINGS)
    bundle = _spy_bundle("meta")
    predict_recordings(bundle, paths[:2])
    assert {d for pair in bundle.model.front.seen for d in pair} == {torch.device("meta")}
    calibrated = calibrated_bundle(bundle, paths)
    devices = {d for pair in calibrated.model.front.seen for d in pair}
    assert devices == {torch.device("meta")}


# ------------------------------------------------------------- distinct recordings

def test_calibration_counts_distinct_recordings(tmp_path):
    paths = _recordings(tmp_path, 3)
    copies = [tmp_path / f"copy{i}.wav" for i in range(MIN_RECORDINGS)]
    for i, copy in enumerate(copies):
        copy.write_bytes(paths[i % 3].read_bytes())
    with pytest.raises(DegenerateStatisticsError,
                       match=rf"at least {MIN_RECORDINGS} distinct recordings.*got 3 "
                             rf"\(7 of the 10 given repeat"):
        calibrated_bundle(_spy_bundle("cpu"), copies)
    with pytest.raises(DegenerateStatisticsError, match="got 1"):
        calibrated_bundle(_spy_bundle("cpu"), [paths[0]] * MIN_RECORDINGS)


class _ConstantFront(_SpyFront):
    def __init__(self, flat: int) -> None:
        super().__init__("cpu")
        self.flat = flat

    def forward(self, x, lengths=None):
        e = super().forward(x, lengths)
        e[:, 0, : self.flat, 0] = 1.0  # these dimensions never vary
        return e


def test_a_degenerate_spread_is_never_used_silently(tmp_path):
    paths = _recordings(tmp_path, MIN_RECORDINGS)
    bundle = _spy_bundle("cpu")
    bundle.model.std.fill_(2.0)
    bundle.model.front = _ConstantFront(flat=2)
    with pytest.warns(DataWarning, match="2 of 6 embedding dimensions do not vary"):
        calibrated = calibrated_bundle(bundle, paths)
    assert calibrated.model.std[:2].tolist() == [2.0, 2.0]  # the saved statistic kept
    assert (calibrated.model.std[2:] != 2.0).all()
    bundle.model.front = _ConstantFront(flat=6)
    with pytest.raises(DegenerateStatisticsError, match="do not vary at all"):
        calibrated_bundle(bundle, paths)


def test_norm_statistics_need_distinct_utterances_and_real_spread():
    g = torch.Generator().manual_seed(0)
    one = torch.randn(1, 8, 20, generator=g)
    with pytest.raises(DegenerateStatisticsError, match=r"1 distinct utterance.*3 given"):
        fit_norm_stats({"source": [one, one, one.clone()]}, mode="source")
    silent = [torch.full((1, 8, 20), -11.5) for _ in range(3)]
    with pytest.raises(DegenerateStatisticsError, match="no spread"):
        compute_norm_stats(silent)
    band_limited = [torch.randn(1, 8, 20, generator=g) for _ in range(3)]
    for f in band_limited:
        f[:, 6:] = -11.5  # two flat bands
    with pytest.warns(DataWarning, match=r"mel band\(s\) \[6, 7\] are flat"):
        compute_norm_stats(band_limited, per_band=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        compute_norm_stats(band_limited)  # global statistics have spread: no warning


def test_domain_embedding_statistics_need_distinct_rows_and_spread():
    from serlib.features.norm_stats import embedding_stats

    g = torch.Generator().manual_seed(0)
    row = torch.randn(1, 4, generator=g)
    with pytest.raises(DegenerateStatisticsError, match=r"target.*1 distinct utterance"):
        embedding_stats(row.repeat(5, 1), what="the target's utterances")
    x = torch.randn(6, 4, generator=g)
    x[:, 0] = 3.0
    with pytest.warns(DataWarning, match="1 of 4 dimensions do not vary"):
        mean, std = embedding_stats(x, what="the target's utterances")
    assert std[0] == 1.0 and mean[0] == 3.0 and (std[1:] != 1.0).all()
    with pytest.raises(DegenerateStatisticsError, match="no dimension varies"):
        embedding_stats(torch.ones(6, 4) + torch.arange(6)[:, None] * 1e-9, what="x",
                        min_rows=1)
