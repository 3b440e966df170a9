"""The Wikipedia corpus: a deterministic synthetic one, or a dump extracted with WikiExtractor
(the dump itself is fetched and verified by :mod:`sda.text.fetch`).

Files follow WikiExtractor's layout: ``AA/wiki_00`` … ``AA/wiki_99``, ``AB/wiki_00`` …, each a
sequence of ``<doc id=… url=… title=…>`` … ``</doc>`` blocks.
"""

from __future__ import annotations

import functools
import logging
import shutil
import string
import subprocess
import sys
import urllib.parse
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from sda.config import ConfigError, require
from sda.disk import require_free
from sda.io import InputError, atomic_path, atomic_write, scratch_dir
from sda.text.dumps import SKIP, file_name, parse_checksum
from sda.text.words import matching_files

log = logging.getLogger(__name__)

# Frequent English words, in roughly their Wikipedia rank order; the tail of the vocabulary is
# made of syllables. Words are drawn with Zipf weights 1/rank**ZIPF_S.
COMMON = """the of and in a to was is for as on by with he that at from his it an were are which
this also be or has had first one their its new after but who not they have her she two been
other when there all during into school time may years more most only over city some world
would where later up such used many can state about national out known university united then
made year between being under while both film team three war these season well game most
american century states series part number since new including under music however called
history people against through area group de them because back league county house early
album second north government south last work became own life four following name river de
population station based could main john played club town high around system like each
final born public village often west member took east de government family""".split()
SYLLABLES = "ka lo mi ren tas vel or an dri sup ex por mun gal te bra cor lin nu sa".split()
SPECIAL = ["Café", "naïve", "Straße", "ΟΔΥΣΣΕΥΣ", "Σοφίας", "İstanbul", "Ǆemal", "ﬁnal", "Æsir"]
PUNCT_AFTER = [",", ".", ";", ":", ")", '"', "'s", "!", "?", "..."]
PUNCT_BEFORE = ["(", '"', "'", "[", "--"]
SPACES = [" "] * 60 + ["\n"] * 3 + ["  ", "\t", "\xa0", " -- ", " \u2009", " \x1c"]
ZIPF_S = 1.07
VOCAB_SIZE = 60_000


def file_names(n: int) -> list[str]:
    """WikiExtractor's names of the first ``n`` files: AA/wiki_00 … AA/wiki_99, AB/wiki_00 …"""
    letters = string.ascii_uppercase
    names = []
    for i in range(n):
        d = i // 100
        if d >= 26 * 26:
            raise ValueError(f"{n} files do not fit WikiExtractor's AA..ZZ directories")
        names.append(f"{letters[d // 26]}{letters[d % 26]}/wiki_{i % 100:02d}")
    return names


@functools.lru_cache(maxsize=4)
def vocabulary(seed: int, size: int = VOCAB_SIZE) -> tuple[str, ...]:
    """Common words first, then made-up words of 2-4 syllables, a few non-ASCII ones early.

    The made-up words are drawn in batches (syllable counts, then syllables, for more words
    than are still missing); a word already in the vocabulary is skipped."""
    rng = np.random.default_rng([seed, 1_000_000])
    words = list(dict.fromkeys(COMMON))
    for i, w in enumerate(SPECIAL):
        words.insert(60 + 40 * i, w)
    seen = set(words)
    while len(words) < size:
        missing = size - len(words)
        counts = rng.integers(2, 5, missing + missing // 2 + 16).tolist()
        syllables = [SYLLABLES[j] for j in rng.integers(0, len(SYLLABLES), sum(counts)).tolist()]
        end = 0
        for n in counts:
            w = "".join(syllables[end : end + n])
            end += n
            if w not in seen:
                seen.add(w)
                words.append(w)
                if len(words) == size:
                    break
    return tuple(words)


@functools.lru_cache(maxsize=4)
def _word_forms(vocab: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The vocabulary as object arrays, as is and capitalized (looked up by word id)."""
    plain = np.array(vocab, dtype=object)
    return plain, np.array([w.capitalize() for w in vocab], dtype=object)


_ENDS_SENTENCE = np.array([p in (".", "!", "?") for p in PUNCT_AFTER] + [False])
PIECE_KINDS = ("plain", "capital", "before", "after", "space", "last")
END = b"\n</doc>\n"  # after each document's body


@functools.lru_cache(maxsize=4)
def _pieces(vocab: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Every piece a document's body is made of, UTF-8, in one byte pool: the words as is and
    capitalized, the punctuation before and after (and "" for none, a draw past the list),
    the spaces, and the spaces without trailing whitespace (a document's last). Returns the
    pool, each piece's start and length in it (int32: the pool is small), and the first id of
    each of :data:`PIECE_KINDS`."""
    plain, capital = _word_forms(vocab)
    kinds = [
        list(plain),
        list(capital),
        [*PUNCT_BEFORE, ""],
        [*PUNCT_AFTER, ""],
        SPACES,
        [s.rstrip() for s in SPACES],
    ]
    encoded = [p.encode("utf-8") for kind in kinds for p in kind]
    lengths = np.array([len(p) for p in encoded], dtype=np.int32)
    starts = np.cumsum(lengths, dtype=np.int32) - lengths
    firsts = np.cumsum([0] + [len(k) for k in kinds])[:-1]
    pool = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    return pool, starts, lengths, dict(zip(PIECE_KINDS, firsts.tolist(), strict=True))


def _gather(pool: np.ndarray, starts: np.ndarray, ids: np.ndarray, lens: np.ndarray) -> bytes:
    """The pieces ``ids`` (of lengths ``lens``) of the pool, one after the other: one fancy
    index, no Python loop."""
    some = lens > 0  # most punctuation draws are none
    ids, lens = ids[some], lens[some]
    offsets = np.cumsum(lens, dtype=np.int32) - lens
    index = np.arange(int(lens.sum()), dtype=np.int32) + np.repeat(starts[ids] - offsets, lens)
    return pool[index].tobytes()


@functools.lru_cache(maxsize=4)
def zipf_cdf(size: int) -> np.ndarray:
    """The cumulative Zipf weights 1/rank**ZIPF_S of ``size`` words, as ``Generator.choice``
    computes them from ``p`` (``p.cumsum()`` scaled so the last is 1)."""
    p = np.arange(1, size + 1, dtype=np.float64) ** -ZIPF_S
    p /= p.sum()
    cdf = p.cumsum()
    cdf /= cdf[-1]
    return cdf


GUIDE_SIZE = 2**16  # buckets of the guide table that starts each Zipf lookup


@functools.lru_cache(maxsize=4)
def zipf_guide(size: int) -> np.ndarray:
    """For each bucket ``j`` of [0, 1) in :data:`GUIDE_SIZE` equal parts, the first word whose
    cumulative weight is above the bucket's start: where a lookup of any draw in the bucket
    starts (:func:`draw`)."""
    starts = np.arange(GUIDE_SIZE + 1, dtype=np.float64) / GUIDE_SIZE
    return zipf_cdf(size).searchsorted(starts, side="right")


def draw(rng: np.random.Generator, cdf: np.ndarray, n: int, guide: np.ndarray | None = None):
    """``rng.choice(len(cdf), n, p=p)``: the same draws and ids (one ``random(n)`` looked up in
    the CDF), without recomputing the CDF of 60,000 weights at every call.

    With ``guide`` (:func:`zipf_guide` of the same CDF) each lookup starts at its bucket's first
    word and steps on while the CDF is not above the draw, instead of a binary search: the same
    ids (a draw ``u`` is at least its bucket's start ``floor(u * 2**16) / 2**16``, exactly, as
    the bucket count is a power of two), about 4 times faster."""
    u = rng.random(n)
    if guide is None:
        return cdf.searchsorted(u, side="right")
    ids = guide[(u * (len(guide) - 1)).astype(np.int64)]
    todo = np.flatnonzero(cdf[ids] <= u)
    while todo.size:
        ids[todo] += 1
        todo = todo[cdf[ids[todo]] <= u[todo]]
    return ids


DOC_BYTES = 2500  # about the mean size of a synthetic document (for sizing a batch of draws)


def synthetic_text(index: int, file_bytes: int, seed: int, vocab: Sequence[str]) -> bytes:
    """The text of synthetic file ``index``, UTF-8: a pure function of its arguments.

    Documents are drawn in batches sized to fill the rest of the file: each document's length,
    then for all its words at once the word ids, capitals, punctuation and spaces, then two
    title words per document. A body is piece ids (:func:`_pieces`: punctuation before, the
    word, punctuation after, a space; a word is capitalized at the start of a sentence or when
    drawn so), and the bodies of a batch are gathered from one byte pool in one array
    operation (:func:`_gather`). Documents are added until the file has ``file_bytes``; the
    rest of the last batch is dropped. About 35 ms per 1 MB file."""
    rng = np.random.default_rng([seed, index])
    vocab = tuple(vocab)
    _, capital = _word_forms(vocab)
    pool, starts, lengths, first = _pieces(vocab)
    cdf, guide = zipf_cdf(len(vocab)), zipf_guide(len(vocab))
    nb, na = len(PUNCT_BEFORE), len(PUNCT_AFTER)
    parts: list[bytes] = []
    size = 0
    doc = index * 1000
    while size < file_bytes:
        k = -(-(file_bytes - size) * 11 // (10 * DOC_BYTES))  # a tenth more than needed
        n = rng.integers(80, 600, k)
        total = int(n.sum())
        ids = draw(rng, cdf, total, guide)
        caps = rng.random(total) < 0.08
        after = np.minimum(rng.integers(0, na * 8, total), na)
        before = np.minimum(rng.integers(0, nb * 30, total), nb)
        spaces = rng.integers(0, len(SPACES), total)
        titles = capital[draw(rng, cdf, 2 * k, guide)]
        ends = np.cumsum(n)
        begins = ends - n
        start = np.empty(total, dtype=bool)
        start[1:] = _ENDS_SENTENCE[after[:-1]]
        start[begins] = True  # a document starts a sentence
        pieces = np.empty((total, 4), dtype=np.int64)
        pieces[:, 0] = first["before"] + before
        pieces[:, 1] = np.where(start | caps, first["capital"], first["plain"]) + ids
        pieces[:, 2] = first["after"] + after
        pieces[:, 3] = first["space"] + spaces
        pieces[ends - 1, 3] = first["last"] + spaces[ends - 1]
        lens = lengths[pieces]
        bodies = _gather(pool, starts, pieces.reshape(-1), lens.reshape(-1))
        body_ends = np.cumsum(np.add.reduceat(lens.sum(axis=1), begins)).tolist()
        body_start = 0
        for j, body_end in enumerate(body_ends):
            doc += 1
            title = f"{titles[2 * j]} {titles[2 * j + 1]}"
            head = (
                f'<doc id="{doc}" url="https://en.wikipedia.org/wiki?curid={doc}" title="{title}">'
            )
            parts.append(f"{head}\n{title}\n\n".encode() + bodies[body_start:body_end] + END)
            body_start = body_end
            size += len(parts[-1])
            if size >= file_bytes:
                break
    return b"".join(parts)


_VOCAB: tuple[str, ...] = ()  # set in each worker process by _set_vocabulary


def _set_vocabulary(vocab: tuple[str, ...]) -> None:
    global _VOCAB
    _VOCAB = vocab


def _write_one(args: tuple[int, str, int, int]) -> str:
    i, path, file_bytes, seed = args
    with atomic_write(path, "wb", size=file_bytes) as fh:
        fh.write(synthetic_text(i, file_bytes, seed, _VOCAB or vocabulary(seed)))
    return path


def write_synthetic(paths: list[str], file_bytes: int, seed: int, processes: int = 1) -> None:
    """Write the synthetic files ``paths`` (file ``i`` of the list is the ``i``-th file).

    Each file depends only on (seed, i), so ``processes`` workers write the same bytes as one.
    The vocabulary is drawn once, here, and handed to the workers. Progress is logged every
    tenth of the files.
    """
    jobs = [(i, str(path), file_bytes, seed) for i, path in enumerate(paths)]
    if jobs:
        require_free(Path(paths[0]).parent, len(jobs) * file_bytes)
    vocab = vocabulary(seed)
    step = max(1, len(jobs) // 10)

    def progress(done: int) -> None:
        if done % step == 0 or done == len(jobs):
            log.info("synthetic corpus: %d of %d files written", done, len(jobs))

    if processes <= 1 or len(jobs) <= 1:
        _set_vocabulary(vocab)
        try:
            for done, job in enumerate(jobs, start=1):
                _write_one(job)
                progress(done)
        finally:
            _set_vocabulary(())
        return
    import multiprocessing

    from sda.scheduler import process_workers

    context = multiprocessing.get_context("spawn")
    workers = min(process_workers(processes), len(jobs))
    with context.Pool(workers, initializer=_set_vocabulary, initargs=(vocab,)) as pool:
        for done, _ in enumerate(pool.imap_unordered(_write_one, jobs), start=1):
            progress(done)


def extract(dump: str | Path, outputs: list[str], outdir: str | Path, processes: int = 1) -> None:
    """Run WikiExtractor on ``dump`` into ~1 MB files; keep the first ``len(outputs)`` files.

    WikiExtractor is run as ``python -m wikiextractor.WikiExtractor`` in the scratch directory
    ``outdir/.extract.scratch`` (emptied first: a killed earlier run may have left it), then the
    files we keep are moved to ``outputs`` (which must be ``outdir/AA/wiki_00`` …).
    A dump with fewer articles than files fails naming the dump.
    """
    outdir = Path(outdir)
    with scratch_dir(outdir / ".extract.scratch") as scratch:
        cmd = [
            sys.executable, "-m", "wikiextractor.WikiExtractor", str(dump),
            "-o", str(scratch / "out"), "-b", "1M", "--processes", str(max(1, processes)),
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True)
        log.info("WikiExtractor: %s\n%s", " ".join(cmd), proc.stderr[-4000:])
        if proc.returncode != 0:
            raise InputError(f"{dump}: WikiExtractor failed ({proc.stderr.strip()[-800:]})")
        made = sorted(p.relative_to(scratch / "out").as_posix() for p in scratch.rglob("wiki_*"))
        wanted = [Path(o).relative_to(outdir).as_posix() for o in outputs]
        missing = [w for w in wanted if w not in made]
        if missing:
            raise InputError(
                f"{dump}: WikiExtractor wrote {len(made)} files, fewer than wiki.files="
                f"{len(wanted)} (missing {missing[0]})"
            )
        if not any((scratch / "out" / w).stat().st_size for w in wanted):
            raise InputError(f"{dump}: WikiExtractor extracted no article text")
        for name, out in zip(wanted, outputs, strict=True):
            with atomic_path(out) as tmp:
                shutil.move(str(scratch / "out" / name), tmp)


# --- the config's cross-field checks (rules/common.smk, after the schema) --------------


def check_wiki(config: Mapping) -> None:
    wiki = config["wiki"]
    if wiki["source"] == "local":
        pattern = wiki["glob"]
        require(bool(pattern), "wiki.glob", "is empty but wiki.source is local")
        require(bool(matching_files(pattern)), "wiki.glob", f"{pattern!r} matches no files")
    checksum = wiki.get("checksum", "")
    if checksum not in ("", SKIP):
        try:
            parse_checksum(checksum)
        except ValueError as exc:
            raise ConfigError(f"invalid config key wiki.checksum: {exc}") from None
    if wiki["source"] == "download":
        url = wiki["url"]
        require(bool(url), "wiki.url", "is empty but wiki.source is download")
        parts = urllib.parse.urlsplit(url)  # the schema allows http, https and file only
        require(
            parts.scheme == "file" or bool(parts.hostname), "wiki.url", f"{url!r} names no host"
        )
        require(bool(file_name(url)), "wiki.url", f"{url!r} names no file (it ends in /)")
