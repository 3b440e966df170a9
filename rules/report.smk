# The one-page HTML report of every result, the named target `report`, and the target `bench`:
# the evidence benchmarks, then the same report with their sections.

REPORT_INPUTS = {
    "block_io": rules.bench_block_io.output[0],
    "block_means": rules.block_means.output.means,
    "store_reads": rules.block_means.output.reads,
    "array_summary": rules.array_summary.output[0],
    "top10": rules.text_counts.output.top10,
    "top5_clean": rules.text_counts.output.top5,
    "delayed_top5": rules.text_delayed.output[0],
    "sample5": rules.text_sample.output[0],
    "graph": rules.text_graph.output.png,
    "lahman_tables": rules.lahman_tables.output[0],
    "master_head": rules.lahman_master_head.output[0],
    "birth_country": rules.lahman_birth_country.output[0],
    "lahman_expressions": rules.lahman_expressions.output[0],
    "lahman_backends": rules.lahman_backends.output[0],
}
if TEXT["bench_schedulers"]:
    REPORT_INPUTS["text_schedulers"] = rules.bench_text_schedulers.output[0]
if WIKI["source"] == "download":
    REPORT_INPUTS["wiki_source"] = rules.wiki_fetch.output.source
if CSV_BLOCKS:
    REPORT_INPUTS["csv_describe"] = rules.csv_describe.output.table
    REPORT_INPUTS["describe_time"] = rules.csv_describe.output.seconds

ALL_TARGETS.append("results/report/report.html")
if EVIDENCE_ALWAYS:
    ALL_TARGETS.extend(EVIDENCE.values())


rule report_html:
    # The evidence sections appear when their benchmarks have been run (or bench.evidence).
    input:
        **REPORT_INPUTS,
        **evidence_present(EVIDENCE),
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
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        config=config,
        evidence=list(EVIDENCE),
        # shown when `snakemake --cores N scaling` has made them; a param, not an input, so
        # that a default run never starts the scaling run
        scaling=[rules.scaling.output.csv, rules.scaling.output.png],
    message:
        "{rule}: {output.html} (log: {log})"
    script:
        "../scripts/report_html.py"


# `snakemake --cores 8 bench`: every evidence benchmark, then the same report with their
# sections: report_html's rule with every evidence output as input. The default run picks
# report_html (ruleorder below).
use rule report_html as bench with:
    input:
        **REPORT_INPUTS,
        **EVIDENCE,
    message:
        "{rule}: the evidence benchmarks' report {output.html} (log: {log})"


ruleorder: report_html > bench


rule report:
    # Named target: `snakemake --cores 8 report` regenerates the report alone.
    input:
        rules.report_html.output.html,
    message:
        "{rule}: the report"
