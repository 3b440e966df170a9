"""sda.measure.machine: the machine the benchmarks ran on, read from the system, and the line
the report shows under each chapter that measures."""

from __future__ import annotations

import json
import os

import psutil
from threadpoolctl import threadpool_info

from sda.measure.machine import cpu_model, mount_of, os_name, summary, write_machine
from sda.report.build import build_report
from sda.report.page import TEMPLATES, Page


def test_cpu_model_os_and_mount_are_read_from_their_files(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nvendor_id\t: X\nmodel name\t: Test CPU 9000\n")
    assert cpu_model(cpuinfo) == "Test CPU 9000"
    release = tmp_path / "os-release"
    release.write_text('NAME="Deb"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')
    assert os_name(release).startswith("Debian GNU/Linux 12 (bookworm), Linux ")
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/vda / ext4 rw 0 0\n/dev/vdb /work/data xfs rw 0 0\n"
        "tmpfs /work/data/scratch\\040space tmpfs rw 0 0\n"
    )
    assert mount_of("/work/data/results", mounts) == {
        "device": "/dev/vdb",
        "mount_point": "/work/data",
        "fs_type": "xfs",
    }
    assert mount_of("/work/database", mounts)["fs_type"] == "ext4"  # not /work/data's
    assert mount_of("/work/data/scratch space/x", mounts)["fs_type"] == "tmpfs"


def test_machine_json_holds_what_the_system_says(tmp_path):
    out = tmp_path / "bench" / "machine.json"
    out.parent.mkdir()
    facts = write_machine(out, tmp_path)
    assert json.loads(out.read_text()) == facts
    assert facts["cores_usable"] == len(os.sched_getaffinity(0))
    assert facts["cores_logical"] == psutil.cpu_count()
    assert facts["memory_bytes"] == psutil.virtual_memory().total
    disk = facts["results_disk"]
    assert disk["total_bytes"] == psutil.disk_usage(str(tmp_path)).total
    assert disk["fs_type"] and os.path.realpath(tmp_path).startswith(disk["mount_point"])
    blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
    assert [b["num_threads"] for b in facts["blas"]] == [b["num_threads"] for b in blas]
    line = summary(facts)
    assert f"{facts['cores_usable']} cores" in line and facts["python"] in line
    assert f"{facts['memory_bytes'] / 2**30:.1f} GiB" in line


def test_each_measuring_chapter_names_the_machine(tmp_path):
    machine = tmp_path / "machine.json"
    machine.write_text(json.dumps({"cpu_model": "Test CPU 9000", "cores_usable": 2}))
    out = tmp_path / "report.html"
    page = build_report(
        [], {"machine": machine}, out, tmp_path / "f", tmp_path / "tn.csv", {}, tmp_path
    )
    assert page.machine == "Test CPU 9000, 2 cores"
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "t.html.j2").write_text("<p>{{ text }}</p>")
    (templates / "page.html.j2").write_text((TEMPLATES / "page.html.j2").read_text())
    page = Page(root=tmp_path, figdir=tmp_path / "f", templates=templates)
    page.machine = "Test CPU 9000, 2 cores"
    page.section("t", "Timed", measures=True, text="timings")
    page.section("t", "Facts", text="facts")
    html = page.render("r")
    assert html.count("Measured on: Test CPU 9000, 2 cores") == 1
    assert html.index("Measured on") < html.index("timings") < html.index("facts")
