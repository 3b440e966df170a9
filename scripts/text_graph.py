"""Rule text_graph: the lesson's cleaning chain as a task graph, a column per partition
(graphviz's dot through dask.visualize where installed, networkx otherwise)."""

if __name__ == "__main__":
    from sda.logs import setup_logging
    from sda.text.lesson import cleaning_chain
    from sda.text.taskgraph import draw

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    top5 = cleaning_chain(list(sm.input), sm.params.errors).frequencies().topk(5, lambda x: x[1])
    engine = draw(
        top5,
        sm.output.png,
        sm.output.svg,
        title="read_text -> translate -> lower -> split -> flatten -> frequencies -> topk(5)",
    )
    log.info("task graph of %d tasks drawn with %s", len(top5.__dask_graph__()), engine)
