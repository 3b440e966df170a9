"""A large file over HTTP(S) that survives a cut connection: resumed, retried, logged.

The bytes go to a partial file with a fixed name beside the output (``.<name>.part``) and its
bookkeeping (``.<name>.part.json``: the URL, the total size, the server's validator). An
attempt that breaks off leaves them; the next attempt, in this run or a later one, asks for
the rest with an HTTP ``Range`` request (``If-Range`` with the validator, so a file that
changed on the server is sent whole). A server that ignores ``Range`` (``200`` to a ranged
request) sends the whole file, which then replaces the partial one. Cut connections, timeouts,
``5xx``, ``408`` and ``429`` answers are retried a bounded number of times with exponential
back-off (:class:`RetryPolicy`); other answers (``404``) fail at once. Progress is logged every
tenth of the file (:class:`Progress`).

The session is a plain ``requests.Session``: it reads ``http_proxy``, ``https_proxy`` and
``no_proxy`` from the environment.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

from sda.disk import is_no_space, megabytes, no_space_error
from sda.io import InputError, remove, write_json

log = logging.getLogger(__name__)

CHUNK = 1 << 16  # bytes read from the socket at a time
TIMEOUT = (30, 60)  # seconds to connect, and of silence while reading, before an attempt fails
RETRY_STATUS = {408, 429}  # besides 5xx: answers that say "try again later"
T = TypeVar("T")


class DownloadError(InputError):
    """A download that cannot succeed as asked; the message names the URL."""


class Retryable(DownloadError):
    """A failed attempt that another attempt may get past: a cut connection, a timeout, a
    server error."""


@dataclass(frozen=True)
class RetryPolicy:
    """``retries`` attempts after the first; the n-th retry waits ``first_wait * factor**(n-1)``
    seconds, at most ``max_wait``."""

    retries: int = 5
    first_wait: float = 2.0
    factor: float = 2.0
    max_wait: float = 60.0

    def wait(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1, 2, …)."""
        return min(self.max_wait, self.first_wait * self.factor ** (retry - 1))


def with_retries(
    attempt: Callable[[], T],
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``attempt()``, again after each :class:`Retryable` failure as ``policy`` says; the last
    failure is raised as a :class:`DownloadError` that says how many retries were made."""
    for retry in range(policy.retries + 1):
        try:
            return attempt()
        except Retryable as exc:
            if retry == policy.retries:
                tries = f"{policy.retries} {'retry' if policy.retries == 1 else 'retries'}"
                raise DownloadError(f"{exc} (gave up after {tries})") from None
            wait = policy.wait(retry + 1)
            log.warning("%s; retry %d of %d in %.3g s", exc, retry + 1, policy.retries, wait)
            sleep(wait)
    raise AssertionError("unreachable")


def progress_line(name: str, done: int, total: int | None, new: int, seconds: float) -> str:
    """``dump.xml.bz2: 48 MB of 239 MB (20%), 5.1 MB/s``: bytes so far (``done``) of
    ``total``, and the rate of the ``new`` bytes this attempt got in ``seconds``."""
    rate = f"{megabytes(new / seconds)}/s" if seconds > 0 else "-"
    if total:
        percent = 100 * done // total  # never 100% before the last byte
        return f"{name}: {megabytes(done)} of {megabytes(total)} ({percent}%), {rate}"
    return f"{name}: {megabytes(done)}, {rate}"


class Progress:
    """Logs a :func:`progress_line` each time the download passes another tenth of ``total``
    (every 10 MB when the size is unknown), and at the end."""

    def __init__(
        self,
        name: str,
        total: int | None,
        start: int = 0,
        clock: Callable[[], float] = time.monotonic,
        step: float = 0.1,
    ):
        self.name, self.total, self.start, self.clock = name, total, start, clock
        self.every = max(1, int(total * step)) if total else 10 * 10**6
        self.began = clock()
        self.next = (start // self.every + 1) * self.every
        self.shown = start
        self.lines: list[str] = []

    def update(self, done: int, final: bool = False) -> None:
        """``done`` bytes are here; ``final``: the download is complete."""
        if done < self.next and not (final and done != self.shown):
            return
        self.shown = done
        self.next = (done // self.every + 1) * self.every
        line = progress_line(
            self.name, done, self.total, done - self.start, self.clock() - self.began
        )
        self.lines.append(line)
        log.info("%s", line)


# --- the partial file and its bookkeeping ---------------------------------------------------


@dataclass(frozen=True)
class PartState:
    """What the partial file holds: the first bytes of ``url``, of ``total`` bytes in all (if
    known), as the server's ``validator`` (ETag, else Last-Modified) named them."""

    url: str
    total: int | None = None
    validator: str | None = None


def part_paths(dest: str | Path) -> tuple[Path, Path]:
    """The partial file beside ``dest`` and its bookkeeping: ``.<name>.part``, ``.part.json``."""
    dest = Path(dest)
    return dest.parent / f".{dest.name}.part", dest.parent / f".{dest.name}.part.json"


def read_state(state_path: Path) -> PartState | None:
    try:
        data = json.loads(state_path.read_text(encoding="utf-8"))
        return PartState(str(data["url"]), data.get("total"), data.get("validator"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def discard_part(dest: str | Path) -> None:
    for path in part_paths(dest):
        remove(path)


def resume_point(dest: str | Path, url: str) -> tuple[int, PartState | None]:
    """The bytes of ``url`` already in the partial file of ``dest`` and its bookkeeping; a
    partial file of another URL, without bookkeeping, or longer than the file, is removed."""
    part, state_path = part_paths(dest)
    state = read_state(state_path)
    have = part.stat().st_size if part.exists() else 0
    usable = state is not None and state.url == url
    if usable and state.total is not None and have > state.total:
        usable = False
    if not usable:
        if have or state is not None:
            log.info("%s: the partial download is not of %s: starting afresh", part, url)
        discard_part(dest)
        return 0, None
    return have, state


CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


def content_range(value: str | None) -> tuple[int, int | None] | None:
    """``(first byte, total or None)`` of a ``Content-Range: bytes 100-199/1000`` header."""
    match = CONTENT_RANGE.fullmatch((value or "").strip())
    if match is None:
        return None
    total = match.group(3)
    return int(match.group(1)), None if total == "*" else int(total)


def unsatisfiable_total(value: str | None) -> int | None:
    """The total of a ``416`` answer's ``Content-Range: bytes */1000``."""
    match = re.fullmatch(r"bytes \*/(\d+)", (value or "").strip())
    return int(match.group(1)) if match else None


# --- HTTP -------------------------------------------------------------------------------------


def session():
    """A ``requests.Session``: proxies from ``http_proxy``/``https_proxy``/``no_proxy``."""
    import requests

    return requests.Session()


def _network_errors() -> tuple[type[BaseException], ...]:
    import requests
    import urllib3

    return (requests.RequestException, urllib3.exceptions.HTTPError, OSError)


def reason(exc: BaseException) -> str:
    """An exception of the network as one short phrase (urllib3 nests the cause in a tuple)."""
    first = exc.args[0] if exc.args else exc
    text = first if isinstance(first, str) else str(exc) or type(exc).__name__
    return text if len(text) <= 200 else f"{text[:200]}…"


def http_status_error(url: str, response) -> DownloadError:
    """A :class:`Retryable` for 5xx, 408, 429; a :class:`DownloadError` for other statuses."""
    code = response.status_code
    message = f"{url}: HTTP {code} {response.reason or ''}".rstrip()
    return (Retryable if code >= 500 or code in RETRY_STATUS else DownloadError)(message)


def get_text(http, url: str, policy: RetryPolicy, sleep=time.sleep) -> str | None:
    """A small text file (a checksum listing) over HTTP, retried as the dump is; None when the
    server has none (a ``4xx`` answer)."""
    errors = _network_errors()

    def attempt() -> str | None:
        try:
            response = http.get(url, timeout=TIMEOUT)
        except errors as exc:
            raise Retryable(f"{url}: {reason(exc)}") from None
        with response:
            if 400 <= response.status_code < 500 and response.status_code not in RETRY_STATUS:
                log.info("%s: HTTP %d: not published there", url, response.status_code)
                return None
            if response.status_code != 200:
                raise http_status_error(url, response)
            return response.content.decode("utf-8", errors="replace")

    return with_retries(attempt, policy, sleep)


def write_all(fh, data: bytes) -> None:
    """All of ``data`` to the unbuffered file ``fh`` (whose ``write`` may write less)."""
    view = memoryview(data)
    while view:
        view = view[fh.write(view) :]


def download_attempt(
    http,
    url: str,
    dest: str | Path,
    on_size: Callable[[int | None, int], None] = lambda total, have: None,
    clock: Callable[[], float] = time.monotonic,
    chunk: int = CHUNK,
) -> int:
    """One attempt at the rest of ``url`` into the partial file of ``dest``; returns its size
    once complete. ``on_size(total, have)`` is called before any byte is written (the free
    space check). A cut connection, a timeout or a server error raises :class:`Retryable` and
    leaves the partial file for the next attempt."""
    part, state_path = part_paths(dest)
    have, state = resume_point(dest, url)
    headers = {"Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
        if state.validator:
            headers["If-Range"] = state.validator
    errors = _network_errors()
    try:
        response = http.get(url, headers=headers, stream=True, timeout=TIMEOUT)
    except errors as exc:
        raise Retryable(f"{url}: {reason(exc)}") from None
    with response:
        code = response.status_code
        if code == 416 and have:
            total = unsatisfiable_total(response.headers.get("Content-Range"))
            if total == have:
                log.info("%s: the partial download already holds all %d bytes", url, have)
                return have
            discard_part(dest)
            raise Retryable(f"{url}: HTTP 416 for bytes {have}- of {total}: starting afresh")
        if code not in (200, 206):
            raise http_status_error(url, response)
        length = response.headers.get("Content-Length")
        if code == 206:
            first, total = content_range(response.headers.get("Content-Range")) or (None, None)
            if first != have:
                discard_part(dest)
                raise Retryable(f"{url}: asked for bytes {have}-, got {first}-: starting afresh")
        else:
            if have:
                log.info("%s: the server sent the whole file (HTTP 200 to a Range request)", url)
            have = 0
            total = int(length) if length and length.isdigit() else None
        etag = response.headers.get("ETag")  # If-Range takes a strong ETag, or a date
        strong = etag if etag and not etag.startswith("W/") else None
        validator = strong or response.headers.get("Last-Modified")
        on_size(total, have)
        write_json(state_path, asdict(PartState(url, total, validator)))
        log.info(
            "%s: %s%s",
            url,
            f"{total} bytes ({megabytes(total)})" if total else "size unknown",
            f", {have} already here" if have else "",
        )
        progress = Progress(Path(dest).name, total, have, clock)
        stream = response.raw.stream(chunk, decode_content=False)
        # unbuffered: a full disk fails a write below, never close() after it
        with open(part, "ab" if have else "wb", buffering=0) as fh:
            while True:
                try:
                    block = next(stream, None)
                except errors as exc:
                    raise Retryable(
                        f"{url}: the connection broke at byte {have} of {total or '?'} "
                        f"({reason(exc)})"
                    ) from None
                if block is None:
                    break
                try:
                    write_all(fh, block)
                except OSError as exc:
                    if is_no_space(exc, part.parent):
                        raise no_space_error(part, total, have) from None
                    raise
                have += len(block)
                progress.update(have)
    if total is not None and have < total:
        raise Retryable(f"{url}: the connection closed at byte {have} of {total}")
    if total is not None and have > total:
        discard_part(dest)
        raise Retryable(f"{url}: {have} bytes sent, more than the {total} announced")
    progress.update(have, final=True)
    return have


def download(
    url: str,
    dest: str | Path,
    policy: RetryPolicy = RetryPolicy(),
    on_size: Callable[[int | None, int], None] = lambda total, have: None,
    sleep: Callable[[float], None] = time.sleep,
    http=None,
) -> Path:
    """``url`` whole in the partial file of ``dest`` (:func:`part_paths`), resumed and retried
    as ``policy`` says; returns the partial file (the caller verifies it and renames it)."""
    part = part_paths(dest)[0]
    with contextlib.ExitStack() as stack:
        if http is None:
            http = stack.enter_context(contextlib.closing(session()))
        try:
            with_retries(lambda: download_attempt(http, url, dest, on_size), policy, sleep)
        except DownloadError as exc:
            kept = part.stat().st_size if part.exists() else 0
            if not kept:
                raise
            raise DownloadError(
                f"{exc}; the {kept} bytes so far are kept in {part}, where the next run resumes"
            ) from None
    return part
