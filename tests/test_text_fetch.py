"""sda.text.fetch: a dump verified against wiki.checksum or the checksums published beside it,
over HTTP from a server on 127.0.0.1 and from file:// URLs, and the record it leaves."""

from __future__ import annotations

import hashlib
import json
import logging
import re

import pytest

from dumpserver import DATE, NAME, dump_directory, serve_dump
from sda.disk import DiskFullError
from sda.download import DownloadError
from sda.io import InputError
from sda.text.fetch import EXTRACT_RATIO, fetch_dump

PATH = f"/enwiki/{DATE}/{NAME}"
DATA = b"BZh9" + bytes(range(256)) * 300
SHA1 = hashlib.sha1(DATA).hexdigest()


@pytest.fixture
def site(tmp_path, monkeypatch):
    with serve_dump(tmp_path / "site", DATA, monkeypatch) as server:
        yield server


def fetch(url, tmp_path, checksum="", **kwargs) -> dict:
    out = tmp_path / "out"
    return fetch_dump(
        url, out / "dump.xml.bz2", out / "SOURCE.json", checksum, retry_wait=0.01, **kwargs
    )


def leftovers(tmp_path) -> list[str]:
    out = tmp_path / "out"
    return sorted(p.name for p in out.iterdir()) if out.exists() else []


def test_the_published_checksum_verifies_the_dump_and_the_record_says_so(site, tmp_path):
    made = fetch(site.url(PATH), tmp_path)
    assert (tmp_path / "out" / "dump.xml.bz2").read_bytes() == DATA
    assert made == json.loads((tmp_path / "out" / "SOURCE.json").read_text())
    assert made["checksum"] == f"sha1:{SHA1}" and made["bytes"] == len(DATA)
    assert made["verified"] is True and made["file"] == NAME
    assert made["verified_against"] == site.url(f"/enwiki/{DATE}/dumpstatus.json")
    assert leftovers(tmp_path) == ["SOURCE.json", "dump.xml.bz2"]  # no partial file left


@pytest.mark.parametrize(
    "removed, listing, algorithm",
    [
        (["dumpstatus.json"], f"enwiki-{DATE}-sha1sums.txt", "sha1"),
        (["dumpstatus.json", f"enwiki-{DATE}-sha1sums.txt"], f"enwiki-{DATE}-md5sums.txt", "md5"),
    ],
)
def test_the_sums_listings_stand_in_for_dumpstatus(site, tmp_path, removed, listing, algorithm):
    for name in removed:
        (site.root / "enwiki" / DATE / name).unlink()
    made = fetch(site.url(PATH), tmp_path)
    digest = hashlib.new(algorithm, DATA).hexdigest()
    assert made["checksum"] == f"{algorithm}:{digest}"
    assert made["verified_against"] == site.url(f"/enwiki/{DATE}/{listing}")


def test_a_given_checksum_is_used_as_given(site, tmp_path):
    sha256 = hashlib.sha256(DATA).hexdigest()
    made = fetch(site.url(PATH), tmp_path, f"sha256:{sha256.upper()}")
    assert made["checksum"] == f"sha256:{sha256}" and made["verified_against"] == "wiki.checksum"
    assert [s.path for s in site.seen] == [PATH]  # no listing asked for


def test_a_wrong_checksum_fails_naming_url_expected_and_actual_and_leaves_nothing(site, tmp_path):
    url, wrong = site.url(PATH), "0" * 40
    message = f"{url}: checksum mismatch: expected sha1:{wrong} (wiki.checksum), got sha1:{SHA1}"
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        fetch(url, tmp_path, f"sha1:{wrong}")
    assert leftovers(tmp_path) == []  # neither the dump, nor a partial file, nor a record


def test_a_listing_that_disagrees_with_the_file_fails_the_same_way(site, tmp_path):
    status = site.root / "enwiki" / DATE / "dumpstatus.json"
    status.write_text(status.read_text().replace(SHA1, "1" * 40))
    url = site.url(PATH)
    with pytest.raises(InputError) as info:
        fetch(url, tmp_path)
    assert str(info.value) == (
        f"{url}: checksum mismatch: expected sha1:{'1' * 40} "
        f"({site.url(f'/enwiki/{DATE}/dumpstatus.json')}), got sha1:{SHA1}"
    )
    assert leftovers(tmp_path) == []


def test_a_server_file_of_another_size_than_published_is_not_downloaded(site, tmp_path):
    status = site.root / "enwiki" / DATE / "dumpstatus.json"
    status.write_text(status.read_text().replace(f'"size": {len(DATA)}', '"size": 12'))
    with pytest.raises(DownloadError, match=f"the server's file is {len(DATA)} bytes, .* says 12"):
        fetch(site.url(PATH), tmp_path)
    assert leftovers(tmp_path) == []  # refused before a byte was written


def test_no_published_checksum_fails_naming_the_key_unless_skip(site, tmp_path, caplog):
    for listing in ("dumpstatus.json", f"enwiki-{DATE}-sha1sums.txt", f"enwiki-{DATE}-md5sums.txt"):
        (site.root / "enwiki" / DATE / listing).unlink()
    url = site.url(PATH)
    with pytest.raises(InputError, match=rf"^wiki\.url {re.escape(url)}: no checksum of {NAME}"):
        fetch(url, tmp_path)
    with pytest.raises(InputError, match="set wiki.checksum to its algorithm:hex-digest"):
        fetch(url, tmp_path)
    assert leftovers(tmp_path) == []
    caplog.set_level(logging.INFO)
    made = fetch(url, tmp_path, "skip")
    assert made["verified"] is False and made["verified_against"] == ""
    assert made["checksum"] == f"sha1:{SHA1}"  # what it was, for the record
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [f"wiki.checksum is skip: {url} is used unverified"]


def test_file_urls_are_copied_and_verified_against_the_listing_beside_them(tmp_path):
    dump = dump_directory(tmp_path / "site", DATA)
    made = fetch(dump.as_uri(), tmp_path)
    assert made["verified_against"] == (dump.parent / "dumpstatus.json").as_uri()
    assert (tmp_path / "out" / "dump.xml.bz2").read_bytes() == DATA
    with pytest.raises(InputError, match="checksum mismatch: expected md5:"):
        fetch(dump.as_uri(), tmp_path, f"md5:{'0' * 32}")
    assert not list((tmp_path / "out").glob(".*"))  # no temporary file left
    alone = tmp_path / "alone.xml.bz2"
    alone.write_bytes(DATA)
    with pytest.raises(InputError, match=r"no checksum .* set wiki\.checksum"):
        fetch(alone.as_uri(), tmp_path)
    assert fetch(alone.as_uri(), tmp_path, f"sha1:{SHA1}")["verified"] is True
    with pytest.raises(InputError, match="cannot read the dump"):
        fetch((tmp_path / "absent.bz2").as_uri(), tmp_path, "skip")


def test_the_free_space_for_the_dump_and_its_extraction_is_checked_first(
    site, tmp_path, monkeypatch
):
    import sda.disk

    needed = (1 + EXTRACT_RATIO) * len(DATA)
    monkeypatch.setattr(sda.disk, "free_bytes", lambda path: needed - 1)
    with pytest.raises(DiskFullError, match="not enough free space"):
        fetch(site.url(PATH), tmp_path)
    assert leftovers(tmp_path) == []
    monkeypatch.setattr(sda.disk, "free_bytes", lambda path: needed)
    assert fetch(site.url(PATH), tmp_path)["bytes"] == len(DATA)


def test_the_latest_alias_is_fetched_with_a_warning(tmp_path, caplog):
    dump = dump_directory(tmp_path / "site", DATA, date="latest", name="enwiki-latest-x.bz2")
    caplog.set_level(logging.WARNING)
    made = fetch(dump.as_uri(), tmp_path, "skip")
    assert made["url"] == dump.as_uri()
    assert any("not reproducible" in r.getMessage() for r in caplog.records)
