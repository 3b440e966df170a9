"""The report's chapter "Text: word frequencies", the lesson's dask.bag and dask.delayed steps.

Reads the word counts (``results/text/``: the raw top 10, the cleaned top 5, ``take(5)``, the
cleaned table as a dataframe, the ``dask.delayed`` top 5), the task graph's picture, the
scheduler comparison and, when they exist, the downloaded dump's ``SOURCE.json`` and the
evidence benchmark; compares them with the lesson's figures; renders
``report/templates/text.html.j2``.
"""

from __future__ import annotations

import pandas as pd

from sda.diagnostics.show import watch
from sda.io import InputError, read_json, read_table
from sda.report import style
from sda.report.build import Chapter, Run, pick, sources_of
from sda.report.lesson import compare
from sda.report.numbers import human
from sda.report.page import Page

ANCHOR = "text"
MB = 1e6  # the lesson gives its files' size in MB
LESSON_DEFAULT = "processes"  # dask's default scheduler for bags in 2016


def read_word_counts(path) -> pd.DataFrame:
    return read_table(path, ["word"], ["n"], keep_default_na=False)


def read_sample(path) -> pd.DataFrame:
    return read_table(path, ["i", "word"], keep_default_na=False)


def read_wiki_source(path) -> dict:
    """SOURCE.json of a downloaded corpus: the dump's URL, size, checksum and what the checksum
    was verified against."""
    return read_json(path, ["url", "bytes", "checksum", "verified", "verified_against"])


def read_schedulers(path) -> pd.DataFrame:
    cols = ["pipeline", "scheduler", "identical"]
    return read_table(path, cols, ["seconds", "files", "mib"], keep_default_na=False)


def read_text_bench(path) -> pd.DataFrame:
    return read_table(path, ["method"], ["seconds"], keep_default_na=False)


def read_frequencies(path, rows: int = 10) -> tuple[pd.DataFrame, int]:
    """The first ``rows`` of the cleaned table (the bag turned into a dataframe), and its
    length."""
    try:
        frame = pd.read_parquet(path)
    except FileNotFoundError:
        raise InputError(f"{path}: missing input file") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
    if list(frame.columns) != ["word", "n"]:
        raise InputError(f"{path}: columns {list(frame.columns)}, expected ['word', 'n']")
    return frame.head(rows), len(frame)


# --- figures --------------------------------------------------------------------------------


def words_figure(top10: pd.DataFrame, clean: pd.DataFrame):
    """The raw top 10 and the cleaned top words, counts written out on the bars."""
    fig, (left, right) = style.figure(11, bars=len(top10), panels=2)
    for ax, frame, color, title in (
        (left, top10, style.COLORS[0], "top 10 tokens, raw str.split()"),
        (right, clean, style.COLORS[1], "top words, punctuation removed, lower case"),
    ):
        values = [int(n) for n in frame["n"]]
        style.hbars(ax, list(frame["word"]), values, color=color, texts=[f"{n:,}" for n in values])
        style.count_axis(ax.xaxis)
        ax.set_title(title, fontsize=10)
    return fig


def schedulers_figure(sched: pd.DataFrame):
    """Seconds of the top 10 on every scheduler: the lesson's chain and ours side by side;
    a mark where the result differs from the first."""
    names = list(dict.fromkeys(sched["scheduler"]))
    pipelines = list(dict.fromkeys(sched["pipeline"]))
    fig, ax = style.figure(9, bars=len(names) * len(pipelines))
    height = 0.8 / len(pipelines)
    for k, pipeline in enumerate(pipelines):
        rows = sched[sched["pipeline"] == pipeline].set_index("scheduler").reindex(names)
        pos = [i + k * height for i in range(len(names))]
        ax.barh(pos, rows["seconds"], height, color=style.COLORS[k], label=f"{pipeline} chain")
        for p, (seconds, same) in zip(
            pos, zip(rows["seconds"], rows["identical"], strict=True), strict=True
        ):
            if pd.notna(seconds):
                mark = "" if same == "yes" else " (differs)"
                ax.annotate(
                    f"{human(seconds, 's')}{mark}",
                    (seconds, p),
                    xytext=(3, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=8,
                )
    ax.set_yticks([i + height * (len(pipelines) - 1) / 2 for i in range(len(names))], names)
    ax.invert_yaxis()
    ax.margins(x=0.25)
    ax.set_xlabel("seconds")
    style.legend_below(fig, len(pipelines))
    return fig


def bench_figure(bench: pd.DataFrame):
    fig, ax = style.figure(7, bars=len(bench))
    style.hbars(ax, list(bench["method"]), list(bench["seconds"]), style.COLORS[2], unit="s")
    ax.set_xlabel("seconds (median)")
    ax.set_title("word count: this workflow against the lesson's code", fontsize=10)
    return fig


# --- the chapter ----------------------------------------------------------------------------


def count_of(frame: pd.DataFrame, word: str) -> float | None:
    return pick(frame, "n", word=word)


def corpus_words(run: Run) -> str:
    """What this run's corpus is, in words, from the config."""
    wiki = run.section("wiki")
    source = wiki.get("source", "")
    if source == "synthetic":
        return (
            f"{wiki.get('files')} files of synthetic English-like text (wiki.source: "
            "synthetic), not Wikipedia"
        )
    if source == "download":
        return f"{wiki.get('files')} files extracted from a Wikipedia dump"
    return "a local WikiExtractor extract (wiki.source: local)" if source else "this run's corpus"


def megabytes(mib: float) -> float:
    """MiB (the result files' unit) in MB (the lesson's)."""
    return mib * 2**20 / MB


def rates(sched: pd.DataFrame | None, scheduler: str) -> tuple[float | None, str]:
    """Seconds per MB of the lesson's chain on ``scheduler``, and how many files and MB."""
    if sched is None:
        return None, ""
    seconds = pick(sched, "seconds", pipeline="lesson", scheduler=scheduler)
    mib = pick(sched, "mib", pipeline="lesson", scheduler=scheduler)
    files = pick(sched, "files", pipeline="lesson", scheduler=scheduler)
    if seconds is None or not mib:
        return None, ""
    mb = megabytes(mib)
    return seconds / mb, f"{seconds:.3g} s over {files:.0f} files, {mb:.3g} MB"


def comparisons(run: Run, counts: dict, sched, sources: dict) -> list:
    lesson = run.lesson
    files, corpus_line = lesson.get("corpus_files").value, lesson.get("corpus_files").line
    mb = files * lesson.get("corpus_file_mb").value
    corpus = (
        f"Different text: the lesson counted {files:.0f} files of Wikipedia; this run "
        f"{corpus_words(run)}."
    )
    wiki = run.section("wiki")
    files_today = wiki.get("files") if wiki.get("source") in ("synthetic", "download") else None
    size_today = None
    if sched is not None:
        mib, n = pick(sched, "mib", pipeline="lesson"), pick(sched, "files", pipeline="lesson")
        size_today = megabytes(mib) / n if mib and n else None
    found = [
        compare(
            lesson,
            ANCHOR,
            "corpus_files",
            what="files in the corpus",
            today=files_today,
            today_ran="the number the config asks for (wiki.files)",
            note=corpus,
        ),
        compare(
            lesson,
            ANCHOR,
            "corpus_file_mb",
            what="MB per file",
            today=size_today,
            today_ran="the files of the scheduler comparison",
            source=sources.get("text_schedulers", ""),
        ),
    ]
    for measure, scheduler, what in (
        ("bag_top10_default", LESSON_DEFAULT, "the lesson's bag top 10, default (processes)"),
        ("bag_top10_sync", "sync", "the lesson's bag top 10, sync scheduler"),
    ):
        rate, ran = rates(sched, scheduler)
        figure = lesson.get(measure)
        found.append(
            compare(
                lesson,
                ANCHOR,
                measure,
                what=f"{what}, per MB",
                today=rate,
                unit="s/MB",
                lesson_value=figure.value / mb,
                line=f"{figure.line}, {corpus_line}",
                lesson_ran=f"{figure.ran}: {figure.value:.4g} s over {files:.0f} files of about 1 MB",
                today_ran=f"the same chain, {ran}",
                source=sources.get("text_schedulers", ""),
                note="Seconds per MB: the two corpora differ in size.",
            )
        )
    for measure, frame_key, limit, what in (
        ("top10", "top10", "this run's top 10", "raw count"),
        ("clean_top5", "top5_clean", "this run's top 5", "cleaned count"),
        ("delayed_top5", "delayed_top5", "this run's top 5", "dask.delayed count"),
    ):
        frame = counts.get(frame_key)
        note = corpus
        if measure == "delayed_top5":
            note = (
                f"The lesson ran its dask.imperative count on 3 files; this run on "
                f"{_delayed_files(run)}. {corpus}"
            )
        for i, figure in enumerate(lesson.items(measure)):
            today = None if frame is None else count_of(frame, figure.item)
            found.append(
                compare(
                    lesson,
                    ANCHOR,
                    measure,
                    figure.item,
                    what=f"{what} of '{figure.item}'",
                    today=today,
                    source=sources.get(frame_key, ""),
                    note="" if i else note,
                    missing=f"not in {limit}" if frame is not None else "not measured in this run",
                )
            )
    return found


def answers(run: Run, counts: dict, sched: pd.DataFrame | None) -> dict:
    lesson = run.lesson
    top10, clean = counts["top10"], counts["top5_clean"]
    lesson_top = [f.item for f in lesson.items("top10")]
    ours = list(top10["word"])
    out = {
        "shared": [w for w in lesson_top if w in ours],
        "lesson_top": lesson_top,
        "first": ours[0] if ours else "",
    }
    raw_the, clean_the = count_of(top10, "the"), count_of(clean, "the")
    out["cleaned_gain"] = clean_the / raw_the - 1 if raw_the and clean_the else None
    out["lesson_gain"] = (
        lesson.get("clean_top5", "the").value / lesson.get("top10", "the").value - 1
    )
    out["lesson_sync"] = lesson.get("bag_top10_default").value / lesson.get("bag_top10_sync").value
    if sched is not None:
        lesson_rows = sched[sched["pipeline"] == "lesson"]
        fastest = lesson_rows.loc[lesson_rows["seconds"].idxmin()]
        default = pick(sched, "seconds", pipeline="lesson", scheduler=LESSON_DEFAULT)
        sync = pick(sched, "seconds", pipeline="lesson", scheduler="sync")
        ours_best = sched[sched["pipeline"] == "ours"]["seconds"].min()
        out |= {
            "fastest": fastest["scheduler"],
            "fastest_s": float(fastest["seconds"]),
            "sync_gain": default / sync if default and sync else None,
            "ours_gain": float(fastest["seconds"]) / ours_best if ours_best else None,
            "all_same": bool((sched["identical"] == "yes").all()),
            "files": int(sched["files"].iloc[0]),
        }
    out["delayed_files"] = _delayed_files(run)
    return out


def _delayed_files(run: Run) -> str:
    """The files the dask.delayed count ran on (``text.delayed_files``; 0: all), in words."""
    files = run.section("text").get("delayed_files")
    return f"the first {files} files" if files else "every file"


def build(page: Page, run: Run) -> dict:
    counts = {
        k: read_word_counts(run.path(k))
        for k in ("top10", "top5_clean", "delayed_top5")
        if run.path(k) is not None
    }
    keys = (
        "top10",
        "top5_clean",
        "delayed_top5",
        "sample5",
        "frequencies",
        "graph",
        "text_schedulers",
        "text_bench",
        "wiki_source",
    )
    made = sources_of(page, run, keys)
    sources = {k: s.path for k, s in made.items()}
    sched = read_schedulers(run.path("text_schedulers")) if "text_schedulers" in made else None
    found = comparisons(run, counts, sched, sources)
    context = {
        "made": made,
        "corpus_words": corpus_words(run),
        "graph_files": run.section("text").get("graph_files", 3),
        "a": answers(run, counts, sched),
        "words_figure": page.figure(
            words_figure(counts["top10"], counts["top5_clean"]),
            "text_top_words",
            "top words, raw and cleaned",
        ),
        "top10": page.table(counts["top10"], run.path("top10"), "Top 10, raw tokens"),
        "clean": page.table(counts["top5_clean"], run.path("top5_clean"), "Top 5, cleaned"),
        "delayed": None,
        "sample": None,
        "frame": None,
        "graph": None,
        "schedulers": None,
        "bench": None,
        "corpus": None,
        "then_now": run.then_and_now(page, ANCHOR, found),
        "dask": {
            "text_counts": watch(page, run, "text_counts", "the corpus"),
            "text_delayed": watch(page, run, "text_delayed", "the corpus"),
        },
    }
    if "wiki_source" in made:
        source = read_wiki_source(run.path("wiki_source"))
        context["corpus"] = {
            **source,
            "table": page.json_table(run.path("wiki_source"), "The dump the corpus came from"),
        }
    if "delayed_top5" in counts:
        context["delayed"] = page.table(
            counts["delayed_top5"], run.path("delayed_top5"), "Top 5, cleaned (dask.delayed)"
        )
    if "sample5" in made:
        sample = read_sample(run.path("sample5"))
        context["sample"] = page.table(sample, run.path("sample5"), "take(5) of the cleaned words")
    if "frequencies" in made:
        head, total = read_frequencies(run.path("frequencies"))
        context["frame"] = {
            "table": page.table(head, run.path("frequencies"), "The cleaned counts as a dataframe"),
            "total": total,
        }
    if "graph" in made:
        context["graph"] = page.file_image(
            run.path("graph"), "text_graph", "task graph of the chain"
        )
    if sched is not None:
        context["schedulers"] = page.figure_table(
            schedulers_figure(sched),
            "text_schedulers",
            "the top 10 on every scheduler",
            sched,
            run.path("text_schedulers"),
            "Every scheduler, one run each",
        )
    if "text_bench" in made:
        bench = read_text_bench(run.path("text_bench"))
        context["bench"] = page.figure_table(
            bench_figure(bench),
            "text_bench",
            "the word count: ours and the lesson's code",
            bench,
            run.path("text_bench"),
            "The word count: this workflow and the lesson's code",
        )
    return context


CHAPTER = Chapter(ANCHOR, "Text: word frequencies with dask.bag and dask.delayed", build)
