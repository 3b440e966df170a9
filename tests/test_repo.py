"""The repository's promises about itself: the README's commands, CI, pinned environments."""

from __future__ import annotations

import ast
import json
import re
import tomllib
from itertools import pairwise

import pytest
import yaml

from conftest import NEEDS, REPO, copy_workflow, run_snakemake


def quick_start_commands() -> list[str]:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, flags=re.S)]


def test_readme_has_exactly_two_quick_start_commands():
    run, test = quick_start_commands()
    assert "\n" not in run and "\n" not in test
    assert "pip install" in run and run.endswith("snakemake --cores 8")
    assert "pip install" in test and "pytest" in test


def test_ci_runs_the_readme_test_command_as_on_a_fresh_machine():
    """.ci/run runs the README's test command with Slurm, chromium, dot and ../shared hidden,
    then the tests that need one of them (each need a marker) with the tools."""
    _, test = quick_start_commands()
    ci = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    assert f"ci/without-tools.sh sh -c '{test}'" in ci
    with_tools = next(line for line in ci if line.startswith("python3 -m pytest -m "))
    needs = set(re.findall(r"\w+", with_tools.split("-m ", 2)[2].split('"')[1])) - {"or"}
    assert needs == set(NEEDS) - {"slurm"}  # Slurm's tests run where check.sh starts one
    hidden = (REPO / "ci" / "without-tools.sh").read_text()
    for tool in ("sbatch", "sinfo", "chromium", "dot"):
        assert re.search(rf"\b{tool}\b", hidden.split("TOOLS=", 1)[1].split('"', 2)[1])


def test_a_test_that_needs_a_missing_tool_says_which_and_how_to_get_it(monkeypatch, tmp_path):
    import shutil

    import conftest

    monkeypatch.setattr(shutil, "which", lambda command: None)
    monkeypatch.setattr(conftest, "SHARED_WIKI", tmp_path / "absent")
    said = {marker: reason_of() for marker, reason_of in NEEDS.items()}
    assert "sinfo is not installed" in said["slurm"] and "ci/slurm/start.sh" in said["slurm"]
    assert "chromium" in said["browser"] and "apt-get install chromium" in said["browser"]
    assert "dot" in said["graphviz"] and "apt-get install graphviz" in said["graphviz"]
    assert str(tmp_path / "absent") in said["wiki"]
    markers = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]
    registered = {m.split(":")[0] for m in markers["ini_options"]["markers"]}
    assert set(NEEDS) <= registered


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


JOB_NAMES = {"rule", "input", "output", "log", "threads", "wildcards", "params", "resources"}


def test_every_rule_names_the_conda_env_and_a_log_and_has_a_one_line_message():
    """A message makes a job's header one line (Snakemake would list every input and output:
    up to 1000 paths); it starts with the rule's name and names the log."""
    for smk in [REPO / "Snakefile", *sorted((REPO / "rules").glob("*.smk"))]:
        text = smk.read_text()
        for rule in re.split(r"\n(?=rule \w+:)", text)[1:]:
            name = re.match(r"rule (\w+):", rule).group(1)
            # a plain string, or an f-string naming config values ({{rule}} is Snakemake's)
            found = re.search(r'\n    message:\n        (f?)"([^"\n]+)"\n', rule)
            assert found, f"rule {name}"
            fstring, message = found.groups()
            if fstring:
                message = message.replace("{{", "{").replace("}}", "}")
            else:  # Snakemake's names only: it fills a message with the main workflow's
                # globals, which in a module are not this workflow's
                names = {re.split(r"[.\[]", n)[0] for n in re.findall(r"\{([^{}]+)\}", message)}
                assert names <= JOB_NAMES, f"rule {name}: {names - JOB_NAMES}"
            assert message.startswith("{rule}: "), f"rule {name}"
            if "script:" in rule or "shell:" in rule:
                assert "conda:" in rule, f"{smk.name}: rule {name} has no conda env"
                assert "log:" in rule, f"{smk.name}: rule {name} has no log"
                assert "(log: {log})" in message or "log: {log})" in message


def schema_keys(schema: dict, prefix: str = "") -> dict[str, dict]:
    """Every leaf key of the config schema (``blocks.n``, ...) with its schema."""
    keys = {}
    for name, sub in schema.get("properties", {}).items():
        if sub.get("type") == "object":
            keys |= schema_keys(sub, f"{prefix}{name}.")
        else:
            keys[f"{prefix}{name}"] = sub
    return keys


def test_config_readme_describes_every_key_with_its_default():
    """config/README.md has one row per schema key (none missing, none stale), each with a
    meaning, and the default it shows is the value in config/config.yaml."""
    schema = yaml.safe_load((REPO / "config" / "schema" / "config.schema.yaml").read_text())
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    rows = re.findall(
        r"^\| `([a-z0-9_]+(?:\.[a-z0-9_]+)*)` \| (.+?) \| (.+?) \|$",
        (REPO / "config" / "README.md").read_text(),
        flags=re.M,
    )
    described = [key for key, _, _ in rows]
    assert sorted(described) == sorted(schema_keys(schema)), "config/README.md vs the schema"
    assert len(set(described)) == len(described), "a key described twice"
    for key, default, meaning in rows:
        assert len(meaning.split()) >= 3, key
        value = config
        for part in key.split("."):
            value = value[part]
        if value is None:
            assert default == "null", key
        elif isinstance(value, list):
            assert default.strip("`") == json.dumps(value), key
        elif isinstance(value, bool):
            assert default == str(value).lower(), key
        elif isinstance(value, (int, float)):
            assert default == str(value), key
        elif default.startswith("`"):
            assert default.strip("`") in (value, '""' if value == "" else value), key


# --- the workflow tier ---------------------------------------------------------------------------


def test_a_test_not_marked_workflow_cannot_start_snakemake(request, tmp_path):
    """conftest's helpers fail a test that is not marked ``workflow`` before they copy or run
    anything, naming the test and the marker (this test is not marked: both refuse)."""
    assert request.node.get_closest_marker("workflow") is None
    with pytest.raises(pytest.fail.Exception, match="not marked workflow") as info:
        run_snakemake(tmp_path, "-n")
    assert request.node.nodeid in str(info.value) and "@pytest.mark.workflow" in str(info.value)
    with pytest.raises(pytest.fail.Exception, match="not marked workflow"):
        copy_workflow(tmp_path / "wf")
    assert list(tmp_path.iterdir()) == []
    markers = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]
    registered = {m.split(":")[0] for m in markers["ini_options"]["markers"]}
    assert "workflow" in registered and "slow" not in registered


def test_snakemake_is_started_only_through_conftest():
    """No test module builds a ``python -m snakemake`` (or ``sda.rulerun``) command or runs a
    subprocess that names Snakemake itself, nor loads the workflow with mock_snakemake: each
    goes through conftest's helpers, whose guard keeps the fast tier free of Snakemake."""
    found = []
    for path in sorted((REPO / "tests").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            where = f"{path.name}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, (ast.List, ast.Tuple)):
                words = [e.value for e in node.elts if isinstance(e, ast.Constant)]
                if any(w == "-m" and m in ("snakemake", "sda.rulerun") for w, m in pairwise(words)):
                    found.append(f"{where}: builds a snakemake command")
            elif isinstance(node, ast.Call):
                call = ast.unparse(node.func)
                if call.startswith("subprocess.") and "snakemake" in ast.unparse(node).lower():
                    found.append(f"{where}: runs Snakemake with {call}")
            elif isinstance(node, ast.Name) and node.id == "mock_snakemake":
                found.append(f"{where}: loads the workflow with mock_snakemake")
    assert found == []


# --- versions, the workflow catalog, pre-commit --------------------------------------------


def test_the_version_has_one_place_and_the_changelog_a_section_for_it():
    from sda import __version__

    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "sda.__version__"}
    changelog = (REPO / "CHANGELOG.md").read_text()
    versions = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d\d-\d\d)$", changelog, re.M)
    assert len(versions) == len(re.findall(r"^## ", changelog, re.M))  # every section a version
    assert versions[0][0] == __version__
    numbers = [tuple(map(int, v.split("."))) for v, _ in versions]
    assert numbers == sorted(numbers, reverse=True)  # newest first
    dates = [d for _, d in versions]
    assert dates == sorted(dates, reverse=True)


def test_workflow_catalog_file_names_what_exists():
    catalog = yaml.safe_load((REPO / ".snakemake-workflow-catalog.yml").read_text())
    usage = catalog["usage"]
    assert set(usage) == {"mandatory-flags", "software-stack-deployment", "report"}
    assert set(usage["mandatory-flags"]) == {"desc", "flags"}
    stack = usage["software-stack-deployment"]
    assert stack == {"conda": True, "singularity": False, "singularity+conda": False}
    rules = [REPO / "Snakefile", *sorted((REPO / "rules").glob("*.smk"))]
    text = "\n".join(p.read_text() for p in rules)
    # conda: every rule's env exists; no container (singularity: false)
    envs = set(re.findall(r'\n    conda:\n        "([^"]+)"', text))
    assert envs == {"../envs/sda.yaml"} and (REPO / "envs" / "sda.yaml").is_file()
    assert not re.search(r"^\s*(container|singularity):", text, re.M)
    # report: true: every caption of Snakemake's report exists (relative to rules/)
    captions = re.findall(r'caption="([^"]+)"', text)
    assert len(captions) >= 10
    assert [c for c in captions if not (REPO / "rules" / c).is_file()] == []
    # the catalog's standard usage: config/config.yaml, config/README.md, documented commands
    assert (REPO / "config" / "config.yaml").is_file() and (REPO / "config" / "README.md").is_file()
    readme = (REPO / "README.md").read_text()
    assert "snakemake --cores N --sdm conda" in readme and "--report report.zip" in readme
    for flag in usage["mandatory-flags"]["flags"].split():
        assert flag.startswith("-")


def ci_linters() -> list[str]:
    """The linter commands of .ci/run: the lines after ``# Linters.`` up to a blank line."""
    lines = (REPO / ".ci" / "run").read_text().split("# Linters.\n", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in lines.splitlines() if line.strip()]


def test_pre_commit_hooks_are_cis_linters_with_the_pinned_tools():
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    (local,) = config["repos"]
    assert local["repo"] == "local"
    hooks = local["hooks"]
    assert [h["entry"] for h in hooks] == ci_linters()
    assert len(hooks) == 4
    for hook in hooks:  # the repository's own tools (requirements-dev.txt), on the whole tree
        assert hook["language"] == "system" and hook["pass_filenames"] is False
    dev = pins((REPO / "requirements-dev.txt").read_text().splitlines())
    tools = {h["entry"].split()[0] for h in hooks} - {"snakemake"}
    assert tools <= set(dev) and "pre-commit" in dev
    assert "snakemake" in pins((REPO / "requirements.txt").read_text().splitlines())
