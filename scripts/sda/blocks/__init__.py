"""The lesson's one billion numbers (``rules/blocks.smk``).

- :mod:`sda.blocks.generate`: a block's name, spec and bytes; batches of blocks per job; the
  CSV copies; the ``blocks`` config checks.
- :mod:`sda.blocks.bench_block_io`: the lesson's npy vs CSV measurements (default run).
- :mod:`sda.blocks.bench_generate`: the evidence benchmark: the workflow's generation and its
  whole default run against a plain ``multiprocessing`` script.
"""
