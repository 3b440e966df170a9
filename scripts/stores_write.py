"""Rules store_npz, store_memmap, store_hdf5, store_hdf5_chunked, store_zarr: one store each."""

if __name__ == "__main__":
    from sda.logs import setup_logging
    from sda.stores.write import write_hdf5, write_hdf5_chunked, write_memmap, write_npz, write_zarr

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    rule, blocks, shape = sm.rule, list(sm.input), tuple(sm.params.shape)
    out = sm.output[0]
    if rule == "store_npz":
        write_npz(
            out, blocks, shape, compressed=sm.wildcards.npz == "xs_compressed", threads=sm.threads
        )
    elif rule == "store_memmap":
        write_memmap(sm.output.dat, sm.output.sidecar, blocks, shape)
    elif rule == "store_hdf5":
        write_hdf5(out, blocks, shape)
    elif rule == "store_hdf5_chunked":
        write_hdf5_chunked(out, blocks, shape, sm.params.compression)
    elif rule == "store_zarr":
        write_zarr(out, blocks, shape, sm.params.compression, sm.params.shard_blocks)
    else:
        raise ValueError(f"stores_write.py does not serve rule {rule}")
    log.info("%s: wrote %d blocks of shape %s to %s", rule, len(blocks), shape, out)
