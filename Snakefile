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
include: "rules/report.smk"


localrules:
    all,


rule all:
    default_target: True
    input:
        ALL_TARGETS,
