"""The lesson's block measurements: npy vs CSV save time, load memory, load-and-mean time.

Rows (:data:`sda.measure.rows.FIELDS`), all single-threaded numpy, ``threads`` 1:

- ``save_block``: one block saved as npy and as CSV (median seconds, file bytes; CSV's ratio to
  npy);
- ``load_block``: one block loaded in a fresh process: seconds, the process's peak resident
  memory increase over the load (``VmHWM``), the array's bytes;
- ``load_block_allocations``: the same load's peak of traced allocations (tracemalloc: numpy
  reports its buffers), the memory the load itself asks for;
- ``load_mean_file``: load and average one file (CSV: ``np.loadtxt``; npy: the per-file share of
  ``load_mean_all``), and ``load_mean_all``: every npy block of ``bench.load_mean_files``, warm.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sda.blocks.generate import BlockSpec, make_block, write_csv_block
from sda.io import load_npy, npy_size, save_npy, scratch_dir
from sda.measure.process import Measured, fresh_process
from sda.measure.rows import row
from sda.measure.timing import timed


def load_block(path: str, fmt: str) -> int:
    """Load one block file (``npy`` or ``csv``) as the lesson does; its array bytes."""
    a = np.load(path) if fmt == "npy" else np.loadtxt(path, delimiter=",", dtype=np.float64)
    return int(a.nbytes)


def load_peak(path: str | Path, fmt: str) -> Measured:
    """One load of ``path`` in a fresh process (:func:`sda.measure.process.fresh_process`); its
    result is the array's bytes."""
    return fresh_process("sda.blocks.bench_block_io:load_block", [str(path), fmt])


def block_io_rows(
    npy_files: Sequence[str],
    csv_file: str | None,
    spec: BlockSpec,
    fmt: str,
    repeats: int,
    scratch: str | Path,
) -> list[dict]:
    """The lesson's measurements: save time, load memory, and load-and-mean time."""
    rows = []
    block = make_block(0, spec)
    # one npy and one CSV copy of a block (and their temporary files while they are written)
    needed = 2 * (npy_size(block) + spec.csv_bytes(fmt))
    with scratch_dir(scratch, needed) as scratch:
        paths = {"npy": scratch / "save_test.npy", "csv": scratch / "save_test.csv"}
        saves = {
            "npy": lambda: save_npy(paths["npy"], block),
            "csv": lambda: write_csv_block(paths["csv"], block, fmt),
        }
        save_s = {form: statistics.median(timed(save, repeats)) for form, save in saves.items()}
        for form in ("npy", "csv"):
            ratio = dict(ratio=save_s[form] / save_s["npy"], baseline="npy")
            rows.append(
                row(
                    "save_block",
                    form,
                    seconds=save_s[form],
                    repeats=repeats,
                    threads=1,
                    nbytes=paths[form].stat().st_size,
                    **ratio,
                )
            )
        loads = {form: [load_peak(paths[form], form) for _ in range(repeats)] for form in paths}
        load_s = {form: statistics.median(m.seconds for m in runs) for form, runs in loads.items()}
        for form, runs in loads.items():
            common = dict(repeats=repeats, threads=1, nbytes=runs[0].result)
            rows.append(
                row(
                    "load_block",
                    form,
                    seconds=load_s[form],
                    ratio=load_s[form] / load_s["npy"],
                    baseline="npy",
                    peak_bytes=statistics.median(m.peak_increment for m in runs),
                    note="fresh process: VmHWM increase during the load",
                    **common,
                )
            )
            rows.append(
                row(
                    "load_block_allocations",
                    form,
                    peak_bytes=statistics.median(m.traced_bytes for m in runs),
                    note="fresh process: tracemalloc peak during the load",
                    **common,
                )
            )

    csv_s = None
    if csv_file:
        csv_s = statistics.median(
            timed(lambda: np.loadtxt(csv_file, delimiter=",").mean(), repeats)
        )

    def load_and_mean_all():
        return [load_npy(f, shape=spec.shape).mean() for f in npy_files]

    load_and_mean_all()  # warm the page cache, as the lesson's second run did
    total = statistics.median(timed(load_and_mean_all, repeats))
    per_file = total / len(npy_files)
    nbytes = sum(Path(f).stat().st_size for f in npy_files)
    common = dict(repeats=repeats, threads=1)
    rows.append(
        row(
            "load_mean_file",
            "npy",
            seconds=per_file,
            ratio=1.0,
            baseline="npy",
            nbytes=nbytes // len(npy_files),
            **common,
        )
    )
    if csv_s is not None:
        rows.append(
            row(
                "load_mean_file",
                "csv",
                seconds=csv_s,
                ratio=csv_s / per_file,
                baseline="npy",
                nbytes=Path(csv_file).stat().st_size,
                **common,
            )
        )
    rows.append(
        row(
            "load_mean_all",
            "npy",
            seconds=total,
            nbytes=nbytes,
            note=f"{len(npy_files)} files, warm page cache",
            **common,
        )
    )
    return rows
