"""The report's sections: each reads its result files (:mod:`sda.report.data`), draws its
figures (:mod:`sda.report.figures`) and renders its template, ``report/templates/<id>.html.j2``.
No number is typed in: every one comes from a result file."""

from __future__ import annotations

import platform
from collections.abc import Sequence
from pathlib import Path

import yaml

from sda.io import now_iso
from sda.report import data, figures
from sda.report.numbers import human
from sda.report.page import Page, write_report

EVIDENCE_TITLES = {
    "generate": "generation vs plain multiprocessing",
    "stores_bench": "stores warm/cold with repeats",
    "text_bench": "word count vs the lesson's code",
    "tables_bench": "CSV engines",
    "engines": "the same jobs with polars and DuckDB",
}


def section_blocks(page: Page, block_io: Path, generate: Path | None) -> None:
    rows = data.read_block_io(block_io)
    gen = None
    if generate is not None and Path(generate).exists():
        gen = page.table(
            data.read_generate(generate),
            generate,
            "Generating every block: this workflow vs multiprocessing",
        )
    page.section(
        "blocks",
        "1 billion numbers: npy vs CSV",
        io_figure=page.figure(
            figures.block_io(rows), "blocks_npy_vs_csv", "npy vs CSV: save time, load memory, size"
        ),
        io=page.table(rows, block_io, "Block I/O measurements"),
        generate=gen,
    )


def section_stores(page: Page, inputs: dict[str, Path]) -> None:
    reads = data.read_store_reads(inputs["store_reads"])
    bench = None
    if "stores_bench" in inputs:
        frame = data.read_stores_bench(inputs["stores_bench"])
        bench = page.figure_table(
            figures.stores_bench(frame),
            "stores_times_sizes",
            "stores benchmark: time and memory",
            frame,
            inputs["stores_bench"],
            "Stores benchmark: timings (medians), ratios",
        )
    means = data.read_block_means(inputs["block_means"])
    values = means.drop(columns=["block"])
    spread = (values.max(axis=1) - values.min(axis=1)) / values.abs().max(axis=1)
    page.section(
        "stores",
        "Array stores",
        reads_figure=page.figure(
            figures.store_reads(reads), "stores_reads", "stores: one timed read each, size on disk"
        ),
        reads=page.table(reads, inputs["store_reads"], "Stores: one timed read each"),
        bench=bench,
        means_figure=page.figure(
            figures.block_means(means), "stores_block_means", "per-block means from every source"
        ),
        sources=len(values.columns),
        blocks=len(means),
        spread=f"{float(spread.max()):.3g}",
        means=page.table(means, inputs["block_means"], "Per-block means", max_rows=5),
    )
    page.section(
        "array",
        "The whole array",
        summary=page.json_table(inputs["array_summary"], "Whole-array statistics"),
    )


def section_text(page: Page, inputs: dict[str, Path]) -> None:
    top10 = data.read_word_counts(inputs["top10"])
    clean = data.read_word_counts(inputs["top5_clean"])
    context = {
        "words_figure": page.figure(
            figures.top_words(top10, clean), "text_top_words", "top words, raw and cleaned"
        ),
        "top10": page.table(top10, inputs["top10"], "Top 10, raw tokens"),
        "clean": page.table(clean, inputs["top5_clean"], "Top 5, cleaned (dask.bag)"),
        "delayed": None,
        "sample": None,
        "graph": None,
        "schedulers": None,
        "bench": None,
        "corpus": None,
    }
    if "wiki_source" in inputs:
        source = data.read_wiki_source(inputs["wiki_source"])
        context["corpus"] = {
            **source,
            "table": page.json_table(inputs["wiki_source"], "The dump the corpus came from"),
        }
    if "delayed_top5" in inputs:
        delayed = data.read_word_counts(inputs["delayed_top5"])
        context["delayed"] = page.table(
            delayed, inputs["delayed_top5"], "Top 5, cleaned (dask.delayed)"
        )
    if "sample5" in inputs:
        sample = data.read_sample(inputs["sample5"])
        context["sample"] = page.table(sample, inputs["sample5"], "take(5) of the cleaned words")
    if "graph" in inputs:
        context["graph"] = page.file_image(inputs["graph"], "text_graph", "task graph of the chain")
    if "text_schedulers" in inputs:
        sched = data.read_text_schedulers(inputs["text_schedulers"])
        context["schedulers"] = page.figure_table(
            figures.text_schedulers(sched),
            "text_schedulers",
            "schedulers compared",
            sched,
            inputs["text_schedulers"],
            "Schedulers",
        )
    if "text_bench" in inputs:
        bench = data.read_text_bench(inputs["text_bench"])
        context["bench"] = page.figure_table(
            figures.text_bench(bench),
            "text_bench",
            "word count vs baselines",
            bench,
            inputs["text_bench"],
            "Word count vs the lesson's code",
        )
    page.section("text", "Text: word frequencies", **context)


def section_tables(page: Page, inputs: dict[str, Path]) -> None:
    tables = []
    if "csv_describe" in inputs:
        desc = data.read_csv_describe(inputs["csv_describe"])
        caption = "dask.dataframe describe() of the CSV blocks (first columns)"
        tables.append(
            page.table(desc, inputs["csv_describe"], caption, columns=list(desc.columns[:7]))
        )
    if "describe_time" in inputs:
        timing = data.read_plain(inputs["describe_time"])
        tables.append(page.table(timing, inputs["describe_time"], "describe() timed once"))
    if "tables_bench" in inputs:
        bench = data.read_plain(inputs["tables_bench"])
        caption = "describe() timing per CSV engine"
        tables.append(page.table(bench, inputs["tables_bench"], caption))
    countries = data.read_birth_country(inputs["birth_country"])
    head = data.read_master_head(inputs["master_head"])
    page.section(
        "tables",
        "Tables: dataframes and SQL",
        tables=tables,
        lahman_tables=data.read_lahman_tables(inputs["lahman_tables"]),
        lahman_tables_source=page.rel(inputs["lahman_tables"]),
        countries_figure=page.figure(
            figures.birth_country(countries.head(15)),
            "lahman_birth_country",
            "players per birth country",
        ),
        countries=page.table(
            countries, inputs["birth_country"], "Players per birth country", max_rows=15
        ),
        master=page.table(head, inputs["master_head"], "First rows of Master"),
        **lahman_ibis(page, inputs),
    )


def lahman_ibis(page: Page, inputs: dict[str, Path]) -> dict:
    """The Lahman queries as ibis expressions (the lesson's Blaze code, our source, the SQL ibis
    compiled per dialect) and the backend comparison: the context of the tables template."""
    context = {"expressions": None, "backends": None}
    if "lahman_expressions" in inputs:
        listing = data.read_expressions(inputs["lahman_expressions"])
        context["expressions"] = {**listing, "source": page.rel(inputs["lahman_expressions"])}
    if "lahman_backends" in inputs:
        context["backends"] = page.table(
            data.read_lahman_backends(inputs["lahman_backends"]),
            inputs["lahman_backends"],
            "The same expressions on SQLite, DuckDB over Parquet, and dask (median seconds; "
            "identical: the CSV equals the SQLite rule's file byte for byte)",
        )
    return context


def section_run(page: Page, config: dict, benchmarks: Path, started: str):
    """Facts of the run that made the results: the report's date, the machine, the package
    versions, and per rule its jobs, the threads each had and their wall time (Snakemake's
    ``benchmark:`` files). Nothing of the command that happens to rebuild the report."""
    per_rule = data.read_rule_times(Path(benchmarks))
    facts = {
        "date": started,
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}",
        **data.package_versions(),
    }
    page.section(
        "run",
        "Run facts",
        facts=facts,
        rules_figure=page.figure(
            figures.rule_times(per_rule), "run_rule_times", "wall time per rule"
        )
        if len(per_rule)
        else None,
        rules=[
            (
                r.rule,
                human(r.jobs),
                data.threads_range(r.threads_min, r.threads_max),
                human(r.seconds, "s"),
            )
            for r in per_rule.itertuples()
        ],
        config=yaml.safe_dump(config, sort_keys=False),
    )


SCALING_SHOWN = [
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


def section_scaling(page: Page, csv: Path | None, png: Path | None) -> None:
    """The scaling run (``snakemake --cores N scaling``), when it has been made: its rows, the
    targets and the plot; no section otherwise (it is never part of the default run)."""
    from sda.scaling.report import report_section

    if csv is None or png is None or not Path(csv).exists():
        return
    found = report_section(csv, png)
    frame = data.read_scaling(csv)
    page.section(
        "scaling",
        "Scaling: cost against size, across the RAM line",
        plot=page.file_image(png, "scaling", "time and peak memory against size")
        if found["png"]
        else None,
        targets=[
            (
                t["target"],
                t["measured"],
                {True: "met", False: "not met", None: "reported"}[t["met"]],
            )
            for t in found["targets"]
        ],
        steps=page.table(
            frame,
            csv,
            "Every step at every size",
            columns=[c for c in SCALING_SHOWN if c in frame.columns],
        ),
    )


def missing_evidence(evidence: Sequence[str], inputs: dict[str, Path]) -> list[str]:
    """The titles of the evidence benchmarks of this config the report has no input for."""
    return [EVIDENCE_TITLES.get(name, name) for name in evidence if name not in inputs]


def build_report(
    inputs: dict[str, Path],
    out: Path,
    figdir: Path,
    config: dict,
    root: Path,
    evidence: Sequence[str] = (),
    scaling: tuple[Path, Path] | None = None,
) -> Page:
    """Build the page from the rule's named inputs and write it (and its figures).

    ``evidence`` names the evidence benchmarks of this config; those not among the inputs are
    named in one line at the top (their sections are left out, never shown stale). ``scaling``
    is the (CSV, PNG) of the scaling run, shown if it has been made."""
    started = now_iso()
    figdir.mkdir(parents=True, exist_ok=True)
    page = Page(root=root, figdir=figdir)
    page.missing_evidence = missing_evidence(evidence, inputs)
    section_blocks(page, inputs["block_io"], inputs.get("generate"))
    section_stores(page, inputs)
    section_text(page, inputs)
    section_tables(page, inputs)
    if "engines" in inputs:
        from sda.engines.report import section_engines

        section_engines(page, inputs["engines"])
    section_scaling(page, *(scaling or (None, None)))
    section_run(page, config, root / "benchmarks", started)
    write_report(out, page)
    return page
