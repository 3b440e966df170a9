"""Rule wiki_extract: WikiExtractor turns the dump into ~1 MB files; keep the first wiki.files."""

if __name__ == "__main__":
    from pathlib import Path

    from sda.logs import setup_logging
    from sda.text.corpus import extract

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    # Outputs are <outdir>/AA/wiki_00 …: the directory WikiExtractor writes into.
    outdir = Path(sm.output[0]).parent.parent
    extract(sm.input[0], list(sm.output), outdir, processes=sm.threads)
    log.info("extracted %d files from %s", len(sm.output), sm.input[0])
