"""Cost against size: the block pipeline and the word count at several sizes, across the RAM line.

For each size in ``scaling.blocks`` (blocks of the configured shape) the blocks are generated
in a scratch directory of their own, read back and the directory removed (also on failure).
Every step runs in a fresh Python process (:func:`sda.measure.process.fresh_process`: imports
are done before its clock starts) and reports its wall time and its peak resident memory
(``VmHWM``), so that sizes compare:

* ``generate``: the blocks written by ``cores`` threads (:func:`sda.blocks.generate.write_block`),
  timed up to the data being on disk (every file and the directory ``fsync``'ed);
* ``summary``: the whole-array mean, std, min and max (:func:`sda.stores.summary.array_summary`);
* ``means``: the per-block means, ``dask.array`` over the npy blocks
  (:func:`sda.stores.arrays.dask_npy`);
* ``wordcount``: the workflow's word count (:func:`sda.text.count.word_counts`) on 1x, 2x, 4x
  the corpus (copies of its files).

Reads run *cold* at every size and for every ``scaling.cores`` value: the files are flushed and
evicted from the page cache just before, and the fraction still cached is measured with
``mincore`` (:mod:`sda.measure.pagecache`) and written in the row. One *warm* row per size follows for
reference. ``dd`` writes and reads a file on the same filesystem in the same run: the disk's
own sequential speed, to which every step's GB/s is compared.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import logging
import math
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from sda.blocks.generate import BlockSpec, block_name
from sda.config import require
from sda.disk import DiskFullError, free_bytes, megabytes, mount_point
from sda.io import scratch_dir
from sda.measure.pagecache import cached_fraction, evict_checked, fsync_paths, ram_bytes
from sda.measure.process import fresh_process
from sda.measure.timing import timed_call

log = logging.getLogger(__name__)

MB = 10**6
GB = 10**9
DEFAULT_SCRATCH = "results/scaling/scratch"
SCRATCH_NAME = "sda-scaling-scratch"  # made and removed inside scaling.scratch
EVICTED_BELOW = 0.01  # a cold read with more of its files still cached is flagged
RSS_TARGET = 2**30
PER_GB_TARGET = 2.0
FIELDS = [
    "step", "cache", "size_bytes", "blocks", "copies", "cores", "wall_s", "peak_rss_bytes",
    "gb_per_s", "exceeds_ram", "ram_bytes", "free_disk_bytes", "cached_before", "evicted",
    "dd_write_gb_per_s", "dd_read_gb_per_s", "fraction_of_dd", "result",
]  # fmt: skip


# ---------------------------------------------------------------------------- configuration


def resolve_cores(values: Sequence[int | str], threads: int) -> list[int]:
    """``scaling.cores`` as numbers: ``all`` is the rule's threads; none above them; sorted."""
    cores = {threads if v == "all" else min(int(v), threads) for v in values}
    return sorted(max(1, c) for c in cores)


def scratch_of(scaling: Mapping, default: str = DEFAULT_SCRATCH) -> str:
    """The directory the run makes and removes: ``default`` (``scratch`` beside the run's
    outputs, ``results/scaling/scratch``), or a directory of its own inside ``scaling.scratch``
    (never that directory itself, which may hold other data)."""
    where = scaling.get("scratch")
    return str(Path(where) / SCRATCH_NAME) if where else default


def disk_needed(scaling: Mapping, spec: BlockSpec, corpus_bytes: int) -> int:
    """Bytes the run needs in its scratch at once: the largest of the largest size's blocks,
    the ``dd`` file and the largest corpus copy (each is removed before the next), plus
    ``scaling.margin_mb``."""
    largest = max(
        max(scaling["blocks"]) * spec.npy_bytes,
        scaling["dd_mb"] * MB,
        max(scaling["corpus_copies"]) * corpus_bytes,
    )
    return largest + scaling["margin_mb"] * MB


def check_disk(
    scaling: Mapping, spec: BlockSpec, corpus_bytes: int, default: str = DEFAULT_SCRATCH
) -> int:
    """Fail before any work when the scratch filesystem has too little room; return the need.
    ``default``: the scratch directory where ``scaling.scratch`` is empty (:func:`scratch_of`)."""
    scratch = scratch_of(scaling, default)
    needed = disk_needed(scaling, spec, corpus_bytes)
    free = free_bytes(scratch)
    if needed > free:
        n = max(scaling["blocks"])
        raise DiskFullError(
            f"scaling.blocks: the largest size, {n} blocks of {spec.rows} x {spec.cols} float64 "
            f"({megabytes(n * spec.npy_bytes)}), plus scaling.margin_mb needs about "
            f"{megabytes(needed)} free in the scratch directory {scratch} (scaling.scratch), "
            f"but {mount_point(scratch)} has {megabytes(free)} free ({megabytes(needed - free)} "
            "short): lower scaling.blocks or set scaling.scratch to a filesystem with room"
        )
    return needed


# ---------------------------------------------------------------------------- the steps (child side)


def step_generate(directory: str, n: int, spec: dict, cores: int) -> dict:
    """Write blocks 0..n-1 with ``cores`` threads (numpy's generators release the GIL), then
    flush them to disk."""
    from concurrent.futures import ThreadPoolExecutor

    from sda.blocks.generate import write_block

    block_spec = BlockSpec(**spec)
    files = [str(Path(directory) / f"{block_name(i)}.npy") for i in range(n)]
    with ThreadPoolExecutor(cores) as pool:
        list(pool.map(lambda f: write_block(f, block_spec), files))
    fsync_paths(files)
    return {"bytes_on_disk": sum(os.path.getsize(f) for f in files)}


def step_summary(
    files: list[str], shape: list[int], cores: int, record: dict | None = None
) -> dict:
    """The whole-array summary; ``record``: diagnostics outputs to record it in (its memory
    over time and task stream, :mod:`sda.diagnostics.record`)."""
    from sda.diagnostics.record import recorded_scheduler
    from sda.stores.summary import array_summary

    with recorded_scheduler("threads", record or {}, files, cores):
        s = array_summary(files, tuple(shape))
    return {k: s[k] for k in ("count", "mean", "std", "min", "max")}


def step_means(files: list[str], shape: list[int], cores: int) -> dict:
    from sda.scheduler import dask_scheduler
    from sda.stores.arrays import dask_npy
    from sda.stores.means import block_mean_means

    with dask_scheduler("threads", workers=cores):
        means = block_mean_means(dask_npy(files, tuple(shape)))
    return {
        "n": len(means),
        "first": float(means[0]),
        "last": float(means[-1]),
        "mean_of_means": float(means.mean()),
    }


def step_wordcount(files: list[str], errors: str, cores: int, files_per_task: int) -> dict:
    from sda.scheduler import dask_scheduler
    from sda.text.count import partitions_for, word_counts

    with dask_scheduler("threads", workers=cores):
        nparts = partitions_for(len(files), 0, cores)
        result = word_counts(files, errors, 10, nparts, files_per_task)
    top = list(result.raw_top[0]) if result.raw_top else None
    return {"words": int(result.clean.counts.sum()), "top": top}


# what a step's process imports before its clock starts
STEP_IMPORTS = (
    "dask.array", "dask.bag", "numpy", "pyarrow.compute", "sda.scheduler", "sda.stores.summary",
    "sda.stores.arrays", "sda.stores.means", "sda.text.count",
)  # fmt: skip


def run_step(step: str, **kwargs) -> dict:
    """Run ``step`` in a fresh Python process (untraced: tracemalloc would slow it down);
    ``{"wall_s", "peak_rss_bytes", "result"}``. The child's stderr goes to the log."""
    m = fresh_process(
        f"sda.scaling.run:step_{step}", kwargs=kwargs, imports=STEP_IMPORTS, trace=False
    )
    if m.stderr.strip():
        log.debug("%s: stderr of the step: %s", step, m.stderr.strip()[-2000:])
    return {"wall_s": m.seconds, "peak_rss_bytes": m.peak_bytes, "result": m.result}


# ---------------------------------------------------------------------------- the run (parent side)


def dd_speeds(directory: str | Path, nbytes: int) -> tuple[float, float, float]:
    """``dd`` writing ``nbytes`` of zeros (flushed: ``conv=fsync``) and reading them back cold:
    (write GB/s, read GB/s, fraction of the file cached before the read)."""
    path = Path(directory) / "dd.bin"
    count = max(1, nbytes // MB)
    write_dd = ["dd", "if=/dev/zero", f"of={path}", f"bs={MB}", f"count={count}", "conv=fsync"]
    _, write = timed_call(lambda: subprocess.run([*write_dd, "status=none"], check=True))
    cached = evict_checked([path])
    read_dd = ["dd", f"if={path}", "of=/dev/null", f"bs={MB}", "status=none"]
    _, read = timed_call(lambda: subprocess.run(read_dd, check=True))
    path.unlink()
    return count * MB / write / GB, count * MB / read / GB, cached


@dataclasses.dataclass
class Context:
    """What every row of a run shares."""

    scratch: Path
    ram: int
    dd_write: float = math.nan
    dd_read: float = math.nan
    rows: list = dataclasses.field(default_factory=list)

    def measure_dd(self, nbytes: int) -> None:
        """``dd``'s speeds now, for the rows that follow (the disk's speed drifts on a shared
        machine, so it is measured again before each size); two rows of its own."""
        nbytes = max(1, nbytes // MB) * MB
        w, r, cached = dd_speeds(self.scratch, nbytes)
        self.dd_write, self.dd_read = w, r
        self.add("dd_write", "write", nbytes, 1, {"wall_s": nbytes / w / GB})
        self.add("dd_read", "cold", nbytes, 1, {"wall_s": nbytes / r / GB}, cached)

    def add(self, step: str, cache: str, size: int, cores: int, out: dict, cached=None, **extra):
        """Append the row of one measured step."""
        gbs = size / out["wall_s"] / GB
        dd = self.dd_write if step in ("generate", "dd_write") else self.dd_read
        row = {
            "step": step,
            "cache": cache,
            "size_bytes": size,
            "blocks": extra.get("blocks", ""),
            "copies": extra.get("copies", ""),
            "cores": cores,
            "wall_s": f"{out['wall_s']:.4g}",
            "peak_rss_bytes": out.get("peak_rss_bytes", ""),
            "gb_per_s": f"{gbs:.4g}",
            "exceeds_ram": size > self.ram,
            "ram_bytes": self.ram,
            "free_disk_bytes": free_bytes(self.scratch),
            "cached_before": "" if cached is None else f"{cached:.4f}",
            "evicted": "" if cache != "cold" else cached is not None and cached < EVICTED_BELOW,
            "dd_write_gb_per_s": f"{self.dd_write:.4g}",
            "dd_read_gb_per_s": f"{self.dd_read:.4g}",
            "fraction_of_dd": f"{gbs / dd:.4g}" if dd and not math.isnan(dd) else "",
            "result": json.dumps(out.get("result", {}), sort_keys=True),
        }
        if cache == "cold" and not row["evicted"]:
            log.warning(
                "%s at %d bytes: %.1f%% of its files still cached after eviction",
                step,
                size,
                100 * cached,
            )
        log.info("%s", row)
        self.rows.append(row)


def _reads(
    ctx: Context,
    step: str,
    files: list[str],
    cores: list[int],
    size: int,
    kwargs,
    record: dict | None = None,
    **extra,
):
    """Cold runs of ``step`` at every cores value, then one warm run at the most cores;
    ``record``: the diagnostics outputs of the cold run at the most cores."""
    for c in cores:
        cached = evict_checked(files)
        rec = {"record": record} if record and c == cores[-1] else {}
        ctx.add(step, "cold", size, c, run_step(step, cores=c, **kwargs, **rec), cached, **extra)
    cached = cached_fraction(files)
    ctx.add(
        step, "warm", size, cores[-1], run_step(step, cores=cores[-1], **kwargs), cached, **extra
    )


def measure_blocks(
    ctx: Context, n: int, spec: BlockSpec, cores: list[int], record: dict | None = None
) -> None:
    """The rows of one size: generate, then summary and means cold and warm; ``record``: the
    diagnostics outputs of the cold summary at the most cores."""
    size = n * spec.rows * spec.cols * 8
    with scratch_dir(ctx.scratch / f"blocks_{n}", n * spec.npy_bytes) as d:
        out = run_step(
            "generate", directory=str(d), n=n, spec=dataclasses.asdict(spec), cores=cores[-1]
        )
        ctx.add("generate", "write", size, cores[-1], out, blocks=n)
        files = [str(d / f"{block_name(i)}.npy") for i in range(n)]
        shape = [spec.rows, spec.cols]
        for step in ("summary", "means"):
            kwargs = {"files": files, "shape": shape}
            rec = record if step == "summary" else None
            _reads(ctx, step, files, cores, size, kwargs, record=rec, blocks=n)


def copy_corpus(files: Sequence[str], copies: int, directory: Path) -> list[str]:
    """``copies`` copies of every corpus file under ``directory`` (copy j in ``directory/j``),
    flushed to disk."""
    out = []
    for j in range(copies):
        (directory / str(j)).mkdir(parents=True)
        for i, f in enumerate(files):
            dest = directory / str(j) / f"{i:06d}_{Path(f).name}"
            shutil.copyfile(f, dest)
            out.append(str(dest))
    fsync_paths(out)
    return out


def measure_corpus(ctx: Context, corpus, k: int, cores: list[int], errors: str, fpt: int) -> None:
    with scratch_dir(ctx.scratch / f"corpus_{k}") as d:
        files = copy_corpus(corpus, k, d)
        size = sum(os.path.getsize(f) for f in files)
        kwargs = {"files": files, "errors": errors, "files_per_task": fpt}
        _reads(ctx, "wordcount", files, cores, size, kwargs, copies=k)


def run_scaling(
    scaling: Mapping,
    spec: BlockSpec,
    corpus: Sequence[str],
    threads: int,
    errors: str = "replace",
    files_per_task: int = 4,
    record: Mapping[str, str] | None = None,
    default_scratch: str = DEFAULT_SCRATCH,
) -> list[dict]:
    """Every row of a scaling run; the scratch directory is gone afterwards, however it ends.
    ``record``: diagnostics outputs (``resources``, ``tasks``, ``record``) of the largest
    size's cold summary: its memory over time, past the RAM line. ``default_scratch``: the
    scratch directory where ``scaling.scratch`` is empty (the rule: beside its outputs)."""
    record = {k: str(v) for k, v in record.items()} if record else None
    corpus = [str(f) for f in corpus]
    check_disk(scaling, spec, sum(os.path.getsize(f) for f in corpus), default_scratch)
    cores = resolve_cores(scaling["cores"], threads)
    with scratch_dir(scratch_of(scaling, default_scratch)) as scratch:
        ctx = Context(scratch=scratch, ram=ram_bytes())
        sizes = sorted(scaling["blocks"])
        for n in sizes:
            ctx.measure_dd(scaling["dd_mb"] * MB)
            measure_blocks(ctx, n, spec, cores, record if n == sizes[-1] else None)
        ctx.measure_dd(scaling["dd_mb"] * MB)
        for k in sorted(scaling["corpus_copies"]):
            measure_corpus(ctx, corpus, k, cores, errors, files_per_task)
    return ctx.rows


def read_rows(path: str | Path) -> list[dict]:
    """The rows of ``scaling.csv`` (strings by column)."""
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


# --- the config's cross-field checks (rules/common.smk, after the schema) --------------


def check_scaling(config: Mapping) -> None:
    """The ``scaling`` target's lists name each value once; its scratch is a directory of its
    own (the run removes what it makes there)."""
    scaling = config.get("scaling", {})
    for key in ("blocks", "cores", "corpus_copies"):
        values = scaling.get(key, [])
        require(
            len(set(map(str, values))) == len(values),
            f"scaling.{key}",
            f"{values} lists a value twice",
        )
    scratch = scaling.get("scratch", "")
    require(
        not (scratch and Path(scratch).exists() and not Path(scratch).is_dir()),
        "scaling.scratch",
        f"{scratch} exists and is not a directory",
    )
    require(
        not (scratch and Path(scratch).resolve() in (Path.cwd(), Path.cwd() / "results")),
        "scaling.scratch",
        f"{scratch} is removed after the run: name a directory of its own",
    )
