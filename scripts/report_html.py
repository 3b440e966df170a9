"""Rules report_html and bench: every result of the workflow in one self-contained HTML page."""

if __name__ == "__main__":
    from pathlib import Path

    from sda.logs import setup_logging
    from sda.report.sections import build_report

    sm = snakemake  # noqa: F821
    log = setup_logging(sm.log[0])
    inputs = {k: Path(v) for k, v in sm.input.items()}
    page = build_report(
        inputs,
        out=Path(sm.output.html),
        figdir=Path(sm.output.figures),
        config=dict(sm.params.config),
        root=Path.cwd(),
        evidence=list(sm.params.evidence),
        scaling=tuple(Path(p) for p in sm.params.scaling),
    )
    log.info(
        "wrote %s: %d sections, %d figures", sm.output.html, len(page.sections), len(page.figures)
    )
