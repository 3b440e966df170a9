"""Rule text_sample: the lesson's take(5) of the cleaned words, in file order.

It runs on the configured scheduler (``dask.scheduler``), not on dask's default for bags (a
process pool): five words are not worth two interpreter start-ups.
"""

if __name__ == "__main__":
    from sda.io import write_csv
    from sda.logs import setup_logging
    from sda.scheduler import dask_scheduler
    from sda.text.lesson import sample

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    with dask_scheduler(sm.params.scheduler, workers=sm.threads):
        words = sample(list(sm.input), sm.params.errors, n=5)
    write_csv(sm.output[0], enumerate(words), ["i", "word"])
    log.info("take(5): %s", words)
