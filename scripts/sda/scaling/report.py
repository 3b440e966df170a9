"""The scaling run's plot, its targets, and what a report section about it needs.

Targets (reported, never asserted by tests): every step's peak RSS below 1 GiB at every size;
the time per GB at the largest size within 2x of the time per GB at the smallest for
``generate`` and ``summary`` (cold, most cores); and every step's GB/s as a fraction of
``dd``'s on the same disk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sda.diagnostics.show import watch  # noqa: E402
from sda.io import atomic_path, read_table  # noqa: E402
from sda.report.build import Chapter, Run  # noqa: E402
from sda.report.page import Page  # noqa: E402
from sda.scaling.run import GB, PER_GB_TARGET, RSS_TARGET, read_rows  # noqa: E402

# (step, cache) lines of the plot, and how each is drawn
LINES = {
    ("generate", "write"): "o-",
    ("summary", "cold"): "s-",
    ("means", "cold"): "^-",
    ("summary", "warm"): "s:",
    ("wordcount", "cold"): "D-",
}


def _series(rows: Sequence[Mapping], step: str, cache: str, cores: int | None = None):
    """(size bytes, wall s, peak RSS bytes) of one step, sorted by size."""
    out = [
        (int(r["size_bytes"]), float(r["wall_s"]), int(r["peak_rss_bytes"] or 0))
        for r in rows
        if r["step"] == step and r["cache"] == cache and (cores is None or int(r["cores"]) == cores)
    ]
    return sorted(out)


def most_cores(rows: Sequence[Mapping]) -> int:
    return max(int(r["cores"]) for r in rows)


def targets(rows: Sequence[Mapping]) -> list[dict]:
    """One line per target: what was measured and whether it was met."""
    blocks = [r for r in rows if r["step"] in ("generate", "summary", "means", "wordcount")]
    out = []
    if blocks:
        worst = max(blocks, key=lambda r: int(r["peak_rss_bytes"]))
        peak = int(worst["peak_rss_bytes"])
        out.append(
            {
                "target": "peak RSS of every step < 1 GiB",
                "measured": f"{peak / 2**20:.0f} MiB at most ({worst['step']}, {worst['cache']}, "
                f"{int(worst['size_bytes']) / GB:.3g} GB, {worst['cores']} cores)",
                "met": peak < RSS_TARGET,
            }
        )
    cores = most_cores(rows)
    for step, cache in (("generate", "write"), ("summary", "cold")):
        s = _series(rows, step, cache, cores)
        if len(s) < 2:
            continue
        (s0, t0, _), (s1, t1, _) = s[0], s[-1]
        ratio = (t1 / s1) / (t0 / s0)
        out.append(
            {
                "target": f"{step} ({cache}, {cores} cores): s/GB at {s1 / GB:.3g} GB within "
                f"{PER_GB_TARGET:g}x of s/GB at {s0 / GB:.3g} GB",
                "measured": f"{t0 / s0 * GB:.3g} -> {t1 / s1 * GB:.3g} s/GB (x{ratio:.2f})",
                "met": ratio <= PER_GB_TARGET,
            }
        )
    for r in rows:
        if (
            r["step"] in ("generate", "summary", "means")
            and r["cache"] != "warm"
            and int(r["cores"]) == cores
            and r is _largest(rows, r["step"], r["cache"])
        ):
            out.append(
                {
                    "target": f"{r['step']} ({r['cache']}) GB/s as a fraction of dd's",
                    "measured": f"{float(r['gb_per_s']):.3g} GB/s = {r['fraction_of_dd']} of dd "
                    f"at {int(r['size_bytes']) / GB:.3g} GB",
                    "met": None,
                }
            )
    return out


def _largest(rows: Sequence[Mapping], step: str, cache: str) -> Mapping | None:
    cores = most_cores(rows)
    same = [
        r for r in rows if r["step"] == step and r["cache"] == cache and int(r["cores"]) == cores
    ]
    return max(same, key=lambda r: int(r["size_bytes"]), default=None)


def figure(rows: Sequence[Mapping]):
    """Time against size (log-log) with the RAM size and a linear reference; peak RSS against
    size (which should stay flat) with the 1 GiB target."""
    ram = int(rows[0]["ram_bytes"])
    cores = most_cores(rows)
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(13, 5.2))
    for (step, cache), style in LINES.items():
        for c in sorted({int(r["cores"]) for r in rows if r["step"] == step}):
            s = _series(rows, step, cache, c)
            if not s:
                continue
            x = [a / GB for a, _, _ in s]
            label = f"{step} {cache}, {c} core{'s' if c > 1 else ''}"
            alpha = 1.0 if c == cores else 0.45
            ax_t.plot(x, [t for _, t, _ in s], style, label=label, alpha=alpha)
            ax_m.plot(x, [m / 2**20 for _, _, m in s], style, label=label, alpha=alpha)
    ref = _series(rows, "generate", "write", cores)
    if ref:
        (s0, t0, _), s1 = ref[0], ref[-1][0]
        ax_t.plot(
            [s0 / GB, s1 / GB],
            [t0, t0 * s1 / s0],
            color="grey",
            ls="--",
            lw=1,
            label="linear in size (from generate's first point)",
        )
    sizes = sorted({int(r["size_bytes"]) for r in rows if r["step"] in ("generate", "wordcount")})
    dd_read = float(rows[0]["dd_read_gb_per_s"])
    if sizes and dd_read > 0:
        ax_t.plot(
            [sizes[0] / GB, sizes[-1] / GB],
            [sizes[0] / GB / dd_read, sizes[-1] / GB / dd_read],
            color="black",
            ls=":",
            lw=1,
            label=f"dd read ({dd_read:.3g} GB/s)",
        )
    for ax in (ax_t, ax_m):
        ax.axvline(ram / GB, color="red", lw=1.2, label=f"RAM ({ram / GB:.1f} GB)")
        ax.set_xscale("log")
        ax.set_xlabel("data size (GB)")
        ax.grid(True, which="both", alpha=0.3)
    ax_t.set_yscale("log")
    ax_t.set_ylabel("wall time (s)")
    ax_t.set_title("time against size (reads cold unless marked warm)")
    ax_m.axhline(RSS_TARGET / 2**20, color="black", ls=":", lw=1, label="1 GiB target")
    ax_m.set_ylim(0, max(RSS_TARGET / 2**20 * 1.1, ax_m.get_ylim()[1]))
    ax_m.set_ylabel("peak RSS of the step (MiB)")
    ax_m.set_title("peak memory against size")
    ax_t.legend(fontsize=7, loc="best")
    ax_m.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig


def plot(rows: Sequence[Mapping], png: str | Path) -> None:
    """:func:`figure`, saved as ``png``."""
    fig = figure(rows)
    with atomic_path(png, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)


SHOWN = [
    "step",
    "cache",
    "blocks",
    "copies",
    "cores",
    "size_bytes",
    "wall_s",
    "peak_rss_bytes",
    "gb_per_s",
    "fraction_of_dd",
    "exceeds_ram",
    "evicted",
]
MET = {True: "met", False: "not met", None: "reported"}


def build(page: Page, run: Run) -> dict | None:
    """The scaling run (``snakemake --cores N scaling``), once it has been made: its rows, the
    targets and the plot; no chapter otherwise (it is never part of the default run)."""
    csv, png = run.path("scaling_csv"), run.path("scaling_png")
    if csv is None or not csv.exists():
        return None
    found = report_section(csv, png)
    frame = read_table(csv, ["step", "cache", "cores"], ["size_bytes", "wall_s"])
    return {
        "plot": page.file_image(png, "scaling", "time and peak memory against size")
        if found["png"]
        else None,
        "targets": [(t["target"], t["measured"], MET[t["met"]]) for t in found["targets"]],
        "steps": page.table(
            frame, csv, "Every step at every size", columns=[c for c in SHOWN if c in frame]
        ),
        "source": page.source("scaling_csv", csv),
        "dask": watch(
            page,
            run,
            "scaling",
            "the largest size's blocks, read cold",
            ram_bytes=float(frame["ram_bytes"].iloc[0]) if "ram_bytes" in frame else None,
        ),
    }


CHAPTER = Chapter("scaling", "Scaling: cost against size, across the RAM line", build)


def report_section(csv_path: str | Path, png_path: str | Path | None) -> dict | None:
    """What a report section needs: the table rows (the CSV as dicts), the targets and the PNG
    path; None when the scaling run has not been made."""
    if not Path(csv_path).exists():
        return None
    rows = read_rows(csv_path)
    return {
        "rows": rows,
        "fields": list(rows[0]) if rows else [],
        "targets": targets(rows),
        "png": str(png_path) if png_path is not None and Path(png_path).exists() else None,
    }
