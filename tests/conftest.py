"""Shared fixtures and helpers: a copy of the workflow in a temp dir and one run of it on
config/test.yaml; the markers of what a test needs; the data several test modules share (a
synthetic corpus, small array stores, a user's Lahman database). The oracles are in oracles.py.

Integration tests never run Snakemake in the checkout itself: each run gets its own directory,
so tests can run while someone works in the repository. Only a test marked ``workflow`` may
copy or run the workflow: every helper here that does fails any other test, naming it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml

from sda.blocks.generate import BlockSpec

# The oracles' asserts explained on failure, as a test module's are.
pytest.register_assert_rewrite("oracles")

REPO = Path(__file__).resolve().parents[1]
SHARED_WIKI = REPO.parent / "shared" / "data" / "wiki" / "AB"
SHARED_LESSON = REPO.parent / "shared" / "lesson" / "000_3f19caa526adccb6.txt"
WORKFLOW_PARTS = ["Snakefile", "rules", "scripts", "config", "profiles", "envs", "report"]


def copy_workflow(dest: Path) -> Path:
    """Copy what a user clones (the workflow, not results) into ``dest`` (in a test: one marked
    ``workflow``, since every copy is made to run Snakemake in)."""
    require_workflow_marker("copies the workflow to run Snakemake in")
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
    cmd = snakemake_command(*args, "--cores", str(cores), "--configfile", *configfiles)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    proc = run_workflow_command(cmd, cwd=workdir, env=env, timeout=1800)
    if check and proc.returncode != 0:
        pytest.fail(f"snakemake {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def refused_config(workdir: Path, overlay: str, *args: str) -> str:
    """``snakemake <args>`` in ``workdir`` on config/test.yaml with ``overlay`` (YAML text, written
    as bad.yaml) on top, which must fail before any job (no results/); returns its output."""
    (workdir / "bad.yaml").write_text(overlay)
    proc = run_snakemake(workdir, *args, configfile=["config/test.yaml", "bad.yaml"], check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert not (workdir / "results").exists(), out
    return out


def snakemake_command(*args: str) -> list[str]:
    """``snakemake <args>`` as this Python runs it (start it with :func:`run_workflow_command`
    or :func:`start_workflow_command`)."""
    return [sys.executable, "-m", "snakemake", *args]


def rulerun_command(*args: str) -> list[str]:
    """``python -m sda.rulerun <args>`` (a rule's script run outside Snakemake; it loads the
    workflow with Snakemake's API)."""
    return [sys.executable, "-m", "sda.rulerun", *args]


def run_workflow_command(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    """``subprocess.run(cmd)``, output captured as text unless ``kwargs`` say otherwise, for a
    command that runs Snakemake or loads the workflow (``python -m sda.rulerun``): only in a
    test marked ``workflow``."""
    require_workflow_marker(f"runs {' '.join(map(str, cmd[1:4]))} ...")
    return subprocess.run(cmd, **{"capture_output": True, "text": True, **kwargs})


def start_workflow_command(cmd: list[str], **kwargs) -> subprocess.Popen:
    """``subprocess.Popen(cmd, **kwargs)`` for a command that runs Snakemake: only in a test
    marked ``workflow``."""
    require_workflow_marker(f"starts {' '.join(map(str, cmd[1:4]))} ...")
    return subprocess.Popen(cmd, **kwargs)


def load_workflow_job(rule: str, configfiles: list[str]):
    """The ``snakemake`` object of ``rule``'s job, from the workflow in the current directory
    as Snakemake loads it (:func:`sda.rulerun.mock_snakemake`): only in a test marked
    ``workflow``."""
    from sda.rulerun import mock_snakemake

    require_workflow_marker("loads the workflow with Snakemake")
    return mock_snakemake(rule, configfiles)


def job_counts(proc: subprocess.CompletedProcess) -> dict[str, int]:
    """Rule -> job count from the job stats table of a dry run."""
    table = proc.stdout.split("Job stats:", 1)[1].split("total", 1)[0]
    return {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", table, flags=re.M)}


def load_yaml(path: Path) -> dict:
    with open(path) as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="session")
def test_config() -> dict:
    """config/test.yaml as a dict."""
    return load_yaml(REPO / "config" / "test.yaml")


DEFAULT_REPORT = "results/report/default_report.html"
DEFAULT_THEN_NOW = "results/report/default_then_and_now.csv"


@pytest.fixture(scope="session")
def workflow_run(tmp_path_factory) -> Path:
    """The workflow run on config/test.yaml as a user would: the default target, then
    ``bench`` (the evidence benchmarks and the report again). The default run's report is kept
    as ``DEFAULT_REPORT``; returns the directory."""
    workdir = copy_workflow(tmp_path_factory.mktemp("workflow"))
    run_snakemake(workdir)
    report = workdir / "results" / "report" / "report.html"
    shutil.copy2(report, workdir / DEFAULT_REPORT)
    shutil.copy2(report.parent / "then_and_now.csv", workdir / DEFAULT_THEN_NOW)
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


@pytest.fixture(scope="session")
def lesson_text() -> Path:
    """The 2016 lesson's text beside the checkout (tests using it are marked ``lesson``, which
    skips them where it is absent)."""
    return SHARED_LESSON


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


# --- the workflow tier: a test that starts Snakemake is marked ``workflow`` ---------------------

# The test being run (its setup, call and teardown), or None outside one (ci/slurm/check.sh
# imports copy_workflow from here).
_running: dict[str, pytest.Item | None] = {"item": None}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    _running["item"] = item
    try:
        return (yield)
    finally:
        _running["item"] = None


def require_workflow_marker(what: str) -> None:
    """Fail the running test, naming it, if it is not marked ``workflow`` but ``what`` says it
    starts Snakemake: the fast tier (``-m "not workflow and not slurm"``) must not run one.
    Every helper here that copies or runs the workflow calls this first."""
    item = _running["item"]
    if item is not None and item.get_closest_marker("workflow") is None:
        pytest.fail(
            f"{item.nodeid} {what} but is not marked workflow: add @pytest.mark.workflow "
            "(or pytestmark = pytest.mark.workflow in its module), so that the fast tier "
            '-m "not workflow and not slurm" leaves it out',
            pytrace=False,
        )


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
    # comp: the node is finishing a job (a test just ended), and takes the next one after
    if not {"idle", "mix", "alloc", "comp"} & set(proc.stdout.split()):
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


def _lesson_reason() -> str | None:
    if not SHARED_LESSON.is_file():
        return f"needs the lesson's text in {SHARED_LESSON}, which is absent (the team's test data)"
    return None


# marker -> why a test so marked cannot run here (None: it can)
NEEDS = {
    "slurm": _slurm_reason,
    "browser": _browser_reason,
    "graphviz": _graphviz_reason,
    "wiki": _wiki_reason,
    "lesson": _lesson_reason,
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


# --- config ----------------------------------------------------------------------------------

SCHEMA = REPO / "config" / "schema" / "config.schema.yaml"


def check_all(config) -> None:
    """Every cross-field check, as rules/common.smk runs them."""
    from sda.config_checks import CHECKS

    for check in CHECKS:
        check(config)


# --- a synthetic corpus, and a corpus with a file that is not UTF-8 --------------------------


@pytest.fixture(scope="session")
def synthetic_corpus(tmp_path_factory):
    """``synthetic_corpus(file_bytes=30_000)``: three files of sda.text.corpus's synthetic
    Wikipedia (seed 3) of about ``file_bytes`` each, written once per size for the session."""
    from sda.text.corpus import file_names, write_synthetic

    made: dict[int, list[str]] = {}

    def corpus(file_bytes: int = 30_000) -> list[str]:
        if file_bytes not in made:
            d = tmp_path_factory.mktemp(f"synthetic{file_bytes}")
            paths = [str(d / n) for n in file_names(3)]
            write_synthetic(paths, file_bytes, seed=3)
            made[file_bytes] = paths
        return made[file_bytes]

    return corpus


@pytest.fixture
def one_bad_file(tmp_path) -> tuple[list[str], Path]:
    """Two corpus files, the second not UTF-8 at byte 3; returns both and the bad one."""
    good, bad = tmp_path / "wiki_00", tmp_path / "wiki_01"
    good.write_text("fine text here\n")
    bad.write_bytes(b"caf\xe9 au lait\n")
    return [str(good), str(bad)], bad


# --- small array stores: four blocks of 12 x 5, every store kind -----------------------------

STORE_SPEC = BlockSpec(rows=12, cols=5, seed=9)
STORE_BLOCKS = 4
SHARD = 3  # blocks per shard in sharded_stores: shards c/0/0/0 (blocks 0-2) and c/1/0/0 (3)


def stacked(files) -> np.ndarray:
    """The blocks of ``files`` (npy) as one array, read with numpy."""
    return np.stack([np.load(f) for f in files])


def create_memmap(path, shape) -> np.memmap:
    """A new raw float64 file of ``shape`` mapped for writing (a store written the lesson's way)."""
    return np.memmap(path, dtype=np.float64, mode="w+", shape=tuple(shape), order="C")


@pytest.fixture
def blocks(tmp_path) -> list[str]:
    """STORE_BLOCKS npy blocks of STORE_SPEC under ``tmp_path/npy``."""
    from sda.blocks.generate import write_block

    npy = tmp_path / "npy"
    npy.mkdir()
    files = [str(npy / f"x{i:06d}.npy") for i in range(STORE_BLOCKS)]
    for f in files:
        write_block(f, STORE_SPEC)
    return files


@pytest.fixture
def stores(tmp_path, blocks):
    """Every store of ``blocks``, compressed (gzip HDF5, zstd Zarr)."""
    from sda.stores.paths import Stores
    from sda.stores.write import write_store

    s = Stores.under(tmp_path / "stores", blocks, STORE_SPEC.shape)
    for kind in ("npz", "npz_compressed", "memmap", "hdf5", "hdf5_chunked", "zarr"):
        write_store(kind, s, hdf5_compression="gzip", zarr_compression="zstd")
    return s


@pytest.fixture
def raw_stores(tmp_path, blocks):
    """Uncompressed chunked HDF5 and Zarr (one file per chunk): the zero-copy readers apply."""
    from sda.stores.paths import Stores
    from sda.stores.write import write_store

    s = Stores.under(tmp_path / "raw", blocks, STORE_SPEC.shape)
    for kind in ("memmap", "hdf5_chunked", "zarr"):
        write_store(kind, s, hdf5_compression="none", zarr_compression="none")
    return s


@pytest.fixture
def sharded_stores(tmp_path, blocks):
    """Uncompressed Zarr with shards of SHARD blocks (the default layout, smaller)."""
    from sda.stores.paths import Stores
    from sda.stores.write import write_store

    s = Stores.under(tmp_path / "sharded", blocks, STORE_SPEC.shape)
    for kind in ("memmap", "zarr"):
        write_store(kind, s, zarr_shard_blocks=SHARD)
    return s


# --- a user's Lahman database in the lesson's layout -----------------------------------------

# What SQLite allows and Lahman files contain: NULLs in integer columns, a REAL column, a
# DATETIME column holding text, an untyped column mixing numbers and text, a country literally
# named "(null)", ties in the counts.
MASTER_ROWS = [
    ("d01", 1980, "USA", 180.0, "2001-04-01", 5, None),
    ("a01", None, None, 200.5, None, "x", None),
    ("c01", 1975, "CAN", None, "1999-01-02", 2.5, None),
    ("b01", 2**60 + 1, "USA", 190.25, "2010-06-03", None, None),
    ("e01", 1990, "(null)", 170.0, "2011-07-04", 7, None),
    ("f01", 1991, "D.R.", 171.0, "2012-08-05", 8, None),
    ("g01", 1992, None, 172.0, "2013-09-06", 9, None),
]


def make_user_db(path: Path, rows=MASTER_ROWS) -> Path:
    """A user database at ``path``: Master of ``rows``, an empty Batting, a view Tall."""
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE Master (playerID TEXT, birthYear INTEGER, birthCountry TEXT, "
        "weight REAL, debut DATETIME, misc, unused INTEGER)"
    )
    conn.executemany("INSERT INTO Master VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    conn.execute("CREATE TABLE Batting (playerID TEXT, yearID INTEGER)")
    conn.execute("CREATE VIEW Tall AS SELECT playerID FROM Master WHERE weight > 180")
    conn.commit()
    conn.close()
    return path


@pytest.fixture
def user_db(tmp_path) -> Path:
    return make_user_db(tmp_path / "lahman2013.sqlite")
