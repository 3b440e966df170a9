"""sda: the logic behind the workflow's rules, importable and testable without Snakemake.

Rule scripts in ``scripts/`` are thin: they turn the ``snakemake`` object into plain values and
call a function from this package.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
