# The one-page HTML report of every result (issue 6), and the named target `report`.

REPORT_INPUTS = {
    "block_io": "results/bench/block_io.csv",
}
if config["bench"]["generate"]:
    REPORT_INPUTS["generate"] = "results/bench/generate.csv"
REPORT_INPUTS |= {
    "stores_bench": "results/bench/stores.csv",
    "block_means": "results/tables/block_means.csv",
    "array_summary": "results/tables/array_summary.json",
    "top10": "results/text/top10.csv",
    "top5_clean": "results/text/top5_clean.csv",
    "delayed_top5": "results/text/delayed_top5.csv",
    "sample5": "results/text/sample5.csv",
    "graph": "results/text/graph.png",
    "lahman_tables": LAHMAN_QUERIES["tables"],
    "master_head": LAHMAN_QUERIES["master_head"],
    "birth_country": LAHMAN_QUERIES["birth_country"],
    "lahman_expressions": LAHMAN_IBIS["expressions"],
    "lahman_backends": LAHMAN_IBIS["backends"],
}
if TEXT["bench_schedulers"]:
    REPORT_INPUTS["text_schedulers"] = "results/bench/text_schedulers.csv"
if TEXT["bench"]:
    REPORT_INPUTS["text_bench"] = "results/bench/text.csv"
if CSV_BLOCKS:
    REPORT_INPUTS["csv_describe"] = "results/tables/csv_describe.csv"
    REPORT_INPUTS["tables_bench"] = "results/bench/tables.csv"

ALL_TARGETS.append("results/report/report.html")


rule report_html:
    input:
        **REPORT_INPUTS,
    output:
        html=report(
            "results/report/report.html",
            caption="../report/report/report_html.rst",
            category="Report",
        ),
        figures=directory("results/report/figures"),
    log:
        "logs/report_html.log",
    conda:
        "../envs/sda.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        config=config,
        cores=workflow.cores,
    script:
        "../scripts/report_html.py"


rule report:
    # Named target: `snakemake --cores 8 report` regenerates the report alone.
    input:
        rules.report_html.output.html,
