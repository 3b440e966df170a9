"""Rule text_graph: the lesson's cleaning chain as a task graph, drawn without graphviz."""

if __name__ == "__main__":
    from sda.logs import setup_logging
    from sda.text.graph import cleaning_graph, draw_graph

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    g = cleaning_graph(list(sm.input), sm.params.errors)
    draw_graph(
        g,
        sm.output.png,
        sm.output.svg,
        title="read_text -> translate -> lower -> split -> flatten -> frequencies -> topk(5)",
    )
    log.info("task graph: %d tasks, %d edges", g.number_of_nodes(), g.number_of_edges())
