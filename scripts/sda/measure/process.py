"""One call in a fresh Python process, with its time and its peak memory; the peak of traced
allocations of a call in this process.

The request (the function as ``"module:name"``, its arguments, modules to import first) goes
to the child through stdin: thousands of file names exceed the size limit of one command-line
argument. The child imports everything before its clock starts, times the one call, and writes
the result with its measurements to a file the parent reads back.

Peak memory is ``VmHWM`` from ``/proc/self/status``: the peak resident set of that process
image. ``getrusage``'s ``ru_maxrss`` survives ``execve``, so a child started by a big parent
would report the parent's peak and hide its own.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import tempfile
import tracemalloc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sda import scripts_dir
from sda.io import InputError
from sda.measure.timing import timed_call


@dataclass(frozen=True)
class Measured:
    """One call in a fresh process: its seconds, result and peak memory."""

    seconds: float
    result: object
    peak_bytes: int  # VmHWM of the process at the end (plus its children's, if it had any)
    peak_increment: int  # VmHWM after the call minus VmHWM before it
    traced_bytes: int  # tracemalloc's peak during the call (numpy buffers included); 0 untraced
    stderr: str  # what the child wrote to its stderr


class TimedOut(RuntimeError):
    """A fresh process ran past its timeout and was killed."""


def snakemake_seconds(
    snakefile: str | Path, workdir: Path, cores: int, *extra: str, target: str
) -> float:
    """Wall-clock seconds of one ``snakemake <target>`` run of ``snakefile`` in ``workdir``,
    start-up and exit included; ``extra``: more arguments (``--configfile``, ``--forcerun``).
    A failed run raises ``RuntimeError`` with the command and its stderr."""
    cmd = [
        sys.executable, "-m", "snakemake", target, "-s", str(Path(snakefile).resolve()),
        "--directory", str(Path(workdir).resolve()), "--cores", str(cores), "--quiet", "all",
        *extra,
    ]  # fmt: skip
    proc, seconds = timed_call(
        lambda: subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    )
    if proc.returncode:
        raise RuntimeError(f"nested snakemake run failed: {' '.join(cmd)}\n{proc.stderr}")
    return seconds


def vm_hwm() -> int:
    """Peak resident bytes of this process image (``VmHWM``)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise OSError("/proc/self/status has no VmHWM line: peak memory needs Linux")


def traced_peak_mib(fn: Callable[[], object]) -> float:
    """Peak of traced allocations (numpy buffers included) during one call, in MiB. Pages of a
    memory-mapped file are page cache, not allocations, and do not count."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


_CHILD = """
import sys
sys.path.insert(0, sys.argv[1])
from sda.measure.process import _child
_child(sys.stdin.read())
"""


def _child(request: str) -> None:
    """The fresh process: import the function and ``imports``, then time one call of it."""
    import importlib
    import resource

    from sda.measure.timing import timed_call

    job = json.loads(request)
    module, name = job["function"].split(":")
    fn = getattr(importlib.import_module(module), name)
    for extra in job["imports"]:  # imports are no method's time
        importlib.import_module(extra)
    before = vm_hwm()
    if job["trace"]:
        tracemalloc.start()
    result, seconds = timed_call(lambda: fn(*job["args"], **job["kwargs"]))
    traced = tracemalloc.get_traced_memory()[1] if job["trace"] else 0
    tracemalloc.stop()
    after = vm_hwm()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    with open(job["out"], "wb") as fh:
        pickle.dump((seconds, result, after + children, after - before, traced), fh)


def fresh_process(
    function: str,
    args: Sequence = (),
    kwargs: Mapping | None = None,
    imports: Sequence[str] = (),
    trace: bool = True,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> Measured:
    """One call of ``function`` (``"module:name"``, JSON-able ``args`` and ``kwargs``) in a new
    Python process, after importing its module and ``imports``; with ``trace``, tracemalloc
    records the call's peak allocations (and slows pure-Python code); ``env`` adds variables
    to the child's environment (an engine's threads, read when it is imported). A child's
    :class:`~sda.io.InputError` is raised again here with its message; a child still running
    after ``timeout`` seconds is killed and raises :class:`TimedOut`; any other failure raises
    ``RuntimeError`` with the end of the child's stderr."""
    with tempfile.TemporaryDirectory(prefix="sda-measure-") as scratch:
        out = Path(scratch) / "measured.pkl"
        job = {
            "function": function,
            "args": list(args),
            "kwargs": dict(kwargs or {}),
            "imports": list(imports),
            "trace": trace,
            "out": str(out),
        }
        cmd = [sys.executable, "-c", _CHILD, str(scripts_dir())]
        child_env = None if env is None else {**os.environ, **env}
        try:
            proc = subprocess.run(
                cmd,
                input=json.dumps(job),
                capture_output=True,
                text=True,
                env=child_env,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise TimedOut(f"{function} still running after {timeout:g} s: stopped") from None
        if proc.returncode:
            last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
            if last.startswith("sda.io.InputError: "):  # a bad input: the same error, here
                raise InputError(last.removeprefix("sda.io.InputError: "))
            raise RuntimeError(
                f"{function} failed in a fresh process ({last})\n{proc.stderr[-4000:]}"
            )
        with open(out, "rb") as fh:
            seconds, result, peak, increment, traced = pickle.load(fh)
    return Measured(seconds, result, peak, increment, traced, proc.stderr)
