# Cost against size, across the RAM line: `snakemake --cores N scaling` (not in the default
# run: it writes and reads tens of GB). See docs/scaling.md. Its diagnostics are those of the
# largest size's cold summary: memory over time past the RAM line.
import dataclasses


rule scaling:
    input:
        corpus=rules.text_counts.input,
    output:
        **diagnostics("scaling", "threads", report=False),
        csv="results/scaling/scaling.csv",
        png="results/scaling/scaling.png",
    log:
        "logs/scaling.log",
    benchmark:
        "benchmarks/scaling.tsv"
    conda:
        "../envs/sda.yaml"
    threads: ALL_THREADS
    resources:
        # each step runs in a process of its own; the target is below 1 GiB each
        mem_mb=2000,
        runtime=480,
    params:
        **DECODING,
        scaling=config["scaling"],
        spec=dataclasses.asdict(BLOCK_SPEC),
        files_per_task=TEXT["files_per_task"],
    message:
        "{rule}: cost against size (threads: {threads}, log: {log})"
    script:
        "../scripts/scaling.py"
