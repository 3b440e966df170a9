"""sda.download: the retry policy and the progress lines on a fake clock, the partial
file's bookkeeping, and downloads from a real HTTP server on 127.0.0.1 that cuts, ignores
Range, fails, or is reached through a forward proxy."""

from __future__ import annotations

import logging
import re

import pytest

from dumpserver import (
    DATE,
    NAME,
    Fault,
    ForwardProxy,
    direct_to_loopback,
    serve_dump,
)
from sda.download import (
    DownloadError,
    PartState,
    Progress,
    Retryable,
    RetryPolicy,
    content_range,
    download,
    part_paths,
    progress_line,
    resume_point,
    session,
    with_retries,
)

PATH = f"/enwiki/{DATE}/{NAME}"
DATA = bytes(range(256)) * 1000  # 256,000 bytes: several reads of 64 KiB


class FakeClock:
    """``time.monotonic`` and ``time.sleep`` that only count."""

    def __init__(self):
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_back_off_doubles_up_to_its_ceiling():
    policy = RetryPolicy(retries=8, first_wait=2.0)
    assert [policy.wait(n) for n in range(1, 9)] == [2, 4, 8, 16, 32, 60, 60, 60]
    assert RetryPolicy(first_wait=0.5, factor=3, max_wait=5).wait(3) == 4.5


def test_retries_wait_as_the_policy_says_then_give_up_naming_the_failure():
    clock = FakeClock()
    calls = []

    def always_cut():
        calls.append(clock())
        raise Retryable("http://x/f: the connection closed at byte 5 of 10")

    with pytest.raises(DownloadError) as info:
        with_retries(always_cut, RetryPolicy(retries=3, first_wait=1.0), clock.sleep)
    assert not isinstance(info.value, Retryable)
    assert str(info.value) == (
        "http://x/f: the connection closed at byte 5 of 10 (gave up after 3 retries)"
    )
    assert clock.slept == [1.0, 2.0, 4.0] and calls == [0.0, 1.0, 3.0, 7.0]


def test_a_retry_that_succeeds_returns_and_a_final_error_is_not_retried():
    clock = FakeClock()
    answers = iter([Retryable("cut"), Retryable("cut"), 42])

    def attempt():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert with_retries(attempt, RetryPolicy(retries=2, first_wait=0.5), clock.sleep) == 42
    assert clock.slept == [0.5, 1.0]

    def not_found():
        raise DownloadError("http://x/f: HTTP 404 Not Found")

    with pytest.raises(DownloadError, match="^http://x/f: HTTP 404 Not Found$"):
        with_retries(not_found, RetryPolicy(retries=5), clock.sleep)
    assert clock.slept == [0.5, 1.0]  # no wait: a 404 is final

    def cut():
        raise Retryable("cut")

    with pytest.raises(DownloadError, match=r"^cut \(gave up after 1 retry\)$"):
        with_retries(cut, RetryPolicy(retries=1), clock.sleep)


def test_progress_lines_say_bytes_percent_and_rate():
    assert progress_line("d.bz2", 47_800_000, 238_700_000, 10_200_000, 2.0) == (
        "d.bz2: 48 MB of 239 MB (20%), 5.1 MB/s"
    )
    assert progress_line("d.bz2", 999, 1000, 999, 1.0).endswith("(99%), 0.00 MB/s")
    assert progress_line("d.bz2", 3_000_000, None, 3_000_000, 0.0) == "d.bz2: 3.0 MB, -"


def test_progress_is_logged_every_tenth_of_the_file(caplog):
    caplog.set_level(logging.INFO, logger="sda.download")
    clock = FakeClock()
    progress = Progress("d", 1000, clock=clock)
    for done in range(0, 1001, 7):  # small reads: one line per tenth
        clock.now += 0.001
        progress.update(done)
    progress.update(1000, final=True)
    percents = [int(re.search(r"\((\d+)%\)", line).group(1)) for line in progress.lines]
    assert percents == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert [r.getMessage() for r in caplog.records] == progress.lines
    resumed = Progress("d", 1000, start=450, clock=clock)
    resumed.update(460)
    resumed.update(520)
    resumed.update(1000)
    resumed.update(1000, final=True)  # already said
    assert [line.split("(")[1][:3] for line in resumed.lines] == ["52%", "100"]
    unknown = Progress("d", None, clock=clock)
    for done in range(0, 35_000_001, 1_000_000):
        unknown.update(done)
    assert len(unknown.lines) == 3  # every 10 MB


def test_the_partial_file_is_resumed_only_for_its_own_url(tmp_path):
    dest = tmp_path / "dump.xml.bz2"
    part, state = part_paths(dest)
    assert (part.name, state.name) == (".dump.xml.bz2.part", ".dump.xml.bz2.part.json")
    assert resume_point(dest, "http://a/f") == (0, None)
    part.write_bytes(b"12345")
    assert resume_point(dest, "http://a/f") == (0, None)  # no bookkeeping: not trusted
    assert not part.exists()
    part.write_bytes(b"12345")
    state.write_text('{"url": "http://a/f", "total": 10, "validator": "\\"e1\\""}')
    assert resume_point(dest, "http://a/f") == (5, PartState("http://a/f", 10, '"e1"'))
    assert resume_point(dest, "http://b/f") == (0, None)  # another URL: removed
    assert not part.exists() and not state.exists()
    part.write_bytes(b"12345678901")
    state.write_text('{"url": "http://a/f", "total": 10}')
    assert resume_point(dest, "http://a/f") == (0, None)  # longer than the file
    assert content_range("bytes 100-199/1000") == (100, 1000)
    assert content_range("bytes 100-199/*") == (100, None)
    assert content_range("pages 1-2/3") is None


@pytest.fixture
def site(tmp_path, monkeypatch):
    """The dump served on 127.0.0.1, reached without a proxy."""
    with serve_dump(tmp_path / "site", DATA, monkeypatch) as server:
        yield server


def fetch(site, tmp_path, retries: int = 3) -> tuple[bytes, FakeClock]:
    clock = FakeClock()
    dest = tmp_path / "out" / "dump.xml.bz2"
    part = download(site.url(PATH), dest, RetryPolicy(retries, 0.25), sleep=clock.sleep)
    return part.read_bytes(), clock


def test_a_cut_connection_is_resumed_with_range(site, tmp_path):
    site.faults[PATH] = Fault(cut_at=100_000)
    got, clock = fetch(site, tmp_path)
    assert got == DATA and clock.slept == [0.25]
    assert site.ranges(PATH) == [None, "bytes=100000-"]
    assert [s.status for s in site.seen] == [200, 206]


def test_a_server_that_ignores_range_sends_it_all_again(site, tmp_path):
    site.faults[PATH] = Fault(cut_at=100_000, ignore_range=True)
    got, _ = fetch(site, tmp_path)
    assert got == DATA
    assert site.ranges(PATH) == [None, "bytes=100000-"]
    assert [s.status for s in site.seen] == [200, 200]


def test_errors_name_the_url_and_the_status(site, tmp_path):
    url = site.url(PATH)
    site.faults[PATH] = Fault(status=404, times=None)
    with pytest.raises(DownloadError, match=f"^{re.escape(url)}: HTTP 404 Not Found$"):
        fetch(site, tmp_path)
    assert len(site.seen) == 1  # not retried
    site.faults[PATH] = Fault(status=500, times=None)
    message = f"^{re.escape(url)}: HTTP 500 Internal Server Error \\(gave up after 2 retries\\)$"
    with pytest.raises(DownloadError, match=message):
        fetch(site, tmp_path, retries=2)
    assert len(site.seen) == 4
    site.faults[PATH] = Fault(status=503, times=2)  # a server that recovers
    got, clock = fetch(site, tmp_path)
    assert got == DATA and clock.slept == [0.25, 0.5]


def test_retries_exhausted_keep_the_partial_file_for_the_next_run(site, tmp_path):
    site.faults[PATH] = Fault(cut_at=100_000, times=None)
    with pytest.raises(DownloadError, match="broke at byte 100000 of 256000") as info:
        fetch(site, tmp_path, retries=2)
    part, state = part_paths(tmp_path / "out" / "dump.xml.bz2")
    assert part.stat().st_size == 100_000 and state.exists()
    assert str(info.value).endswith(
        f"(gave up after 2 retries); the 100000 bytes so far are kept in {part}, where the "
        "next run resumes"
    )
    site.faults.clear()
    got, _ = fetch(site, tmp_path)
    assert got == DATA
    assert site.ranges(PATH)[-1] == "bytes=100000-"


def test_a_full_disk_fails_naming_the_partial_file(site, tmp_path):
    """Past the free-space check (a disk filled by someone else meanwhile): one line naming the
    file, not a retry."""
    from conftest import small_filesystem
    from sda.disk import DiskFullError

    with small_filesystem(tmp_path / "small", "64k") as small:
        dest = small / "dump.xml.bz2"
        with pytest.raises(DiskFullError, match=r"\.dump\.xml\.bz2\.part: no space left on"):
            download(site.url(PATH), dest, RetryPolicy(3, 0.01), sleep=lambda s: None)
        assert len(site.seen) == 1


def test_the_session_honours_http_proxy(site, tmp_path, monkeypatch):
    """A real forward proxy on 127.0.0.1: the download's requests go through it when
    http_proxy names it, and straight to the server when no_proxy names the host."""
    with ForwardProxy() as proxy:
        direct_to_loopback(monkeypatch)
        monkeypatch.delenv("no_proxy")
        monkeypatch.setenv("http_proxy", proxy.address)
        got, _ = fetch(site, tmp_path)
        assert got == DATA and proxy.seen == [site.url(PATH)]
        assert session().trust_env
        monkeypatch.setenv("no_proxy", "127.0.0.1")
        (tmp_path / "out" / "dump.xml.bz2").parent.joinpath(".dump.xml.bz2.part").unlink()
        fetch(site, tmp_path)
        assert proxy.seen == [site.url(PATH)] and len(site.seen) == 2
