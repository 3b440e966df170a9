# Word frequencies over Wikipedia: the corpus, the lesson's bag and delayed word counts,
# the task graph, and the benchmarks (see docs/text.md).
from sda.text.corpus import file_names
from sda.text.words import matching_files

if WIKI["source"] == "local":
    WIKI_FILES = matching_files(WIKI["glob"])
else:
    WIKI_FILES = expand(
        "resources/wiki/{source}/{name}",
        source=WIKI["source"],
        name=file_names(WIKI["files"]),
    )


rule wiki_synthetic:
    # A deterministic corpus in WikiExtractor's layout: file i depends on (seed, i) only.
    output:
        expand(
            "resources/wiki/synthetic/{name}",
            name=file_names(WIKI["files"]),
        ),
    log:
        "logs/wiki_synthetic.log",
    benchmark:
        "benchmarks/wiki_synthetic.tsv"
    # The corpus heads the longest chain of the default run (corpus, scheduler comparison,
    # report): it starts first, beside the block generation, not after it.
    priority: 20
    conda:
        "../envs/sda.yaml"
    threads: ALL_THREADS
    resources:
        # one worker process (~60 MB) per thread, plus the job's own Snakemake process
        mem_mb=lambda wildcards, threads: 400 + 60 * threads,
        runtime=20,
    params:
        file_bytes=WIKI["file_bytes"],
        seed=WIKI["seed"],
    message:
        f"{{rule}}: {WIKI['files']} files of synthetic text (processes: {{threads}}, log: {{log}})"
    script:
        "../scripts/wiki_synthetic.py"


rule wiki_fetch:
    # The dump, resumed and retried, verified against wiki.checksum or the checksums published
    # beside it; SOURCE.json records the URL and the checksum (the report shows them).
    output:
        dump="resources/wiki/dump.xml.bz2",
        source="resources/wiki/SOURCE.json",
    log:
        "logs/wiki_fetch.log",
    conda:
        "../envs/sda.yaml"
    resources:
        mem_mb=500,
        runtime=120,
    params:
        # what the dump is; wiki.retries and wiki.retry_wait, how it is fetched, are read from
        # the config by the script, so that changing them does not download it again
        url=WIKI["url"],
        checksum=WIKI["checksum"],
    message:
        "{rule}: download {params.url} and verify it (log: {log})"
    script:
        "../scripts/wiki_fetch.py"


rule wiki_extract:
    input:
        rules.wiki_fetch.output.dump,
    output:
        expand(
            "resources/wiki/download/{name}",
            name=file_names(WIKI["files"]),
        ),
    log:
        "logs/wiki_extract.log",
    benchmark:
        "benchmarks/wiki_extract.tsv"
    conda:
        "../envs/sda.yaml"
    threads: ALL_THREADS
    resources:
        mem_mb=mem_by_attempt(2000),
        runtime=240,
    message:
        "{rule}: WikiExtractor on {input} (processes: {threads}, log: {log})"
    script:
        "../scripts/wiki_extract.py"


rule text_counts:
    # The raw top-10 and the full cleaned table in one dask.compute (bag of files).
    input:
        WIKI_FILES,
    output:
        **diagnostics("text_counts", TEXT_PARAMS["scheduler"]),
        top10=report(
            "results/text/top10.csv",
            caption="../report/text/top10.rst",
            category="Text",
        ),
        frequencies="results/text/frequencies.parquet",
        top5=report(
            "results/text/top5_clean.csv",
            caption="../report/text/top5_clean.rst",
            category="Text",
        ),
    log:
        "logs/text_counts.log",
    benchmark:
        "benchmarks/text_counts.tsv"
    conda:
        "../envs/sda.yaml"
    threads: ALL_THREADS
    resources:
        mem_mb=mem_by_attempt(900),
        runtime=30,
    params:
        **TEXT_PARAMS,
    message:
        "{rule}: word frequencies over the corpus with dask.bag (threads: {threads}, log: {log})"
    script:
        "../scripts/text_counts.py"


rule text_sample:
    # The lesson's take(5) of the cleaned words.
    input:
        WIKI_FILES,
    output:
        "results/text/sample5.csv",
    log:
        "logs/text_sample.log",
    conda:
        "../envs/sda.yaml"
    resources:
        mem_mb=500,
        runtime=10,
    params:
        **DECODING,
        scheduler=DASK_SCHEDULER,
    message:
        "{rule}: take(5) of the cleaned words (log: {log})"
    script:
        "../scripts/text_sample.py"


rule text_delayed:
    # The lesson's imperative version: dask.delayed load -> clean -> analyze -> top_k, on the
    # first text.delayed_files files (the lesson's 3), checked against our count of them.
    input:
        files=WIKI_FILES[: TEXT["delayed_files"] or len(WIKI_FILES)],
    output:
        report(
            "results/text/delayed_top5.csv",
            caption="../report/text/delayed_top5.rst",
            category="Text",
        ),
        **diagnostics("text_delayed", DASK_SCHEDULER),
    log:
        "logs/text_delayed.log",
    benchmark:
        "benchmarks/text_delayed.tsv"
    conda:
        "../envs/sda.yaml"
    resources:
        mem_mb=mem_by_attempt(1500),
        runtime=30,
    params:
        **DECODING,
        scheduler=DASK_SCHEDULER,
    message:
        "{rule}: the top-5 with dask.delayed (log: {log})"
    script:
        "../scripts/text_delayed.py"


rule text_graph:
    # The cleaning chain's task graph, a column per partition (graphviz or networkx).
    input:
        WIKI_FILES[: TEXT["graph_files"]],
    output:
        png=report(
            "results/text/graph.png",
            caption="../report/text/graph.rst",
            category="Text",
        ),
        svg="results/text/graph.svg",
    log:
        "logs/text_graph.log",
    conda:
        "../envs/sda.yaml"
    resources:
        mem_mb=500,
        runtime=10,
    params:
        **DECODING,
    message:
        "{rule}: the task graph of the cleaning chain (log: {log})"
    script:
        "../scripts/text_graph.py"


rule bench_text_schedulers:
    # The same top-10 on sync, threads, processes and a distributed LocalCluster, one run each
    # on the first text.scheduler_files files (the lesson's chain is pure Python: minutes on all).
    input:
        WIKI_FILES[: TEXT["scheduler_files"] or len(WIKI_FILES)],
    output:
        report(
            "results/bench/text_schedulers.csv",
            caption="../report/text/text_schedulers.rst",
            category="Text",
        ),
    log:
        "logs/bench_text_schedulers.log",
    benchmark:
        "benchmarks/bench_text_schedulers.tsv"
    # the longest job after the corpus (about 30 s, four schedulers started in turn)
    priority: 20
    conda:
        "../envs/sda.yaml"
    threads: ALL_THREADS
    resources:
        mem_mb=mem_by_attempt(1400),
        runtime=30,
    params:
        **TEXT_PARAMS,
    message:
        "{rule}: the top-10 on every dask scheduler (threads: {threads}, log: {log})"
    script:
        "../scripts/bench_text_schedulers.py"


rule bench_text:
    # Our word count vs plain Python and the lesson's bag pipeline, side by side.
    input:
        WIKI_FILES,
    output:
        report(
            "results/bench/text.csv",
            caption="../report/text/bench_text.rst",
            category="Text",
        ),
    log:
        "logs/bench_text.log",
    benchmark:
        "benchmarks/bench_text.tsv"
    conda:
        "../envs/sda.yaml"
    threads: ALL_THREADS
    resources:
        evidence=1,
        mem_mb=mem_by_attempt(1500),
        runtime=60,
    params:
        **TEXT_PARAMS,
        repeats=TEXT["bench_repeats"],
    message:
        "{rule}: our word count vs the lesson's code (threads: {threads}, log: {log})"
    script:
        "../scripts/bench_text.py"


# The topic's final outputs for `rule all`, and its evidence benchmark for `bench`.
ALL_TARGETS.extend(
    [
        *rules.text_counts.output,
        *rules.text_sample.output,
        *rules.text_delayed.output,
        *rules.text_graph.output,
    ]
)
if TEXT["bench_schedulers"]:
    ALL_TARGETS.extend(rules.bench_text_schedulers.output)
if TEXT["bench"]:
    evidence("text_bench", "word count against the lesson's code", rules.bench_text)
