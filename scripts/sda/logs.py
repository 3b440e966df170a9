"""Logging set-up for rule scripts: details to the rule's log file, warnings also to the terminal.

Snakemake's terminal is shared by every job running at once and is for its own job lines. A
rule script therefore logs INFO and above (progress included) to its ``log[0]``, where
``tail -f logs/<rule>.log`` follows it, and only WARNING and above also to the terminal, one
line each, naming the log file. Everything else the job's process writes to its stderr is
redirected into the log file too, at the file descriptor: Python warnings, libraries that log
on their own (distributed's scheduler, nannies and workers), and the worker processes it
starts, which inherit the descriptor.

``python -m sda.rulerun`` runs a script by hand in the user's own process: there
:data:`ECHO` is set and everything is also shown on the terminal, nothing redirected.
"""

from __future__ import annotations

import logging
import os
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Set by sda.rulerun: log to the terminal as well, leave the process's stderr alone.
ECHO = False


class OneLine(logging.Formatter):
    """A record as one line for the terminal: no traceback (the log file has it, and Snakemake
    prints the log of a failed job), and where to read more."""

    def __init__(self, logfile: str):
        super().__init__("%(levelname)s %(name)s: %(message)s")
        self.logfile = logfile

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        first = (self.formatMessage(record).splitlines() or [""])[0]  # never the traceback
        return f"{first} (log: {self.logfile})"


def _to_log_file(logfile: str):
    """Open ``logfile`` and make it this process's stderr (descriptor 2); return the log file
    and a stream to the terminal (the stderr it replaced)."""
    log = open(logfile, "w", buffering=1, encoding="utf-8")  # noqa: SIM115 (lives with the process)
    sys.stderr.flush()
    terminal = os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8", errors="replace")
    os.dup2(log.fileno(), 2)  # shares the file's offset: writes of both land in order
    return log, terminal


def setup_logging(logfile: str | None = None, level: int = logging.INFO) -> logging.Logger:
    """Log ``level`` and above to ``logfile`` (the rule's ``log[0]``), with this process's
    stderr, and WARNING and above also to the terminal; without a ``logfile`` (or with
    :data:`ECHO`) everything goes to stderr (and to ``logfile`` if given)."""
    if logfile and not ECHO:
        log_file, terminal = _to_log_file(logfile)
        detail = logging.StreamHandler(log_file)
        detail.setFormatter(logging.Formatter(FORMAT))
        warnings = logging.StreamHandler(terminal)
        warnings.setLevel(logging.WARNING)
        warnings.setFormatter(OneLine(logfile))
        handlers: list[logging.Handler] = [detail, warnings]
    else:
        handlers = [logging.StreamHandler(sys.stderr)]
        if logfile:
            handlers.append(logging.FileHandler(logfile, mode="w"))
        for handler in handlers:
            handler.setFormatter(logging.Formatter(FORMAT))
    logging.basicConfig(level=level, handlers=handlers, force=True)
    log = logging.getLogger("sda")

    def log_uncaught(exc_type, exc, tb):
        # The rule's log file then says why the job failed, not only Snakemake's stderr. A full
        # disk says all there is to say in its one line: no traceback around it.
        from sda.disk import DiskFullError

        info = None if issubclass(exc_type, DiskFullError) else (exc_type, exc, tb)
        log.error("%s: %s", exc_type.__name__, exc, exc_info=info)

    sys.excepthook = log_uncaught
    return log
