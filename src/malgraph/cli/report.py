"""`malgraph report`: the analyses as a self-contained HTML report with figures, or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from malgraph.cli import app, err, open_store, out
from malgraph.cli.explore import print_json


@app.command("report")
def report_command(
    outdir: Annotated[
        Path | None, typer.Argument(help="Folder for index.html, report.json and figures.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the numbers only.")] = False,
) -> None:
    """Sources (RQ1), diversity (RQ2), evolution, active time, dependency-hidden malware
    (RQ3), campaigns (RQ4) and the life cycle, from what the store holds."""
    from malgraph.report.build import build_report, report_numbers

    if outdir is None and not as_json:
        err.print("give an OUTDIR for the report, or --json for the numbers only")
        raise typer.Exit(2)
    with open_store() as store:
        if as_json:
            print_json(report_numbers(store.db))
            return
        assert outdir is not None
        index = build_report(store.db, outdir)
    out.print(f"report: {index}  (open it in a browser; numbers in {outdir / 'report.json'})")
