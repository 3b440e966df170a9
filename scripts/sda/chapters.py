"""The report's chapters, in the order the page shows them: the lesson's order, then the
comparison with other engines, the scaling run, and the run's facts.

Each chapter lives in its topic (``sda/<topic>/report.py``: its reader, figures and template
context; ``report/templates/<anchor>.html.j2``: its text). :mod:`sda.report` is the page's
machinery and imports no topic; this list is the one place that names them all.
"""

from sda.blocks.report import CHAPTER as BLOCKS
from sda.engines.report import CHAPTER as ENGINES
from sda.report.run import CHAPTER as RUN
from sda.scaling.report import CHAPTER as SCALING
from sda.stores.report import CHAPTER as STORES
from sda.tables.report import CHAPTER as TABLES
from sda.text.report import CHAPTER as TEXT

CHAPTERS = (BLOCKS, STORES, TEXT, TABLES, ENGINES, SCALING, RUN)
