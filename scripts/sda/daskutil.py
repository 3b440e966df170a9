"""Choosing dask's scheduler from config, sized from the rule's threads.

``dask.scheduler`` in the config is one of ``threads``, ``processes``, ``sync``,
``local-cluster`` or the address of a running ``distributed`` scheduler
(``tcp://host:port``, e.g. one started by dask-jobqueue on a cluster).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator

import dask

log = logging.getLogger(__name__)

LOCAL = ("threads", "processes", "sync")
BLAS_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def dask_scheduler(spec: str = "threads", workers: int = 1) -> Iterator[object | None]:
    """Run the body with dask configured for ``spec``; yield the ``Client`` if there is one.

    ``workers`` is the rule's ``threads``. BLAS is pinned to one thread per worker so that
    dask workers times BLAS threads do not oversubscribe the cores the rule was given.
    """
    workers = max(1, int(workers))
    if spec in LOCAL:
        with dask.config.set(scheduler=spec, num_workers=workers):
            log.info("dask scheduler %s with %d workers", spec, workers)
            yield None
        return
    from distributed import Client, LocalCluster

    if spec == "local-cluster":
        env = {var: "1" for var in BLAS_VARS}
        with (
            dask.config.set({"distributed.nanny.pre-spawn-environ": env}),
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                local_directory=os.environ.get("TMPDIR"),
            ) as cluster,
            Client(cluster) as client,
        ):
            log.info("dask LocalCluster with %d single-threaded workers", workers)
            yield client
        return
    with Client(spec, timeout="30s") as client:
        log.info("dask distributed scheduler at %s", spec)
        yield client
