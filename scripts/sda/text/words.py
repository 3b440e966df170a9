"""Words: the lesson's cleaning, top-k tables, and reading text files.

Tokenisation is Python's ``str.split()`` (whitespace as Python defines it, ``str.isspace``).
The cleaned tokens are ``text.translate(<remove string.punctuation>).lower().split()``.
Top-k tables break ties by count descending, then word ascending (code-point order).

Bytes that are not UTF-8 are decoded with ``wiki.encoding_errors`` (``replace`` by default:
each bad sequence becomes U+FFFD; ``ignore`` drops it; ``strict`` fails naming the file), the
same policy for every path and baseline; the number of such files and bytes is logged.
"""

from __future__ import annotations

import codecs
import contextlib
import glob
import heapq
import string
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from sda.io import InputError

PUNCT_TABLE = {ord(c): None for c in string.punctuation}


# string.punctuation as an RE2 character class: every character escaped.
PUNCT_RE = "[" + "".join("\\" + c for c in string.punctuation) + "]"


ERROR_POLICIES = ("strict", "replace", "ignore")


def clean(text: str) -> str:
    """The lesson's cleaning: remove ``string.punctuation``, lower-case."""
    return text.translate(PUNCT_TABLE).lower()


def top_k(counts: Mapping[str, int] | Iterable[tuple[str, int]], k: int) -> list[tuple[str, int]]:
    """The ``k`` most frequent words: count descending, then word ascending."""
    items = counts.items() if isinstance(counts, Mapping) else counts
    return heapq.nsmallest(k, items, key=lambda wn: (-wn[1], wn[0]))


def matching_files(pattern: str) -> list[str]:
    """Sorted regular files matching the glob ``pattern`` (directories are not corpus files)."""
    return sorted(p for p in glob.glob(pattern) if Path(p).is_file())


_LOCAL = threading.local()


def _counting_handler(exc: UnicodeDecodeError):
    _LOCAL.bad += exc.end - exc.start
    return codecs.lookup_error(_LOCAL.policy)(exc)


codecs.register_error("sda-counting", _counting_handler)


def decode(data: bytes, errors: str, path: str | Path = "<bytes>") -> tuple[str, int]:
    """Decode UTF-8 with the ``errors`` policy; return the text and the number of bad bytes."""
    try:
        return data.decode("utf-8"), 0
    except UnicodeDecodeError as exc:
        if errors == "strict":
            raise InputError(
                f"{path}: not UTF-8 at byte {exc.start} ({exc.reason}); "
                "set wiki.encoding_errors to replace or ignore to read it anyway"
            ) from None
    if errors not in ERROR_POLICIES:
        raise ValueError(f"unsupported encoding_errors {errors!r}")
    _LOCAL.bad, _LOCAL.policy = 0, errors
    text = data.decode("utf-8", errors="sda-counting")
    return text, _LOCAL.bad


def read_text(path: str | Path, errors: str = "replace") -> tuple[str, int]:
    """A file's text and its number of bytes that were not UTF-8; errors name the file."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    return decode(data, errors, path)


@contextlib.contextmanager
def naming_undecodable(files: Sequence[str | Path]):
    """Around a computation on ``db.read_text`` (the lesson's bag): its ``UnicodeDecodeError``
    under ``errors="strict"`` names no file; raise :class:`InputError` naming the first file of
    ``files`` that is not UTF-8 instead (found by reading them again, only on failure)."""
    try:
        yield
    except UnicodeDecodeError as exc:
        for f in files:
            read_text(f, "strict")
        raise InputError(f"{files[0]} (or one of {len(files)} files): not UTF-8 ({exc})") from None
