"""A Wikipedia dump site on 127.0.0.1 for the download tests: a small real-format
``pages-articles`` dump in a dated directory laid out like Wikimedia's (the dump,
``dumpstatus.json``, ``…-sha1sums.txt``, ``…-md5sums.txt``), served by a real HTTP server that
honours ``Range`` and can misbehave on request (cut a transfer, ignore ``Range``, answer an
error status), and a forward proxy. Both listen on 127.0.0.1 only and record what they were
asked.
"""

from __future__ import annotations

import bz2
import contextlib
import hashlib
import http.client
import http.server
import json
import random
import re
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DATE = "20261101"
NAME = f"enwiki-{DATE}-pages-articles1.xml-p1p41242.bz2"

# WikiExtractor parses the dump line by line: one tag per line, as in real dumps.
DUMP = """<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" xml:lang="en">
  <siteinfo>
    <sitename>Wikipedia</sitename>
    <dbname>enwiki</dbname>
    <base>https://en.wikipedia.org/wiki/Main_Page</base>
    <generator>MediaWiki 1.35</generator>
    <case>first-letter</case>
    <namespaces>
      <namespace key="0" case="first-letter" />
      <namespace key="10" case="first-letter">Template</namespace>
    </namespaces>
  </siteinfo>
{pages}
</mediawiki>
"""
PAGE = """  <page>
    <title>{title}</title>
    <ns>0</ns>
    <id>{id}</id>
    <revision>
      <id>{rev}</id>
      <text xml:space="preserve">An '''{title}''' is a [[fruit]]. {title}s are ''sweet''.
== History ==
The {title} tree was grown in [[Asia|Central Asia]] [http://x.org see]. {body}</text>
    </revision>
  </page>"""


def make_dump(titles: list[str], words_per_page: int = 0, seed: int = 0) -> bytes:
    """A ``pages-articles`` dump (bz2) of one page per title, each with ``words_per_page``
    words drawn from made-up syllables after its fixed sentences."""
    rng = random.Random(seed)
    syllables = "ka lo mi ren tas vel or an dri sup ex por mun gal te bra cor lin nu sa".split()
    pages = []
    for i, title in enumerate(titles):
        words = (
            "".join(rng.choice(syllables) for _ in range(rng.randint(1, 4)))
            for _ in range(words_per_page)
        )
        pages.append(PAGE.format(title=title, id=i + 1, rev=100 + i, body=" ".join(words)))
    return bz2.compress(DUMP.format(pages="\n".join(pages)).encode())


def dump_directory(root: Path, data: bytes, date: str = DATE, name: str = NAME) -> Path:
    """``root/enwiki/<date>/``: the dump ``name`` and Wikimedia's listings of it; returns the
    dump's path."""
    directory = root / "enwiki" / date
    directory.mkdir(parents=True, exist_ok=True)
    dump = directory / name
    dump.write_bytes(data)
    sha1, md5 = hashlib.sha1(data).hexdigest(), hashlib.md5(data).hexdigest()
    other = f"enwiki-{date}-pages-articles2.xml-p41243p151573.bz2"
    status = {
        "jobs": {
            "articlesdump": {
                "status": "done",
                "updated": f"{date[:4]}-{date[4:6]}-02 10:00:00",
                "files": {
                    name: {"size": len(data), "url": f"/enwiki/{date}/{name}",
                           "md5": md5, "sha1": sha1},
                    other: {"size": 1, "url": f"/enwiki/{date}/{other}",
                            "md5": "0" * 32, "sha1": "0" * 40},
                },
            },
            "sitestatstable": {"status": "done", "files": {}},
        },
        "version": "0.8",
    }  # fmt: skip
    (directory / "dumpstatus.json").write_text(json.dumps(status, indent=1))
    for algorithm, digest in (("sha1", sha1), ("md5", md5)):
        zero = "0" * len(digest)
        listing = f"{zero}  {other}\n{digest}  {name}\n"
        (directory / f"enwiki-{date}-{algorithm}sums.txt").write_text(listing)
    return dump


PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def direct_to_loopback(monkeypatch) -> None:
    """Requests to 127.0.0.1 go straight to the test servers, whatever proxies the machine
    sets: no proxy variable (either case) but ``no_proxy=127.0.0.1,localhost``."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@dataclass
class Fault:
    """How the server misbehaves for one path, ``times`` times (None: always): close the
    connection once the file's byte ``cut_at`` is sent, answer ``status`` with no body, or
    answer a ranged request with the whole file (``ignore_range``, every time)."""

    cut_at: int | None = None
    status: int | None = None
    ignore_range: bool = False
    times: int | None = 1

    def applies(self) -> bool:
        if self.times is None:
            return True
        if self.times > 0:
            self.times -= 1
            return True
        return False


@dataclass
class Seen:
    """A request the server answered: its path, its ``Range`` header and what it answered."""

    path: str
    range: str | None
    status: int = 0


class DumpHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: DumpServer

    def log_message(self, *args) -> None:  # quiet: the tests assert on Seen
        pass

    def do_GET(self) -> None:
        server = self.server
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        seen = Seen(path, self.headers.get("Range"))
        server.seen.append(seen)
        fault = server.faults.get(path, Fault(times=0))
        file = (server.root / path.lstrip("/")).resolve()
        if fault.status is not None and fault.applies():
            return self.empty(seen, fault.status)
        if not file.is_relative_to(server.root) or not file.is_file():
            return self.empty(seen, 404)
        data = file.read_bytes()
        etag = f'"{hashlib.sha1(data).hexdigest()[:16]}"'
        start, status = 0, 200
        wanted = re.fullmatch(r"bytes=(\d+)-", seen.range or "")
        if_range = self.headers.get("If-Range")
        if wanted and not fault.ignore_range and if_range in (None, etag):
            start, status = int(wanted.group(1)), 206
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                seen.status = 416
                return
        seen.status = status
        self.send_response(status)
        self.send_header("Content-Length", str(len(data) - start))
        self.send_header("ETag", etag)
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        end = len(data)
        if fault.cut_at is not None and start <= fault.cut_at < end and fault.applies():
            end = fault.cut_at
            self.close_connection = True
        self.wfile.write(data[start:end])
        self.wfile.flush()

    def empty(self, seen: Seen, status: int) -> None:
        seen.status = status
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextlib.contextmanager
def serve_dump(root: Path, data: bytes, monkeypatch) -> Iterator[DumpServer]:
    """A dump site holding ``data`` under ``root`` (:func:`dump_directory`), served on
    127.0.0.1 and reached without a proxy (:func:`direct_to_loopback`)."""
    direct_to_loopback(monkeypatch)
    dump_directory(root, data)
    with DumpServer(root) as server:
        yield server


class DumpServer(http.server.ThreadingHTTPServer):
    """Serves ``root`` on 127.0.0.1 (a free port) in a thread while in a ``with`` block;
    ``faults`` by path (``/enwiki/20261101/<name>``), ``seen`` the requests answered."""

    daemon_threads = True

    def __init__(self, root: Path):
        super().__init__(("127.0.0.1", 0), DumpHandler)
        self.root = Path(root).resolve()
        self.faults: dict[str, Fault] = {}
        self.seen: list[Seen] = []
        self.thread = threading.Thread(target=self.serve_forever, args=(0.02,), daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{path.lstrip('/')}"

    def ranges(self, path: str) -> list[str | None]:
        """The ``Range`` headers of the requests of ``path``, in order (None: not ranged)."""
        return [s.range for s in self.seen if s.path == path]

    def __enter__(self) -> DumpServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    """A forward proxy for plain HTTP to 127.0.0.1 only: it forwards a GET of an absolute URL
    and relays the answer."""

    server: ForwardProxy

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        self.server.seen.append(self.path)
        target = urllib.parse.urlsplit(self.path)
        if target.hostname != "127.0.0.1":
            self.send_error(403, "this test proxy forwards to 127.0.0.1 only")
            return
        skip = {"proxy-connection", "connection", "keep-alive", "proxy-authorization"}
        headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
        conn = http.client.HTTPConnection("127.0.0.1", target.port, timeout=30)
        try:
            conn.request("GET", target.path or "/", headers=headers)
            answer = conn.getresponse()
            body = answer.read()
        finally:
            conn.close()
        self.send_response(answer.status, answer.reason)
        for key, value in answer.getheaders():
            if key.lower() not in ("transfer-encoding", "connection"):
                self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)


class ForwardProxy(http.server.ThreadingHTTPServer):
    """A forward proxy on 127.0.0.1 (a free port) while in a ``with`` block; ``seen``: the
    URLs it was asked for."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), ProxyHandler)
        self.seen: list[str] = []
        self.thread = threading.Thread(target=self.serve_forever, args=(0.02,), daemon=True)

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> ForwardProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()
