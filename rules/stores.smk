# Array stores (npz, memmap, HDF5, Zarr) of the first stores.n blocks, per-block means from
# every store with numpy and dask.array, the whole-dataset summary, and their timings.
import math

from sda.stores.paths import Stores, shard_blocks

STORE_BLOCKS = NPY_BLOCKS[: STORES["n"]]
# Every store of the first stores.n blocks, where it lives (sda.stores.paths.Stores): the
# outputs of the store rules, and the inputs of the rules that read them all.
STORE_PATHS = Stores.under("results/stores", STORE_BLOCKS, BLOCK_SPEC.shape)
STORE_INPUTS = STORE_PATHS.inputs()
# one Zarr shard in MB: the writer holds about 2-3 of them (measured 2.3 + 150 MB)
ZARR_SHARD_MB = (
    max(1, shard_blocks(STORES["zarr_shard_blocks"], STORES["n"]))
    * math.prod(BLOCK_SPEC.shape)
    * 8
    // 10**6
)


# The store rules: each writes one store with the writer of its kind, params.store
# (sda.stores.write.write_store).
rule store_npz:
    input:
        STORE_BLOCKS,
    output:
        STORE_PATHS.npz,
    log:
        "logs/store_npz.log",
    benchmark:
        "benchmarks/store_npz.tsv"
    conda:
        "../envs/sda.yaml"
    resources:
        mem_mb=500,
        runtime=30,
    params:
        **BLOCK_SHAPE,
        store="npz",
    message:
        f"{{rule}}: {{output}} from the first {STORES['n']} blocks (threads: {{threads}}, log: {{log}})"
    script:
        "../scripts/stores_write.py"


use rule store_npz as store_npz_compressed with:
    output:
        STORE_PATHS.npz_compressed,
    log:
        "logs/store_npz_compressed.log",
    benchmark:
        "benchmarks/store_npz_compressed.tsv"
    # Members are deflated by several threads (same bytes). The longest job before
    # block_means: it goes first when cores are short.
    priority: 10
    threads: ALL_THREADS
    params:
        **BLOCK_SHAPE,
        store="npz_compressed",


rule store_memmap:
    input:
        STORE_BLOCKS,
    output:
        dat=STORE_PATHS.memmap,
        sidecar=STORE_PATHS.sidecar,
    log:
        "logs/store_memmap.log",
    benchmark:
        "benchmarks/store_memmap.tsv"
    conda:
        "../envs/sda.yaml"
    resources:
        mem_mb=500,
        runtime=30,
    params:
        **BLOCK_SHAPE,
        store="memmap",
    message:
        f"{{rule}}: {{output.dat}} from the first {STORES['n']} blocks (log: {{log}})"
    script:
        "../scripts/stores_write.py"


rule store_hdf5:
    # One dataset per block, with attributes created, source and checksum.
    input:
        STORE_BLOCKS,
    output:
        STORE_PATHS.hdf5,
    log:
        "logs/store_hdf5.log",
    benchmark:
        "benchmarks/store_hdf5.tsv"
    conda:
        "../envs/sda.yaml"
    resources:
        mem_mb=500,
        runtime=30,
    params:
        **BLOCK_SHAPE,
        store="hdf5",
    message:
        "{rule}: {output}, a dataset per block (log: {log})"
    script:
        "../scripts/stores_write.py"


rule store_hdf5_chunked:
    # One 3-D dataset, chunks of one block, compression stores.hdf5_compression.
    input:
        STORE_BLOCKS,
    output:
        STORE_PATHS.hdf5_chunked,
    log:
        "logs/store_hdf5_chunked.log",
    benchmark:
        "benchmarks/store_hdf5_chunked.tsv"
    conda:
        "../envs/sda.yaml"
    resources:
        mem_mb=500,
        runtime=60,
    params:
        **BLOCK_SHAPE,
        store="hdf5_chunked",
        hdf5_compression=STORES["hdf5_compression"],
    message:
        "{rule}: {output}, one chunked dataset (log: {log})"
    script:
        "../scripts/stores_write.py"


rule store_zarr:
    input:
        STORE_BLOCKS,
    output:
        directory(STORE_PATHS.zarr),
    log:
        "logs/store_zarr.log",
    benchmark:
        "benchmarks/store_zarr.tsv"
    conda:
        "../envs/sda.yaml"
    resources:
        mem_mb=300 + 3 * ZARR_SHARD_MB,
        runtime=60,
    params:
        **BLOCK_SHAPE,
        store="zarr",
        zarr_compression=STORES["zarr_compression"],
        zarr_shard_blocks=STORES["zarr_shard_blocks"],
    message:
        "{rule}: {output} (log: {log})"
    script:
        "../scripts/stores_write.py"


rule hdf5_listing:
    input:
        rules.store_hdf5.output,
    output:
        report(
            "results/stores/hdf5_listing.tsv",
            caption="../report/stores/hdf5_listing.rst",
            category="Stores",
        ),
    log:
        "logs/hdf5_listing.log",
    conda:
        "../envs/sda.yaml"
    resources:
        mem_mb=500,
        runtime=5,
    message:
        "{rule}: {output} (log: {log})"
    script:
        "../scripts/hdf5_listing.py"


rule block_means:
    input:
        **STORE_INPUTS,
    output:
        **diagnostics("block_means", DASK_SCHEDULER),
        means=report(
            "results/tables/block_means.csv",
            caption="../report/stores/block_means.rst",
            category="Stores",
        ),
        reads=report(
            "results/bench/store_reads.csv",
            caption="../report/stores/store_reads.rst",
            category="Stores",
        ),
    log:
        "logs/block_means.log",
    benchmark:
        "benchmarks/block_means.tsv"
    # Per-block means from every store, with numpy and with dask.array; all must agree.
    priority: 10
    conda:
        "../envs/sda.yaml"
    threads: 2
    resources:
        mem_mb=mem_by_attempt(1100),
        runtime=30,
    params:
        **BLOCK_SHAPE,
        scheduler=DASK_SCHEDULER,
    message:
        "{rule}: per-block means from every store, numpy and dask (threads: {threads}, log: {log})"
    script:
        "../scripts/block_means.py"


rule array_summary:
    # Mean, std, min, max of all blocks.n npy blocks with dask, out of core.
    input:
        NPY_BLOCKS,
    output:
        report(
            "results/tables/array_summary.json",
            caption="../report/stores/array_summary.rst",
            category="Stores",
        ),
        **diagnostics("array_summary", DASK_SCHEDULER),
    log:
        "logs/array_summary.log",
    benchmark:
        "benchmarks/array_summary.tsv"
    conda:
        "../envs/sda.yaml"
    threads: 2
    resources:
        mem_mb=mem_by_attempt(600),
        runtime=30,
    params:
        **BLOCK_SHAPE,
        scheduler=DASK_SCHEDULER,
    message:
        f"{{rule}}: mean, std, min, max of all {BLOCKS['n']} npy blocks with dask (threads: {{threads}}, log: {{log}})"
    script:
        "../scripts/array_summary.py"


rule bench_stores:
    # Write, warm and cold read+mean, bytes and peak memory of every source, side by side; the
    # whole-array summary over every block against one numpy pass.
    input:
        **STORE_INPUTS,
        summary_blocks=NPY_BLOCKS,
    output:
        report(
            "results/bench/stores.csv",
            caption="../report/stores/bench_stores.rst",
            category="Stores",
        ),
    log:
        "logs/bench_stores.log",
    benchmark:
        "benchmarks/bench_stores.tsv"
    conda:
        "../envs/sda.yaml"
    threads: ALL_THREADS
    resources:
        evidence=1,
        mem_mb=mem_by_attempt(max(1900, 300 + 3 * ZARR_SHARD_MB)),
        runtime=120,
    params:
        **BLOCK_SHAPE,
        scheduler=DASK_SCHEDULER,
        hdf5_compression=STORES["hdf5_compression"],
        zarr_compression=STORES["zarr_compression"],
        zarr_shard_blocks=STORES["zarr_shard_blocks"],
        repeats=config["bench"]["repeats"],
        write_repeats=STORES["write_repeats"],
    message:
        "{rule}: write, warm and cold reads of every store, the summary vs numpy (threads: {threads}, log: {log})"
    script:
        "../scripts/bench_stores.py"


rule stores_all:
    # Named target: every analysis output of the stores topic (the benchmark is `bench`).
    input:
        rules.hdf5_listing.output,
        rules.block_means.output,
        rules.array_summary.output,
    message:
        "{rule}: every analysis output of the stores"


# The topic's final outputs for `rule all`, and its evidence benchmark for `bench`.
ALL_TARGETS.extend(rules.stores_all.input)
evidence("stores_bench", "stores warm and cold with repeats", rules.bench_stores)
