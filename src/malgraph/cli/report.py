"""`malgraph report`: the analyses as a self-contained HTML report with figures, or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from malgraph.cli import UsageError, app, open_store, out
from malgraph.cli.explore import RULES_HELP, print_json
from malgraph.cli.paths import writable_folder
from malgraph.cli.safe import shown
from malgraph.core.errors import InputError
from malgraph.core.kinds import Rules
from malgraph.store.queries import holds_records


@app.command("report")
def report_command(
    outdir: Annotated[
        Path | None, typer.Argument(help="Folder for index.html, report.json and figures.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the numbers only.")] = False,
    rules: Annotated[Rules, typer.Option(help=RULES_HELP)] = Rules.MALGRAPH,
) -> None:
    """Sources (RQ1), diversity (RQ2), evolution, active time, dependency-hidden malware
    (RQ3), campaigns (RQ4) and the life cycle, from what the store holds."""
    from malgraph.report.build import build_report
    from malgraph.report.numbers import report_numbers

    if outdir is None and not as_json:
        raise UsageError("give an OUTDIR for the report, or --json for the numbers only")
    with open_store(create=False) as store:
        if as_json:
            print_json(report_numbers(store.db, rules))
            return
        assert outdir is not None
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
