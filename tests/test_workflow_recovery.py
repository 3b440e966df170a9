"""Crashes, full disks and bad config, on real Snakemake runs of config/test.yaml.

- A run killed with SIGKILL (the whole process group, as a lost node or ``kill -9`` would) at
  several moments, then ``snakemake --unlock`` and the same command again: every output equals
  a clean run's, and no temporary file or scratch directory is left anywhere.
- A run on a small filesystem (a tmpfs; root only): a write that runs out of space fails its
  rule with ``<path>: no space left on device (needed about N MB, M MB free on <mount>)`` in
  the rule's log and on the console; a heavy rule that would not fit fails before writing;
  nothing partial is left, and once there is room the same command completes, equal to a
  clean run.
- Bad config values stop ``snakemake`` before any job, naming the key, with no traceback.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from conftest import (
    copy_workflow,
    refused_config,
    resize_filesystem,
    run_snakemake,
    small_filesystem,
    snakemake_command,
    start_workflow_command,
)
from slurm_check import compare_results

pytestmark = pytest.mark.workflow

# A lean target set that still has every kind of temporary file: a batch of npy blocks, a
# CSV copy, the bench scratch directory (results/bench/.block_io.csv.scratch), a directory
# store written under a temporary name (random.zarr), and the Lahman SQLite build (seconds
# of writing into .lahman.sqlite.tmp.sqlite).
CRASH_TARGETS = [
    "results/bench/block_io.csv",
    "results/stores/random.zarr",
    "results/lahman/lahman.sqlite",
]


def leftovers(workdir: Path) -> list[str]:
    """Temporary files and scratch directories anywhere in the working tree (Snakemake's own
    .snakemake/ aside): ``.<name>.tmp…``, ``*.scratch``, ``.extract.*``."""
    found = []
    for root, dirs, files in os.walk(workdir):
        if Path(root) == workdir:
            dirs[:] = [d for d in dirs if d != ".snakemake"]
        for name in dirs + files:
            if (
                (name.startswith(".") and ".tmp" in name)
                or name.endswith(".scratch")
                or name.startswith(".extract.")
            ):
                found.append((Path(root) / name).relative_to(workdir).as_posix())
    return sorted(found)


def start_snakemake(workdir: Path, output: Path, *targets: str) -> subprocess.Popen:
    """``snakemake`` in its own session (so its process group holds every job); its console
    output goes to ``output``."""
    cmd = snakemake_command(*targets, "--cores", "2", "--configfile", "config/test.yaml")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    with open(output, "w") as out:
        return start_workflow_command(
            cmd, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def kill_when(
    proc: subprocess.Popen, moment: Callable[[], bool], output: Path, timeout: float = 120
) -> None:
    """SIGKILL the whole process group of ``proc`` as soon as ``moment()`` holds."""
    deadline = time.monotonic() + timeout
    while not moment():
        if proc.poll() is not None:
            pytest.fail(f"the run ended before the moment to kill it came:\n{output.read_text()}")
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"the moment to kill the run did not come within {timeout} s")
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    for _ in range(100):  # every job of the group is gone too
        if not group_members(proc.pid):
            return
        time.sleep(0.05)
    pytest.fail(f"processes of the killed run survived SIGKILL: {group_members(proc.pid)}")


def group_members(pgid: int) -> list[str]:
    """Live (not zombie) processes of the process group ``pgid``."""
    members = []
    for p in psutil.process_iter(["pid", "status", "cmdline"]):
        try:
            if os.getpgid(p.pid) == pgid and p.info["status"] != psutil.STATUS_ZOMBIE:
                members.append(" ".join(p.info["cmdline"] or [])[:100])
        except (ProcessLookupError, psutil.Error):
            pass
    return members


def after(seconds: float) -> Callable[[], bool]:
    start = time.monotonic()
    return lambda: time.monotonic() - start > seconds


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory) -> Path:
    """The crash targets, run once without interruption."""
    wf = copy_workflow(tmp_path_factory.mktemp("clean"))
    run_snakemake(wf, *CRASH_TARGETS)
    return wf


# moment -> (what must exist to kill, what the kill must have left behind)
MOMENTS = {
    "lahman database half written": (
        lambda wf: (wf / "results/lahman/.lahman.sqlite.tmp.sqlite").exists(),
        "results/lahman/.lahman.sqlite.tmp.sqlite",
    ),
    "bench scratch in use": (
        lambda wf: (wf / "results/bench/.block_io.csv.scratch").exists(),
        "results/bench/.block_io.csv.scratch",
    ),
    "first block written": (
        lambda wf: (wf / "results/blocks/npy/x000000.npy").exists(),
        None,
    ),
    "after 4 seconds": (None, None),
}


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_killed_run_recovers_to_a_clean_runs_outputs_and_leaves_no_garbage(
    moment, clean_run, tmp_path
):
    wf = copy_workflow(tmp_path / "wf")
    condition, left = MOMENTS[moment]
    console = tmp_path / "killed.log"
    proc = start_snakemake(wf, console, *CRASH_TARGETS)
    kill_when(proc, after(4) if condition is None else (lambda: condition(wf)), console)
    garbage = leftovers(wf)
    print(f"\nkilled at {moment!r}: left {garbage or 'no temporary file'}")
    if left:
        assert left in garbage  # the crash this test is about did happen

    unlock = run_snakemake(wf, "--unlock")
    assert "Unlocked working directory" in unlock.stdout + unlock.stderr
    run_snakemake(wf, *CRASH_TARGETS)

    assert leftovers(wf) == []
    same = compare_results(clean_run / "results", wf / "results")
    assert same.ok, same.summary()
    assert "lahman/lahman.sqlite" in same.identical and "stores/random.zarr/zarr.json" in (
        same.identical
    )


# --- a full disk ----------------------------------------------------------------------------

# 10 blocks of 1000 x 300 (2.4 MB each as npy, 7.5 MB each as CSV) and a 24 MB memmap store:
# the blocks fit in 40 MB, two CSV copies more, the third does not, nor the store.
BIG = """\
blocks:
  n: 10
  rows: 1000
  cols: 300
  csv_n: 10
  batch: 10
stores:
  n: 10
"""
CSV_TARGETS = [f"results/blocks/csv/x{i:06d}.csv" for i in range(10)]
DISK_TARGETS = [*CSV_TARGETS, "results/stores/random.dat"]


def _run_big(wf: Path, *targets: str, check: bool = True) -> subprocess.CompletedProcess:
    return run_snakemake(
        wf, *targets, configfile=["config/test.yaml", "big.yaml"], cores=1, check=check
    )


def test_full_disk_fails_clearly_leaves_nothing_and_a_rerun_with_room_completes(tmp_path):
    clean = copy_workflow(tmp_path / "clean")
    (clean / "big.yaml").write_text(BIG)
    _run_big(clean, *DISK_TARGETS)

    with small_filesystem(tmp_path / "fs", "40m") as fs:
        wf = copy_workflow(fs / "wf")
        (wf / "big.yaml").write_text(BIG)
        _run_big(wf, "blocks_npy")  # 20 MB: fits

        # the CSV copies (one job): the third runs out of space while it is written
        proc = _run_big(wf, *CSV_TARGETS, check=False)
        out = proc.stdout + proc.stderr
        assert proc.returncode != 0, out
        full = re.search(
            r"results/blocks/csv/x000002\.csv: no space left on device "
            rf"\(needed about 7\.5 MB, [\d.]+ MB free on {re.escape(str(fs))}\)",
            out,
        )
        assert full, out
        print(f"\nconsole: {full.group(0)}")
        assert full.group(0) in (wf / "logs" / "block_csv.log").read_text()
        # Snakemake removes the failed job's two finished copies; nothing partial is left
        assert list((wf / "results/blocks").rglob("*.csv")) == []
        assert leftovers(wf) == []

        # a heavy rule checks first: the memmap store would not fit, nothing is written
        proc = _run_big(wf, "results/stores/random.dat", check=False)
        out = proc.stdout + proc.stderr
        early = re.search(
            r"results/stores/random\.dat: not enough free space \(needs about 24 MB, [\d.]+ MB free on "
            rf"{re.escape(str(fs))}, [\d.]+ MB short\)",
            out,
        )
        assert proc.returncode != 0 and early, out
        print(f"console: {early.group(0)}")
        assert early.group(0) in (wf / "logs" / "store_memmap.log").read_text()
        assert not (wf / "results/stores").exists() or not any((wf / "results/stores").iterdir())

        resize_filesystem(fs, "200m")
        _run_big(wf, *DISK_TARGETS)
        assert leftovers(wf) == []
        same = compare_results(clean / "results", wf / "results")
        assert same.ok, same.summary()
        assert "stores/random.dat" in same.identical and len(same.identical) == 22


# --- bad config, through Snakemake ------------------------------------------------------------

BAD_CONFIGS = {
    "blocks.cols": "blocks:\n  cols: 1.5e+300\n",
    "text.bench_repeats": "text:\n  bench_repeats: 2.0\n",
    "text.graph_files": "text:\n  graph_files: 1000000000000\n",
    "bench": "bench: []\n",
    "diagnostics": "diagnostics: maybe\n",
}


@pytest.mark.parametrize("key", list(BAD_CONFIGS))
def test_bad_config_stops_snakemake_naming_the_key_without_a_traceback(key, workflow_copy):
    out = refused_config(workflow_copy, BAD_CONFIGS[key], "-n")
    assert f"invalid config key {key}: " in out, out
    assert "Traceback" not in out and "Job stats" not in out
