"""Run one rule's script outside Snakemake: to step through an analysis in a debugger or an
interactive session, with the rule's input, output, params, threads, resources, log and config
exactly as Snakemake would pass them (the idea of pypsa-eur's ``mock_snakemake``).

From the repository (``scripts/`` on the path), with a config and the rule's wildcards::

    PYTHONPATH=scripts python -m sda.rulerun text_graph --configfile config/test.yaml
    PYTHONPATH=scripts python -m pdb -m sda.rulerun generate_blocks batch=00001 \
        --configfile config/test.yaml

or, in a session, the object a script reads as ``snakemake``::

    from sda.rulerun import mock_snakemake
    snakemake, script = mock_snakemake("text_graph", ["config/test.yaml"])

The rule's inputs must exist (run ``snakemake <input>`` first); its outputs are written where
Snakemake would write them. Nothing checks whether they are up to date.
"""

from __future__ import annotations

import argparse
import runpy
from collections.abc import Sequence
from pathlib import Path


def mock_snakemake(
    rule: str,
    configfiles: Sequence[str | Path] = (),
    snakefile: str | Path = "Snakefile",
    cores: int = 1,
    **wildcards: str,
):
    """The ``snakemake`` object the script of ``rule`` gets, for the job with ``wildcards``
    (run in the workflow's directory). Returns ``(snakemake, script path)``."""
    from snakemake.api import SnakemakeApi  # first: snakemake.dag imports it back
    from snakemake.dag import DAG
    from snakemake.jobs import Job
    from snakemake.script import Snakemake
    from snakemake.settings.types import (
        ConfigSettings,
        DAGSettings,
        OutputSettings,
        ResourceSettings,
    )

    with SnakemakeApi(OutputSettings()) as api:
        workflow = api.workflow(
            resource_settings=ResourceSettings(cores=cores),
            config_settings=ConfigSettings(configfiles=[Path(f) for f in configfiles]),
            snakefile=Path(snakefile).absolute(),
        )._workflow  # the workflow as Snakemake loads it: config checked, rules defined
        workflow.dag_settings = DAGSettings()
        names = sorted(r.name for r in workflow.rules)
        if rule not in names:
            raise SystemExit(f"no rule {rule!r} in {snakefile} (rules: {', '.join(names)})")
        target = workflow.get_rule(rule)
        missing = sorted(set(target.wildcard_names) - set(wildcards))
        if missing:
            raise SystemExit(f"rule {rule} needs the wildcards {', '.join(missing)} (name=value)")
        if not target.script:
            raise SystemExit(f"rule {rule} has no script: to run")
        job = Job(target, DAG(workflow, rules=[target]), dict(wildcards))
        script = Path(target.basedir.get_path_or_uri(secret_free=True), target.script).resolve()
        sm = Snakemake(
            job.input,
            job.output,
            job.params,
            job.wildcards,
            job.threads,
            job.resources,
            job.log,
            workflow.config,
            target.name,
            None,
            scriptdir=script.parent,
        )
    return sm, script


def run_rule(
    rule: str,
    configfiles: Sequence[str | Path] = (),
    snakefile: str | Path = "Snakefile",
    cores: int = 1,
    **wildcards: str,
) -> None:
    """Run the script of ``rule`` in this process, as Snakemake would (``__main__``, with the
    ``snakemake`` object), after making the directories of its outputs and log. Its log lines
    are shown on the terminal too, and this process's stderr is left alone (:data:`sda.logs.ECHO`)."""
    from sda import logs

    sm, script = mock_snakemake(rule, configfiles, snakefile, cores, **wildcards)
    for path in [*sm.output, *sm.log]:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    logs.ECHO = True
    runpy.run_path(str(script), init_globals={"snakemake": sm}, run_name="__main__")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m sda.rulerun", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("rule", help="the rule whose script to run")
    parser.add_argument("wildcards", nargs="*", help="the job's wildcards, as name=value")
    parser.add_argument("--configfile", nargs="+", default=[], help="config files, as snakemake")
    parser.add_argument("--snakefile", default="Snakefile")
    parser.add_argument("--cores", type=int, default=1, help="cores the rule may use")
    args = parser.parse_args(argv)
    wildcards = {}
    for item in args.wildcards:
        name, sep, value = item.partition("=")
        if not sep:
            parser.error(f"wildcard {item!r}: expected name=value")
        wildcards[name] = value
    run_rule(args.rule, args.configfile, args.snakefile, args.cores, **wildcards)


if __name__ == "__main__":
    main()
