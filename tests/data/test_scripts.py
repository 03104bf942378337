"""The thin scripts in data_scripts/ run and delegate to serlib."""

from __future__ import annotations

import os
import subprocess
import sys


def test_make_split_script_saves_a_speaker_independent_split(repo_dir, make_corpus, tmp_path):
    names = [f"wav/{spk}a0{k}{emo}a.wav" for spk in ("03", "08", "09", "10", "11")
             for emo in "WAFNT" for k in (1, 2)]
    root = make_corpus(names, folder="emodb")
    env = {**os.environ, "SERLIB_CACHE": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, str(repo_dir / "data_scripts" / "make_split.py"),
                          "emodb", "--root", str(root), "--seed", "1"],
                         capture_output=True, text=True, env=env, check=True).stdout
    assert "saved" in out
    saved = list((tmp_path / "cache" / "splits").glob("emodb-agarla5-seed1-*.csv"))
    assert len(saved) == 1


def test_verify_script_uses_the_cli_exit_code(repo_dir, make_corpus):
    root = make_corpus(["wav/03a01Fa.wav"], folder="emodb")
    result = subprocess.run([sys.executable, str(repo_dir / "data_scripts" / "verify.py"),
                             "emodb", "--root", str(root)], capture_output=True, text=True)
    assert result.returncode == 1 and "1 found, 535 expected" in result.stdout
