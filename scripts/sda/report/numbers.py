"""Numbers as the report shows them: 3 significant digits, thousands separators, units.

Integers (counts, years, identifiers) are shown exactly, with separators from 10,000 on;
other numbers are rounded to 3 significant digits. Seconds are scaled to s, ms, µs or ns;
byte counts (and sizes given in MiB) to B, KiB, MiB or GiB; ratios get a ``×``. The unit of
a column comes from its name (:func:`column_unit`) or, in long tables with a ``unit`` column,
from that row's unit.
"""

from __future__ import annotations

import math

DIGITS = 3
SECONDS = (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9))
BYTES = (("GiB", 2.0**30), ("MiB", 2.0**20), ("KiB", 2.0**10), ("B", 1.0))
BYTE_UNITS = dict((name, factor) for name, factor in BYTES)


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


def integer(n: int) -> str:
    """An integer exactly; thousands separators from 10,000 on (years stay 1981)."""
    return f"{n:,}" if abs(n) >= 10_000 else str(n)


def scaled(x: float, units) -> str:
    """``x`` (in the unit of factor 1) in the largest of ``units`` (largest first) it reaches;
    rounded first, so that 0.9996 s is '1.00 s', not '1,000 ms'."""
    rounded = round_significant(x)
    if rounded == 0:
        return "0 " + next(name for name, factor in units if factor == 1.0)
    for name, factor in units:
        if abs(rounded) >= factor * (1 - 1e-12):
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


def is_number(value) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (int, float)):
        return True
    return hasattr(value, "dtype") and value.dtype.kind in "iuf"


def human(value, unit: str | None = None) -> str:
    """How the report shows ``value`` (in ``unit``: 's', 'B', 'MiB', 'x' or any other label)."""
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
    if unit:
        return f"{human(value)} {unit}"
    if getattr(value, "dtype", None) is not None and value.dtype.kind in "iu":
        return integer(int(value))
    if isinstance(value, int) or (x.is_integer() and abs(x) < 1e15):
        return integer(int(x))
    return significant(x)


def column_unit(name: str) -> str | None:
    """The unit of a result column, from its name: a rate (``*gb_per_s``), seconds
    (``seconds``, ``*_s``), MiB
    (``*mib``), bytes (``*bytes*``), ratios (``ratio*``); None for plain numbers."""
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
