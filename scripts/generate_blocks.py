"""Rule generate_blocks: write one batch of npy blocks, each a pure function of (seed, index)."""

if __name__ == "__main__":
    from pathlib import Path

    from sda.blocks.generate import write_block
    from sda.disk import require_free
    from sda.logs import setup_logging

    log = setup_logging(snakemake.log[0])  # noqa: F821
    spec = snakemake.params.spec  # noqa: F821
    outputs = list(snakemake.output)  # noqa: F821
    require_free(Path(outputs[0]).parent, len(outputs) * spec.npy_bytes)  # fail before writing
    step = max(1, len(outputs) // 10)
    for done, path in enumerate(outputs, start=1):
        write_block(path, spec)
        if done % step == 0 or done == len(outputs):
            log.info("%d of %d blocks written (last: %s)", done, len(outputs), path)
    log.info(
        "wrote %d blocks of shape %s: %s .. %s", len(outputs), spec.shape, outputs[0], outputs[-1]
    )
