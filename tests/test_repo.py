"""The repository's promises about itself: the README's commands, CI, pinned environments."""

from __future__ import annotations

import re

import yaml

from conftest import REPO


def quick_start_commands() -> list[str]:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, flags=re.S)]


def test_readme_has_exactly_two_quick_start_commands():
    run, test = quick_start_commands()
    assert "\n" not in run and "\n" not in test
    assert "pip install" in run and run.endswith("snakemake --cores 8")
    assert "pip install" in test and "pytest" in test


def test_ci_runs_the_readme_test_command():
    _, test = quick_start_commands()
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert test in [line.strip() for line in ci]


def pins(lines) -> dict[str, str]:
    out = {}
    for line in lines:
        line = line.strip()
        if line and not line.startswith(("#", "-r")):
            name, version = line.split("==")
            out[re.sub(r"\[.*\]", "", name).lower()] = version
    return out


def test_conda_env_pins_match_requirements():
    env = yaml.safe_load((REPO / "envs" / "sda.yaml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    requirements = pins((REPO / "requirements.txt").read_text().splitlines())
    assert pins(pip_section) == requirements
    assert "python=3.11" in env["dependencies"]


def test_every_rule_names_the_conda_env_and_a_log():
    for smk in sorted((REPO / "rules").glob("*.smk")):
        text = smk.read_text()
        for rule in re.split(r"\n(?=rule \w+:)", text)[1:]:
            name = re.match(r"rule (\w+):", rule).group(1)
            if "script:" in rule or "shell:" in rule:
                assert "conda:" in rule, f"{smk.name}: rule {name} has no conda env"
                assert "log:" in rule, f"{smk.name}: rule {name} has no log"
