"""Rule wiki_fetch: the Wikipedia dump named by ``wiki.url``, verified before anything uses it,
and a record of which dump it is.

The expected checksum is ``wiki.checksum`` when set; when empty, the one Wikimedia publishes
beside the dump (:mod:`sda.text.dumps`: ``dumpstatus.json``, which also gives the size, then
the ``-sha1sums.txt`` and ``-md5sums.txt`` listings); when none is published the rule fails
naming ``wiki.checksum``, which may be ``skip`` (the dump is then used unverified, and the log
and the report say so). An ``http(s)://`` dump is downloaded resumably
(:mod:`sda.download`), a ``file://`` one copied; either way the output appears only once
the whole file is there and its size and checksum match. The digest is pooch's
(:func:`pooch.file_hash`). The record (``SOURCE.json``) gives the URL, the size, the checksum,
whether it was verified and against what.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from sda.disk import megabytes, require_free
from sda.download import (
    DownloadError,
    RetryPolicy,
    discard_part,
    download,
    get_text,
    session,
)
from sda.io import InputError, atomic_path, now_iso, write_json
from sda.text.dumps import (
    SKIP,
    Checksum,
    Published,
    file_name,
    listing_urls,
    parse_checksum,
    parse_listing,
)

log = logging.getLogger(__name__)

# The extraction's size, as a multiple of the dump's: bzip2 compresses the text WikiExtractor
# writes 3.5-fold (docs/text.md has the command that measures it), and the dump's XML holds
# that text and more, so its compressed size is at least the text's compressed size.
EXTRACT_RATIO = 4


def is_file_url(url: str) -> bool:
    return urllib.parse.urlsplit(url).scheme == "file"


def local_path(url: str) -> Path:
    """The path of a ``file://`` URL."""
    return Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path))


def expected_checksum(
    url: str, checksum: str, read: Callable[[str], str | None]
) -> Published | None:
    """What the dump at ``url`` must match: ``checksum`` (``wiki.checksum``) when given, None
    for ``skip``, otherwise the first listing beside the dump that names it (``read(url)``: a
    listing's text, None where there is none). No listing naming it fails, naming the key."""
    if checksum == SKIP:
        return None
    if checksum:
        return Published(parse_checksum(checksum), None, "wiki.checksum")
    name = file_name(url)
    tried = []
    for listing, kind in listing_urls(url):
        tried.append(listing)
        text = read(listing)
        if text is None:
            continue
        found = parse_listing(text, kind, name, listing)
        if found is not None:
            return found
        log.info("%s does not list %s", listing, name)
    raise InputError(
        f"wiki.url {url}: no checksum of {name} is published beside it (tried "
        f"{', '.join(tried)}): set wiki.checksum to its algorithm:hex-digest (e.g. sha1:<40 "
        f"hex digits>), or to {SKIP} to use the dump unverified"
    )


def read_listing(url: str, http, policy: RetryPolicy, sleep) -> str | None:
    """A listing's text, from a file (``file://``) or over HTTP; None where there is none."""
    if is_file_url(url):
        try:
            return local_path(url).read_text(encoding="utf-8", errors="replace")
        except (FileNotFoundError, IsADirectoryError):
            return None
    return get_text(http, url, policy, sleep)


def size_check(url: str, dest: Path, expected: Published | None):
    """``on_size(total, have)`` of a download: the server's size must be the published one,
    and the disk must have room for the rest of the dump and for its extraction."""

    def on_size(total: int | None, have: int) -> None:
        published = expected.size if expected else None
        if published is not None and total is not None and total != published:
            raise DownloadError(
                f"{url}: the server's file is {total} bytes, {expected.listing} says "
                f"{published}: not the published dump"
            )
        size = total if total is not None else published
        if size is not None:
            require_free(dest.parent, size - have + EXTRACT_RATIO * size)

    return on_size


def verify(path: Path, url: str, expected: Published | None) -> Checksum:
    """The checksum of ``path`` by ``expected``'s algorithm (sha1 when there is none to match,
    as Wikimedia's listings give it); a size or checksum other than ``expected``'s fails,
    naming the URL, both values and where the expected one came from."""
    from pooch import file_hash

    algorithm = expected.checksum.algorithm if expected else "sha1"
    size = path.stat().st_size
    if expected is not None and expected.size is not None and size != expected.size:
        raise InputError(
            f"{url}: size mismatch: expected {expected.size} bytes ({expected.listing}), got {size}"
        )
    actual = Checksum(algorithm, file_hash(str(path), alg=algorithm))
    if expected is not None and actual != expected.checksum:
        raise InputError(
            f"{url}: checksum mismatch: expected {expected.checksum} ({expected.listing}), "
            f"got {actual}"
        )
    return actual


def fetch_dump(
    url: str,
    dest: str | Path,
    record: str | Path,
    checksum: str = "",
    retries: int = 5,
    retry_wait: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict:
    """The dump at ``url`` to ``dest``, verified (see the module's docstring), and its record
    to ``record`` (JSON); returns the record."""
    dest = Path(dest)
    policy = RetryPolicy(retries, first_wait=retry_wait, max_wait=max(60.0, retry_wait))
    if "latest" in urllib.parse.urlsplit(url).path.split("/"):
        log.warning(
            "wiki.url names the 'latest' dump, a different one every month: the result is "
            "not reproducible (%s records which dump it was)",
            record,
        )
    with contextlib.closing(session()) as http:
        expected = expected_checksum(url, checksum, lambda u: read_listing(u, http, policy, sleep))
        if expected is None:
            log.warning("wiki.checksum is %s: %s is used unverified", SKIP, url)
        else:
            size = f", {expected.size} bytes" if expected.size is not None else ""
            log.info("%s must have %s%s (from %s)", url, expected.checksum, size, expected.listing)
        on_size = size_check(url, dest, expected)
        if is_file_url(url):
            actual = copy_verified(url, dest, expected, on_size)
        else:
            part = download(url, dest, policy, on_size, sleep, http)
            try:
                actual = verify(part, url, expected)
            except InputError:
                discard_part(dest)
                raise
            os.replace(part, dest)
            discard_part(dest)
    made = {
        "url": url,
        "file": file_name(url),
        "bytes": dest.stat().st_size,
        "checksum": str(actual),
        "verified": expected is not None,
        "verified_against": expected.listing if expected else "",
        "fetched": now_iso(),
    }
    write_json(record, made)
    against = f"verified against {expected.listing}" if expected else "not verified"
    log.info("%s: %s, %s, %s", dest, megabytes(made["bytes"]), actual, against)
    return made


def copy_verified(url: str, dest: Path, expected: Published | None, on_size) -> Checksum:
    """A ``file://`` dump copied to ``dest`` under its temporary name, verified, renamed."""
    source = local_path(url)
    try:
        size = source.stat().st_size
    except OSError as exc:
        raise InputError(f"wiki.url {url}: cannot read the dump ({exc})") from None
    on_size(size, 0)
    with atomic_path(dest, size=size) as tmp:
        shutil.copyfile(source, tmp)
        return verify(tmp, url, expected)
