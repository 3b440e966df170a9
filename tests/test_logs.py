"""A rule script's logging: details to its log file, WARNING and above also to the terminal."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from conftest import REPO

SCRIPT = """\
import logging, subprocess, sys, warnings
sys.path.insert(0, {scripts!r})
from sda import logs
logs.ECHO = {echo}
log = logs.setup_logging({logfile!r})
log.info("step 1 of 2 done")
logging.getLogger("distributed.scheduler").info("scheduler chatter")
warnings.warn("a library's warning")
print("written to stderr", file=sys.stderr)
subprocess.run([sys.executable, "-c", "import sys; print('a worker process', file=sys.stderr)"])
log.warning("only 2 MB free")
raise ValueError("x000003.npy: not an npy file")
"""


def run(tmp_path, echo: bool):
    logfile = tmp_path / "rule.log"
    script = tmp_path / "script.py"
    script.write_text(SCRIPT.format(scripts=str(REPO / "scripts"), echo=echo, logfile=str(logfile)))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    return proc, logfile


def test_details_go_to_the_log_and_warnings_to_the_terminal(tmp_path):
    proc, logfile = run(tmp_path, echo=False)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"WARNING sda: only 2 MB free (log: {logfile})",
        f"ERROR sda: ValueError: x000003.npy: not an npy file (log: {logfile})",
    ]
    log = logfile.read_text()
    order = [
        "INFO sda: step 1 of 2 done",
        "INFO distributed.scheduler: scheduler chatter",
        "a library's warning",
        "written to stderr",
        "a worker process",
        "WARNING sda: only 2 MB free",
        "ERROR sda: ValueError: x000003.npy: not an npy file",
        "Traceback (most recent call last)",
    ]
    where = [log.index(text) for text in order]
    assert where == sorted(where), textwrap.shorten(log, 2000)


def test_run_by_hand_everything_is_also_on_the_terminal(tmp_path):
    """sda.rulerun sets ECHO: the terminal gets every line, and the log file still has them."""
    proc, logfile = run(tmp_path, echo=True)
    assert proc.returncode == 1
    for text in ("INFO sda: step 1 of 2 done", "a worker process", "WARNING sda: only 2 MB free"):
        assert text in proc.stderr
    assert "INFO sda: step 1 of 2 done" in logfile.read_text()
    assert "a worker process" not in logfile.read_text()  # stderr was left alone
