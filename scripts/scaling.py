"""Rule scaling: the block pipeline and the word count at several sizes (docs/scaling.md)."""

if __name__ == "__main__":
    import signal
    import sys
    from pathlib import Path

    from sda.blocks.generate import BlockSpec
    from sda.diagnostics.record import outputs_of
    from sda.logs import setup_logging
    from sda.measure.rows import write_rows
    from sda.scaling.report import plot
    from sda.scaling.run import FIELDS, run_scaling

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    # A terminated job still removes its scratch directory (the context managers' cleanup).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    p = sm.params
    rows = run_scaling(
        p.scaling,
        BlockSpec(**p.spec),
        list(sm.input.corpus),
        sm.threads,
        p.errors,
        p.files_per_task,
        record=outputs_of(sm.output),
        # beside the outputs (results/scaling/scratch; under a module's prefix if any)
        default_scratch=str(Path(sm.output.csv).parent / "scratch"),
    )
    plot(rows, sm.output.png)
    write_rows(sm.output.csv, rows, FIELDS)
    log.info("%d rows in %s", len(rows), sm.output.csv)
