"""Integration: rule wiki_fetch run by real Snakemake against a Wikipedia dump site on
127.0.0.1 (tests/dumpserver.py: a dated directory laid out like Wikimedia's, with a small
real-format pages-articles dump, its dumpstatus.json and sums listings), with the faults a
real download meets: a cut connection, a server that ignores Range, error answers, a file
that is not what the listing says."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
import yaml

from conftest import copy_workflow, refused_config, run_snakemake
from dumpserver import (
    DATE,
    NAME,
    Fault,
    make_dump,
    serve_dump,
)

pytestmark = pytest.mark.workflow

PATH = f"/enwiki/{DATE}/{NAME}"
DUMP = "resources/wiki/dump.xml.bz2"
SOURCE = "resources/wiki/SOURCE.json"
CORPUS = "resources/wiki/download/AA/wiki_00"
PART = "resources/wiki/.dump.xml.bz2.part"


@pytest.fixture(scope="module")
def dump() -> bytes:
    """About 236 KB of bz2: 800 pages of made-up words (WikiExtractor makes one file of it)."""
    return make_dump([f"Title {i}" for i in range(800)], words_per_page=150, seed=1)


@pytest.fixture
def site(tmp_path, dump, monkeypatch):
    """The dump site, served; the workflow's requests to 127.0.0.1 go straight to it."""
    with serve_dump(tmp_path / "site", dump, monkeypatch) as server:
        yield server


def fetch(workdir, url: str, *targets: str, check: bool = True, **wiki):
    """Snakemake on the test config with wiki.source download from ``url`` (and ``wiki``)."""
    settings = {"source": "download", "files": 1, "url": url, "retry_wait": 0.01, **wiki}
    (workdir / "download.yaml").write_text(yaml.safe_dump({"wiki": settings}))
    configs = ["config/test.yaml", "download.yaml"]
    proc = run_snakemake(workdir, *(targets or (DUMP,)), configfile=configs, check=check)
    return proc, proc.stdout + proc.stderr


def left(workdir) -> list[str]:
    """What a failed fetch left under resources/wiki/ (a later run must accept none of it)."""
    wiki = workdir / "resources" / "wiki"
    return sorted(p.name for p in wiki.iterdir()) if wiki.exists() else []


def test_a_download_is_verified_and_its_corpus_is_the_file_urls(site, dump, tmp_path):
    """Over HTTP, checked against the published dumpstatus.json, with progress in the log: the
    corpus is the one WikiExtractor makes of the same dump fetched by file://."""
    over_http, local = copy_workflow(tmp_path / "http"), copy_workflow(tmp_path / "file")
    fetch(over_http, site.url(PATH), CORPUS, SOURCE)
    fetch(local, (site.root / PATH.lstrip("/")).as_uri(), CORPUS, SOURCE)
    corpus = (over_http / CORPUS).read_bytes()
    assert corpus == (local / CORPUS).read_bytes() and corpus.count(b"<doc ") == 800
    assert (over_http / DUMP).read_bytes() == dump
    sha1 = f"sha1:{hashlib.sha1(dump).hexdigest()}"
    record = json.loads((over_http / SOURCE).read_text())
    assert record["url"] == site.url(PATH) and record["checksum"] == sha1
    assert record["verified"] is True and record["bytes"] == len(dump)
    assert record["verified_against"] == site.url(f"/enwiki/{DATE}/dumpstatus.json")
    record = json.loads((local / SOURCE).read_text())
    assert record["checksum"] == sha1
    assert record["verified_against"] == (site.root / "enwiki" / DATE / "dumpstatus.json").as_uri()
    log = (over_http / "logs" / "wiki_fetch.log").read_text()
    assert f"{site.url(PATH)}: {len(dump)} bytes" in log  # the size, before the first byte
    progress = re.findall(r"dump\.xml\.bz2: [\d.]+ MB of [\d.]+ MB \((\d+)%\), [\d.]+ MB/s", log)
    assert len(progress) >= 3 and progress[-1] == "100", log
    assert left(over_http) == ["SOURCE.json", "download", "dump.xml.bz2"]


@pytest.mark.parametrize("wrong", ["given", "published"])
def test_a_checksum_mismatch_fails_and_leaves_nothing(site, dump, workflow_copy, wrong):
    """A wrong wiki.checksum, or a listing that disagrees with the file: the rule fails naming
    the URL, the expected and the actual checksum, and leaves neither the dump, nor a partial
    file, nor a record; the next run downloads afresh."""
    url, bad, actual = site.url(PATH), "f" * 40, hashlib.sha1(dump).hexdigest()
    status = site.root / "enwiki" / DATE / "dumpstatus.json"
    published = status.read_text()
    if wrong == "given":
        proc, out = fetch(workflow_copy, url, check=False, checksum=f"sha1:{bad}")
        origin = "wiki.checksum"
    else:
        status.write_text(published.replace(actual, bad))
        proc, out = fetch(workflow_copy, url, check=False)
        origin = site.url(f"/enwiki/{DATE}/dumpstatus.json")
    assert proc.returncode != 0
    message = f"{url}: checksum mismatch: expected sha1:{bad} ({origin}), got sha1:{actual}"
    assert message in out, out
    assert left(workflow_copy) == []
    status.write_text(published)
    fetch(workflow_copy, url)
    assert (workflow_copy / DUMP).read_bytes() == dump
    assert site.ranges(PATH) == [None, None]  # the second run started from the first byte


def test_a_cut_connection_is_resumed_in_the_same_run(site, dump, workflow_copy):
    half = len(dump) // 2
    site.faults[PATH] = Fault(cut_at=half, times=1)
    fetch(workflow_copy, site.url(PATH), DUMP, SOURCE)
    assert (workflow_copy / DUMP).read_bytes() == dump
    assert site.ranges(PATH) == [None, f"bytes={half}-"]
    log = (workflow_copy / "logs" / "wiki_fetch.log").read_text()
    assert f"the connection broke at byte {half} of {len(dump)}" in log
    assert "retry 1 of 5 in 0.01 s" in log
    # how the dump is fetched is no reason to fetch it again
    _, out = fetch(workflow_copy, site.url(PATH), "-n", DUMP, retries=1, retry_wait=9)
    assert "Nothing to be done" in out, out


def test_retries_exhausted_keep_the_partial_file_and_the_next_run_resumes(
    site, dump, workflow_copy
):
    half = len(dump) // 2
    site.faults[PATH] = Fault(cut_at=half, times=None)  # every answer stops at the same byte
    proc, out = fetch(workflow_copy, site.url(PATH), check=False, retries=2)
    assert proc.returncode != 0
    assert f"{site.url(PATH)}: the connection" in out and "(gave up after 2 retries)" in out
    assert f"the {half} bytes so far are kept in {PART}, where the next run resumes" in out
    assert (workflow_copy / PART).stat().st_size == half
    assert not (workflow_copy / DUMP).exists() and not (workflow_copy / SOURCE).exists()
    assert site.ranges(PATH) == [None] + [f"bytes={half}-"] * 2
    site.faults.clear()
    site.seen.clear()
    fetch(workflow_copy, site.url(PATH), retries=2)
    assert site.ranges(PATH) == [f"bytes={half}-"]  # resumed from the kept partial file
    assert (workflow_copy / DUMP).read_bytes() == dump
    assert left(workflow_copy) == ["SOURCE.json", "dump.xml.bz2"]


@pytest.mark.parametrize(
    "status, said",
    [(404, "HTTP 404 Not Found"), (500, "HTTP 500 Internal Server Error (gave up after 1 retry)")],
)
def test_error_answers_name_the_url_and_the_status(site, workflow_copy, status, said):
    site.faults[PATH] = Fault(status=status, times=None)
    proc, out = fetch(workflow_copy, site.url(PATH), check=False, retries=1)
    assert proc.returncode != 0
    assert f"{site.url(PATH)}: {said}" in out, out
    assert left(workflow_copy) == []
    assert len(site.ranges(PATH)) == (1 if status == 404 else 2)


def test_a_server_that_ignores_range_is_downloaded_again_whole(site, dump, workflow_copy):
    half = len(dump) // 2
    site.faults[PATH] = Fault(cut_at=half, times=1, ignore_range=True)
    fetch(workflow_copy, site.url(PATH))
    assert (workflow_copy / DUMP).read_bytes() == dump
    assert site.ranges(PATH) == [None, f"bytes={half}-"]
    assert [s.status for s in site.seen if s.path == PATH] == [200, 200]
    log = (workflow_copy / "logs" / "wiki_fetch.log").read_text()
    assert "the server sent the whole file (HTTP 200 to a Range request)" in log


@pytest.mark.parametrize(
    "overlay, message",
    [
        ("checksum: 'crc32:0a1b2c3d'", "wiki.checksum: unknown algorithm 'crc32'"),
        ("checksum: 'sha1:0a1b2c3d'", "wiki.checksum: the sha1 digest '0a1b2c3d' is not 40"),
        ("checksum: 'sha256:xyz'", "wiki.checksum: the sha256 digest 'xyz' is not 64 hex"),
        ("url: 'ftp://mirror.example/enwiki/x.bz2'", "wiki.url: 'ftp://mirror.example/"),
        ("url: 'https:///enwiki/x.bz2'", "wiki.url: 'https:///enwiki/x.bz2' names no host"),
    ],
)
def test_a_bad_checksum_or_url_fails_before_any_job_naming_the_key(workflow_copy, overlay, message):
    text = f"wiki:\n  source: download\n  url: 'https://h/enwiki/{DATE}/{NAME}'\n  {overlay}\n"
    out = refused_config(workflow_copy, text, "-n")
    assert f"invalid config key {message}" in out, out
    assert "Traceback" not in out and "Job stats" not in out
