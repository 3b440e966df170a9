"""Wikipedia dumps' checksums: the one a config gives (``wiki.checksum``) and the ones Wikimedia
publishes beside every dated dump, in the dump's directory and on its mirrors.

A dated dump directory (``https://dumps.wikimedia.org/enwiki/20261101/``) holds, beside its
files:

- ``dumpstatus.json``: ``{"jobs": {"<job>": {"status": "done", "files": {"<file name>":
  {"size": N, "url": "/enwiki/20261101/<file name>", "md5": "…", "sha1": "…"}}}}, …}``;
- ``enwiki-20261101-sha1sums.txt`` and ``…-md5sums.txt``: one ``<hex>  <file name>`` line per
  file, as ``sha1sum`` and ``md5sum`` write them.

Everything here is plain parsing, without the network: :mod:`sda.text.fetch` reads the files.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import urllib.parse
from dataclasses import dataclass

from sda.io import InputError

SKIP = "skip"  # wiki.checksum: use the dump unverified (the log and the report say so)
# hashlib's fixed-length algorithms (shake_* have no fixed length); a digest is lower-case hex.
ALGORITHMS = {
    name: hashlib.new(name, usedforsecurity=False).digest_size * 2
    for name in sorted(hashlib.algorithms_guaranteed)
    if not name.startswith("shake_")
}
# The dump files' names start with the wiki and the date (or "latest"): enwiki-20261101-…
DUMP_PREFIX = re.compile(r"^(?P<prefix>[a-z0-9_]+-(?:\d{8}|latest))-")
DUMPSTATUS = "dumpstatus.json"


@dataclass(frozen=True)
class Checksum:
    """An algorithm of hashlib and the hex digest of a file by it."""

    algorithm: str
    digest: str

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.digest}"


def parse_checksum(text: str) -> Checksum:
    """``sha1:<40 hex digits>`` (any algorithm of :data:`ALGORITHMS`, upper- or lower-case
    hex) as a :class:`Checksum`; a ``ValueError`` saying what is wrong otherwise."""
    algorithm, sep, digest = text.strip().partition(":")
    if not sep:
        raise ValueError(
            f"{text!r} is not algorithm:hex-digest (e.g. sha1:<40 hex digits>); {SKIP} uses "
            "the dump unverified, and empty uses the checksums published beside the dump"
        )
    algorithm = algorithm.lower()
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r} (one of {', '.join(ALGORITHMS)})")
    length = ALGORITHMS[algorithm]
    if len(digest) != length or re.fullmatch(r"[0-9a-fA-F]+", digest) is None:
        shown = digest if len(digest) <= 20 else f"{digest[:20]}…"
        raise ValueError(
            f"the {algorithm} digest {shown!r} is not {length} hexadecimal digits "
            f"({len(digest)} characters)"
        )
    return Checksum(algorithm, digest.lower())


@dataclass(frozen=True)
class Published:
    """What a listing says of a dump file: its checksum, its size if it gives one, and the
    listing's URL."""

    checksum: Checksum
    size: int | None
    listing: str


def file_name(url: str) -> str:
    """The file name a URL ends in (``enwiki-20261101-pages-articles1.xml-p1p41242.bz2``)."""
    return urllib.parse.unquote(posixpath.basename(urllib.parse.urlsplit(url).path))


def listing_urls(url: str) -> list[tuple[str, str]]:
    """The listings published beside the dump ``url``, most informative first, as ``(URL,
    kind)``: ``dumpstatus.json`` (sizes, sha1 and md5), then the wiki's and date's
    ``-sha1sums.txt`` and ``-md5sums.txt`` (kind: the algorithm) when the file is named as
    Wikimedia names its dumps."""
    listings = [(urllib.parse.urljoin(url, DUMPSTATUS), "dumpstatus")]
    match = DUMP_PREFIX.match(file_name(url))
    if match:
        for algorithm in ("sha1", "md5"):
            name = f"{match['prefix']}-{algorithm}sums.txt"
            listings.append((urllib.parse.urljoin(url, name), algorithm))
    return listings


def listed_checksum(listing: str, algorithm: str, digest) -> Checksum:
    """A digest a listing gives, checked as ``wiki.checksum`` is; an error names the listing."""
    try:
        return parse_checksum(f"{algorithm}:{digest}")
    except ValueError as exc:
        raise InputError(f"{listing}: {exc}") from None


def parse_dumpstatus(text: str, name: str, listing: str) -> Published | None:
    """The sha1 (else md5) and size ``dumpstatus.json`` gives for the file ``name``; None when
    it does not list it. A job that is not done fails: its files are not complete yet."""
    try:
        status = json.loads(text)
    except ValueError as exc:
        raise InputError(f"{listing}: not a readable JSON file ({exc})") from None
    jobs = status.get("jobs") if isinstance(status, dict) else None
    if not isinstance(jobs, dict):
        raise InputError(f"{listing}: no 'jobs' object (not a dump's status file)")
    for job_name, job in jobs.items():
        files = job.get("files") if isinstance(job, dict) else None
        entry = files.get(name) if isinstance(files, dict) else None
        if not isinstance(entry, dict):
            continue
        if job.get("status") != "done":
            raise InputError(
                f"{listing}: job {job_name}, which writes {name}, is {job.get('status')!r}, "
                "not 'done': this dump is not finished yet (choose an earlier date)"
            )
        size = entry.get("size")
        size = size if isinstance(size, int) and not isinstance(size, bool) else None
        for algorithm in ("sha1", "md5"):
            if entry.get(algorithm):
                checksum = listed_checksum(listing, algorithm, entry[algorithm])
                return Published(checksum, size, listing)
    return None


def parse_sums(text: str, name: str, algorithm: str, listing: str) -> Published | None:
    """The digest a ``sha1sum``-style listing (``<hex>  <file name>`` lines; ``*`` before the
    name in binary mode) gives for ``name``; None when it does not list it."""
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].removeprefix("*") == name:
            return Published(listed_checksum(listing, algorithm, parts[0]), None, listing)
    return None


def parse_listing(text: str, kind: str, name: str, listing: str) -> Published | None:
    """What the listing ``listing`` of ``kind`` (:func:`listing_urls`) says of ``name``."""
    if kind == "dumpstatus":
        return parse_dumpstatus(text, name, listing)
    return parse_sums(text, name, kind, listing)
