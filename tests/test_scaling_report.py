"""sda.scaling.report: the targets judged from the rows, the plot and the report's section."""

from __future__ import annotations

from sda.measure.rows import write_rows
from sda.scaling.report import plot, report_section, targets
from sda.scaling.run import FIELDS


def row(step, cache, size, wall, rss, cores=2, **extra):
    r = dict.fromkeys(FIELDS, "")
    r.update(
        step=step,
        cache=cache,
        size_bytes=size,
        wall_s=wall,
        peak_rss_bytes=rss,
        cores=cores,
        gb_per_s=size / wall / 1e9,
        ram_bytes=24 * 10**9,
        dd_read_gb_per_s=0.5,
        dd_write_gb_per_s=0.2,
        fraction_of_dd=0.5,
        **extra,
    )
    return r


ROWS = [
    row("generate", "write", 10**9, 5.0, 200 * 2**20),
    row("generate", "write", 32 * 10**9, 240.0, 210 * 2**20),
    row("summary", "cold", 10**9, 2.0, 300 * 2**20),
    row("summary", "cold", 32 * 10**9, 200.0, 1100 * 2**20),
    row("summary", "cold", 32 * 10**9, 100.0, 300 * 2**20, cores=1),
]


def test_targets_from_rows():
    t = {
        x["target"].split(" ")[0] + (" rss" if "RSS" in x["target"] else ""): x
        for x in targets(ROWS)
    }
    assert t["peak rss"]["met"] is False and "1100 MiB" in t["peak rss"]["measured"]
    assert "summary, cold, 32 GB, 2 cores" in t["peak rss"]["measured"]
    generate = next(x for x in targets(ROWS) if x["target"].startswith("generate (write"))
    assert generate["met"] is True and "(x1.50)" in generate["measured"]  # 7.5 s/GB vs 5 s/GB
    summary = next(x for x in targets(ROWS) if x["target"].startswith("summary (cold"))
    assert summary["met"] is False and "(x3.12)" in summary["measured"]  # 6.25 vs 2 s/GB


def test_plot_and_report_section(tmp_path):
    csv_path, png = tmp_path / "scaling.csv", tmp_path / "scaling.png"
    assert report_section(csv_path, png) is None
    write_rows(csv_path, ROWS, FIELDS)
    plot(ROWS, png)
    import matplotlib.image

    image = matplotlib.image.imread(png)
    assert image.shape[1] > 2 * image.shape[0] * 0.9  # two panels side by side
    section = report_section(csv_path, png)
    assert section["png"] == str(png) and len(section["rows"]) == len(ROWS)
    assert section["rows"][3]["peak_rss_bytes"] == str(1100 * 2**20)
    assert section["fields"] == FIELDS
    assert [x["target"] for x in section["targets"]] == [x["target"] for x in targets(ROWS)]
    assert not list(tmp_path.glob(".*"))  # no temporary file left
