# sda: the "Scalable Data Analytics" lesson as a Snakemake workflow.
# This file only wires: config, the topic rule files, and the default target.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/blocks.smk"
include: "rules/stores.smk"
include: "rules/text.smk"
include: "rules/tables.smk"
include: "rules/scaling.smk"
include: "rules/engines.smk"
include: "rules/report.smk"


# Light rules (targets, listings, small queries, plots, the report) run where Snakemake runs,
# not as cluster jobs; wiki_fetch too, since compute nodes often have no internet.
localrules:
    all,
    blocks_npy,
    stores_all,
    hdf5_listing,
    wiki_fetch,
    text_sample,
    text_graph,
    lahman_queries,
    lahman_parquet,
    lahman_expressions,
    report_html,
    report,
    version,
    bench,


rule all:
    default_target: True
    input:
        ALL_TARGETS,
    message:
        "{rule}: every result of the default run"
