"""sda.text.bench_text: the word-count benchmark's child processes pass on an input error."""

from __future__ import annotations

import tempfile

import pytest

from sda.io import InputError
from sda.text.bench_text import bench_rows


def test_strict_policy_names_the_file_in_the_text_benchmark(one_bad_file, tmp_path, monkeypatch):
    """bench_text runs each method in a child process: the child's error reaches the rule, and
    the measuring process leaves no file behind."""
    files, bad = one_bad_file
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    with pytest.raises(InputError, match=rf"{bad}: not UTF-8 at byte 3"):
        bench_rows(files, "strict", "sync", 1, 1, 1, 1)
    assert list(temp.iterdir()) == []
