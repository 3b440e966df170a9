"""The one-page HTML report: every result of the workflow, read from its file, plotted.

:mod:`~sda.report.data` reads the result files, :mod:`~sda.report.figures` draws them,
:mod:`~sda.report.sections` assembles each section, :mod:`~sda.report.page` renders the
Jinja2 templates under ``report/templates/`` into one self-contained HTML file, and
:mod:`~sda.report.numbers` formats numbers for people.
"""
