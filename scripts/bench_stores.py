"""Rule bench_stores: write and read+mean timings, bytes and peak memory of every store."""

if __name__ == "__main__":
    from pathlib import Path

    from sda.logs import setup_logging
    from sda.measure.rows import write_rows
    from sda.scheduler import dask_scheduler
    from sda.stores.bench_stores import bench_rows, summary_rows
    from sda.stores.paths import Stores

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    inp, out = sm.input, Path(sm.output[0])
    stores = Stores.from_inputs(inp, sm.params.shape)
    scheduler = sm.params.scheduler
    with dask_scheduler(scheduler, workers=sm.threads, memory_mb=sm.resources.mem_mb):
        rows = bench_rows(
            stores,
            scratch=out.parent / f".{out.name}.scratch",
            repeats=sm.params.repeats,
            write_repeats=sm.params.write_repeats,
            threads=sm.threads,
            scheduler=scheduler,
            hdf5_compression=sm.params.hdf5_compression,
            zarr_compression=sm.params.zarr_compression,
            zarr_shard_blocks=sm.params.zarr_shard_blocks,
        )
        rows += summary_rows(
            list(inp.summary_blocks),
            sm.params.shape,
            repeats=sm.params.repeats,
            threads=1 if scheduler == "sync" else sm.threads,
        )
    write_rows(out, rows)
    for row in rows:
        log.info("%s", row)
