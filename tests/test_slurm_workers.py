"""sda.slurm_workers: dask workers as Slurm jobs, without a Slurm: the config checks, the rule
params, and a dry run of the workflow that fails before any job when the slurm scheduler lacks
what it needs. (tests/test_slurm_dask.py runs the same on a real Slurm.)"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import REPO, SCHEMA, copy_workflow, load_yaml, run_workflow_command, snakemake_command
from sda.config import ConfigError, validate_config
from sda.config_checks import CHECKS
from sda.scheduler import check_spec, scheduler_param, scheduler_workers, spec_name
from sda.slurm_workers import REQUIRED, SlurmSettings, check_dask, uses_slurm

SLURM_TOOLS = {"sbatch", "squeue", "scancel", "sacct", "sinfo", "srun", "salloc", "scontrol"}
SITE = {
    "queue": "main",
    "account": "proj",
    "cores": 4,
    "memory": "16GB",
    "walltime": "01:00:00",
    "jobs": 3,
}


def slurm_config(which: str = "dask.scheduler", **slurm) -> dict:
    config = load_yaml(REPO / "config" / "test.yaml")
    section, key = which.split(".")
    config[section][key] = "slurm"
    config["dask"]["slurm"] = {**SITE, **slurm}
    return config


def everywhere(command: str) -> str:
    return f"/usr/bin/{command}"


def test_only_a_slurm_scheduler_is_checked():
    config = load_yaml(REPO / "config" / "test.yaml")
    config["dask"]["slurm"] = {}
    assert uses_slurm(config) == []
    check_dask(config, which=lambda c: None)  # nothing needed, nothing raised
    assert uses_slurm(slurm_config("text.scheduler")) == ["text.scheduler"]


@pytest.mark.parametrize("key", REQUIRED)
@pytest.mark.parametrize("which", ["dask.scheduler", "text.scheduler"])
def test_a_missing_setting_is_named(key, which):
    config = slurm_config(which)
    del config["dask"]["slurm"][key]
    with pytest.raises(ValueError, match=rf"^invalid config key dask\.slurm\.{key}: missing "):
        check_dask(config, which=everywhere)
    config["dask"]["slurm"][key] = ""
    with pytest.raises(ValueError, match=rf"\({which} is slurm\)"):
        check_dask(config, which=everywhere)


@pytest.mark.parametrize(
    "key, value, said",
    [
        ("memory", "lots", "is not a size such as 4GB"),
        ("walltime", "1h", "is not a Slurm time"),
        ("walltime", "01:00:00:00", "is not a Slurm time"),
    ],
)
def test_values_that_slurm_would_refuse_are_named(key, value, said):
    with pytest.raises(ValueError, match=rf"^invalid config key dask\.slurm\.{key}: .*{said}"):
        check_dask(slurm_config(**{key: value}), which=everywhere)


@pytest.mark.parametrize("walltime", ["90", "01:30:00", "1-00:00:00", "30:00"])
def test_slurm_times_pass(walltime):
    check_dask(slurm_config(walltime=walltime), which=everywhere)


@pytest.mark.parametrize("missing", ["sbatch", "squeue", "scancel"])
def test_no_slurm_commands_is_said_before_any_job(missing):
    def which(command):
        return None if command == missing else everywhere(command)

    with pytest.raises(ValueError, match=rf"dask\.scheduler: slurm needs Slurm's `{missing}`"):
        check_dask(slurm_config(), which=which)


def test_the_schema_checks_types_and_validate_config_the_rest(monkeypatch):
    # Slurm's commands as a cluster's login node has them, on any machine
    monkeypatch.setattr(shutil, "which", everywhere)
    config = slurm_config(cores=0)
    with pytest.raises(ConfigError, match="^invalid config key dask.slurm.cores: "):
        validate_config(config, SCHEMA, checks=CHECKS)
    config = slurm_config()
    config["dask"]["slurm"]["nodes"] = 2
    with pytest.raises(ConfigError, match="^invalid config key dask.slurm.nodes: "):
        validate_config(config, SCHEMA, checks=CHECKS)
    config = slurm_config()
    config["dask"]["slurm"]["queue"] = ""
    with pytest.raises(ConfigError, match="^invalid config key dask.slurm.queue: missing"):
        validate_config(config, SCHEMA, checks=CHECKS)
    config = slurm_config()
    validate_config(config, SCHEMA, checks=CHECKS)  # defaults filled in
    assert config["dask"]["slurm"]["processes"] == 1
    assert config["dask"]["slurm"]["interface"] is None
    assert config["dask"]["slurm"]["timeout"] == 300


def test_rule_params_carry_the_settings_to_the_script():
    config = slurm_config()
    param = scheduler_param("slurm", config)
    assert param == {"name": "slurm", **SITE}
    assert spec_name(param) == check_spec(param) == "slurm"
    assert scheduler_param("threads", config) == "threads"
    # partitions are sized by the workers the computation gets: all threads of all jobs
    assert scheduler_workers(param, threads=2) == 3 * 4
    assert scheduler_workers("threads", threads=2) == 2
    settings = SlurmSettings.from_config({**SITE, "account": None, "processes": 2})
    assert settings.workers == 6 and settings.account == ""
    with pytest.raises(ValueError, match="only slurm takes settings"):
        check_spec({"name": "threads"})


@pytest.mark.workflow
def test_dry_run_fails_before_any_job_naming_the_key(tmp_path):
    wf = copy_workflow(tmp_path / "wf")
    chosen = tmp_path / "slurm.yaml"
    chosen.write_text(yaml.safe_dump({"dask": {"scheduler": "slurm"}}))
    site = tmp_path / "site.yaml"
    site.write_text(yaml.safe_dump({"dask": {"scheduler": "slurm", "slurm": SITE}}))

    def run(overlay, path: str) -> subprocess.CompletedProcess:
        cmd = snakemake_command("-n", "--cores", "2")
        cmd += ["--configfile", "config/test.yaml", str(overlay)]
        env = {"PATH": path, "HOME": str(tmp_path)}
        return run_workflow_command(cmd, cwd=wf, timeout=300, env=env)

    # This machine's commands without Slurm's, and with stand-ins (a dry run submits nothing).
    no_slurm_dir, bin_dir = tmp_path / "no-slurm", tmp_path / "bin"
    no_slurm_dir.mkdir()
    bin_dir.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        for exe in Path(folder).glob("*") if Path(folder).is_dir() else []:
            link = no_slurm_dir / exe.name
            if exe.name not in SLURM_TOOLS and not link.exists():
                link.symlink_to(exe)
    for command in ("sbatch", "squeue", "scancel"):
        (bin_dir / command).write_text("#!/bin/sh\nexit 1\n")
        (bin_dir / command).chmod(0o755)
    with_stand_ins = f"{bin_dir}{os.pathsep}{no_slurm_dir}"

    # The default config leaves the site's queue, memory and walltime empty.
    missing = run(chosen, with_stand_ins)
    out = missing.stdout + missing.stderr
    assert missing.returncode != 0
    assert "invalid config key dask.slurm.queue: missing (dask.scheduler is slurm)" in out, out
    assert "Job stats" not in out

    no_slurm = run(site, str(no_slurm_dir))
    out = no_slurm.stdout + no_slurm.stderr
    assert no_slurm.returncode != 0
    assert "dask.scheduler: slurm needs Slurm's `sbatch` on PATH" in out, out[-2000:]

    fine = run(site, with_stand_ins)
    assert fine.returncode == 0, (fine.stdout + fine.stderr)[-2000:]
    assert "array_summary" in fine.stdout


def test_settings_do_not_change_the_default_config():
    default = load_yaml(REPO / "config" / "config.yaml")
    before = copy.deepcopy(default)
    validate_config(default, SCHEMA, checks=CHECKS)
    assert before["dask"]["scheduler"] == "threads"
    assert {k for k, v in before["dask"]["slurm"].items() if v == ""} >= {
        "queue",
        "memory",
        "walltime",
    }
