# Config validation, shared paths and input functions. Rules stay free of path gluing.
import sys
from pathlib import Path

from snakemake.utils import validate

sys.path.insert(0, str(Path(workflow.basedir) / "scripts"))

from sda.blocks import BlockSpec, batch_pattern, batch_regex, block_name
from sda.config import ConfigError, batch_size, check_config, schema_error_message

try:
    validate(config, "../config/schema/config.schema.yaml")
except Exception as exc:
    raise ConfigError(schema_error_message(exc)) from None
check_config(config)

BLOCKS = config["blocks"]
BLOCK_SPEC = BlockSpec.from_config(BLOCKS)
BATCH = batch_size(BLOCKS["n"], BLOCKS["batch"])
BLOCK_STEMS = [block_name(i) for i in range(BLOCKS["n"])]
CSV_STEMS = BLOCK_STEMS[: BLOCKS["csv_n"]]
NPY_BLOCKS = expand("results/blocks/npy/{stem}.npy", stem=BLOCK_STEMS)
CSV_BLOCKS = expand("results/blocks/csv/{stem}.csv", stem=CSV_STEMS)

# Every topic adds its final outputs here; `rule all` asks for all of them.
ALL_TARGETS = []


wildcard_constraints:
    stem=r"x\d{6}",
