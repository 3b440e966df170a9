# The one-page HTML report of every result, the named target `report`, and the target `bench`:
# the evidence benchmarks, then the same report with their chapters.
from sda.provenance import version_record


rule bench_machine:
    # The machine this run's benchmarks measured: CPU, cores, memory, the disk and file system
    # of results/, OS, Python, BLAS and its threads; the report names it beside each benchmark.
    output:
        "results/bench/machine.json",
    log:
        "logs/bench_machine.log",
    conda:
        "../envs/sda.yaml"
    resources:
        mem_mb=300,
        runtime=5,
    message:
        "{rule}: the machine the benchmarks ran on (log: {log})"
    script:
        "../scripts/bench_machine.py"


rule version:
    # What made this run's results (sda.provenance): sda's version, the git commit of the
    # workflow (null outside git) and whether its tracked files had changes, the config's
    # checksum. A param, so that Snakemake remakes the file when any of them changes.
    output:
        "results/VERSION.json",
    log:
        "logs/version.log",
    conda:
        "../envs/sda.yaml"
    params:
        record=version_record(SDA_DIR, config),
    message:
        "{rule}: {output} (log: {log})"
    script:
        "../scripts/version.py"


ALL_TARGETS.append(rules.version.output[0])
report_input("version", rules.version, rules.version.output[0])
report_input("machine", rules.bench_machine, rules.bench_machine.output[0])
report_input("block_io", rules.bench_block_io, rules.bench_block_io.output[0])
report_input("block_means", rules.block_means, rules.block_means.output.means)
report_input("store_reads", rules.block_means, rules.block_means.output.reads)
report_input("hdf5_listing", rules.hdf5_listing, rules.hdf5_listing.output[0])
report_input("hdf5_job", rules.store_hdf5, benchmark_of(rules.store_hdf5))
report_input("array_summary", rules.array_summary, rules.array_summary.output[0])
report_input("summary_job", rules.array_summary, benchmark_of(rules.array_summary))
report_input("top10", rules.text_counts, rules.text_counts.output.top10)
report_input("top5_clean", rules.text_counts, rules.text_counts.output.top5)
report_input("frequencies", rules.text_counts, rules.text_counts.output.frequencies)
report_input("delayed_top5", rules.text_delayed, rules.text_delayed.output[0])
report_input("sample5", rules.text_sample, rules.text_sample.output[0])
report_input("graph", rules.text_graph, rules.text_graph.output.png)
report_input("lahman_tables", rules.lahman_queries, rules.lahman_queries.output.tables)
report_input("master_head", rules.lahman_queries, rules.lahman_queries.output.master_head)
report_input("birth_country", rules.lahman_queries, rules.lahman_queries.output.birth_country)
report_input("lahman_expressions", rules.lahman_expressions, rules.lahman_expressions.output[0])
report_input("lahman_backends", rules.lahman_backends, rules.lahman_backends.output[0])
if TEXT["bench_schedulers"]:
    report_input(
        "text_schedulers", rules.bench_text_schedulers, rules.bench_text_schedulers.output[0]
    )
if WIKI["source"] == "download":
    report_input("wiki_source", rules.wiki_fetch, rules.wiki_fetch.output.source)
if CSV_BLOCKS:
    report_input("csv_describe", rules.csv_describe, rules.csv_describe.output.table)
    report_input("describe_time", rules.csv_describe, rules.csv_describe.output.seconds)
for name in DIAGNOSED:
    dask_rule = getattr(rules, name)
    for kind, path in dask_rule.output.items():
        if kind in DIAGNOSTICS_OUTPUTS:
            report_input(f"dask_{name}_{kind}", dask_rule, path)

# The scaling run's results, shown when `snakemake --cores N scaling` has made them.
# (Plain strings: a params dict keeps what it is given, and an output file carries its rule.)
SCALING_RESULTS = {
    "scaling_csv": str(rules.scaling.output.csv),
    "scaling_png": str(rules.scaling.output.png),
    **{
        f"dask_scaling_{kind}": str(path)
        for kind, path in rules.scaling.output.items()
        if kind in DIAGNOSTICS_OUTPUTS
    },
}

ALL_TARGETS.append("results/report/report.html")
if EVIDENCE_ALWAYS:
    ALL_TARGETS.extend(EVIDENCE.values())


rule report_html:
    # The evidence chapters appear when their benchmarks have been run (or bench.evidence).
    input:
        **REPORT_INPUTS,
        **evidence_present(EVIDENCE),
        # the lesson's own figures, which every chapter sets beside this run's
        lesson=SDA_DIR / "report" / "lesson_2016.csv",
    output:
        html=report(
            "results/report/report.html",
            caption="../report/report/report_html.rst",
            category="Report",
        ),
        figures=directory("results/report/figures"),
        then_now=report(
            "results/report/then_and_now.csv",
            caption="../report/report/then_and_now.rst",
            category="Report",
        ),
    log:
        "logs/report_html.log",
    conda:
        "../envs/sda.yaml"
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        config=config,
        evidence=EVIDENCE_TITLES,
        made_by=MADE_BY,
        # shown when `snakemake --cores N scaling` has made them; a param, not an input, so
        # that a default run never starts the scaling run
        scaling=SCALING_RESULTS,
        # where the rules' benchmark records are (the run facts' time per rule): the directory
        # of one of them, the summary job's
        benchmarks=lambda wildcards, input: os.path.dirname(input.summary_job),
    message:
        "{rule}: {output.html} (log: {log})"
    script:
        "../scripts/report_html.py"


# `snakemake --cores 8 bench`: every evidence benchmark, then the same report with their
# chapters: report_html's rule with every evidence output as input. The default run picks
# report_html (ruleorder below).
use rule report_html as bench with:
    input:
        **REPORT_INPUTS,
        **EVIDENCE,
        lesson=SDA_DIR / "report" / "lesson_2016.csv",
    message:
        "{rule}: the evidence benchmarks' report {output.html} (log: {log})"


ruleorder: report_html > bench


rule report:
    # Named target: `snakemake --cores 8 report` regenerates the report alone.
    input:
        rules.report_html.output.html,
    message:
        "{rule}: the report"
