"""The cross-field checks of every config section: what a schema cannot express, each owned by
the topic whose config it checks. ``rules/common.smk`` runs them after the schema
(:func:`sda.config.validate_config`); an error names the key."""

from sda.blocks.generate import check_blocks
from sda.scaling.run import check_scaling
from sda.slurm_workers import check_dask
from sda.stores.paths import check_stores
from sda.tables.lahman_sqlite import check_lahman
from sda.text.corpus import check_wiki

# in the order of the config's sections
CHECKS = (check_blocks, check_stores, check_wiki, check_lahman, check_dask, check_scaling)
