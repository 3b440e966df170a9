"""Numbers as the report shows them: the digits that matter, thousands separators, units.

One rule for every number on the page:

- integers (counts, years, identifiers) exactly, with separators from 10,000 on;
- timings, sizes and ratios to 3 significant digits in their unit: seconds scaled to s, ms, µs
  or ns; byte counts (and sizes given in MiB) to B, KiB, MiB or GiB; ratios with a ``×``;
- other numbers to 3 significant digits, unless the values of a column agree in their first
  three digits: then the column gets the fewest decimals (at least the 3 digits' own) at which
  its distinct values stay distinct, at most :data:`PRECISE` significant digits
  (:func:`column_style`: per-block means of 99.98 and 100.02, not 100 and 100);
- the answers of the lesson (the whole array's mean and std) :data:`PRECISE` significant digits.

The unit of a column comes from its name (:func:`column_unit`) or, in long tables with a
``unit`` column, from that row's unit. Labels that are not units of measure (``words``,
``players``) follow the number: ``1,051,994 words``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

DIGITS = 3
PRECISE = 10  # significant digits of the lesson's answers, and the most any column gets
SECONDS = (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9))
BYTES = (("GiB", 2.0**30), ("MiB", 2.0**20), ("KiB", 2.0**10), ("B", 1.0))
BYTE_UNITS = dict((name, factor) for name, factor in BYTES)
SCALED = {"s", "x", *BYTE_UNITS}  # units shown at DIGITS whatever the column
SI = (("G", 1e9), ("M", 1e6), ("k", 1e3))


def round_significant(x: float, digits: int = DIGITS) -> float:
    """``x`` rounded to ``digits`` significant digits (0.00186076 -> 0.00186)."""
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - math.floor(math.log10(abs(x))))


def significant(x: float, digits: int = DIGITS) -> str:
    """``x`` to ``digits`` significant digits with thousands separators: 1234.5 -> '1,230',
    0.114638 -> '0.115', 2.0 -> '2.00'; below 1e-4 or from 1e15 on in scientific notation."""
    x = round_significant(float(x), digits)
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return str(x)
    exp = math.floor(math.log10(abs(x)))
    if exp < -4 or exp >= 15:
        return f"{x:.{digits - 1}e}"
    return f"{x:,.{max(0, digits - 1 - exp)}f}"


def fixed(x: float, decimals: int) -> str:
    """``x`` with ``decimals`` decimals and thousands separators: 99.98021 -> '99.980'."""
    return f"{float(x):,.{decimals}f}"


def integer(n: int) -> str:
    """An integer exactly; thousands separators from 10,000 on (years stay 1981)."""
    return f"{n:,}" if abs(n) >= 10_000 else str(n)


def scaled(x: float, units) -> str:
    """``x`` (in the unit of factor 1) in the largest of ``units`` (largest first) it reaches;
    rounded first, so that 0.9996 s is '1.00 s', not '1,000 ms' (and 1 GiB, which rounds to
    1.07e9 bytes, stays '1.00 GiB')."""
    rounded = round_significant(x)
    if rounded == 0:
        return "0 " + next(name for name, factor in units if factor == 1.0)
    for name, factor in units:
        if max(abs(rounded), abs(x)) >= factor * (1 - 1e-12):
            return f"{significant(x / factor)} {name}"
    name, factor = units[-1]
    return f"{significant(x / factor)} {name}"


def byte_unit(largest: float) -> tuple[str, float]:
    """The binary unit (name, bytes) for sizes up to ``largest`` bytes: the largest one it
    reaches, so that an axis of file sizes reads 0-8 MiB, not 0-8e6 bytes."""
    for name, factor in BYTES:
        if abs(largest) >= factor:
            return name, factor
    return BYTES[-1]


def si(x: float) -> str:
    """A count on an axis: 0, 500, 200k, 1.2M (at most 3 significant digits, no trailing
    zeros, no offset)."""
    suffix = ""
    for name, factor in SI:
        if abs(x) >= factor:
            x, suffix = x / factor, name
            break
    text = significant(x)
    if "." in text and "e" not in text:
        text = text.rstrip("0").rstrip(".")
    return text + suffix


def is_number(value) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (int, float)):
        return True
    return hasattr(value, "dtype") and value.dtype.kind in "iuf"


def is_integer_type(value) -> bool:
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    return isinstance(value, int) or (kind is not None and kind in "iu")


def is_integer_value(value) -> bool:
    """An integer type, or a float that holds an integer (10000.0): shown exactly."""
    if is_integer_type(value):
        return True
    x = float(value)
    return x.is_integer() and abs(x) < 1e15


def human(value, unit: str | None = None, digits: int = DIGITS, decimals: int | None = None):
    """How the report shows ``value`` (in ``unit``: 's', 'B', 'MiB', 'x' or a label such as
    'words'). ``digits`` (significant) and ``decimals`` (fixed, from :func:`column_style`)
    apply to numbers without a unit of measure that are not integers."""
    if not is_number(value):
        return "" if value is None else str(value)
    x = float(value)
    if math.isnan(x):
        return ""
    if unit == "s":
        return scaled(x, SECONDS)
    if unit in BYTE_UNITS:
        return scaled(x * BYTE_UNITS[unit], BYTES)
    if unit == "x":
        return f"{significant(x)}×"
    if unit and unit != "1":
        return f"{human(value, None, digits, decimals)} {unit}"
    if decimals is not None and not is_integer_type(value):
        return fixed(x, decimals)
    if is_integer_value(value):
        return integer(int(x))
    return significant(x, digits)


def column_style(values: Iterable, unit: str | None = None) -> dict:
    """The keyword arguments of :func:`human` for a column of ``values`` (those shown).

    Timings, sizes, ratios and integers: none (3 significant digits in the unit, integers
    exactly). Other numbers: none while 3 significant digits tell the distinct values apart;
    otherwise the fewest ``decimals`` that do, from the decimals 3 digits give the largest
    value, to :data:`PRECISE` significant digits of the smallest (values that agree to
    :data:`PRECISE` digits are the same number). Numbers too small or large for decimals
    (below 1e-4, from 1e15) get more significant ``digits`` instead."""
    if unit in SCALED:
        return {}
    # integer types are shown exactly; a float that holds an integer takes the column's decimals
    xs = [
        float(v)
        for v in values
        if is_number(v) and math.isfinite(float(v)) and not is_integer_type(v)
    ]
    distinct = {round_significant(x, PRECISE) for x in xs}
    if len({significant(x) for x in distinct}) == len(distinct):
        return {}
    magnitudes = [math.floor(math.log10(abs(x))) for x in distinct if x != 0]
    top, low = max(magnitudes), min(magnitudes)
    if top < -4 or top >= 15:
        for digits in range(DIGITS + 1, PRECISE + 1):
            if len({significant(x, digits) for x in distinct}) == len(distinct):
                return {"digits": digits}
        return {"digits": PRECISE}
    first = max(0, DIGITS - 1 - top)
    last = max(first, PRECISE - 1 - low)
    for decimals in range(first, last + 1):
        if len({fixed(x, decimals) for x in distinct}) == len(distinct):
            return {"decimals": decimals}
    return {"decimals": last}


def column_unit(name: str) -> str | None:
    """The unit of a result column, from its name: a rate (``*gb_per_s``), seconds
    (``seconds``, ``*_s``), MiB (``*mib``), bytes (``*bytes*``), ratios (``ratio*``); None for
    plain numbers."""
    n = str(name).lower()
    if n.endswith("gb_per_s"):
        return "GB/s"
    if n in ("s", "seconds") or n.endswith(("_s", "_seconds")):
        return "s"
    if n.endswith("mib"):
        return "MiB"
    if "bytes" in n:
        return "B"
    if n.startswith("ratio"):
        return "x"
    return None
