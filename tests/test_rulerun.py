"""sda.rulerun: a rule's script run outside Snakemake (``python -m sda.rulerun``) gets what
Snakemake would give it, and writes the same files as the workflow's own run. It loads the
workflow with Snakemake: marked workflow."""

from __future__ import annotations

import os

import pytest

from conftest import copy_workflow, rulerun_command, run_workflow_command

pytestmark = pytest.mark.workflow


def rulerun(workdir, *args, check=True):
    env = dict(os.environ, PYTHONPATH="scripts", PYTHONDONTWRITEBYTECODE="1")
    cmd = rulerun_command(*args, "--configfile", "config/test.yaml")
    proc = run_workflow_command(cmd, cwd=workdir, env=env, timeout=600)
    if check and proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def test_rule_scripts_run_outside_snakemake_as_in_the_workflow(workflow_run, tmp_path):
    """The corpus, then the task graph drawn from it, in a fresh copy: the same bytes as the
    workflow's run, each script's log written, no benchmark file."""
    wf = copy_workflow(tmp_path / "wf")
    rulerun(wf, "wiki_synthetic")
    corpus = sorted((workflow_run / "resources" / "wiki" / "synthetic").rglob("wiki_*"))
    assert len(corpus) == 4
    for path in corpus:
        mine = wf / path.relative_to(workflow_run)
        assert mine.read_bytes() == path.read_bytes(), mine
    rulerun(wf, "text_graph")
    for name in ("graph.png", "graph.svg"):
        assert (wf / "results/text" / name).read_bytes() == (
            workflow_run / "results/text" / name
        ).read_bytes(), name
    assert "task graph of" in (wf / "logs" / "text_graph.log").read_text()
    assert not (wf / "benchmarks").exists()


def test_rulerun_names_a_wrong_rule_or_a_missing_wildcard(tmp_path):
    wf = copy_workflow(tmp_path / "wf")
    proc = rulerun(wf, "no_such_rule", check=False)
    assert proc.returncode != 0 and "no rule 'no_such_rule'" in proc.stderr
    assert "text_graph" in proc.stderr
    proc = rulerun(wf, "generate_blocks", check=False)
    assert proc.returncode != 0
    assert "rule generate_blocks needs the wildcards batch (name=value)" in proc.stderr
