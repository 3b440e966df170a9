# The one-page HTML report of every result (issue 6), and the named target `report`.

REPORT_INPUTS = {
    "block_io": "results/bench/block_io.csv",
}
if config["bench"]["generate"]:
    REPORT_INPUTS["generate"] = "results/bench/generate.csv"

ALL_TARGETS.append("results/report/report.html")


localrules:
    report_html,
    report,


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
