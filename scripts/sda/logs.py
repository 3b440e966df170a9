"""Logging set-up for rule scripts: everything to the rule's log file and to stderr."""

from __future__ import annotations

import logging
import sys


def setup_logging(logfile: str | None = None, level: int = logging.INFO) -> logging.Logger:
    """Send log records to ``logfile`` (the rule's ``log[0]``) and to stderr."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if logfile:
        handlers.append(logging.FileHandler(logfile, mode="w"))
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    log = logging.getLogger("sda")

    def log_uncaught(exc_type, exc, tb):
        # The rule's log file then says why the job failed, not only Snakemake's stderr. A full
        # disk says all there is to say in its one line: no traceback around it.
        from sda.disk import DiskFullError

        info = None if issubclass(exc_type, DiskFullError) else (exc_type, exc, tb)
        log.error("%s: %s", exc_type.__name__, exc, exc_info=info)

    sys.excepthook = log_uncaught
    return log
