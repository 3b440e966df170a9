"""The same jobs with polars and DuckDB: the lesson's question asked of today's engines.

Four workloads of the workflow, each run by dask (the workflow's own path, the function its
rule calls) and by other engines on the same inputs, to the same end point, checked against
the rule's result file:

- :mod:`~sda.engines.words`: word frequencies over the corpus (raw top-10, cleaned table);
- :mod:`~sda.engines.describe`: ``describe()`` of the CSV blocks;
- :mod:`~sda.engines.lahman`: players per birth country, one ibis expression on many backends;
- :mod:`~sda.engines.summary`: mean, std, min and max of the whole array.

:mod:`~sda.engines.bench_engines` runs every engine of a workload in a fresh process with the
same threads (:mod:`sda.measure`) and writes ``results/bench/engines.csv``;
:mod:`~sda.engines.report` is the report's chapter on it.
"""
