"""Downloads against a local HTTP server: verification, offline errors, killed runs."""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from pathlib import Path

import pytest

from serlib.data import fetch_corpus, load_corpus
from serlib.data import registry as registry_module
from serlib.data.corpora import CORPORA
from serlib.data.registry import Archive, Source
from serlib.data.scan import INCOMPLETE_MARKER
from serlib.errors import (
    ChecksumError,
    CorpusNotFoundError,
    CorpusVerificationError,
    DownloadError,
)

URDU = ["Angry/SM1_F1_A01.wav", "Happy/SF2_F3_H05.wav", "Neutral/SM1_F2_N07.wav",
        "Sad/SF2_F9_S10.wav"]


class _Server:
    """A 127.0.0.1 HTTP server with routes; a route may stall after half its body."""

    def __init__(self) -> None:
        self.routes: dict[str, bytes] = {}
        self.stall: set[str] = set()
        self.release = threading.Event()
        self.hits: dict[str, int] = {}
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = server.routes.get(self.path)
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.path in server.stall:
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    server.release.wait(30)
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(autouse=True)
def _own_download_cache(monkeypatch, tmp_path):
    """Each test starts with an empty download cache."""
    monkeypatch.setenv("SERLIB_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def server():
    srv = _Server()
    yield srv
    srv.close()


@pytest.fixture
def small_urdu(monkeypatch):
    """Pretend URDU is 4 files, one per emotion, so tests can build a complete copy."""
    spec = dataclasses.replace(CORPORA["urdu"], expected_files=4, expected_counts={
        "anger": 1, "happiness": 1, "neutral": 1, "sadness": 1})
    monkeypatch.setitem(CORPORA, "urdu", spec)
    return spec


def _zip(tmp_path: Path, tiny_wav: bytes, names: list[str], prefix="URDU-Dataset-HEAD/",
         extra: dict[str, bytes] | None = None) -> bytes:
    path = tmp_path / "archive.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name in names:
            zf.writestr(prefix + name, tiny_wav)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path.read_bytes()


def _serve(monkeypatch, server, body: bytes, known_hash: str | None = "auto") -> str:
    server.routes["/urdu.zip"] = body
    if known_hash == "auto":
        known_hash = "sha256:" + hashlib.sha256(body).hexdigest()
    source = Source("urdu", (Archive(server.url + "/urdu.zip", "urdu.zip", known_hash),), "")
    monkeypatch.setitem(registry_module.SOURCES, "urdu", source)
    return server.url + "/urdu.zip"


def test_fetch_downloads_verifies_and_installs(server, small_urdu, monkeypatch, tmp_path,
                                               tiny_wav):
    _serve(monkeypatch, server, _zip(tmp_path, tiny_wav, URDU))
    path = fetch_corpus("urdu", dest_root=tmp_path / "data", progress=False)
    assert path == tmp_path / "data" / "urdu"
    assert sorted(os.listdir(tmp_path / "data")) == ["urdu"]  # no staging left
    table = load_corpus("urdu", tmp_path / "data")
    assert sorted(table["emotion"]) == ["anger", "happiness", "neutral", "sadness"]
    fetch_corpus("urdu", dest_root=tmp_path / "data", force=True, progress=False)
    assert server.hits["/urdu.zip"] == 1  # the archive came from the download cache


def test_hash_mismatch_is_a_checksum_error(server, small_urdu, monkeypatch, tmp_path,
                                           tiny_wav):
    _serve(monkeypatch, server, _zip(tmp_path, tiny_wav, URDU), known_hash="md5:" + "0" * 32)
    with pytest.raises(ChecksumError, match="published hash"):
        fetch_corpus("urdu", dest_root=tmp_path / "data", progress=False)
    assert os.listdir(tmp_path / "data") == []


def test_offline_error_names_the_url_and_from_dir(small_urdu, monkeypatch, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/urdu.zip"
    monkeypatch.setitem(registry_module.SOURCES, "urdu",
                        Source("urdu", (Archive(url, "urdu.zip"),), ""))
    with pytest.raises(DownloadError) as err:
        fetch_corpus("urdu", dest_root=tmp_path / "data", progress=False)
    assert url in str(err.value) and "--from-dir" in str(err.value)
    assert os.listdir(tmp_path / "data") == []


def test_half_archive_never_becomes_a_smaller_corpus(server, small_urdu, monkeypatch,
                                                     tmp_path, tiny_wav):
    _serve(monkeypatch, server, _zip(tmp_path, tiny_wav, URDU[:3]))
    with pytest.raises(CorpusVerificationError, match="sadness: 0 found, 1 expected"):
        fetch_corpus("urdu", dest_root=tmp_path / "data", progress=False)
    assert os.listdir(tmp_path / "data") == []
    with pytest.raises(CorpusNotFoundError):
        load_corpus("urdu", tmp_path / "data" / "urdu")


def test_archive_members_outside_the_target_are_refused(server, small_urdu, monkeypatch,
                                                        tmp_path, tiny_wav):
    body = _zip(tmp_path, tiny_wav, URDU, extra={"../../evil.wav": tiny_wav})
    _serve(monkeypatch, server, body)
    with pytest.raises(DownloadError, match="outside"):
        fetch_corpus("urdu", dest_root=tmp_path / "data", progress=False)
    assert not (tmp_path / "evil.wav").exists()


def test_manual_corpus_is_never_downloaded_and_imports_from_dir(monkeypatch, tmp_path,
                                                                make_corpus):
    with pytest.raises(CorpusNotFoundError, match="--from-dir"):
        fetch_corpus("savee", dest_root=tmp_path / "data")
    spec = dataclasses.replace(CORPORA["savee"], expected_files=3, expected_counts={
        "anger": 1, "neutral": 1, "sadness": 1})
    monkeypatch.setitem(CORPORA, "savee", spec)
    half = make_corpus(["AudioData/DC/a01.wav", "AudioData/DC/n01.wav"], folder="half")
    with pytest.raises(CorpusVerificationError):
        fetch_corpus("savee", dest_root=tmp_path / "data", from_dir=half, progress=False)
    assert os.listdir(tmp_path / "data") == []
    full = make_corpus(["AudioData/DC/a01.wav", "AudioData/DC/n01.wav",
                        "AudioData/KL/sa02.wav"], folder="full")
    path = fetch_corpus("savee", dest_root=tmp_path / "data", from_dir=full, progress=False)
    assert len(load_corpus("savee", path)) == 3
    assert (full / "AudioData" / "DC" / "a01.wav").exists()  # the user's folder is untouched


_CHILD = """
import dataclasses, shutil, sys, time
from serlib.data import fetch as fetch_module, registry
from serlib.data.corpora import CORPORA
from serlib.data.registry import Archive, Source
CORPORA["urdu"] = dataclasses.replace(CORPORA["urdu"], expected_files=4, expected_counts={
    "anger": 1, "happiness": 1, "neutral": 1, "sadness": 1})
registry.SOURCES["urdu"] = Source("urdu", (Archive(sys.argv[1], "urdu.zip"),), "")
if sys.argv[3] == "slow-extract":
    copy = shutil.copyfileobj
    def slow(src, dst, *a):
        copy(src, dst, *a)
        time.sleep(60)
    fetch_module.shutil.copyfileobj = slow
fetch_module.fetch_corpus("urdu", dest_root=sys.argv[2], progress=False)
"""


def _run_child(tmp_path: Path, url: str, mode: str) -> subprocess.Popen:
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(_CHILD))
    env = {**os.environ, "SERLIB_CACHE": str(tmp_path / "cache")}
    return subprocess.Popen([sys.executable, str(script), url, str(tmp_path / "data"), mode],
                            env=env)


def _wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the child process")
        time.sleep(0.05)


def _assert_nothing_usable(data: Path) -> None:
    assert not (data / "urdu").exists()
    with pytest.raises(CorpusNotFoundError):
        load_corpus("urdu", data)
    for leftover in data.glob(".urdu.partial"):
        with pytest.raises(CorpusNotFoundError, match="unfinished"):
            load_corpus("urdu", leftover)


def test_killed_download_leaves_nothing_and_the_next_fetch_restarts(
        server, small_urdu, monkeypatch, tmp_path, tiny_wav):
    url = _serve(monkeypatch, server, _zip(tmp_path, tiny_wav, URDU), known_hash=None)
    server.stall.add("/urdu.zip")
    child = _run_child(tmp_path, url, "plain")
    downloads = tmp_path / "cache" / "downloads" / "urdu"
    _wait_for(lambda: server.hits.get("/urdu.zip", 0) >= 1 and downloads.is_dir()
              and any(p.stat().st_size for p in downloads.iterdir()))
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    assert not (downloads / "urdu.zip").exists()  # only pooch's temporary file
    _assert_nothing_usable(tmp_path / "data")
    server.stall.clear()
    path = fetch_corpus("urdu", dest_root=tmp_path / "data", progress=False)
    assert len(load_corpus("urdu", path)) == 4
    assert sorted(os.listdir(tmp_path / "data")) == ["urdu"]


def test_killed_extraction_leaves_nothing_load_corpus_accepts(
        server, small_urdu, monkeypatch, tmp_path, tiny_wav):
    url = _serve(monkeypatch, server, _zip(tmp_path, tiny_wav, URDU), known_hash=None)
    child = _run_child(tmp_path, url, "slow-extract")
    staging = tmp_path / "data" / ".urdu.partial"
    _wait_for(lambda: staging.is_dir() and any(staging.rglob("*.wav")))
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    assert (staging / INCOMPLETE_MARKER).exists()
    _assert_nothing_usable(tmp_path / "data")
    fetch_corpus("urdu", dest_root=tmp_path / "data", progress=False)
    assert sorted(os.listdir(tmp_path / "data")) == ["urdu"]


def test_existing_copy_is_verified_and_kept_unless_forced(small_urdu, tmp_path, make_corpus):
    make_corpus(URDU, folder="data/urdu")
    assert fetch_corpus("urdu", dest_root=tmp_path / "data", progress=False).is_dir()
    (tmp_path / "data" / "urdu" / URDU[0]).unlink()
    with pytest.raises(CorpusVerificationError, match="--force"):
        fetch_corpus("urdu", dest_root=tmp_path / "data", progress=False)
