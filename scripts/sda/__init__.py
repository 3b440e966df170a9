"""sda: the logic behind the workflow's rules, importable and testable without Snakemake.

Rule scripts in ``scripts/`` are thin: they turn the ``snakemake`` object into plain values and
call a function from this package. One package per topic, as ``rules/<topic>.smk``, each with
its logic and its evidence benchmark (``bench_<rule>.py``):

- :mod:`sda.blocks`: the one billion numbers, written in batches; npy vs CSV.
- :mod:`sda.stores`: npz, memmap, HDF5 and Zarr stores; per-block means; the array summary.
- :mod:`sda.text`: the corpus (synthetic, local, downloaded) and the word counts.
- :mod:`sda.tables`: ``describe()`` of the CSV blocks; the Lahman database in SQLite and ibis.
- :mod:`sda.scaling`: cost against size, across the RAM line.
- :mod:`sda.engines`: the same jobs with polars and DuckDB beside dask.
- :mod:`sda.report`: the one-page HTML report's machinery; each topic's ``report`` module is its
  chapter, and :mod:`sda.chapters` lists them in order.

The machinery they share, which imports no topic: :mod:`sda.io` (atomic writes, checked
reads, CSV rows), :mod:`sda.disk` (free-space checks), :mod:`sda.logs` (rule logs),
:mod:`sda.config` (the schema and ``--config``), :mod:`sda.scheduler` (dask's scheduler from
the config), :mod:`sda.slurm_workers` (dask workers as Slurm jobs), :mod:`sda.job_memory` (a
job's memory by attempt), :mod:`sda.download` (a large file over HTTP, resumed and retried),
:mod:`sda.measure` (the one measuring toolkit), :mod:`sda.provenance` (what made a run's
results) and :mod:`sda.rulerun` (a rule's script by hand).
"""

from pathlib import Path

__all__ = ["__version__", "repository", "scripts_dir"]
__version__ = "0.3.0"  # the one place: CHANGELOG.md, results/VERSION.json, the report


def scripts_dir() -> Path:
    """``scripts/``, the directory that holds this package: what a child Python process (a
    fresh measuring process, a dask worker job) puts on ``sys.path`` to import it, and where
    the baseline scripts are. The one place that knows where the package lives."""
    return Path(__file__).resolve().parent.parent


def repository() -> Path:
    """The workflow's directory (``Snakefile``, ``report/templates/`` ...): the parent of
    :func:`scripts_dir`."""
    return scripts_dir().parent
