"""Rule text_delayed: the cleaned top-5 with dask.delayed, checked against the bag's top-5.

The lesson's functions are pure Python (GIL-bound): the rule runs them on one thread of the
configured scheduler; a process pool costs more CPU than it saves while other jobs share the
cores (measured in docs/text.md).
"""

if __name__ == "__main__":
    import csv

    from sda.diagnostics.record import recorded_scheduler
    from sda.io import write_csv
    from sda.logs import setup_logging
    from sda.text.delayed import delayed_top_k

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    with recorded_scheduler(sm.params.scheduler, sm.output, sm.input.files, sm.threads):
        top5 = delayed_top_k(list(sm.input.files), sm.params.errors, k=5).compute()
    with open(sm.input.bag_top5, encoding="utf-8") as fh:
        bag = [(r["word"], int(r["n"])) for r in csv.DictReader(fh)]
    if top5 != bag:
        raise RuntimeError(f"dask.delayed top-5 {top5} differs from the bag's {bag}")
    write_csv(sm.output[0], top5, ["word", "n"])
    log.info("delayed top-5 (equal to the bag's): %s", top5)
