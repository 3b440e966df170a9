"""sda.report.numbers and the page's tables: every number with the digits that matter (3
significant digits in units, counts exactly, a column whose values agree in three digits the
decimals that tell them apart), checked against the rule written out again (tests/oracles.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oracles import check_column_digits, check_table_shows_its_source, read_source, shown_as
from sda.report.numbers import column_style, column_unit, human, si, significant
from sda.report.page import Page, apart

# --- numbers ------------------------------------------------------------------------------


def test_numbers_are_shown_to_three_significant_digits_with_units():
    cases = [
        ((0.00186076, None), "0.00186"),
        ((0.114638, None), "0.115"),
        ((1234.5, None), "1,230"),
        ((17395, None), "17,395"),
        ((1981, None), "1981"),
        ((90.0, None), "90"),
        ((2.0, "s"), "2.00 s"),
        ((0.9996, "s"), "1.00 s"),
        ((0.00186, "s"), "1.86 ms"),
        ((24576, "B"), "24.0 KiB"),
        ((0.02636, "MiB"), "27.0 KiB"),
        ((3 * 2**30, "B"), "3.00 GiB"),
        ((2**30, "B"), "1.00 GiB"),  # rounds to 1.07e9 < 2**30: still a GiB
        ((1023.9 * 2**20, "B"), "1,020 MiB"),
        ((39.713, "x"), "39.7×"),
        ((1.234e-13, None), "1.23e-13"),
        ((float("nan"), "s"), ""),
        (("the", None), "the"),
        ((True, None), "True"),
        ((5, "files"), "5 files"),
        ((1051994, "words"), "1,051,994 words"),
        ((0.00183105, "MiB"), "1.87 KiB"),  # 1,919.99 B: rounded once
    ]
    for (value, unit), text in cases:
        assert human(value, unit) == text, (value, unit)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            assert shown_as(text, value, unit), (value, unit, text)
    assert significant(999.6) == "1,000"
    assert not shown_as("1.24 ms", 0.00123, "s")  # rounded the wrong way
    assert not shown_as("1.235 ms", 0.001235, "s")  # four significant digits
    assert not shown_as("1.23", 0.00123, "s")  # no unit
    assert not shown_as("17395", 17395)  # no separator
    assert [column_unit(c) for c in ("seconds", "write_s", "peak_mib", "bytes_on_disk")] == [
        "s",
        "s",
        "MiB",
        "B",
    ]


def test_a_column_whose_values_agree_in_three_digits_gets_the_digits_that_tell_them_apart():
    means = [99.98021979329557, 100.0200215287439, 100.00793, 99.99717, 100.00231]
    assert [human(v, **column_style(means)) for v in means] == [
        "99.980",
        "100.020",
        "100.008",
        "99.997",
        "100.002",
    ]
    stds = [9.975595069881651, 10.01773879161271, 9.961640783846997, 10.031587813423721]
    assert [human(v, **column_style(stds)) for v in stds] == ["9.98", "10.02", "9.96", "10.03"]
    # values 3 digits already tell apart, counts, timings: as they were
    assert column_style([67.0, 61.37, 57.71]) == {}
    assert column_style([10000.0, 10000.0]) == {}
    assert column_style([0.0152, 0.0153], "s") == {}
    # the same number twice is one value; values equal to 10 digits are the same number
    assert column_style([100.5, 100.5]) == {}
    assert column_style([100.0000000001, 100.0000000002]) == {}
    # at most 10 significant digits, however close two values are
    assert column_style([100.0000001, 100.0000002]) == {"decimals": 7}
    assert column_style([99.99999984, 99.99999996, 100.0]) == {"decimals": 8}
    # tiny numbers: more significant digits, not 20 decimals
    assert column_style([1.2341e-16, 1.2349e-16]) == {"digits": 4}
    assert apart([99.95558, 100.21123]) == ["100.0", "100.2"]
    assert [si(v) for v in (0, 500, 1500, 200_000, 1_200_000, 2.5)] == [
        "0",
        "500",
        "1.5k",
        "200k",
        "1.2M",
        "2.5",
    ]


@pytest.mark.parametrize("spread", [1e-1, 1e-2, 1e-4, 1e-7, 1.0, 30.0])
def test_every_column_shown_follows_the_rule(tmp_path, spread):
    """Columns around 100 with spreads from 1e-7 to 30, through the page's tables and back:
    every cell is its value rounded, distinct values stay distinct, and no column shows more
    digits than it needs (the oracle writes the rule out again)."""
    rng = np.random.default_rng(int(spread * 1e7) % 2**32)
    frame = pd.DataFrame(
        {
            "block": [f"x{i:06d}" for i in range(8)],
            "a": 100 + rng.normal(0, spread, 8),
            "b": rng.normal(0, spread, 8),
            "seconds": rng.uniform(0.001, 2, 8),
        }
    )
    source = tmp_path / "t.csv"
    frame.to_csv(source, index=False)
    page = Page(root=tmp_path, figdir=tmp_path / "figures")
    table = page.table(pd.read_csv(source), source, "t")
    parsed = {
        "source": "t.csv",
        "attrs": {},
        "rows": [[(c, t) for c, t, _ in r] for r in table.rows],
    }
    check_table_shows_its_source(parsed, read_source(source))


def test_the_column_oracle_fails_on_digits_that_hide_a_difference_or_pad_one():
    with pytest.raises(AssertionError, match="distinct values shown alike"):
        check_column_digits("npy", ["100", "100"], [99.98021979329557, 100.0200215287439])
    with pytest.raises(AssertionError, match="2 decimals would do"):
        check_column_digits("npy", ["99.980", "100.020"], [99.98, 100.02])
    with pytest.raises(AssertionError, match="where 3 tell the values apart"):
        check_column_digits("x", ["1.2340", "5.6780"], [1.234, 5.678])
    check_column_digits("npy", ["99.98", "100.02"], [99.98, 100.02])
