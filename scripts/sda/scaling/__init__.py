"""Cost against size, across the RAM line (``rules/scaling.smk``, never in the default run).

- :mod:`sda.scaling.run`: the steps, each in a fresh process, cold and warm, at every size;
  ``dd``'s own speed; the ``scaling`` config checks.
- :mod:`sda.scaling.report`: the plot and the targets read from the run's CSV.
"""
