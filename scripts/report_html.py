"""Rules report_html and bench: every result of the workflow in one self-contained HTML page,
chapter by chapter (sda.chapters), and results/report/then_and_now.csv beside it."""

if __name__ == "__main__":
    from pathlib import Path

    from sda.chapters import CHAPTERS
    from sda.logs import setup_logging
    from sda.report.build import build_report

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    inputs = {k: Path(v) for k, v in sm.input.items() if k != "lesson"}
    # the scaling run's CSV, plot and memory record, when `snakemake --cores N scaling` made them
    for key, path in sm.params.scaling.items():
        if Path(path).exists():
            inputs[key] = Path(path)
    page = build_report(
        CHAPTERS,
        inputs,
        out=Path(sm.output.html),
        figdir=Path(sm.output.figures),
        then_now=Path(sm.output.then_now),
        config=dict(sm.params.config),
        root=Path.cwd(),
        made_by=dict(sm.params.made_by),
        evidence=dict(sm.params.evidence),
        lesson=Path(sm.input.lesson),
        benchmarks=Path(sm.params.benchmarks),
    )
    log.info(
        "wrote %s: %d chapters, %d figures", sm.output.html, len(page.sections), len(page.figures)
    )
