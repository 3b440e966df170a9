"""Shared fixtures: a copy of the workflow in a temp dir, and one run of it on config/test.yaml.

Integration tests never run Snakemake in the checkout itself: each run gets its own directory,
so tests can run while someone works in the repository.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED_WIKI = REPO.parent / "shared" / "data" / "wiki" / "AB"
WORKFLOW_PARTS = ["Snakefile", "rules", "scripts", "config", "profiles", "envs", "report"]


def copy_workflow(dest: Path) -> Path:
    """Copy what a user clones (the workflow, not results) into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in WORKFLOW_PARTS:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy2(src, dest / part)
    return dest


def run_snakemake(
    workdir: Path,
    *args: str,
    configfile: str | list[str] = "config/test.yaml",
    cores: int = 2,
    check=True,
) -> subprocess.CompletedProcess:
    """Run ``snakemake`` in ``workdir``; on failure with ``check`` show its output.

    ``--configfile`` comes last because it takes several values and would swallow targets.
    """
    configfiles = [configfile] if isinstance(configfile, str) else list(configfile)
    cmd = [sys.executable, "-m", "snakemake", *args, "--cores", str(cores)]
    cmd += ["--configfile", *configfiles]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, env=env, timeout=1800)
    if check and proc.returncode != 0:
        pytest.fail(f"snakemake {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def load_yaml(path: Path) -> dict:
    with open(path) as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="session")
def test_config() -> dict:
    """config/test.yaml as a dict."""
    return load_yaml(REPO / "config" / "test.yaml")


DEFAULT_REPORT = "results/report/default_report.html"


@pytest.fixture(scope="session")
def workflow_run(tmp_path_factory) -> Path:
    """The workflow run on config/test.yaml as a user would: the default target, then
    ``bench`` (the evidence benchmarks and the report again). The default run's report is kept
    as ``DEFAULT_REPORT``; returns the directory."""
    workdir = copy_workflow(tmp_path_factory.mktemp("workflow"))
    run_snakemake(workdir)
    report = workdir / "results" / "report" / "report.html"
    shutil.copy2(report, workdir / DEFAULT_REPORT)
    run_snakemake(workdir, "bench")
    return workdir


@pytest.fixture
def workflow_copy(tmp_path) -> Path:
    """A fresh, never-run copy of the workflow for tests that break things."""
    return copy_workflow(tmp_path / "wf")


def make_sqlite(path: Path, *statements: str) -> Path:
    """A SQLite database at ``path``, made by running ``statements`` with sqlite3 itself."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.executescript(";\n".join(statements))
    return path


def sqlite_relations(db: Path) -> list[str]:
    """The tables and views of ``db`` by name, SQLite's own left out, as sqlite3 lists them."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
        return [r[0] for r in rows]


@pytest.fixture(scope="session")
def shared_wiki() -> Path:
    """The real Wikipedia sample beside the checkout (tests using it are marked ``wiki``, which
    skips them where it is absent)."""
    return SHARED_WIKI


@contextlib.contextmanager
def small_filesystem(path: Path, size: str) -> Iterator[Path]:
    """A ``tmpfs`` of ``size`` (``40m``) mounted at ``path``, always unmounted afterwards; a
    skip saying why where that is not possible (mounting needs root)."""
    if os.geteuid() != 0:
        pytest.skip("a small filesystem needs root to mount a tmpfs (CI runs as root)")
    path.mkdir(parents=True, exist_ok=True)
    cmd = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs at {path}: {proc.stderr.strip()}")
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "--lazy", str(path)], check=True)


def resize_filesystem(path: Path, size: str) -> None:
    """Grow (or shrink) the tmpfs mounted at ``path`` to ``size``."""
    subprocess.run(["mount", "-o", f"remount,size={size}", str(path)], check=True)


# --- what a test needs beyond PyPI: a marker each, skipped with the reason where absent ---


def _slurm_reason() -> str | None:
    """None when sinfo reaches a controller with an idle or mixed node, else why not."""
    if shutil.which("sinfo") is None:
        return (
            "needs a running Slurm: sinfo is not installed "
            "(ci/slurm/start.sh installs and starts a single-node one, as root)"
        )
    try:
        proc = subprocess.run(
            ["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, timeout=20
        )
    except subprocess.TimeoutExpired:
        return "needs a running Slurm: sinfo did not answer within 20 s"
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return f"needs a running Slurm (start one with ci/slurm/start.sh): sinfo says {last!r}"
    if not {"idle", "mix", "alloc"} & set(proc.stdout.split()):
        return f"needs a running Slurm with a usable node (sinfo states: {proc.stdout.split()})"
    return None


def chromium() -> str | None:
    """The headless browser of the report's rendering test."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _browser_reason() -> str | None:
    if chromium() is None:
        return "needs chromium, which is not installed: apt-get install chromium"
    return None


def _graphviz_reason() -> str | None:
    from sda.text.taskgraph import has_graphviz

    if not has_graphviz():
        return "needs graphviz's dot, which is not installed: apt-get install graphviz"
    return None


def _wiki_reason() -> str | None:
    if not SHARED_WIKI.is_dir() or not any(SHARED_WIKI.iterdir()):
        return (
            f"needs real Wikipedia text in {SHARED_WIKI}, which is absent (WikiExtractor "
            "output of English Wikipedia: the team's test data, or any such folder there)"
        )
    return None


# marker -> why a test so marked cannot run here (None: it can)
NEEDS = {
    "slurm": _slurm_reason,
    "browser": _browser_reason,
    "graphviz": _graphviz_reason,
    "wiki": _wiki_reason,
}


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker, reason_of in NEEDS.items():
        if item.get_closest_marker(marker) is not None and (reason := reason_of()):
            pytest.skip(reason)


@pytest.fixture(scope="module")
def slurm() -> dict:
    """The running Slurm's partition and account (tests using it are marked ``slurm``)."""
    reason = _slurm_reason()
    if reason:
        pytest.skip(reason)
    return {
        "partition": os.environ.get("SDA_SLURM_PARTITION"),
        "account": os.environ.get("SDA_SLURM_ACCOUNT"),
    }
