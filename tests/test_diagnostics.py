"""sda.diagnostics: what dask did while a computation ran, recorded on real schedulers (threads,
a real LocalCluster) over real files, read back checked, and summarised as the report says it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import dask
import numpy as np
import pandas as pd
import pytest

from sda.diagnostics.read import Record, read_record
from sda.diagnostics.record import (
    RESOURCE_FIELDS,
    TASK_FIELDS,
    distributed_tasks,
    record_paths,
    recorded_scheduler,
    recording,
    self_contained,
)
from sda.diagnostics.sample import Sampler, process_probe
from sda.diagnostics.show import bytes_ticks, summary
from sda.io import InputError
from sda.scheduler import dask_scheduler, is_distributed, worker_slots

SLEEP_S = 0.05


def outputs(folder: Path, distributed: bool = False) -> dict[str, Path]:
    return {k: Path(v) for k, v in record_paths(folder, distributed).items()}


def slow_inc(x):
    time.sleep(SLEEP_S)
    return x + 1


def allocate(n_bytes):
    a = np.ones(n_bytes // 8)
    time.sleep(0.3)  # long enough for a sample to see it
    return float(a.sum())


def add_all(*xs):
    return sum(xs)


def _graph(n: int):
    parts = [dask.delayed(slow_inc, name=f"slow_inc-{i}")(i) for i in range(n)]
    return dask.delayed(add_all, name="add_all-0")(*parts)


def test_threads_record_every_task_on_its_thread_and_memory_over_time(tmp_path):
    files = []
    for i in range(3):
        np.save(tmp_path / f"b{i}.npy", np.zeros((100, 100)))
        files.append(tmp_path / f"b{i}.npy")
    paths = outputs(tmp_path / "diag")
    n = 12
    big = 200 * 2**20
    with recorded_scheduler("threads", paths, files, workers=2):
        total = _graph(n).compute()
        dask.delayed(allocate)(big).compute()
    assert total == sum(range(1, n + 1))

    record = read_record(paths)
    tasks = record.tasks
    # every task once, under its key's name (the prefix dask's dashboard colours by)
    assert Counter(tasks["prefix"]) == Counter({"slow_inc": n, "add_all": 1, "allocate": 1})
    assert set(tasks["worker"]) <= {"thread 0", "thread 1"}
    assert (tasks["end_s"] >= tasks["start_s"]).all() and (tasks["start_s"] >= 0).all()
    assert (tasks.loc[tasks["prefix"] == "slow_inc", "end_s"] - tasks["start_s"]).min() >= (
        SLEEP_S * 0.9
    )
    # the sum starts only after every input ended
    add = tasks[tasks["prefix"] == "add_all"].iloc[0]
    assert add["start_s"] >= tasks.loc[tasks["prefix"] == "slow_inc", "end_s"].max() - 1e-6
    # two threads ran the twelve 50 ms tasks side by side: about half the serial time
    incs = tasks[tasks["prefix"] == "slow_inc"]
    assert incs["end_s"].max() - incs["start_s"].min() < n * SLEEP_S * 0.8

    info = json.loads(paths["record"].read_text())
    assert info["data_bytes"] == sum(f.stat().st_size for f in files)
    assert info["tasks"] == n + 2 and info["workers"] == 2 and info["scheduler"] == "threads"
    assert list(pd.read_csv(paths["resources"]).columns) == list(RESOURCE_FIELDS)
    assert list(pd.read_csv(paths["tasks"]).columns) == list(TASK_FIELDS)

    res = record.resources
    assert res["time_s"].iloc[0] == 0 and res["time_s"].is_monotonic_increasing
    assert res["time_s"].iloc[-1] == pytest.approx(info["wall_s"], abs=0.05)
    assert np.diff(res["time_s"]).max() < 0.3  # sampled every 0.1 s, give or take the GIL
    # the 200 MiB array shows in the samples taken while it was alive
    assert res["memory_bytes"].max() - res["memory_bytes"].iloc[0] > 0.7 * big
    assert res["cpu_percent"].iloc[1:].notna().all()
    # busy: the tasks' seconds over the threads' seconds, computed again here
    work = (tasks["end_s"] - tasks["start_s"]).sum()
    assert record.busy == pytest.approx(work / (2 * info["wall_s"]))


def test_without_diagnostics_outputs_nothing_is_recorded(tmp_path):
    with dask_scheduler("threads", workers=2) as client, recording({}, client, "threads", 2):
        assert _graph(2).compute() == 3
    assert list(tmp_path.iterdir()) == []


def test_a_local_cluster_records_worker_tasks_and_a_self_contained_dask_report(tmp_path):
    paths = outputs(tmp_path, distributed=True)
    with (
        dask_scheduler("local-cluster", workers=2, memory_mb=2048) as client,
        recording(paths, client, "local-cluster", 2),
    ):
        assert _graph(8).compute() == sum(range(1, 9))
    record = read_record(paths)
    assert Counter(record.tasks["prefix"]) == Counter({"slow_inc": 8, "add_all": 1})
    assert set(record.tasks["worker"]) <= {"worker 0", "worker 1"}
    assert record.resources["memory_bytes"].notna().all()
    # the workers' memory: two Python processes with dask imported
    assert record.peak_bytes > 2 * 30 * 2**20
    html = paths["dask_report"].read_text()
    assert "Bokeh" in html and len(html) > 500_000  # the JavaScript is in the file
    assert not re.search(r"<script[^>]+src=[\"']https?:", html, re.I)
    assert not re.search(r"<link[^>]+href=[\"']https?:", html, re.I)
    assert not list(tmp_path.glob(".*"))  # no temporary file left


def test_the_performance_reports_remote_icon_is_dropped():
    page = '<head>\n<link rel="shortcut icon" href="https://docs.dask.org/x.ico" />\n<title>'
    assert self_contained(page) == "<head>\n<title>"
    local = '<link rel="stylesheet" href="style.css">'
    assert self_contained(local) == local


def test_distributed_task_stream_rows():
    stream = [
        {"key": ("sum-0dfad1d4a79b21b8b850fc1f64e3d29e", 1), "worker": "tcp://b:2", "thread": 7,
         "startstops": ({"action": "transfer", "start": 99.0, "stop": 100.5},
                        {"action": "compute", "start": 101.0, "stop": 102.0})},
        {"key": ("chunk-0dfad1d4a79b21b8b850fc1f64e3d29e", 0), "worker": "tcp://a:1", "thread": 5,
         "startstops": ({"action": "compute", "start": 100.0, "stop": 100.5},)},
        {"key": ("chunk-0dfad1d4a79b21b8b850fc1f64e3d29e", 2), "worker": "tcp://a:1", "thread": 6,
         "startstops": ({"action": "compute", "start": 100.2, "stop": 100.9},)},
    ]  # fmt: skip
    rows = distributed_tasks(stream, t0=100.0)
    assert [(t.prefix, t.worker, t.start_s, t.end_s) for t in rows] == [
        ("chunk", "worker 0", 0.0, 0.5),
        ("chunk", "worker 0.1", pytest.approx(0.2), pytest.approx(0.9)),
        ("sum", "worker 1", 1.0, 2.0),
    ]


def test_a_process_that_is_gone_leaves_empty_rows_and_one_warning(caplog):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    sampler = Sampler(process_probe(proc.pid), interval=0.02)
    with caplog.at_level(logging.WARNING, logger="sda.diagnostics.sample"):
        sampler.start()
        time.sleep(0.15)
        samples = sampler.stop()
    assert len(samples) >= 3
    assert all(s.memory_bytes is None and s.cpu_percent is None for s in samples)
    assert sampler.failures == len(samples)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "cannot read memory" in warnings[0].getMessage()


def test_unread_samples_are_written_as_empty_cells(tmp_path, monkeypatch):
    """A record whose sampler failed is still a record the report reads (memory unknown)."""
    import sda.diagnostics.record as record_module

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    monkeypatch.setattr(record_module, "process_probe", lambda **_: process_probe(gone.pid))
    paths = outputs(tmp_path)
    with dask_scheduler("sync") as client, recording(paths, client, "sync", 1):
        assert _graph(2).compute() == 3
    text = paths["resources"].read_text().splitlines()
    assert all(line.endswith(",,") for line in text[1:])
    record = read_record(paths)
    assert record.info["unread_samples"] == len(text) - 1
    assert np.isnan(record.peak_bytes) and summary(record)["fraction"] is None


# --- reading back ---------------------------------------------------------------------------


@pytest.fixture
def recorded(tmp_path) -> dict[str, Path]:
    paths = outputs(tmp_path)
    with dask_scheduler("threads", workers=2) as client, recording(paths, client, "threads", 2):
        _graph(4).compute()
    return paths


@pytest.mark.parametrize(
    "kind, text, message",
    [
        (
            "tasks",
            "prefix,worker,start_s,end_s\ns,thread 0,0,0.1\ns,thread 1,0.1,\n",
            "a task without",
        ),
        ("tasks", "prefix,worker,start_s,end_s\nslow_inc,thread 0,0.5,0.2\n", "line 2"),
        ("tasks", "prefix,worker,begin\n", "no column"),
        ("resources", "time_s,memory_bytes,cpu_percent\n0.0,abc,1\n", "not numbers"),
        ("resources", "time_s,memory_bytes,cpu_percent\n-1,5,1\n", "empty or negative"),
        ("record", '{"scheduler": "threads"}', "no key"),
        ("record", "{not json", "not a readable JSON"),
    ],
)
def test_a_corrupt_record_names_its_file(recorded, kind, text, message):
    recorded[kind].write_text(text)
    with pytest.raises(InputError, match=message) as err:
        read_record(recorded)
    assert str(recorded[kind]) in str(err.value)


def test_a_task_stream_cut_short_is_caught(recorded):
    lines = recorded["tasks"].read_text().splitlines()
    recorded["tasks"].write_text("\n".join(lines[:-2]) + "\n")
    with pytest.raises(InputError, match="a file cut short") as err:
        read_record(recorded)
    assert str(recorded["tasks"]) in str(err.value)


def test_the_summary_is_computed_from_the_rows():
    resources = pd.DataFrame(
        {
            "time_s": [0, 0.1, 0.2, 0.3],
            "memory_bytes": [50e6, 120e6, 90e6, np.nan],
            "cpu_percent": [np.nan, 150, 190, 100],
        }
    )
    tasks = pd.DataFrame(
        {
            "prefix": ["chunk", "chunk", "chunk", "sum"],
            "worker": ["thread 1", "thread 0"] * 2,
            "start_s": [0.0, 0.0, 0.1, 0.25],
            "end_s": [0.1, 0.2, 0.2, 0.3],
        }
    )
    info = {"scheduler": "threads", "workers": 2, "data_bytes": 8e9, "wall_s": 0.4, "tasks": 4}
    s = summary(Record(resources, tasks, info, {}))
    assert s["peak"] == 120e6 and s["fraction"] == pytest.approx(120e6 / 8e9)
    assert s["busy"] == pytest.approx((0.1 + 0.2 + 0.1 + 0.05) / (2 * 0.4))
    assert s["top"] == "chunk" and s["top_share"] == pytest.approx(0.4 / 0.45)
    assert s["slots"] == 2 and s["kinds"] == "threads" and s["tasks"] == 4


def test_memory_ticks_are_round_binary_sizes():
    assert bytes_ticks(30 * 2**20, 25 * 2**30) == [100 * 2**20, 2**30, 10 * 2**30]
    many = bytes_ticks(2**10, 2**42)
    assert len(many) <= 6 and many[0] == 2**10


def test_schedulers_that_get_a_performance_report():
    assert [is_distributed(s) for s in ("threads", "processes", "sync")] == [False] * 3
    assert is_distributed("local-cluster") and is_distributed("tcp://10.0.0.1:8786")
    assert is_distributed({"name": "slurm", "jobs": 2, "cores": 4})
    assert worker_slots("sync", 8) == 1 and worker_slots("threads", 3) == 3
    assert worker_slots({"name": "slurm", "jobs": 2, "cores": 4}, 1) == 8
    assert worker_slots("tcp://10.0.0.1:8786", 4) == 0


def test_the_overhead_benchmark_reports_medians_and_the_ratio(tmp_path):
    from sda.diagnostics.overhead import recording_times, rule_times, summary_rows

    (tmp_path / "benchmarks" / "generate_blocks").mkdir(parents=True)
    head = "s\th:m:s\tmax_rss\tcpu_time\trule_name\n"
    for name, rule, s, cpu in (
        ("array_summary.tsv", "array_summary", 2.5, 3.5),
        ("text_counts.tsv", "text_counts", 4.0, 5.0),
        ("generate_blocks/00000.tsv", "generate_blocks", 10.0, 9.0),
        ("generate_blocks/00100.tsv", "generate_blocks", 12.0, 11.0),
    ):
        (tmp_path / "benchmarks" / name).write_text(f"{head}{s}\t0:00:02\t100\t{cpu}\t{rule}\n")
    times = rule_times(tmp_path)
    assert times["generate_blocks"] == (22.0, 20.0)  # a rule's jobs summed
    assert recording_times(times) == (6.5, 8.5)  # the recording rules only
    rows = [
        {"run": 0, "diagnostics": True, "order": 0, "seconds": 100.0, "rules_s": 40.0, "rules_cpu_s": 30.0},
        {"run": 0, "diagnostics": False, "order": 1, "seconds": 98.0, "rules_s": 39.0, "rules_cpu_s": 30.0},
        {"run": 1, "diagnostics": False, "order": 0, "seconds": 96.0, "rules_s": 38.0, "rules_cpu_s": 28.0},
        {"run": 1, "diagnostics": True, "order": 1, "seconds": 99.0, "rules_s": 41.0, "rules_cpu_s": 29.0},
    ]  # fmt: skip
    medians = summary_rows(rows)
    assert [m["seconds"] for m in medians] == [99.5, 97.0, round(99.5 / 97.0, 4)]
    assert medians[-1]["rules_s"] == round(40.5 / 38.5, 4)
    assert medians[-1]["rules_cpu_s"] == round(29.5 / 29.0, 4)


def test_the_processes_scheduler_records_the_process_of_each_task(tmp_path):
    paths = outputs(tmp_path)
    with (
        dask_scheduler("processes", workers=2) as client,
        recording(paths, client, "processes", 2),
    ):
        assert _graph(4).compute() == sum(range(1, 5))
    record = read_record(paths)
    assert set(record.tasks["worker"]) <= {"process 0", "process 1"}
    assert summary(record)["kinds"] == "processes" and summary(record)["kind"] == "process"
    assert record.info["scheduler"] == "processes" and record.info["workers"] == min(
        2, len(os.sched_getaffinity(0))
    )


def test_a_chapter_links_the_records_and_dasks_own_report(recorded, tmp_path):
    """``watch`` builds what a chapter shows from the report's inputs: the figure, the
    sentence's numbers, and links to the records and (distributed) dask's report."""
    from sda.diagnostics.show import input_key, watch
    from sda.report.build import Run
    from sda.report.lesson import read_lesson
    from sda.report.page import Page

    dask_report = tmp_path / "dask-report.html"
    dask_report.write_text("<html></html>")
    inputs = {input_key("array_summary", k): p for k, p in recorded.items()}
    inputs[input_key("array_summary", "dask_report")] = dask_report
    page = Page(root=tmp_path, figdir=tmp_path / "report" / "figures")
    run = Run(inputs, {}, read_lesson(), tmp_path)
    d = watch(page, run, "array_summary", "every npy block")
    record = read_record(recorded)
    assert d["peak"] == record.peak_bytes and d["tasks"] == 5 and d["kinds"] == "threads"
    assert (tmp_path / "report" / "figures" / "dask_array_summary.png").is_file()
    html = page.env.from_string(
        '{% from "macros.html.j2" import dask_at_work %}{{ dask_at_work(d) }}'
    ).render(d=d)
    assert 'href="../dask-report.html">performance report</a>' in html
    assert 'href="../resources.csv"' in html and 'href="../tasks.csv"' in html
    assert f"({d['tasks']} tasks" in html
    assert watch(page, Run({}, {}, read_lesson(), tmp_path), "text_counts", "x") is None
