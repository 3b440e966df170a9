"""Reading a rule's diagnostics back (:mod:`sda.diagnostics.record` wrote them), checked, and
what the report says of them.

A file that is missing, not a table of the expected columns, or holds values that are not
numbers, negative times or a task that ends before it starts raises
:class:`sda.io.InputError` naming the file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sda.diagnostics.record import RECORD_KEYS, RESOURCE_FIELDS, TASK_FIELDS
from sda.io import InputError, read_json, read_table


@dataclass(frozen=True)
class Record:
    """One rule's diagnostics: its samples, its task stream and what it computed over."""

    resources: pd.DataFrame  # time_s, memory_bytes, cpu_percent (NaN: not read)
    tasks: pd.DataFrame  # prefix, worker, start_s, end_s
    info: Mapping  # run.json
    paths: Mapping[str, Path]

    @property
    def wall_s(self) -> float:
        return float(self.info["wall_s"])

    @property
    def data_bytes(self) -> int:
        return int(self.info["data_bytes"])

    @property
    def peak_bytes(self) -> float:
        """The largest memory sampled (NaN if none could be read)."""
        return float(self.resources["memory_bytes"].max())

    @property
    def workers(self) -> list[str]:
        """The threads or workers that ran tasks, in their order (``thread 0``, ``thread 1``)."""
        names = self.tasks["worker"].drop_duplicates().tolist()
        return sorted(names, key=_natural)

    @property
    def slots(self) -> int:
        """Threads or workers the computation had: the scheduler's, or those seen if more."""
        return max(int(self.info["workers"]), len(self.workers), 1)

    @property
    def busy(self) -> float:
        """Fraction of the threads' time (slots x wall time) spent running tasks."""
        span = self.slots * self.wall_s
        work = float((self.tasks["end_s"] - self.tasks["start_s"]).sum())
        return min(1.0, work / span) if span > 0 else math.nan

    def prefix_seconds(self) -> pd.Series:
        """Seconds of task time per key prefix, largest first (ties by name)."""
        seconds = (self.tasks["end_s"] - self.tasks["start_s"]).groupby(self.tasks["prefix"]).sum()
        return seconds.sort_index().sort_values(ascending=False, kind="stable")


def _natural(name: str) -> tuple:
    head, _, tail = name.rpartition(" ")
    parts = tuple(int(p) if p.isdigit() else p for p in tail.split("."))
    return (head, *parts)


def read_record(paths: Mapping[str, str | Path]) -> Record:
    """The diagnostics at ``paths`` (``resources``, ``tasks``, ``record``), checked."""
    paths = {k: Path(v) for k, v in paths.items()}
    info = read_json(paths["record"], RECORD_KEYS)
    for key in ("workers", "data_bytes", "wall_s", "tasks"):
        value = info[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise InputError(f"{paths['record']}: {key} is {value!r}, not a number >= 0")
    resources = read_table(paths["resources"], numeric=RESOURCE_FIELDS)
    tasks = read_table(
        paths["tasks"],
        columns=("prefix", "worker"),
        numeric=TASK_FIELDS[2:],
        dtype={"prefix": str, "worker": str},
        keep_default_na=False,
        na_values={"start_s": [""], "end_s": [""]},
    )
    if resources["time_s"].isna().any() or (resources["time_s"] < 0).any():
        raise InputError(f"{paths['resources']}: a time_s that is empty or negative")
    if ((resources["memory_bytes"] < 0) | (resources["cpu_percent"] < 0)).any():
        raise InputError(f"{paths['resources']}: a negative memory_bytes or cpu_percent")
    bad = tasks[
        tasks[["start_s", "end_s"]].isna().any(axis=1) | (tasks["end_s"] < tasks["start_s"])
    ]
    if len(bad):
        raise InputError(
            f"{paths['tasks']}: line {bad.index[0] + 2}: a task without a start and an end "
            "at or after it"
        )
    if len(tasks) != info["tasks"]:
        raise InputError(
            f"{paths['tasks']}: {len(tasks)} tasks, but {paths['record'].name} counts "
            f"{info['tasks']} (a file cut short?)"
        )
    return Record(resources, tasks, info, paths)
