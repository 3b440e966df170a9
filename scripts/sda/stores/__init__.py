"""The same blocks in every array store (npz, raw memmap, HDF5, Zarr), and reading them back
(``rules/stores.smk``).

- :mod:`sda.stores.paths`: the :class:`~sda.stores.paths.Stores` path model and the sources.
- :mod:`sda.stores.write`: one writer per store, block by block, atomically.
- :mod:`sda.stores.read`: readers that check what they open against the config.
- :mod:`sda.stores.arrays`: ``dask.array`` views of the stores.
- :mod:`sda.stores.zerocopy`: zero-copy reads of raw HDF5 chunks and Zarr chunks/shards.
- :mod:`sda.stores.means`: the per-block means of every source, and their agreement check.
- :mod:`sda.stores.summary`: mean, std, min and max of the whole array.
- :mod:`sda.stores.bench_stores`: the evidence benchmark: writes, warm and cold reads of every
  store against a plain numpy pass.

Determinism: for the same config, ``xs.npz``/``xs_compressed.npz`` (zip members carry a fixed
1980-01-01 timestamp), ``random.dat``, ``random_chunked.hdf5`` and ``random.zarr`` are
byte-identical. ``random.hdf5`` differs only in its ``created`` attributes (the lesson's creation time
per block): datasets are created with ``track_times=False`` so HDF5 stores no object timestamps.
"""
