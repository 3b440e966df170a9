"""sda.provenance: the git state of a real repository, outside one and without git; the
config's checksum."""

from __future__ import annotations

import hashlib
import shutil
import subprocess

import pytest

from sda import __version__
from sda.provenance import config_checksum, git_state, version_record

needs_git = pytest.mark.skipif(not shutil.which("git"), reason="needs git (apt-get install git)")


def git(repo, *args: str) -> str:
    cmd = ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args]
    return subprocess.run(cmd, cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path):
    (tmp_path / "tracked.txt").write_text("one\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "tracked.txt")
    git(tmp_path, "commit", "-qm", "first")
    return tmp_path


@needs_git
def test_git_state_of_a_repository(repo):
    head = git(repo, "rev-parse", "HEAD")
    assert len(head) == 40
    assert git_state(repo) == {"commit": head, "dirty": False}
    (repo / "untracked.txt").write_text("new\n")  # not a change of the commit's files
    assert git_state(repo) == {"commit": head, "dirty": False}
    (repo / "sub").mkdir()
    assert git_state(repo / "sub")["commit"] == head  # any directory inside it
    (repo / "tracked.txt").write_text("two\n")
    assert git_state(repo) == {"commit": head, "dirty": True}


@needs_git
def test_git_state_outside_a_repository(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert git_state(tmp_path) == {"commit": None, "dirty": None}


@needs_git
def test_git_state_without_git(repo, tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert git_state(repo) == {"commit": None, "dirty": None}


def test_config_checksum():
    expected = "sha256:" + hashlib.sha256(b'{"a":1,"b":[1,2],"c":{"d":"\xc3\xa9"}}').hexdigest()
    assert config_checksum({"c": {"d": "é"}, "b": [1, 2], "a": 1}) == expected
    assert config_checksum({"a": 1, "b": [1, 2], "c": {"d": "é"}}) == expected  # key order
    assert config_checksum({"a": 2, "b": [1, 2], "c": {"d": "é"}}) != expected


def test_version_record(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no git: no commit
    record = version_record(tmp_path, {"a": 1})
    assert record == {
        "version": __version__,
        "commit": None,
        "dirty": None,
        "config": "sha256:" + hashlib.sha256(b'{"a":1}').hexdigest(),
    }
