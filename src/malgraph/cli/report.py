"""`malgraph report`: the analyses as a self-contained HTML report with figures, or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer

from malgraph.cli.application import State, UsageError, app, open_store, out
from malgraph.cli.options import RulesOption
from malgraph.cli.output import (
    JsonAlias,
    OutputOption,
    ReportFormat,
    json_deprecated,
    print_json,
    to_output,
)
from malgraph.cli.paths import writable_folder
from malgraph.cli.safe import shown
from malgraph.core.errors import InputError
from malgraph.core.kinds import Rules
from malgraph.report.html import NUMBERS_FILE, PAGE_FILE
from malgraph.report.numbers import report_numbers
from malgraph.store.read.card import holds_records

FIGURE_SUFFIX = ".svg"  # every figure the report draws


def _not_over_the_store(outdir: Path) -> None:
    """The store may sit in OUTDIR (`malgraph report .`), but not as a file the report writes."""
    store = State.db_path.resolve()
    if store.parent == outdir.resolve() and (
        store.name in (PAGE_FILE, NUMBERS_FILE) or store.suffix == FIGURE_SUFFIX
    ):
        raise InputError(f"{outdir}: the report would write over the store {State.db_path}")


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
    explorer: Annotated[
        str | None,
        typer.Option(
            help="The address of `malgraph serve` on this store (e.g. http://127.0.0.1:8321): "
            "the page links into it."
        ),
    ] = None,
    as_json: JsonAlias = False,
) -> None:
    """Sources (RQ1), diversity (RQ2), evolution, active time, dependency-hidden malware
    (RQ3), campaigns (RQ4) and the life cycle, from what the store holds."""
    # Lazy: the report loads matplotlib, a heavy dependency every other command can do
    # without (`--version` and `stats` included). It dodges no cycle.
    from malgraph.report.build import build_report  # noqa: PLC0415

    if as_json:
        json_deprecated()
    if as_json or format_ is ReportFormat.JSON:
        if outdir is not None:
            raise UsageError(f"{outdir}: --format json prints the numbers; give no OUTDIR")
        with to_output(output), open_store(create=False) as store:
            print_json(report_numbers(store.db, rules))
        return
    _explorer(explorer)  # a bad address costs no wait
    if output is not None:
        raise UsageError(f"{output}: -o is for --format json; the HTML report goes in OUTDIR")
    if outdir is None:
        raise UsageError("give an OUTDIR for the report, or --format json for the numbers only")
    _not_over_the_store(outdir)
    with open_store(create=False) as store:
        if not holds_records(store.db):  # nothing to draw: say so rather than fail inside
            raise InputError(
                f"{store.path}: the store holds no records yet; ingest some first "
                "(`malgraph build` brings in the bundled sample)"
            )
        writable_folder(outdir)  # before the numbers: a bad OUTDIR costs no wait
        index = build_report(store.db, outdir, rules, _explorer(explorer))
    out.print(
        f"report: {shown(index)}  (open it in a browser; numbers in "
        f"{shown(outdir / 'report.json')})",
        highlight=False,
    )


def _explorer(address: str | None) -> str | None:
    """The explorer's address without a trailing slash; UsageError unless http(s)."""
    if address is None:
        return None
    parts = urlsplit(address)
    if parts.scheme not in {"http", "https"} or not parts.netloc or not address.isprintable():
        raise UsageError(f"--explorer {address}: give the http(s) address `malgraph serve` prints")
    return address.rstrip("/")
