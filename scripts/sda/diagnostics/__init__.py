"""What dask did while a rule computed: memory and CPU over time, and the task stream.

:mod:`sda.diagnostics.record` records them in a rule's process (``results/diagnostics/<rule>/``:
``resources.csv``, ``tasks.csv``, ``run.json`` and, on a distributed scheduler, dask's own
``dask-report.html``); :mod:`sda.diagnostics.read` reads them back, checked, and summarises
them; :mod:`sda.diagnostics.show` draws them for the report's chapters.
"""
