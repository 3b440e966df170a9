"""Rule engines_parquet: the npy blocks as one Parquet column, with the time it took."""

if __name__ == "__main__":
    from sda.engines.summary import write_parquet
    from sda.engines.versions import versions
    from sda.io import write_json
    from sda.logs import setup_logging
    from sda.measure.timing import timed_call

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    files = list(sm.input)
    nbytes, seconds = timed_call(lambda: write_parquet(files, sm.params.shape, sm.output.parquet))
    made = {
        "blocks": len(files),
        "bytes": nbytes,
        "seconds": seconds,
        "version": versions("pyarrow"),
    }
    write_json(sm.output.made, made)
    log.info(
        "wrote %s: %d blocks, %d bytes in %.1f s", sm.output.parquet, len(files), nbytes, seconds
    )
