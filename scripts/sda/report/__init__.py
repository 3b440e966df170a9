"""The one-page HTML report's machinery; it imports no topic.

Each topic's chapter (its reader, figures and template context) is ``sda/<topic>/report.py``,
listed in order in :mod:`sda.chapters`. Here: :mod:`~sda.report.build` (what a chapter is and
is built from, the page built from them), :mod:`~sda.report.page` (tables, figures, links, the
Jinja2 templates under ``report/templates/`` rendered into one self-contained HTML file),
:mod:`~sda.report.numbers` (the one rule for numbers), :mod:`~sda.report.lesson` (the lesson's
2016 figures beside this run's), :mod:`~sda.report.style` (the figures' shared style) and
:mod:`~sda.report.run` (the last chapter, the run's facts).
"""
