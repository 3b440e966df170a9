"""The one measuring toolkit of every benchmark and of the scaling run.

- :mod:`~sda.measure.timing`: the timer, the alternating order of runs (ABBA), medians;
- :mod:`~sda.measure.process`: one call in a fresh Python process, with its peak memory;
- :mod:`~sda.measure.rows`: the one row layout of the benchmark CSVs;
- :mod:`~sda.measure.pagecache`: what of a file is in the page cache, and evicting it (cold
  reads), the machine's RAM.

Analysis code may time itself with :mod:`~sda.measure.timing`; nothing here imports a topic.
"""
