"""What made a run's results: this workflow's version (:data:`sda.__version__`), the git commit
of the repository that holds it and whether its tracked files had changes, and a checksum of
the config as validated (defaults filled in). ``results/VERSION.json`` holds it (rule
``version``) and the report's run facts show it."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Mapping
from pathlib import Path

from sda import __version__


def _git(directory: Path, *args: str) -> str | None:
    """``git -C directory <args>``'s output, or None without git or outside a repository."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(directory), *args], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def git_state(directory: str | Path) -> dict:
    """``commit`` (the full hash of HEAD) and ``dirty`` (tracked files differ from it, as
    ``git describe --dirty`` says; untracked files do not count) of the repository holding
    ``directory``; both None where there is no git or no repository (a copy, a tarball)."""
    commit = _git(Path(directory), "rev-parse", "--verify", "HEAD")
    if not commit:
        return {"commit": None, "dirty": None}
    status = _git(Path(directory), "status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def config_checksum(config: Mapping) -> str:
    """``sha256:<hex>`` of the config as canonical JSON (keys sorted, no spaces)."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def version_record(directory: str | Path, config: Mapping) -> dict:
    """What ``results/VERSION.json`` holds: the version, the git state of ``directory`` (the
    workflow's own), and the config's checksum."""
    return {"version": __version__, **git_state(directory), "config": config_checksum(config)}
