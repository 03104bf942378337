"""Atomic writes: the permissions of a plain ``open(path, "w")``, nothing half-written."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from serlib.atomic import atomic_path, atomic_write_bytes, atomic_write_text, current_umask

from .conftest import leftovers


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask():
    """Set the process umask for one test; restore it afterwards."""
    old = os.umask(0o022)
    os.umask(old)
    yield lambda mask: os.umask(mask)
    os.umask(old)


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077, 0o027])
def test_new_files_get_0666_less_the_umask_like_open(tmp_path: Path, umask, mask: int) -> None:
    """Issue 10, item 9: mkstemp made every atomic file 0600 whatever the umask."""
    umask(mask)
    assert current_umask() == mask
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    atomic = atomic_write_text(tmp_path / "atomic.txt", "x")
    assert mode(atomic) == mode(plain) == 0o666 & ~mask
    with atomic_path(tmp_path / "table.csv") as tmp:
        tmp.write_text("a,b\n")
    assert mode(tmp_path / "table.csv") == 0o666 & ~mask
    assert leftovers(tmp_path) == []


def test_replacing_a_file_keeps_its_mode(tmp_path: Path, umask) -> None:
    umask(0o022)
    target = atomic_write_bytes(tmp_path / "shared.bin", b"old")
    os.chmod(target, 0o664)
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new" and mode(target) == 0o664


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = atomic_write_text(tmp_path / "out.txt", "old")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt  # a user pressing Ctrl-C mid-write
    assert target.read_text() == "old"
    assert leftovers(tmp_path) == []
