"""sda.text.dumps: checksums as the config gives them and as Wikimedia publishes them."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from dumpserver import DATE, NAME, dump_directory
from sda.io import InputError
from sda.text.dumps import (
    Checksum,
    Published,
    file_name,
    listing_urls,
    parse_checksum,
    parse_dumpstatus,
    parse_listing,
    parse_sums,
)

SHA1 = hashlib.sha1(b"dump").hexdigest()


@pytest.mark.parametrize(
    "text, checksum",
    [
        (f"sha1:{SHA1}", Checksum("sha1", SHA1)),
        (f"SHA1:{SHA1.upper()}", Checksum("sha1", SHA1)),  # hex in either case, kept lower
        (f"md5:{'a' * 32}", Checksum("md5", "a" * 32)),
        (f"sha256:{'0' * 64}", Checksum("sha256", "0" * 64)),
        (f"sha512:{'f' * 128}", Checksum("sha512", "f" * 128)),
    ],
)
def test_a_checksum_is_an_algorithm_and_its_hex_digest(text, checksum):
    assert parse_checksum(text) == checksum
    assert str(checksum) == text.lower()


@pytest.mark.parametrize(
    "text, message",
    [
        (SHA1, "is not algorithm:hex-digest"),
        ("crc32:abcd1234", "unknown algorithm 'crc32' (one of blake2b, "),
        ("shake_128:abcd", "unknown algorithm 'shake_128'"),  # no fixed length
        (f"sha1:{SHA1[:-1]}", "the sha1 digest '"),
        (f"sha1:{SHA1[:-1]}", "is not 40 hexadecimal digits (39 characters)"),
        (f"sha1:{SHA1[:-1]}x", "is not 40 hexadecimal digits (40 characters)"),
        ("md5:", "is not 32 hexadecimal digits (0 characters)"),
    ],
)
def test_a_malformed_checksum_says_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_checksum(text)


def test_the_listings_beside_a_dump_are_its_directorys():
    base = f"https://mirror.example/pub/enwiki/{DATE}/"
    assert file_name(base + NAME) == NAME
    assert listing_urls(base + NAME) == [
        (base + "dumpstatus.json", "dumpstatus"),
        (base + f"enwiki-{DATE}-sha1sums.txt", "sha1"),
        (base + f"enwiki-{DATE}-md5sums.txt", "md5"),
    ]
    latest = "https://dumps.wikimedia.org/enwiki/latest/"
    name = "enwiki-latest-pages-articles1.xml-p1p41242.bz2"
    assert listing_urls(latest + name)[1] == (latest + "enwiki-latest-sha1sums.txt", "sha1")
    # a file not named as Wikimedia names its dumps: only the status file can list it
    assert listing_urls("file:///data/my%20dump.xml.bz2") == [
        ("file:///data/dumpstatus.json", "dumpstatus")
    ]
    assert file_name("file:///data/my%20dump.xml.bz2") == "my dump.xml.bz2"


def test_dumpstatus_gives_the_size_and_sha1_of_a_finished_jobs_file(tmp_path):
    data = b"not really bz2"
    directory = dump_directory(tmp_path, data).parent
    text = (directory / "dumpstatus.json").read_text()
    found = parse_dumpstatus(text, NAME, "L")
    assert found == Published(Checksum("sha1", hashlib.sha1(data).hexdigest()), len(data), "L")
    assert parse_listing(text, "dumpstatus", NAME, "L") == found
    assert parse_dumpstatus(text, "enwiki-other.bz2", "L") is None
    status = json.loads(text)
    del status["jobs"]["articlesdump"]["files"][NAME]["sha1"]  # md5 when there is no sha1
    md5 = hashlib.md5(data).hexdigest()
    assert parse_dumpstatus(json.dumps(status), NAME, "L").checksum == Checksum("md5", md5)


def test_a_dump_not_finished_or_a_broken_listing_fails_naming_the_listing(tmp_path):
    directory = dump_directory(tmp_path, b"x").parent
    status = json.loads((directory / "dumpstatus.json").read_text())
    status["jobs"]["articlesdump"]["status"] = "in-progress"
    with pytest.raises(InputError, match="L: job articlesdump, .* is 'in-progress', not 'done'"):
        parse_dumpstatus(json.dumps(status), NAME, "L")
    with pytest.raises(InputError, match="^L: not a readable JSON file"):
        parse_dumpstatus('{"jobs": ', NAME, "L")
    with pytest.raises(InputError, match="^L: no 'jobs' object"):
        parse_dumpstatus("[]", NAME, "L")
    status["jobs"]["articlesdump"]["status"] = "done"
    status["jobs"]["articlesdump"]["files"][NAME]["sha1"] = "abc"
    with pytest.raises(InputError, match="^L: the sha1 digest 'abc' is not 40 hexadecimal"):
        parse_dumpstatus(json.dumps(status), NAME, "L")


def test_a_sums_listing_gives_the_digest_of_its_line(tmp_path):
    directory = dump_directory(tmp_path, b"data").parent
    text = (directory / f"enwiki-{DATE}-sha1sums.txt").read_text()
    sha1 = hashlib.sha1(b"data").hexdigest()
    assert parse_sums(text, NAME, "sha1", "L") == Published(Checksum("sha1", sha1), None, "L")
    assert parse_listing(text, "sha1", NAME, "L") == parse_sums(text, NAME, "sha1", "L")
    binary = f"{sha1.upper()} *{NAME}\n"  # sha1sum -b
    assert parse_sums(binary, NAME, "sha1", "L").checksum.digest == sha1
    assert parse_sums(text, NAME[:-4], "sha1", "L") is None  # a name is matched whole
    with pytest.raises(InputError, match="^L: the md5 digest"):
        parse_sums(text, NAME, "md5", "L")  # a sha1 digest is no md5
