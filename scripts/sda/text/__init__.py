"""Word frequencies over Wikipedia text: the lesson's dask.bag and dask.delayed word counts.

- :mod:`sda.text.words`: cleaning, top-k, reading files with an encoding-errors policy.
- :mod:`sda.text.count`: the workflow's fast word count (pyarrow per file, dask.bag merge).
- :mod:`sda.text.lesson`: the lesson's own bag pipeline and the plain-Python baseline.
- :mod:`sda.text.delayed`: the lesson's ``dask.delayed`` section.
- :mod:`sda.text.parquet`: the cleaned frequency table to Parquet through ``bag.to_dataframe``.
"""
