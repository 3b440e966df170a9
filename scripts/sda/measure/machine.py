"""What machine the benchmarks ran on: ``results/bench/machine.json``, and its one-line summary.

As the public benchmarks do (db-benchmark, coiled's benchmarks), every figure is shown with the
machine that made it: CPU model and cores (those this process may use, and the machine's), memory,
the disk and file system of ``results/``, the OS, Python, and the BLAS numpy calls with its
threads. Everything is read from the running system (``/proc``, :mod:`platform`, :mod:`psutil`,
:mod:`threadpoolctl`); a fact that cannot be read is ``null``, never guessed.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from pathlib import Path

from sda.io import write_json


def cpu_model(cpuinfo: str | Path = "/proc/cpuinfo") -> str | None:
    """The CPU's model name (the first ``model name`` of /proc/cpuinfo; else the platform's)."""
    try:
        for line in Path(cpuinfo).read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Model", "cpu model"):
                return value.strip()
    except OSError:
        pass
    return platform.processor() or None


def os_name(os_release: str | Path = "/etc/os-release") -> str:
    """The distribution's ``PRETTY_NAME`` and the kernel, e.g. ``Debian GNU/Linux 12 (bookworm),
    Linux 6.1.0``."""
    pretty = ""
    try:
        for line in Path(os_release).read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                pretty = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    kernel = f"{platform.system()} {platform.release()}"
    return f"{pretty}, {kernel}" if pretty else kernel


def mount_of(path: str | Path, mounts: str | Path = "/proc/mounts") -> dict:
    """The mount holding ``path``: its device, mount point and file-system type (the longest
    mount point that contains the path)."""
    target = os.path.realpath(path)
    best = {"device": None, "mount_point": None, "fs_type": None}
    try:
        lines = Path(mounts).read_text().splitlines()
    except OSError:
        return best
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        device, point, fs = parts[0], parts[1].replace("\\040", " "), parts[2]
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best["mount_point"] or ""):
            best = {"device": device, "mount_point": point, "fs_type": fs}
    return best


def blas() -> list[dict]:
    """The BLAS libraries numpy has loaded, with their threads (threadpoolctl)."""
    import numpy  # noqa: F401  (loads numpy's BLAS, so that threadpoolctl sees it)
    from threadpoolctl import threadpool_info

    keep = ("internal_api", "version", "num_threads", "threading_layer", "architecture")
    return [
        {k: info.get(k) for k in keep} for info in threadpool_info() if info["user_api"] == "blas"
    ]


def machine_facts(results: str | Path) -> dict:
    """The machine, as :data:`machine.json` holds it (``results``: where the results are)."""
    import psutil

    results = Path(results)
    disk = mount_of(results)
    try:
        usage = psutil.disk_usage(str(results))
        disk |= {"total_bytes": usage.total, "free_bytes": usage.free}
    except OSError:
        disk |= {"total_bytes": None, "free_bytes": None}
    return {
        "cpu_model": cpu_model(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "cores_logical": psutil.cpu_count(logical=True),
        "cores_physical": psutil.cpu_count(logical=False),
        "memory_bytes": psutil.virtual_memory().total,
        "results_disk": {"path": str(results), **disk},
        "os": os_name(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "blas": blas(),
    }


def write_machine(path: str | Path, results: str | Path) -> dict:
    """Write :func:`machine_facts` to ``path`` as JSON (atomically); return them."""
    facts = machine_facts(results)
    write_json(path, facts)
    return facts


def summary(facts: Mapping) -> str:
    """One line for the report: ``AMD EPYC, 2 cores (of 2), 23.4 GiB, ext4 on /dev/vda for
    results/, Debian 12, CPython 3.11.7, OpenBLAS 0.3.31 (2 threads)``."""
    cores = facts.get("cores_usable")
    logical = facts.get("cores_logical")
    parts = [
        facts.get("cpu_model") or "CPU unknown",
        f"{cores} cores" + (f" (of {logical})" if logical and logical != cores else ""),
    ]
    if facts.get("memory_bytes"):
        parts.append(f"{facts['memory_bytes'] / 2**30:.1f} GiB of memory")
    disk = facts.get("results_disk") or {}
    if disk.get("fs_type"):
        parts.append(f"results/ on {disk['fs_type']} ({disk.get('device')})")
    parts += [facts.get("os") or "", facts.get("python") or ""]
    for lib in facts.get("blas") or []:
        parts.append(
            f"BLAS {lib.get('internal_api')} {lib.get('version')} "
            f"({lib.get('num_threads')} threads)"
        )
    return ", ".join(p for p in parts if p)
