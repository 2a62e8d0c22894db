"""`malgraph export FORMAT OUT`: the graph, or the part selected, in a format other tools read.
OUT is the artifact itself, so the command takes no -f/-o (those are for printed data)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from malgraph.cli.application import UsageError, app, open_store, out
from malgraph.cli.output import output_file
from malgraph.cli.progress import bar
from malgraph.cli.safe import shown
from malgraph.core.kinds import EdgeKind, ExportFormat
from malgraph.core.selection import Selection
from malgraph.export import WRITERS, ExportSummary

FORMAT_HELP: dict[ExportFormat, str] = {
    ExportFormat.OSV: "one OSV record per malicious package, every source's claim merged",
    ExportFormat.STIX: "a STIX 2.1 bundle",
    ExportFormat.GRAPHML: "GraphML: every node and edge kind, with attributes (one file)",
    ExportFormat.NODE_LINK: "NetworkX node-link JSON, as the MalGraph paper ships its graph",
    ExportFormat.NEO4J: "CSV files in the neo4j-admin import layout, and a Cypher script",
    ExportFormat.PARQUET: "Parquet tables: packages, versions, claims, edges, families, ...",
    ExportFormat.CSV: "the same tables as CSV",
}
# The formats whose OUT is one file (the others write a folder of files).
ONE_FILE = frozenset({ExportFormat.GRAPHML, ExportFormat.NODE_LINK, ExportFormat.STIX})

_HELP = (
    "Export the graph (or the part --ecosystem, --source, --since and --kinds select) to OUT."
    " Deterministic: the same store gives the same bytes. Never includes package code.\n\n"
    "Formats:\n\n\b\n" + "\n".join(f"  {fmt.value:<10} {text}" for fmt, text in FORMAT_HELP.items())
)


def _since(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise UsageError(f"--since {text}: not a date; give it as YYYY-MM-DD") from None


def _check_out(target: Path, fmt: ExportFormat, force: bool) -> None:
    """OUT is not the store, and an OUT that holds something is replaced only with --force."""
    if fmt in ONE_FILE:
        output_file(target)
    held = target.is_file() and target.stat().st_size > 0
    held = held or (target.is_dir() and any(target.iterdir()))
    if held and not force:
        raise UsageError(f"{target}: exists and is not empty; give --force to replace it")


@app.command("export", help=_HELP)
def export_command(
    format_: Annotated[ExportFormat, typer.Argument(metavar="FORMAT", help="See the list above.")],
    target: Annotated[Path, typer.Argument(metavar="OUT", help="The file (or folder) to write.")],
    ecosystem: Annotated[
        list[str] | None,
        typer.Option("--ecosystem", help="Only packages of this ecosystem (repeat for several)."),
    ] = None,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", help="Only claims of this source (repeat for several)."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Only claims published (else imported) on or after YYYY-MM-DD."),
    ] = None,
    kinds: Annotated[
        list[EdgeKind] | None,
        typer.Option(help="Only these relations (repeat for several; default: all)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a non-empty OUT.")] = False,
) -> None:
    writer = WRITERS[format_]
    selection = Selection(
        frozenset(ecosystem or ()), frozenset(source or ()), _since(since), frozenset(kinds or ())
    )
    with open_store(create=False) as store:
        _check_out(target, format_, force)  # after the store: a bad --db is told first
        with bar(f"export {format_.value}") as update:
            summary = writer(store.db, target, selection, lambda done: update(done, None))
    out.print(_summary_line(summary, target), soft_wrap=True, highlight=False)


def _summary_line(summary: ExportSummary, target: Path) -> str:
    """`export FORMAT: FILES: 3 nodes (package 2, version 1); 2 edges (claims 2)`, one line."""
    groups: dict[str, dict[str, int]] = {}
    for key, count in summary.counts.items():
        group, _, kind = key.partition(".")
        groups.setdefault(group, {})[kind] = count
    parts = [
        f"{sum(kinds.values())} {group}"
        + (
            " (" + ", ".join(f"{kind} {count}" for kind, count in kinds.items()) + ")"
            if any(kinds)
            else ""
        )
        for group, kinds in sorted(groups.items(), key=lambda item: item[0] != "nodes")
    ]
    files = (
        shown(str(summary.files[0]))
        if len(summary.files) == 1
        else f"{len(summary.files)} files under {shown(str(target))}"
    )
    return f"export {summary.format.value}: {files}: {'; '.join(parts) or 'nothing selected'}"
