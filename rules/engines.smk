# The same jobs with polars and DuckDB: the workflow's dask paths beside today's engines, on
# the same inputs, each result checked against the workflow's (see docs/engines.md).


rule engines_parquet:
    # The npy blocks as one Parquet column, made once: what DuckDB and polars scan.
    input:
        NPY_BLOCKS,
    output:
        parquet="results/engines/blocks.parquet",
        made="results/engines/blocks.json",
    log:
        "logs/engines_parquet.log",
    benchmark:
        "benchmarks/engines_parquet.tsv"
    conda:
        "../envs/sda.yaml"
    resources:
        mem_mb=mem_by_attempt(600),
        runtime=30,
    params:
        **BLOCK_SHAPE,
    message:
        f"{{rule}}: the {BLOCKS['n']} npy blocks as one Parquet column (log: {{log}})"
    script:
        "../scripts/engines_parquet.py"


rule bench_engines:
    # Four workloads, each by dask (our path), polars and DuckDB (and SQLite): fresh
    # processes, the same threads, warm, alternating, medians; every result checked.
    input:
        texts=WIKI_FILES,
        top10=rules.text_counts.output.top10,
        frequencies=rules.text_counts.output.frequencies,
        csv=CSV_BLOCKS,
        csv_npy=NPY_BLOCKS[: len(CSV_BLOCKS)],
        describe=rules.csv_describe.output.table if CSV_BLOCKS else [],
        db=LAHMAN_DB,
        master=LAHMAN_IBIS["master_parquet"],
        birth_country=rules.lahman_queries.output.birth_country,
        npy=NPY_BLOCKS,
        summary=rules.array_summary.output[0],
        parquet=rules.engines_parquet.output.parquet,
        made=rules.engines_parquet.output.made,
    output:
        report(
            "results/bench/engines.csv",
            caption="../report/engines/bench_engines.rst",
            category="Engines",
        ),
    log:
        "logs/bench_engines.log",
    benchmark:
        "benchmarks/bench_engines.tsv"
    conda:
        "../envs/sda.yaml"
    threads: ALL_THREADS
    resources:
        evidence=1,
        mem_mb=mem_by_attempt(2000),
        runtime=30,
    params:
        **DECODING,
        **BLOCK_SHAPE,
        partitions=TEXT["partitions"],
        files_per_task=TEXT["files_per_task"],
        ncols=BLOCKS["cols"],
        csv_engine=config["tables"]["csv_engine"],
        repeats=config["bench"]["repeats"],
        timeout=config["bench"]["timeout"],
    message:
        "{rule}: the same jobs with dask, polars and DuckDB (threads: {threads}, log: {log})"
    script:
        "../scripts/bench_engines.py"


# The topic's evidence benchmark for `bench`.
evidence("engines", "the same jobs with polars and DuckDB", rules.bench_engines)
