"""The store rules (store_npz, store_memmap ...): one store each, of the kind ``params.store``."""

if __name__ == "__main__":
    from pathlib import Path

    from sda.logs import setup_logging
    from sda.stores.paths import Stores
    from sda.stores.write import write_store

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    kind, blocks = sm.params.store, list(sm.input)
    options = {k: v for k, v in sm.params.items() if k not in ("store", "shape")}
    # the rule's outputs are the standard names in their directory (rules/stores.smk)
    stores = Stores.under(Path(sm.output[0]).parent, blocks, sm.params.shape)
    write_store(kind, stores, threads=sm.threads, **options)
    log.info("%s: wrote %d blocks of shape %s to %s", kind, len(blocks), stores.shape, sm.output)
