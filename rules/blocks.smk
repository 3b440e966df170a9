# One billion numbers: blocks written in batches, CSV copies, and the lesson's I/O timings.


rule generate_blocks:
    # One job writes a batch of blocks that share their leading digits (x0001?? for
    # batches of 100): the workflow pays one Python start-up per batch, not per block.
    output:
        batch_pattern("results/blocks/npy", BATCH),
    log:
        "logs/generate_blocks/{batch}.log",
    benchmark:
        "benchmarks/generate_blocks/{batch}.tsv"
    wildcard_constraints:
        batch=batch_regex(BATCH),
    conda:
        "../envs/sda.yaml"
    resources:
        mem_mb=500,
        runtime=10,
    params:
        spec=BLOCK_SPEC,
    message:
        f"{{rule}}: batch {{wildcards.batch}}, {BATCH} npy blocks (log: {{log}})"
    script:
        "../scripts/generate_blocks.py"


rule blocks_npy:
    # Named target: every npy block, nothing else (used by the generation benchmark).
    input:
        NPY_BLOCKS,
    message:
        "{rule}: every npy block"


rule block_csv:
    # One job writes every CSV copy (a few seconds in all); each is still its own target.
    input:
        NPY_BLOCKS[: BLOCKS["csv_n"]],
    output:
        CSV_BLOCKS,
    log:
        "logs/block_csv.log",
    conda:
        "../envs/sda.yaml"
    resources:
        mem_mb=500,
        runtime=10,
    params:
        spec=BLOCK_SPEC,
        fmt=BLOCKS["csv_format"],
    message:
        f"{{rule}}: CSV copies of the first {BLOCKS['csv_n']} blocks (log: {{log}})"
    script:
        "../scripts/block_csv.py"


rule bench_block_io:
    input:
        npy=NPY_BLOCKS[: config["bench"]["load_mean_files"]],
        csv=CSV_BLOCKS[:1],
    output:
        report(
            "results/bench/block_io.csv",
            caption="../report/blocks/block_io.rst",
            category="Blocks",
        ),
    log:
        "logs/bench_block_io.log",
    benchmark:
        "benchmarks/bench_block_io.tsv"
    conda:
        "../envs/sda.yaml"
    threads: ALL_THREADS
    resources:
        mem_mb=500,
        runtime=30,
    params:
        spec=BLOCK_SPEC,
        fmt=BLOCKS["csv_format"],
        repeats=config["bench"]["lesson_repeats"],
    message:
        "{rule}: the lesson's npy vs CSV timings and memory (threads: {threads}, log: {log})"
    script:
        "../scripts/bench_block_io.py"


rule bench_generate:
    # Times this workflow's block generation, and its whole default run from an empty
    # directory, against a plain multiprocessing script writing the same blocks, side by side,
    # same number of processes (the rule's threads).
    output:
        report(
            "results/bench/generate.csv",
            caption="../report/blocks/generate.rst",
            category="Blocks",
        ),
    log:
        "logs/bench_generate.log",
    benchmark:
        "benchmarks/bench_generate.tsv"
    conda:
        "../envs/sda.yaml"
    threads: ALL_THREADS
    resources:
        evidence=1,
        mem_mb=1000,
        runtime=60,
    params:
        config=config,
        snakefile=str(SDA_DIR / "Snakefile"),  # this workflow, also when it is a module
        repeats=config["bench"]["repeats"],
        default_run=config["bench"]["default_run"],
    message:
        "{rule}: block generation and the default run vs plain multiprocessing (processes: {threads}, log: {log})"
    script:
        "../scripts/bench_generate.py"


# The topic's final outputs for `rule all`, and its evidence benchmark for `bench`.
ALL_TARGETS.extend(NPY_BLOCKS + CSV_BLOCKS + list(rules.bench_block_io.output))
if config["bench"]["generate"]:
    evidence("generate", "generation against plain multiprocessing", rules.bench_generate)
