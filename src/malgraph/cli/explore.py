"""`malgraph stats`, `show`, `families` and `sources`: look at what the store holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from malgraph.cli.application import State, app, err, open_store, out
from malgraph.cli.card_view import print_card
from malgraph.cli.options import OverlapLevel, RulesOption, aliases_or_exit
from malgraph.cli.output import (
    Format,
    FormatOption,
    JsonAlias,
    OutputOption,
    chosen,
    print_json,
    print_table,
    to_output,
)
from malgraph.cli.safe import shown
from malgraph.cli.stats_view import print_paper_rules, print_stats
from malgraph.core.kinds import Rules
from malgraph.core.source_names import SourceNames
from malgraph.insights.families import all_families
from malgraph.insights.paper_rules import paper_rules
from malgraph.pipeline.ingest_archives import DESCRIPTION as ARCHIVES_DESCRIPTION
from malgraph.pipeline.ingest_archives import KIND as ARCHIVES
from malgraph.report.numbers import stats
from malgraph.sources import SOURCES
from malgraph.store.read.card import find_packages, read_card
from malgraph.store.read.graph import families
from malgraph.store.read.labels import stored_labels, stored_table
from malgraph.store.read.sources import paper_rows


@app.command("stats")
def stats_command(
    format_: FormatOption = Format.TABLE,
    output: OutputOption = None,
    rules: RulesOption = Rules.MALGRAPH,
    level: Annotated[OverlapLevel, typer.Option(help="Unit of overlap.")] = OverlapLevel.VERSION,
    include_withdrawn: Annotated[bool, typer.Option(help="Count withdrawn records too.")] = False,
    as_json: JsonAlias = False,
) -> None:
    """Counts and source overlap (RQ1): records, packages, by_source, overlap, occurrence."""
    as_table = chosen(format_, as_json) is Format.TABLE
    with to_output(output), open_store(create=False) as store:
        if rules is Rules.PAPER:
            counted = paper_rules(paper_rows(store.db))
            print_paper_rules(counted) if as_table else print_json(counted)
            return
        numbers = stats(store.db, level=level, include_withdrawn=include_withdrawn)
        print_stats(numbers) if as_table else print_json(numbers)


@app.command("show")
def show_command(
    name: Annotated[
        str, typer.Argument(help="A package name, spelled any way its registry treats as the same.")
    ],
    ecosystem: Annotated[str | None, typer.Option(help="Only this ecosystem.")] = None,
    format_: FormatOption = Format.TABLE,
    output: OutputOption = None,
    as_json: JsonAlias = False,
) -> None:
    """One package's card: its records, sources, dates, reports and edges. Exit code 1 when
    no package has that name."""
    with to_output(output):
        with open_store(create=False) as store:
            cards = [read_card(store.db, pid) for pid in find_packages(store.db, name, ecosystem)]
        if not cards:
            err.print(
                f"no package {shown(repr(name))} in the store"
                + (f" ({shown(ecosystem)})" if ecosystem else ""),
                highlight=False,
            )
            raise typer.Exit(1)
        if chosen(format_, as_json) is Format.JSON:
            print_json([card.as_json() for card in cards])
            return
        for card in cards:
            print_card(card)


@app.command("families")
def families_command(
    format_: FormatOption = Format.TABLE,
    output: OutputOption = None,
    as_json: JsonAlias = False,
) -> None:
    """Code families (from `relate --kinds similar`): id, size, dates, members."""
    with to_output(output):
        with open_store(create=False) as store:
            found = all_families(families(store.db))
        if chosen(format_, as_json) is Format.JSON:
            print_json(found)
            return
        for family in found:
            _print_family(family)


def _print_family(family: dict[str, Any]) -> None:
    first, last = (family["first_release"] or "?")[:10], (family["last_release"] or "?")[:10]
    names = sorted({m["name"] for m in family["members"]})
    listed = ", ".join(map(shown, names[:8]))
    listed += f" and {len(names) - 8} more" if len(names) > 8 else ""
    out.print(
        f"[bold]{shown(family['id'])}[/] {family['size']} members "
        f"({', '.join(map(shown, family['ecosystems']))}, {shown(first)} to "
        f"{shown(last)}): {listed}",
        highlight=False,
    )


@app.command("sources")
def sources_command(
    source_aliases: Annotated[
        Path | None,
        typer.Option(
            "--source-aliases",
            envvar="MALGRAPH_SOURCE_ALIASES",
            help="Show the source names with this aliases file instead of the store's.",
        ),
    ] = None,
    format_: FormatOption = Format.TABLE,
    output: OutputOption = None,
    as_json: JsonAlias = False,
) -> None:
    """The source kinds `malgraph ingest KIND` understands, and the source names: each
    reporter's canonical name with the labels (aliases) that count as it. `-f json` prints
    both: {"kinds": [...], "names": [...]}."""
    user = aliases_or_exit(source_aliases)
    with to_output(output):
        labels: list[str] = []
        if State.db_path.exists():
            with open_store() as store:
                user = stored_table(store.db) if user is None else user
                labels = stored_labels(store.db)
        names = SourceNames(user or ())
        if chosen(format_, as_json) is Format.JSON:
            print_json(
                {"kinds": _kinds_json(), "names": _names_json(names, names.aliases_of(labels))}
            )
        else:
            _print_sources(names, names.aliases_of(labels))


def _kinds_json() -> list[dict[str, str]]:
    """What `malgraph ingest KIND` takes, as the table lists it: the source kinds, then
    archives."""
    kinds = [{"kind": kind, "description": source.description} for kind, source in SOURCES.items()]
    return [*kinds, {"kind": ARCHIVES, "description": ARCHIVES_DESCRIPTION}]


def _names_json(names: SourceNames, aliases: dict[str, list[str]]) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "aliases": aliases[name],
            "description": getattr(names.entries.get(name), "description", ""),
            "url": getattr(names.entries.get(name), "url", ""),
        }
        for name in aliases
    ]


def _print_sources(names: SourceNames, aliases: dict[str, list[str]]) -> None:
    for name, source in SOURCES.items():
        out.print(f"[bold]{name}[/]: {source.description}")
    table = Table(title="source names (labels match ignoring case and punctuation)")
    for header in ("source", "aliases", "what"):
        table.add_column(header, overflow="fold")
    for name, labels_of in aliases.items():
        entry = names.entries.get(name)
        what = entry.description if entry else "(seen in the store; no table lists it)"
        table.add_row(shown(name), shown(", ".join(labels_of)), shown(what))
    print_table(table)
    out.print(f"[bold]{ARCHIVES}[/]: {ARCHIVES_DESCRIPTION}", highlight=False)
