"""Word frequencies over Wikipedia text: the lesson's dask.bag and dask.delayed word counts
(``rules/text.smk``).

- :mod:`sda.text.corpus`: the corpus: synthetic, a local extract, or a downloaded dump; the
  ``wiki`` config checks.
- :mod:`sda.text.fetch`: the dump of ``wiki.source: download``, verified against
  ``wiki.checksum`` or the checksums published beside it (:mod:`sda.text.dumps`), downloaded
  resumably with retries (:mod:`sda.download`).
- :mod:`sda.text.words`: cleaning, top-k, reading files with an encoding-errors policy.
- :mod:`sda.text.count`: the workflow's fast word count (pyarrow per file, dask.bag merge).
- :mod:`sda.text.lesson`: the lesson's own bag pipeline and the plain-Python baseline.
- :mod:`sda.text.delayed`: the lesson's ``dask.delayed`` section.
- :mod:`sda.text.parquet`: the cleaned frequency table to Parquet through ``bag.to_dataframe``.
- :mod:`sda.text.taskgraph`: the cleaning chain's task graph, drawn.
- :mod:`sda.text.bench_text`: the evidence benchmark (ours vs the lesson's code) and the
  scheduler comparison.
"""
