"""sda.scheduler: dask_scheduler, every form of dask.scheduler computes the right answer.

The address form is tested against a real ``dask scheduler`` + ``dask worker`` pair that this
module starts on localhost (separate processes, TCP), as a user would with dask-jobqueue.
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import dask
import dask.array as da
import dask.local
import dask.multiprocessing
import numpy as np
import pytest

from conftest import REPO
from sda.scheduler import BLAS_VARS, check_spec, dask_scheduler, is_address


def _data() -> np.ndarray:
    return np.random.default_rng(3).normal(100.0, 10.0, size=(60, 40))


def _dask_mean(x: np.ndarray) -> float:
    return float(da.from_array(x, chunks=(10, 40)).mean().compute())


def _blas_env(_=None) -> dict:
    return {var: os.environ.get(var) for var in BLAS_VARS}


@pytest.mark.parametrize("spec", ["threads", "processes", "sync"])
def test_local_schedulers_compute_and_are_sized_from_threads(spec):
    x = _data()
    before = dask.config.get("scheduler", None)
    with dask_scheduler(spec, workers=3) as client:
        assert client is None
        scheduler = dask.config.get("scheduler")
        if spec == "threads":
            assert isinstance(scheduler, concurrent.futures.ThreadPoolExecutor)
            assert scheduler._max_workers == 3
        else:
            assert (
                scheduler
                is {"sync": dask.local.get_sync, "processes": dask.multiprocessing.get}[spec]
            )
        # processes are capped at the CPUs this process may use; threads are not
        expected = min(3, len(os.sched_getaffinity(0))) if spec == "processes" else 3
        assert dask.config.get("num_workers") == expected
        assert _dask_mean(x) == pytest.approx(x.mean(), rel=1e-12)
    assert dask.config.get("scheduler", None) == before


def test_processes_workers_get_one_blas_thread(monkeypatch):
    # Snakemake sets OMP/OPENBLAS_NUM_THREADS to the rule's threads; a worker process needs 1.
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    with dask_scheduler("processes", workers=2):
        seen = dask.compute(*[dask.delayed(_blas_env)(i) for i in range(2)])
    assert all(env == {var: "1" for var in BLAS_VARS} for env in seen)
    assert os.environ["OMP_NUM_THREADS"] == "2"  # restored for the rest of the rule


def test_local_cluster_workers_threads_memory_and_shutdown():
    x = _data()
    with dask_scheduler("local-cluster", workers=2, memory_mb=1024) as client:
        info = client.scheduler_info(n_workers=-1)["workers"]
        assert len(info) == 2
        assert {w["nthreads"] for w in info.values()} == {1}
        assert {w["memory_limit"] for w in info.values()} == {512 * 2**20}
        envs = client.run(_blas_env)
        assert all(env == {var: "1" for var in BLAS_VARS} for env in envs.values())
        # distributed's own nanny default survives our BLAS pinning
        trim = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
        assert set(trim.values()) == {"65536"}
        assert _dask_mean(x) == pytest.approx(x.mean(), rel=1e-12)
    assert client.status == "closed"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def distributed_scheduler(tmp_path_factory):
    """A real scheduler and one worker as separate processes on localhost; yields the address."""
    dask_cli = shutil.which("dask") or pytest.skip("the dask command line is not installed")
    tmp = tmp_path_factory.mktemp("dask")
    address = f"tcp://127.0.0.1:{_free_port()}"
    port = address.rsplit(":", 1)[1]
    log = open(tmp / "dask.log", "w")  # closed in finally
    common = dict(cwd=tmp, stdout=subprocess.DEVNULL, stderr=log)
    scheduler = subprocess.Popen(
        [dask_cli, "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"], **common
    )
    worker = subprocess.Popen(
        [dask_cli, "worker", address, "--nworkers", "1", "--nthreads", "2", "--no-dashboard"],
        **common,
    )
    try:
        yield address
    finally:
        for proc in (worker, scheduler):
            proc.send_signal(signal.SIGINT)  # a clean, quick shutdown (as Ctrl-C)
        for proc in (worker, scheduler):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()


def test_address_uses_the_running_scheduler(distributed_scheduler):
    x = _data()
    with dask_scheduler(distributed_scheduler, workers=8, timeout=60) as client:
        assert client.scheduler.address == distributed_scheduler
        workers = client.scheduler_info(n_workers=-1)["workers"]
        assert len(workers) == 1  # the remote cluster's size, not the rule's threads
        # the work really runs in the other process
        pids = client.run(os.getpid)
        assert os.getpid() not in pids.values()
        assert _dask_mean(x) == pytest.approx(x.mean(), rel=1e-12)
    assert client.status == "closed"
    # leaving the block closes our client only; the scheduler keeps serving others
    with dask_scheduler(distributed_scheduler, timeout=30) as again:
        assert _dask_mean(x) == pytest.approx(x.mean(), rel=1e-12)
    assert again.status == "closed"


def test_unreachable_address_fails_fast_naming_it():
    address = f"tcp://127.0.0.1:{_free_port()}"
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=f"dask.scheduler {address}: no distributed scheduler"):
        with dask_scheduler(address, timeout=2):
            pass
    assert time.monotonic() - start < 30  # bounded by the timeout, not distributed's 30 s


@pytest.mark.parametrize("spec", ["thread", "tcp//host:1", "", "local_cluster"])
def test_invalid_spec_is_rejected(spec):
    with pytest.raises(ValueError, match="invalid dask.scheduler"):
        check_spec(spec)


def test_address_forms():
    assert is_address("tcp://10.0.0.5:8786")
    assert is_address("tls://head:8786")
    assert not is_address("threads")


def test_local_cluster_in_a_script_with_main_guard(tmp_path):
    """A rule script (as Snakemake runs it: a file run by python) can start a LocalCluster."""
    script = tmp_path / "rule_script.py"
    script.write_text(
        "import sys\n"
        "if __name__ == '__main__':\n"
        "    import dask.array as da\n"
        "    from sda.scheduler import dask_scheduler\n"
        "    with dask_scheduler('local-cluster', workers=2, memory_mb=800):\n"
        "        print(float(da.arange(1000, chunks=100).sum().compute()))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO / "scripts"))
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert float(proc.stdout.strip().splitlines()[-1]) == float(np.arange(1000).sum())


@pytest.mark.parametrize("spec", ["threads", "sync"])
def test_local_computations_log_their_progress(spec, caplog):
    """A computation under dask_scheduler logs tasks done of all, about every tenth, ending at
    100%: what a user tailing the rule's log sees move."""
    x = da.ones((200, 10), chunks=(1, 10))  # 200 chunks: a few hundred tasks
    with caplog.at_level("INFO", logger="sda.scheduler"), dask_scheduler(spec, workers=2):
        assert float(x.sum().compute()) == 2000.0
    lines = [r.getMessage() for r in caplog.records if "tasks done" in r.getMessage()]
    done = [tuple(map(int, re.match(r"dask: (\d+) of (\d+)", m).groups())) for m in lines]
    assert 9 <= len(done) <= 11
    assert done[-1][0] == done[-1][1] > 200
    assert [d for d, _ in done] == sorted({d for d, _ in done})  # increasing, no repeats


def test_a_local_scheduler_does_not_import_distributed():
    """Given the scheduler as an object, dask's compute does not look for a distributed client
    (an import of distributed that a local rule does not need)."""
    code = (
        "import sys; sys.path.insert(0, 'scripts')\n"
        "import dask.array as da\n"
        "from sda.scheduler import dask_scheduler\n"
        "for spec in ('threads', 'sync'):\n"
        "    with dask_scheduler(spec, workers=2):\n"
        "        assert float(da.ones(10, chunks=5).sum().compute()) == 10.0\n"
        "print('distributed' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
