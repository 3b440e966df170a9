"""Rule text_delayed: the cleaned top-5 with dask.delayed on the lesson's first files, checked
against the workflow's own count of the same files.

The lesson's functions are pure Python (GIL-bound): the rule runs them on one thread of the
configured scheduler; a process pool costs more CPU than it saves while other jobs share the
cores (measured in docs/text.md).
"""

if __name__ == "__main__":
    from sda.diagnostics.record import recorded_scheduler
    from sda.io import write_csv
    from sda.logs import setup_logging
    from sda.text.count import clean_top_k
    from sda.text.delayed import delayed_top_k

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    files = list(sm.input.files)
    with recorded_scheduler(sm.params.scheduler, sm.output, files, sm.threads):
        top5 = delayed_top_k(files, sm.params.errors, k=5).compute()
    ours = clean_top_k(files, sm.params.errors, k=5)
    if top5 != ours:
        raise RuntimeError(
            f"dask.delayed top-5 {top5} of {len(files)} files differs from the word count's {ours}"
        )
    write_csv(sm.output[0], top5, ["word", "n"])
    log.info("delayed top-5 of %d files (equal to the word count's): %s", len(files), top5)
