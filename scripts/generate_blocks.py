"""Rule generate_blocks: write one batch of npy blocks, each a pure function of (seed, index)."""

if __name__ == "__main__":
    from sda.blocks import write_block
    from sda.logs import setup_logging

    log = setup_logging(snakemake.log[0])  # noqa: F821
    spec = snakemake.params.spec  # noqa: F821
    outputs = list(snakemake.output)  # noqa: F821
    for path in outputs:
        write_block(path, spec)
    log.info(
        "wrote %d blocks of shape %s: %s .. %s", len(outputs), spec.shape, outputs[0], outputs[-1]
    )
