# Config validation, shared paths and input functions. Rules stay free of path gluing.
import os
import sys
from pathlib import Path

# This workflow's own directory, the parent of rules/: not workflow.basedir, which is the
# directory of the main Snakefile, another workflow's when this one is used as a module.
SDA_DIR = Path(workflow.current_basedir.get_path_or_uri(secret_free=True)).parent
sys.path.insert(0, str(SDA_DIR / "scripts"))

from snakemake.io import flag
from snakemake.path_modifier import PATH_MODIFIER_FLAG

from sda.blocks.generate import BlockSpec, batch_pattern, batch_regex, batch_size, block_name
from sda.config import validate_config
from sda.config_checks import CHECKS
from sda.diagnostics.record import OUTPUTS as DIAGNOSTICS_OUTPUTS, record_paths
from sda.job_memory import mem_by_attempt
from sda.scheduler import is_distributed, scheduler_param

# The schema (strict: 2.0 is not an integer), defaults filled in, then the cross-field checks
# of every section; an error names the key and stops the run before any job. Values given with
# --config (nested ones arrive as strings) are first read as the config file's would be.
validate_config(
    config,
    SDA_DIR / "config" / "schema" / "config.schema.yaml",
    cli=workflow.config_settings.config,
    checks=CHECKS,
)

# The dask scheduler param of the dask rules: a name, or slurm with its dask.slurm settings.
DASK_SCHEDULER = scheduler_param(config["dask"]["scheduler"], config)
BLOCKS = config["blocks"]
BLOCK_SPEC = BlockSpec.from_config(BLOCKS)
BATCH = batch_size(BLOCKS["n"], BLOCKS["batch"])
BLOCK_STEMS = [block_name(i) for i in range(BLOCKS["n"])]
CSV_STEMS = BLOCK_STEMS[: BLOCKS["csv_n"]]
NPY_BLOCKS = expand("results/blocks/npy/{stem}.npy", stem=BLOCK_STEMS)
CSV_BLOCKS = expand("results/blocks/csv/{stem}.csv", stem=CSV_STEMS)
STORES = config["stores"]
WIKI = config["wiki"]
TEXT = config["text"]

# Params that several rules pass, defined once: the shape of a block (the readers check every
# block against it), how text that is not UTF-8 is decoded, and the word count's settings.
BLOCK_SHAPE = dict(shape=BLOCK_SPEC.shape)
DECODING = dict(errors=WIKI["encoding_errors"])
TEXT_PARAMS = dict(
    **DECODING,
    scheduler=scheduler_param(TEXT["scheduler"], config),
    partitions=TEXT["partitions"],
    files_per_task=TEXT["files_per_task"],
)

# A rule's message names config values through f-strings ({{rule}} and {{log}} stay for
# Snakemake): Snakemake fills a message with the main workflow's globals, which are another
# workflow's when this one is used as a module.

# `threads` is stated only where it says something: more than one core (the default is 1).
# Threads of the rules that use every core they get: the CPUs of this machine, at most 8.
# Snakemake also caps them at --cores. A constant, not workflow.cores, so that `snakemake -n`
# and `snakemake --unlock` work without --cores; and no more than the machine has, so that on a
# small machine these rules can run beside others (8 threads each on 2 cores would make every
# such job run alone). On a cluster, change one rule with `set-threads`.
ALL_THREADS = min(8, len(os.sched_getaffinity(0)))

# Every topic adds its final outputs here; `rule all` asks for all of them.
ALL_TARGETS = []

# The evidence benchmarks (each ours against a baseline, with repeats) are not part of the
# default run: `snakemake --cores 8 bench` runs them and rebuilds the report with their
# chapters; `bench.evidence: true` puts them in every run. Each topic adds its own with
# `evidence(name, title, rule)`: its name is the report's input, its title what the report
# calls it while it has not been run.
EVIDENCE = {}
EVIDENCE_TITLES = {}
EVIDENCE_ALWAYS = config["bench"]["evidence"]
# Per input of the report: the rule that made it and its log (the report links both).
MADE_BY = {}


def made_by(rule):
    """The name and log files of a rule (`rules.X`), as the report names them."""
    return {"rule": rule.rule.name, "log": [str(f) for f in rule.log]}


def evidence(name, title, rule):
    """Register `rule`'s first output as the evidence benchmark `name`, titled `title`."""
    EVIDENCE[name] = rule.output[0]
    EVIDENCE_TITLES[name] = title
    MADE_BY[name] = made_by(rule)


# What dask did in each dask rule, memory over time and the task stream (sda.diagnostics), as
# outputs of each such rule in results/diagnostics/<name>/, none with diagnostics false. The
# report's chapters show those listed in DIAGNOSED.
DIAGNOSED = []


def diagnostics(name, scheduler, report=True):
    """The diagnostics outputs of the dask rule `name` on `scheduler`, its records, and dask's
    performance report where the scheduler is distributed."""
    if not config["diagnostics"]:
        return {}
    if report:
        DIAGNOSED.append(name)
    return record_paths(f"results/diagnostics/{name}", is_distributed(scheduler))


# The results the report reads, by the name its chapters know them by (rules/report.smk).
REPORT_INPUTS = {}


def benchmark_of(rule):
    """The benchmark record of `rule` (rules.X) as another rule's input. Snakemake's
    rules.X.benchmark, unlike rules.X.output and rules.X.log, drops the mark saying that a
    module's prefix is already in the path: used as an input it would get the prefix twice."""
    return flag(str(rule.benchmark), PATH_MODIFIER_FLAG)


def report_input(key, rule, path):
    """A result the report reads as `key`: `path`, an output (or the benchmark record) of
    `rule`, whose name and log the report links beside it."""
    REPORT_INPUTS[key] = path
    MADE_BY[key] = made_by(rule)


# Each evidence benchmark asks for one unit of the resource `evidence`, of which there is one
# (unless `--resources evidence=N` says otherwise): they run one at a time, each measuring the
# machine and not its neighbours. Snakemake makes its own mutexes this way.
if "evidence" not in workflow.global_resources:
    workflow.register_resource("evidence", 1)


def evidence_present(evidence):
    """The evidence outputs the default report shows: all with bench.evidence, otherwise
    those a `bench` run has made (Snakemake reruns them if their inputs changed since)."""
    return {name: path for name, path in evidence.items() if EVIDENCE_ALWAYS or Path(path).exists()}


wildcard_constraints:
    stem=r"x\d{6}",
