"""Versions of the engines, as the benchmark's rows show them."""

from __future__ import annotations

import importlib.metadata
import sqlite3


def version(package: str) -> str:
    """The installed version of a distribution (``"?"`` when it is not installed)."""
    if package == "sqlite":
        return sqlite3.sqlite_version
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def versions(*packages: str) -> str:
    """``"name version"`` of each package, comma separated: ``"ibis-framework 12.0.0, duckdb
    2.0.1"``."""
    return ", ".join(f"{p} {version(p)}" for p in packages)
