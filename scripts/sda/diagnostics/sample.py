"""Memory and CPU of a computation, sampled on a thread of its own while it runs.

A probe returns ``(memory bytes, CPU seconds)`` of what computes: this process (dask's
``threads`` and ``sync`` schedulers; with ``processes`` its pool's children too:
:func:`process_probe`) or every worker of a ``distributed`` cluster (:func:`cluster_probe`).
A probe that cannot read (no ``/proc``, a process or worker gone) raises; the sampler then
keeps a row with empty cells and logs a warning, once per cause; the computation goes on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

# Seconds between two samples: short enough to show the shape of a job of a few seconds.
INTERVAL_S = 0.1

Probe = Callable[[], "tuple[float | None, float | None]"]


@dataclass(frozen=True)
class Sample:
    time_s: float  # from the computation's start
    memory_bytes: float | None
    cpu_percent: float | None  # of one core: 200 is two cores busy


def process_probe(pid: int | None = None, children: bool = False) -> Probe:
    """RSS and CPU time of process ``pid`` (this one by default) and, with ``children`` (the
    ``processes`` scheduler's pool), all its children: a scan of every process, so only then."""
    import psutil

    def probe() -> tuple[float | None, float | None]:
        proc = psutil.Process(pid)  # raises for a process that is gone
        procs = [proc, *proc.children(recursive=True)] if children else [proc]
        memory = cpu = 0.0
        for p in procs:
            try:
                with p.oneshot():
                    memory += p.memory_info().rss
                    times = p.cpu_times()
                    cpu += times.user + times.system
            except psutil.NoSuchProcess:
                if p is proc:
                    raise
        return memory, cpu

    return probe


def cluster_probe(client) -> Probe:
    """Memory of every worker of ``client``'s cluster, and their CPU as percent (from the
    workers' heartbeats: values change as often as the workers report)."""

    def probe() -> tuple[float | None, float | None]:
        workers = client.scheduler_info(n_workers=-1)["workers"].values()
        metrics = [w["metrics"] for w in workers]
        if not metrics:
            raise RuntimeError("the cluster has no workers")
        return sum(m["memory"] for m in metrics), sum(m["cpu"] for m in metrics)

    probe.cpu_is_percent = True  # type: ignore[attr-defined]
    return probe


class Sampler:
    """Samples ``probe`` every ``interval`` seconds on a daemon thread, from :meth:`start` to
    :meth:`stop` (a sample at each end too)."""

    def __init__(self, probe: Probe, interval: float = INTERVAL_S, clock=time.time):
        self.probe, self.interval, self.clock = probe, interval, clock
        self.cpu_is_percent = getattr(probe, "cpu_is_percent", False)
        self.samples: list[Sample] = []
        self.failures = 0
        self._warned: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sda-sampler", daemon=True)
        self.t0 = 0.0
        self._last: tuple[float, float] | None = None

    def start(self) -> Sampler:
        self.t0 = self.clock()
        self._take()
        self._thread.start()
        return self

    def stop(self) -> list[Sample]:
        self._stop.set()
        self._thread.join()
        self._take()
        return self.samples

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._take()

    def _take(self) -> None:
        now = self.clock()
        try:
            memory, cpu = self.probe()
        except Exception as exc:  # a sampler never fails the computation it watches
            memory = cpu = None
            self.failures += 1
            cause = f"{type(exc).__name__}: {exc}"
            if cause not in self._warned:
                self._warned.add(cause)
                log.warning("diagnostics: cannot read memory and CPU (%s): rows left empty", cause)
        self.samples.append(Sample(now - self.t0, memory, self._percent(now, cpu)))

    def _percent(self, now: float, cpu: float | None) -> float | None:
        """CPU percent since the last sample, from cumulative CPU seconds (or as measured)."""
        if cpu is None or self.cpu_is_percent:
            return cpu
        last, self._last = self._last, (now, cpu)
        if last is None or now <= last[0]:
            return None
        return max(0.0, 100 * (cpu - last[1]) / (now - last[0]))
