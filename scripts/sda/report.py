"""The one-page HTML report: every result of the workflow, read from its file, plotted.

Each section is built from result files only (no number is typed in): tables carry the path of
the file they show in ``data-source`` and each cell its column in ``data-col``, so a test can
check every number against its source. Figures are PNGs written under ``figures/`` and embedded
in the page as data URIs: the HTML is one self-contained file with no network fetches.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import math
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from sda.io import InputError, atomic_write, read_json, read_table  # noqa: E402

PACKAGES = (
    "snakemake",
    "numpy",
    "h5py",
    "zarr",
    "dask",
    "distributed",
    "pandas",
    "pyarrow",
    "matplotlib",
    "networkx",
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")


def fmt(value) -> str:
    """How a number is shown: integers as they are, other numbers to 6 significant digits."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int) or (hasattr(value, "dtype") and value.dtype.kind in "iu"):
        return str(int(value))
    if isinstance(value, float) or (hasattr(value, "dtype") and value.dtype.kind == "f"):
        x = float(value)
        if math.isnan(x):
            return ""
        if x.is_integer() and abs(x) < 1e15:
            return str(int(x))
        return f"{x:.6g}"
    return str(value)


@dataclass
class Page:
    """The report under construction: sections of HTML and the figures they embed."""

    root: Path  # the workflow's working directory; sources are shown relative to it
    figdir: Path
    sections: list[str] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    nav: list[tuple[str, str]] = field(default_factory=list)  # (anchor, title) per section
    notes: list[str] = field(default_factory=list)  # lines (HTML) shown above the sections

    def rel(self, path: Path) -> str:
        path = Path(path)
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()

    def table(
        self,
        frame: pd.DataFrame,
        source: Path,
        caption: str = "",
        max_rows: int | None = None,
        columns: Sequence[str] | None = None,
    ) -> str:
        """An HTML table of ``frame`` (read from ``source``), numbers formatted by :func:`fmt`."""
        shown = frame if columns is None else frame[list(columns)]
        total = len(shown)
        if max_rows is not None:
            shown = shown.head(max_rows)
        src = self.rel(source)
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
        body = []
        for _, row in shown.iterrows():
            cells = "".join(
                f'<td data-col="{html.escape(str(c))}">{html.escape(fmt(v))}</td>'
                for c, v in row.items()
            )
            body.append(f"<tr>{cells}</tr>")
        more = f" (first {len(shown)} of {total} rows)" if len(shown) < total else ""
        cap = f"<caption>{html.escape(caption)}{more} <code>{html.escape(src)}</code></caption>"
        return (
            f'<table data-source="{html.escape(src)}">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>"
        )

    def json_table(self, source: Path, caption: str = "") -> str:
        """The scalar entries of a JSON object as a one-row table."""
        data = read_json(source)
        row = {k: v for k, v in data.items() if isinstance(v, (int, float, str, bool))}
        return self.table(pd.DataFrame([row]), source, caption)

    def file_image(self, source: Path, name: str, alt: str) -> str:
        """Embed an image the workflow made (and copy it to figures/<name>.png)."""
        data = Path(source).read_bytes()
        if not data.startswith(PNG_SIGNATURE):
            raise InputError(f"{source}: not a PNG image")
        return self.embed_png(data, name, alt)

    def figure(self, fig, name: str, alt: str) -> str:
        """Save ``fig`` as figures/<name>.png and return an <img> embedding it."""
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
        plt.close(fig)
        return self.embed_png(buf.getvalue(), name, alt)

    def embed_png(self, data: bytes, name: str, alt: str) -> str:
        """Write ``data`` as figures/<name>.png and return an <img> embedding it."""
        path = self.figdir / f"{name}.png"
        with atomic_write(path) as fh:
            fh.write(data)
        self.figures.append(path)
        return self.image(data, alt, name)

    def image(self, data: bytes, alt: str, name: str, mime: str = "image/png") -> str:
        b64 = base64.b64encode(data).decode("ascii")
        return (
            f'<figure><img data-figure="{html.escape(name)}" alt="{html.escape(alt)}" '
            f'src="data:{mime};base64,{b64}"><figcaption>{html.escape(alt)}</figcaption></figure>'
        )

    def section(self, anchor: str, title: str, *parts: str) -> None:
        body = "\n".join(p for p in parts if p)
        self.nav.append((anchor, title))
        self.sections.append(
            f'<section id="{anchor}"><h2>{html.escape(title)}</h2>\n{body}</section>'
        )


def p(text: str) -> str:
    return f"<p>{text}</p>"


def bars(ax, labels, values, color=COLORS[0], horizontal=False, annotate=True):
    pos = range(len(labels))
    if horizontal:
        ax.barh(list(pos), values, color=color)
        ax.set_yticks(list(pos), labels)
        ax.invert_yaxis()
    else:
        ax.bar(list(pos), values, color=color)
        ax.set_xticks(list(pos), labels)
    if annotate:
        for i, v in zip(pos, values, strict=True):
            if horizontal:
                ax.annotate(fmt(v), (v, i), xytext=(3, 0), textcoords="offset points", va="center")
            else:
                ax.annotate(fmt(v), (i, v), xytext=(0, 3), textcoords="offset points", ha="center")


def grouped_bars(ax, frame: pd.DataFrame, label_col: str, value_cols: Sequence[str]):
    width = 0.8 / max(1, len(value_cols))
    x = range(len(frame))
    for k, col in enumerate(value_cols):
        ax.bar([i + k * width for i in x], frame[col], width, label=col, color=COLORS[k % 7])
    ax.set_xticks([i + width * (len(value_cols) - 1) / 2 for i in x], frame[label_col])
    plt.setp(ax.get_xticklabels(), rotation=35, ha="right", rotation_mode="anchor")
    ax.legend()


# --- sections -------------------------------------------------------------------------------


def section_blocks(page: Page, block_io: Path, generate: Path | None) -> None:
    io_rows = read_table(block_io, ["what", "method"], ["seconds", "peak_mib", "bytes"])
    parts = [p("One billion numbers in blocks, saved as <code>.npy</code> and as CSV.")]
    get = io_rows.set_index(["what", "method"])
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
    panels = [
        ("save_block", "seconds", 1, "save time per block (s)"),
        ("load_block_allocations", "peak_mib", 1, "peak memory of one load (MiB, tracemalloc)"),
        ("save_block", "bytes", 2**20, "file size per block (MiB)"),
    ]
    for ax, (what, col, unit, title) in zip(axes, panels, strict=True):
        if what in get.index.get_level_values(0):
            sub = get.loc[what][col] / unit
            bars(ax, list(sub.index), list(sub.values), color=[COLORS[0], COLORS[1]][: len(sub)])
        ax.set_title(title)
    parts.append(page.figure(fig, "blocks_npy_vs_csv", "npy vs CSV: save time, load memory, size"))
    parts.append(page.table(io_rows, block_io, "Block I/O measurements"))
    if generate is not None and Path(generate).exists():
        gen = read_table(generate, ["what", "method"], ["seconds"])
        parts.append(
            page.table(gen, generate, "Generating every block: this workflow vs multiprocessing")
        )
    page.section("blocks", "1 billion numbers: npy vs CSV", *parts)


def rule_of_benchmark(path: Path, benchmarks: Path) -> str:
    """benchmarks/<rule>.tsv or benchmarks/<rule>/<wildcards>.tsv -> <rule>."""
    return Path(path).relative_to(benchmarks).with_suffix("").parts[0]


def section_stores(page: Page, inputs: dict[str, Path]) -> None:
    parts = [
        p(
            "The first <code>stores.n</code> blocks in every store, each read back and reduced to "
            "per-block means with numpy and with <code>dask.array</code>."
        )
    ]
    reads = read_table(inputs["store_reads"], ["source", "store"], ["seconds", "bytes_on_disk"])
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    bars(axes[0], list(reads["source"]), list(reads["seconds"]), annotate=False)
    plt.setp(axes[0].get_xticklabels(), rotation=50, ha="right", rotation_mode="anchor")
    axes[0].set_title("one read + per-block means (s)")
    stores = reads.drop_duplicates("store")
    bars(axes[1], list(stores["store"]), list(stores["bytes_on_disk"] / 2**20), annotate=False)
    plt.setp(axes[1].get_xticklabels(), rotation=35, ha="right", rotation_mode="anchor")
    axes[1].set_title("size on disk (MiB)")
    parts.append(page.figure(fig, "stores_reads", "stores: one timed read each, size on disk"))
    parts.append(page.table(reads, inputs["store_reads"], "Stores: one timed read each"))
    if "stores_bench" in inputs:
        parts.append(stores_benchmark(page, inputs["stores_bench"]))

    means = inputs["block_means"]
    frame = read_table(means, ["block"], numeric=True)
    values = frame.drop(columns=["block"])
    spread = (values.max(axis=1) - values.min(axis=1)) / values.abs().max(axis=1)
    fig, ax = plt.subplots(figsize=(10, 3.5))
    for k, col in enumerate(values.columns):
        ax.plot(range(len(frame)), values[col], "o-"[k % 2], ms=3, label=col, alpha=0.7)
    ax.set_xlabel("block")
    ax.set_ylabel("mean")
    ax.legend(ncol=1, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title(f"per-block means from {len(values.columns)} sources")
    parts.append(page.figure(fig, "stores_block_means", "per-block means from every source"))
    parts.append(
        p(
            f"Largest relative disagreement between the {len(values.columns)} sources over "
            f"{len(frame)} blocks: <b>{float(spread.max()):.3g}</b> (the test requires "
            "&le; 1e-12)."
        )
    )
    parts.append(page.table(frame, means, "Per-block means", max_rows=5))
    page.section("stores", "Array stores", *parts)
    page.section(
        "array",
        "The whole array",
        p("Mean, standard deviation, minimum and maximum of every number, with dask, out of core."),
        page.json_table(inputs["array_summary"], "Whole-array statistics"),
    )


def stores_benchmark(page: Page, stores: Path) -> str:
    """The stores' evidence benchmark: writes, warm and cold reads with repeats, ratios."""
    bench = read_table(stores, ["what", "method"], ["seconds", "peak_mib"])
    warm = bench[bench["what"] == "read_mean_warm"]
    seconds = bench.pivot_table(index="method", columns="what", values="seconds", sort=False)
    times = [c for c in ("write", "read_mean_warm", "read_mean_cold") if c in seconds.columns]
    writes = seconds.reindex(list(warm["method"]))[times].dropna(subset=["write"]).reset_index()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    grouped_bars(axes[0], writes, "method", times)
    axes[0].set_yscale("log")
    axes[0].set_title("seconds (log scale): write, read+mean warm / cold")
    bars(axes[1], list(warm["method"]), list(warm["peak_mib"]), COLORS[2], annotate=False)
    plt.setp(axes[1].get_xticklabels(), rotation=50, ha="right", rotation_mode="anchor")
    axes[1].set_title("peak memory of read+mean (MiB)")
    return "\n".join(
        [
            page.figure(fig, "stores_times_sizes", "stores benchmark: time and memory"),
            page.table(bench, stores, "Stores benchmark: timings (medians), ratios"),
        ]
    )


def section_text(page: Page, inputs: dict[str, Path]) -> None:
    parts = []
    top10 = read_table(inputs["top10"], ["word"], ["n"], keep_default_na=False)
    clean = read_table(inputs["top5_clean"], ["word"], ["n"], keep_default_na=False)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    bars(axes[0], list(top10["word"]), list(top10["n"]), horizontal=True)
    axes[0].set_title("top 10 tokens, raw str.split()")
    bars(axes[1], list(clean["word"]), list(clean["n"]), COLORS[1], horizontal=True)
    axes[1].set_title("top words after removing punctuation, lower-case")
    parts.append(page.figure(fig, "text_top_words", "top words, raw and cleaned"))
    parts.append(page.table(top10, inputs["top10"], "Top 10, raw tokens"))
    parts.append(page.table(clean, inputs["top5_clean"], "Top 5, cleaned (dask.bag)"))
    if "delayed_top5" in inputs:
        delayed = read_table(inputs["delayed_top5"], ["word"], ["n"], keep_default_na=False)
        parts.append(page.table(delayed, inputs["delayed_top5"], "Top 5, cleaned (dask.delayed)"))
    if "sample5" in inputs:
        sample = read_table(inputs["sample5"], ["i", "word"], keep_default_na=False)
        parts.append(page.table(sample, inputs["sample5"], "take(5) of the cleaned words"))
    if "graph" in inputs:
        parts.append(page.file_image(inputs["graph"], "text_graph", "task graph of the chain"))
    if "text_schedulers" in inputs:
        sched = read_table(
            inputs["text_schedulers"],
            ["pipeline", "scheduler", "identical"],
            ["seconds"],
            keep_default_na=False,
        )
        fig, ax = plt.subplots(figsize=(10, 3.5))
        labels = [f"{r.pipeline}\n{r.scheduler}" for r in sched.itertuples()]
        colors = [COLORS[0] if r.pipeline == "lesson" else COLORS[1] for r in sched.itertuples()]
        ax.bar(range(len(sched)), sched["seconds"], color=colors)
        ax.set_xticks(range(len(sched)), labels, fontsize=7)
        for i, r in enumerate(sched.itertuples()):
            mark = "\u2713 same" if r.identical == "yes" else "\u2717 differs"
            ax.annotate(
                mark,
                (i, r.seconds),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                fontsize=7,
            )
        ax.set_ylabel("seconds")
        ax.set_title("top-10 with every scheduler (blue: the lesson's chain, orange: ours)")
        parts.append(page.figure(fig, "text_schedulers", "schedulers compared"))
        parts.append(page.table(sched, inputs["text_schedulers"], "Schedulers"))
    if "text_bench" in inputs:
        bench = read_table(inputs["text_bench"], ["method"], ["seconds"], keep_default_na=False)
        fig, ax = plt.subplots(figsize=(7, 3))
        bars(ax, list(bench["method"]), list(bench["seconds"]), COLORS[2], horizontal=True)
        ax.set_xlabel("seconds (median)")
        ax.set_title("word count: this workflow vs the lesson's code")
        parts.append(page.figure(fig, "text_bench", "word count vs baselines"))
        parts.append(page.table(bench, inputs["text_bench"], "Word count vs the lesson's code"))
    page.section("text", "Text: word frequencies", *parts)


def section_tables(page: Page, inputs: dict[str, Path]) -> None:
    parts = []
    if "csv_describe" in inputs:
        desc = read_table(inputs["csv_describe"], ["stat"])
        parts.append(
            page.table(
                desc,
                inputs["csv_describe"],
                "dask.dataframe describe() of the CSV blocks (first columns)",
                columns=list(desc.columns[:7]),
            )
        )
    if "describe_time" in inputs:
        timing = read_table(inputs["describe_time"], keep_default_na=False)
        parts.append(page.table(timing, inputs["describe_time"], "describe() timed once"))
    if "tables_bench" in inputs:
        bench = read_table(inputs["tables_bench"], keep_default_na=False)
        parts.append(page.table(bench, inputs["tables_bench"], "describe() timing per CSV engine"))
    try:
        tables = Path(inputs["lahman_tables"]).read_text(encoding="utf-8").split()
    except UnicodeDecodeError as exc:
        raise InputError(f"{inputs['lahman_tables']}: not a text file ({exc})") from None
    parts.append(
        p(
            f"Lahman baseball database: {len(tables)} tables "
            f"(<code>{html.escape(page.rel(inputs['lahman_tables']))}</code>): "
            + ", ".join(html.escape(t) for t in tables)
        )
    )
    countries = read_table(
        inputs["birth_country"], ["birthCountry"], ["players"], keep_default_na=False
    )
    top = countries.head(15)
    fig, ax = plt.subplots(figsize=(8, 5))
    bars(ax, list(top["birthCountry"]), list(top["players"]), COLORS[4], horizontal=True)
    ax.set_xscale("log")
    ax.set_xlabel("players (log scale)")
    ax.set_title("players per birth country, top 15")
    parts.append(page.figure(fig, "lahman_birth_country", "players per birth country"))
    parts.append(page.table(countries, inputs["birth_country"], "Players per birth country", 15))
    head = read_table(inputs["master_head"], ["playerID"], keep_default_na=False)
    parts.append(page.table(head, inputs["master_head"], "First rows of Master"))
    parts.extend(lahman_ibis_parts(page, inputs))
    page.section("tables", "Tables: dataframes and SQL", *parts)


def lahman_ibis_parts(page: Page, inputs: dict[str, Path]) -> list[str]:
    """The Lahman queries as ibis expressions: the lesson's Blaze code, our source, the SQL ibis
    compiled (SQLite, and the other dialects in a fold), and the backend comparison."""
    parts = []
    if "lahman_expressions" in inputs:
        listing = read_json(inputs["lahman_expressions"], ["ibis", "table", "queries"])
        check_queries(inputs["lahman_expressions"], listing["queries"])
        src = html.escape(page.rel(inputs["lahman_expressions"]))
        parts.append(
            p(
                f"The lesson's Blaze queries as ibis {html.escape(listing['ibis'])} expressions "
                f"on an unbound <code>{html.escape(listing['table'])}</code> table, compiled to "
                f"each backend's SQL (<code>{src}</code>)."
            )
        )
        for q in listing["queries"]:
            name = html.escape(q["query"])
            block = [
                f'<div class="lahman-query" data-query="{name}"><h3>{name}</h3>',
                f"<p>Blaze (the lesson):</p><pre><code>{html.escape(q['lesson'])}</code></pre>",
                f'<p>ibis:</p><pre data-expr="{name}"><code>{html.escape(q["source"])}</code></pre>',
            ]
            for dialect, sql in q["sql"].items():
                code = f"<code>{html.escape(sql)}</code>"
                pre = f'<pre data-sql="{html.escape(dialect)}">{code}</pre>'
                if dialect == "sqlite":
                    block.append(f"<p>SQL compiled by ibis for SQLite:</p>{pre}")
                else:
                    summary = f"SQL compiled by ibis for {html.escape(dialect)}"
                    block.append(f"<details><summary>{summary}</summary>{pre}</details>")
            parts.append("".join(block) + "</div>")
    if "lahman_backends" in inputs:
        backends = read_table(
            inputs["lahman_backends"], ["query", "backend"], keep_default_na=False
        )
        parts.append(
            page.table(
                backends,
                inputs["lahman_backends"],
                "The same expressions on SQLite, DuckDB over Parquet, and dask (median seconds; "
                "identical: the CSV equals the SQLite rule's file byte for byte)",
            )
        )
    return parts


def section_run(page: Page, config: dict, benchmarks: Path, cores: int, started: str) -> None:
    import yaml

    rows = []
    for path in sorted(Path(benchmarks).rglob("*.tsv")):
        rule = rule_of_benchmark(path, benchmarks)
        frame = read_table(path, numeric=["s"], sep="\t")
        rows.append({"rule": rule, "file": page.rel(path), "seconds": float(frame["s"].sum())})
    bench = pd.DataFrame(rows, columns=["rule", "file", "seconds"])
    per_rule = bench.groupby("rule", as_index=False).agg(
        jobs=("file", "count"), seconds=("seconds", "sum")
    )
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    facts = [
        ("date", started),
        ("cores", cores),
        ("python", platform.python_version()),
        ("machine", f"{platform.system()} {platform.machine()}"),
        *versions.items(),
    ]
    facts_html = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in facts
    )
    parts = [f'<table class="facts">{facts_html}</table>']
    if len(per_rule):
        fig, ax = plt.subplots(figsize=(8, 0.35 * len(per_rule) + 1))
        per_rule = per_rule.sort_values(["seconds", "rule"], ascending=[False, True])
        bars(ax, list(per_rule["rule"]), list(per_rule["seconds"]), horizontal=True)
        ax.set_xlabel("wall time summed over the rule's jobs (s, from benchmarks/)")
        parts.append(page.figure(fig, "run_rule_times", "wall time per rule"))
        bench_html = "".join(
            f"<tr><td>{html.escape(r.rule)}</td><td>{r.jobs}</td><td>{fmt(r.seconds)}</td></tr>"
            for r in per_rule.itertuples()
        )
        parts.append(
            "<table><caption>Wall time per rule (Snakemake <code>benchmark:</code> files)"
            "</caption><thead><tr><th>rule</th><th>jobs</th><th>seconds</th></tr></thead>"
            f"<tbody>{bench_html}</tbody></table>"
        )
    parts.append(
        "<details><summary>config used</summary><pre>"
        + html.escape(yaml.safe_dump(config, sort_keys=False))
        + "</pre></details>"
    )
    page.section("run", "Run facts", *parts)


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
h1 { border-bottom: 2px solid #1f77b4; }
section { margin: 2em 0; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; display: block;
        overflow-x: auto; max-width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }
td:first-child, th:first-child { text-align: left; }
th { background: #f0f4f8; }
caption { text-align: left; font-weight: bold; padding: 0.3em 0; }
figure { margin: 1em 0; }
img { max-width: 100%; max-height: 800px; }
nav a { margin-right: 1em; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: 0.4em 0.8em; }
.ok { color: #2ca02c; } .bad { color: #d62728; }
"""


def render(page: Page, title: str) -> str:
    nav = "".join(f'<a href="#{a}">{html.escape(t)}</a>' for a, t in page.nav)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><nav>{nav}</nav>\n"
        + "".join(f'<p class="note">{note}</p>\n' for note in page.notes)
        + "\n".join(page.sections)
        + "</body></html>\n"
    )


def write_report(out: Path, page: Page, title: str = "sda: Scalable Data Analytics") -> None:
    with atomic_write(out, "w", encoding="utf-8") as fh:
        fh.write(render(page, title))


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def check_queries(path: Path, queries) -> None:
    """The ``queries`` of expressions.json: objects with the fields the report shows."""
    fields = ("query", "lesson", "source", "sql")
    for q in queries if isinstance(queries, list) else [None]:
        if not isinstance(q, dict) or any(f not in q for f in fields):
            raise InputError(f"{path}: queries must be objects with {', '.join(fields)}")
        if not isinstance(q["sql"], dict):
            raise InputError(f"{path}: the sql of query {q['query']!r} is not an object")


EVIDENCE_TITLES = {
    "generate": "generation vs plain multiprocessing",
    "stores_bench": "stores warm/cold with repeats",
    "text_bench": "word count vs the lesson's code",
    "tables_bench": "CSV engines",
}


def evidence_note(page: Page, evidence: Sequence[str], inputs: dict[str, Path]) -> None:
    """One line naming the evidence benchmarks this report leaves out, and how to add them."""
    missing = [name for name in evidence if name not in inputs]
    if missing:
        what = ", ".join(EVIDENCE_TITLES.get(name, name) for name in missing)
        page.notes.append(
            f"Evidence benchmarks not in this report ({html.escape(what)}): "
            "<code>snakemake --cores 8 bench</code> runs them and adds their sections."
        )


def build_report(
    inputs: dict[str, Path],
    out: Path,
    figdir: Path,
    config: dict,
    cores: int | None,
    root: Path,
    evidence: Sequence[str] = (),
) -> Page:
    """Build the page from the rule's named inputs and write it (and its figures).

    ``evidence`` names the evidence benchmarks of this config; those not among the inputs are
    named in one line at the top (their sections are left out, never shown stale)."""
    started = now_iso()
    figdir.mkdir(parents=True, exist_ok=True)
    page = Page(root=root, figdir=figdir)
    evidence_note(page, evidence, inputs)
    section_blocks(page, inputs["block_io"], inputs.get("generate"))
    section_stores(page, inputs)
    section_text(page, inputs)
    section_tables(page, inputs)
    section_run(page, config, root / "benchmarks", cores, started)
    write_report(out, page)
    return page
