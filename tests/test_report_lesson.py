"""sda.report.lesson: the lesson's 2016 figures (report/lesson_2016.csv) read and checked, a
malformed row failing naming the file and line, and every figure on the line of the lesson it
cites (marker ``lesson``: the lesson's text beside the checkout)."""

from __future__ import annotations

import re

import pytest

from sda.io import InputError
from sda.report.lesson import compare, read_lesson, significant_digits

# --- the lesson's figures -----------------------------------------------------------------


def test_the_lesson_figures_file_reads(tmp_path):
    lesson = read_lesson()
    save = lesson.get("save_npy")
    assert (save.value, save.unit, save.line, save.printed) == (0.0638, "s", "46", "63.8 ms")
    assert [f.item for f in lesson.items("top10")][:3] == ["the", "of", "and"]
    assert len(lesson.items("describe_mean")) == 20
    assert lesson.get("lahman_tables").line == "492-516"
    with pytest.raises(InputError, match="no figure 'nothing'"):
        lesson.get("nothing")


@pytest.mark.parametrize(
    "row, message",
    [
        ("save_npy,,63.8,,what,46", "line 3: no unit"),
        ("save_npy,,63.8,furlongs,what,46", "line 3: unknown unit 'furlongs'"),
        ("save_npy,,fast,ms,what,46", "line 3: value 'fast' is not a number"),
        ("save_npy,,nan,ms,what,46", "line 3: value 'nan' is not a finite number"),
        ("save_npy,,63.8,ms,what,forty", "line 3: line 'forty' is not a line number"),
        ("save_npy,,63.8,ms,,46", "line 3: no lesson_ran"),
        ("save_npy,,63.8,ms,what", "line 3: expected 6 fields"),
        ("load,,1,s,what,46", "line 3: load  again (first on line 2)"),
    ],
)
def test_a_malformed_lesson_row_fails_naming_the_file_and_line(tmp_path, row, message):
    path = tmp_path / "lesson_2016.csv"
    path.write_text(f"measure,item,value,unit,lesson_ran,line\nload,,1,s,what,46\n{row}\n")
    with pytest.raises(InputError, match=re.escape(f"{path}, {message}")):
        read_lesson(path)
    path.write_text("measure,value\nsave,1\n")
    with pytest.raises(InputError, match=re.escape(f"{path}, line 1: the header must be")):
        read_lesson(path)


@pytest.mark.lesson
def test_every_lesson_figure_is_on_the_line_it_cites(lesson_text):
    """Each figure of report/lesson_2016.csv is printed on the line of the lesson's text it
    names (a range: the figure counts its lines)."""
    lines = lesson_text.read_text(encoding="utf-8").split("\n")
    for f in read_lesson().figures.values():
        if "-" in f.line:
            first, last = map(int, f.line.split("-"))
            assert last - first + 1 == f.value, f
            continue
        number = f.printed.split(" ")[0]
        found = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", lines[int(f.line) - 1])]
        assert float(number) in found, (f, lines[int(f.line) - 1])
        if f.item and f.measure.startswith(("top10", "clean_top5", "delayed_top5")):
            assert f"'{f.item}'" in lines[int(f.line) - 1], f


def test_a_comparison_shows_the_lessons_digits_and_its_ratio():
    lesson = read_lesson()
    c = compare(lesson, "t", "mean_100_npy", what="m", today=100.00096699308115, today_ran="x")
    assert c.shown() == ("99.0030391889", "100.0009670")  # this run: the lesson's 12 digits, <= 10
    assert c.ratio == pytest.approx(100.00096699308115 / 99.0030391889)
    c = compare(lesson, "t", "load_mean_per_file_npy", what="m", today=0.00276, today_ran="x")
    assert c.shown() == ("0.03 s", "2.76 ms")
    c = compare(
        lesson,
        "t",
        "top10",
        "the",
        what="m",
        today=None,
        today_ran="x",
        missing="not in this run's top 10",
    )
    assert c.shown() == ("1,051,994 words", "not in this run's top 10")
    assert c.ratio is None and c.row()["today"] == "" and c.row()["today_ran"] == ""
    with pytest.raises(ValueError, match="a derived comparison needs"):
        compare(lesson, "t", "x", what="m", today=1.0, today_ran="", lesson_value=2.0)
    assert [significant_digits(p) for p in ("0.03 s", "63.8 ms", "99.003 1", "1051994 words")] == [
        1,
        3,
        5,
        7,
    ]
