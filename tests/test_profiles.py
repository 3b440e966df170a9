"""profiles/: the Slurm profile (partition and account from the site or the environment, every
entry explained, its resources reaching the jobs in a dry run, block batches as an array job) and
the default profile, which leaves the execution environment to others."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml
import yte

from conftest import REPO, copy_workflow, run_workflow_command, snakemake_command

SLURM_PROFILE = REPO / "profiles" / "slurm" / "config.yaml"


DEFAULT_PROFILE = REPO / "profiles" / "default" / "config.yaml"


def _profile(path: Path, env: dict | None = None) -> dict:
    old = dict(os.environ)
    os.environ.update(env or {})
    try:
        with open(path) as fh:
            return yte.process_yaml(fh, require_use_yte=True)
    finally:
        os.environ.clear()
        os.environ.update(old)


def test_slurm_profile_takes_partition_and_account_from_site_or_environment(monkeypatch):
    for var in ("SDA_SLURM_PARTITION", "SDA_SLURM_ACCOUNT"):
        monkeypatch.delenv(var, raising=False)
    plain = _profile(SLURM_PROFILE)
    assert plain["executor"] == "slurm"
    res = plain["default-resources"]
    assert {"slurm_partition", "slurm_account", "mem_mb", "runtime"} <= res.keys()
    assert isinstance(res["mem_mb"], int) and isinstance(res["runtime"], int)
    ci = _profile(SLURM_PROFILE, {"SDA_SLURM_PARTITION": "p1", "SDA_SLURM_ACCOUNT": "a1"})
    assert (
        ci["default-resources"]["slurm_partition"],
        ci["default-resources"]["slurm_account"],
    ) == (
        "p1",
        "a1",
    )


def test_every_slurm_profile_entry_says_what_a_site_changes():
    entry = re.compile(r"^\s*[\w-]+:\s*\S")  # a key with a value on the same line
    lines = [ln for ln in SLURM_PROFILE.read_text().splitlines() if not ln.lstrip().startswith("#")]
    valued = [ln for ln in lines if entry.match(ln) and not ln.startswith("__")]
    assert valued, "no entries found"
    assert [ln for ln in valued if " # " not in ln and not ln.strip().startswith("- ")] == []


def test_default_profile_leaves_the_execution_environment_to_other_profiles():
    # profiles/default is read on top of --profile profiles/slurm and wins key by key:
    # any of these here would silently replace the cluster's settings.
    keys = set(yaml.safe_load(DEFAULT_PROFILE.read_text()))
    environment = {"cores", "jobs", "executor", "default-resources", "max-threads", "resources"}
    assert keys & environment == set()


@pytest.mark.workflow
def test_slurm_profile_resources_reach_the_jobs_in_a_dry_run(tmp_path):
    wf = copy_workflow(tmp_path / "wf")
    # Without the rules' one-line messages, Snakemake's job headers list every resource.
    for smk in [wf / "Snakefile", *(wf / "rules").glob("*.smk")]:
        smk.write_text(re.sub(r'\n    message:\n        "[^"\n]*"', "", smk.read_text()))
    env = dict(os.environ, SDA_SLURM_PARTITION="p-dry", SDA_SLURM_ACCOUNT="a-dry")
    cmd = snakemake_command("--profile", "profiles/slurm", "-n", "--configfile", "config/test.yaml")
    proc = run_workflow_command(cmd, cwd=wf, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout + proc.stderr
    assert "workflow specific profile profiles/default" in out
    res = re.findall(r"^\s+resources: (.*)$", out, re.M)
    assert res and all("slurm_partition=p-dry" in r and "slurm_account=a-dry" in r for r in res)


def test_slurm_profile_sends_block_batches_as_an_array_and_retries():
    profile = (REPO / "profiles" / "slurm" / "config.yaml").read_text()
    entries = {
        line.split(":", 1)[0]: line.split(":", 1)[1].split("#")[0].strip()
        for line in profile.splitlines()
        if line and not line.startswith((" ", "#", "_", "-"))
    }
    assert entries["slurm-array-jobs"] == "generate_blocks"
    assert int(entries["retries"]) >= 1
