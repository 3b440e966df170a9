"""Rule bench_machine: the machine the benchmarks ran on, as results/bench/machine.json."""

if __name__ == "__main__":
    from pathlib import Path

    from sda.logs import setup_logging
    from sda.measure.machine import summary, write_machine

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    facts = write_machine(sm.output[0], Path(sm.output[0]).parent.parent)
    log.info("%s", summary(facts))
