"""The benchmarks: each times the workflow's way and a baseline side by side.

:mod:`sda.bench.harness` holds what they share (the timer, the CSV rows); one module per
benchmark: :mod:`~sda.bench.generate`, :mod:`~sda.bench.block_io`, :mod:`~sda.bench.stores`,
:mod:`~sda.bench.text`, :mod:`~sda.bench.tables`.
"""
