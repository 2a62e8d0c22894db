"""`malgraph report`: the analyses as a self-contained HTML report with figures, or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from malgraph.cli.application import UsageError, app, open_store, out
from malgraph.cli.options import RulesOption
from malgraph.cli.output import JsonAlias, OutputOption, ReportFormat, print_json, to_output
from malgraph.cli.paths import writable_file, writable_folder
from malgraph.cli.safe import shown
from malgraph.core.errors import InputError
from malgraph.core.kinds import Rules
from malgraph.report.numbers import report_numbers
from malgraph.store.read.card import holds_records


@app.command("report")
def report_command(
    outdir: Annotated[
        Path | None, typer.Argument(help="Folder for index.html, report.json and figures.")
    ] = None,
    format_: Annotated[
        ReportFormat,
        typer.Option(
            "--format", "-f", help="html: the report in OUTDIR; json: print the numbers only."
        ),
    ] = ReportFormat.HTML,
    output: OutputOption = None,
    rules: RulesOption = Rules.MALGRAPH,
    as_json: JsonAlias = False,
) -> None:
    """Sources (RQ1), diversity (RQ2), evolution, active time, dependency-hidden malware
    (RQ3), campaigns (RQ4) and the life cycle, from what the store holds."""
    # Lazy: the report loads matplotlib, a heavy dependency every other command can do
    # without (`--version` and `stats` included). It dodges no cycle.
    from malgraph.report.build import build_report  # noqa: PLC0415

    if output is not None:
        writable_file(output)  # before any work: a typo costs no wait
    if as_json or format_ is ReportFormat.JSON:
        with to_output(output), open_store(create=False) as store:
            print_json(report_numbers(store.db, rules))
        return
    if outdir is None:
        raise UsageError("give an OUTDIR for the report, or --format json for the numbers only")
    with open_store(create=False) as store:
        if not holds_records(store.db):  # nothing to draw: say so rather than fail inside
            raise InputError(
                f"{store.path}: the store holds no records yet; ingest some first "
                "(`malgraph build` brings in the bundled sample)"
            )
        writable_folder(outdir)  # before the numbers: a bad OUTDIR costs no wait
        index = build_report(store.db, outdir, rules)
    out.print(
        f"report: {shown(index)}  (open it in a browser; numbers in "
        f"{shown(outdir / 'report.json')})",
        highlight=False,
    )
