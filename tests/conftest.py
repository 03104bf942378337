"""Shared pytest fixtures.

Real corpora and weights are never part of the project. Tests that need them use the
fixtures below, which look for the development copies in ``$SERLIB_SHARED`` (default: the
``shared`` folder beside the repository) and skip cleanly when they are absent.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")  # figures in tests never need a screen

REPO = Path(__file__).resolve().parents[1]


def _shared_dir() -> Path:
    return Path(os.environ.get("SERLIB_SHARED", REPO.parent / "shared")).resolve()


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The folder with real corpora and weights (``../shared``); skips when absent."""
    path = _shared_dir()
    if not path.is_dir():
        pytest.skip(f"real data folder {path} is absent (set SERLIB_SHARED to use one)")
    return path


def _shared_sub(*parts: str) -> Path:
    path = _shared_dir().joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return path


@pytest.fixture(scope="session")
def emodb_dir() -> Path:
    """Real EmoDB copy (the folder that holds ``wav/``); skips when absent."""
    return _shared_sub("data", "emodb")


@pytest.fixture(scope="session")
def ravdess_dir() -> Path:
    """Real RAVDESS speech copy at 16 kHz (holds ``Actor_01..24``); skips when absent."""
    return _shared_sub("data", "ravdess")


@pytest.fixture(scope="session")
def byols_checkpoint() -> Path:
    """Real BYOL-S d512 checkpoint; skips when absent."""
    return _shared_sub(
        "weights", "byol-s", "default512_BYOLAs64x96-2107281850-e100-bs256-lr0003-rs42.pth"
    )


def pytest_configure(config: pytest.Config) -> None:
    """Point SERLIB_CACHE at a fresh temp folder for the whole session (before any fixture),
    so that tests never write into the user's cache. Set SERLIB_CACHE_KEEP=1 to keep yours."""
    if "SERLIB_CACHE_KEEP" not in os.environ:
        os.environ["SERLIB_CACHE"] = tempfile.mkdtemp(prefix="serlib-test-cache-")


# --- tiny CPU data for the training tests: two "languages" of random log-mel-like tensors ---
from collections.abc import Callable  # noqa: E402

import torch  # noqa: E402
from torch import Tensor  # noqa: E402

from serlib.features.batching import UtteranceDataset, make_loader  # noqa: E402
from serlib.models import SmallCNN  # noqa: E402

N_MELS = 16
NUM_CLASSES = 3


def toy_feats(n: int, *, shift: float, seed: int) -> tuple[list[Tensor], list[int]]:
    """``n`` utterances of variable length whose class moves the mean of a band of mels."""
    g = torch.Generator().manual_seed(seed)
    feats, labels = [], []
    for i in range(n):
        label = i % NUM_CLASSES
        frames = int(torch.randint(16, 40, (1,), generator=g))
        x = torch.randn(1, N_MELS, frames, generator=g) * 0.5 + shift
        x[:, label * 4:(label + 1) * 4] += 1.5
        feats.append(x)
        labels.append(label)
    return feats, labels


@pytest.fixture
def datasets() -> dict[str, UtteranceDataset]:
    """source (24), target (9 labelled), unlabelled (15, labels hidden), dev (9) datasets."""
    xs, ys = toy_feats(24, shift=0.0, seed=1)
    xt, yt = toy_feats(33, shift=0.7, seed=2)
    return {"source": UtteranceDataset(xs, ys), "target": UtteranceDataset(xt[:9], yt[:9]),
            "unlabelled": UtteranceDataset(xt[9:24], None),
            "dev": UtteranceDataset(xt[24:], yt[24:])}


@pytest.fixture
def loaders(datasets) -> Callable[..., dict]:
    """Fresh, seeded loaders (call again for a second, identical set)."""

    def make(names=("source",), batch_size: int = 8, seed: int = 0) -> dict:
        return {name: make_loader(datasets[name], batch_size=batch_size, shuffle=True,
                                  seed=seed + k) for k, name in enumerate(names)}

    return make


@pytest.fixture
def dev_loader(datasets):
    return make_loader(datasets["dev"], batch_size=8, shuffle=False)


def _tiny_model(seed: int = 0, dropout: float = 0.0) -> SmallCNN:
    torch.manual_seed(seed)
    return SmallCNN(NUM_CLASSES, n_mels=N_MELS, channels=(4, 8, 8), embed_dim=8, dropout=dropout)


@pytest.fixture
def tiny_model() -> Callable[..., SmallCNN]:
    """``tiny_model(seed=0, dropout=0.0)``: a SmallCNN small enough for a test (no dropout
    by default, so that runs compare exactly)."""
    return _tiny_model


@pytest.fixture
def batch_of() -> Callable:
    """``batch_of(dataset, size=6)``: the first ``size`` items of a dataset as one Batch."""

    def make(dataset: UtteranceDataset, size: int = 6):
        return next(iter(make_loader(dataset, batch_size=size, shuffle=False)))

    return make


# --- several processes of one gloo process group (what torchrun starts), for the tests of
# --- data-parallel training: tests/train/test_distributed.py, tests/experiments/...
def _rank_worker(local_rank: int, world: int, port: int, out: Path, fn: Callable,
                 args: tuple, init: bool) -> None:
    from serlib.train.distributed import close_distributed, init_distributed

    os.environ.update(RANK=str(local_rank), LOCAL_RANK=str(local_rank), WORLD_SIZE=str(world),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)  # N processes on a small CPU (and OpenMP after a fork)
    if init:
        assert init_distributed("cpu")
    try:
        torch.save(fn(*args), out / f"rank{local_rank}.pt")
    finally:
        close_distributed()


@pytest.fixture
def run_ranks(tmp_path) -> Callable[..., list]:
    """``run_ranks(fn, *args, nprocs=2, init=True, timeout=300)``: ``fn(*args)`` on
    ``nprocs`` CPU processes with the environment torchrun sets (and, if ``init``, the gloo
    process group joined); returns what each rank returned. The processes are forked, so
    they inherit the imported torch and serlib (a spawned one imports them again: seconds);
    a child that fails fails the test (``torch.multiprocessing.spawn.ProcessException``), one
    that hangs is killed after ``timeout`` seconds."""
    import socket
    import time

    import torch.multiprocessing as mp

    calls = {"n": 0}

    def run(fn: Callable, *args, nprocs: int = 2, init: bool = True,
            timeout: float = 300) -> list:
        calls["n"] += 1
        out = tmp_path / f"ranks-{calls['n']}"
        out.mkdir()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        context = mp.start_processes(_rank_worker, args=(nprocs, port, out, fn, args, init),
                                     nprocs=nprocs, join=False, start_method="fork")
        deadline = time.monotonic() + timeout
        while not context.join(timeout=1):
            if time.monotonic() > deadline:
                for process in context.processes:
                    process.kill()
                pytest.fail(f"{nprocs} processes still running after {timeout} s (a hang?)")
        return [torch.load(out / f"rank{r}.pt", weights_only=False) for r in range(nprocs)]

    return run
