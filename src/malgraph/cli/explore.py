"""`malgraph stats`, `show` and `sources`: look at what the store holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from malgraph.cli import State, UsageError, app, err, open_store, out
from malgraph.cli.progress import bar
from malgraph.cli.safe import json_safe, shown
from malgraph.core.kinds import Rules
from malgraph.core.source_names import SourceNames
from malgraph.insights.paper_rules import paper_rules
from malgraph.pipeline.ingest_archives import DESCRIPTION as ARCHIVES_DESCRIPTION
from malgraph.pipeline.ingest_archives import KIND as ARCHIVES
from malgraph.pipeline.relate import refresh_dependencies, refresh_mentions, refresh_similar
from malgraph.relations.dependency import DependencySummary
from malgraph.relations.embedding import load_backend
from malgraph.report.numbers import stats
from malgraph.sources import SOURCES
from malgraph.store.labels import stored_table
from malgraph.store.queries import find_packages, package_card
from malgraph.store.read.sources import paper_rows

TOP_PAIRS = 15


def print_json(value: Any) -> None:
    out.out(json_safe(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()), highlight=False)


def print_stats(numbers: dict[str, Any]) -> None:
    out.print(
        f"[bold]{numbers['records']}[/] records, [bold]{numbers['packages']}[/] packages, "
        f"[bold]{numbers['package_versions']}[/] package-versions, "
        f"{numbers['reports']} reports ({numbers['withdrawn_records']} withdrawn records "
        "not counted)"
    )
    if numbers["unknown_ecosystems"]:
        out.print(
            "unknown ecosystems (kept verbatim): "
            + ", ".join(map(shown, numbers["unknown_ecosystems"])),
            highlight=False,
        )
    table = Table(title="records by source")
    table.add_column("source", no_wrap=True)
    table.add_column("total", justify="right")
    table.add_column("by ecosystem")
    labelled = {s: split for s, split in numbers["by_label"].items() if list(split) != [s]}
    if labelled:
        table.add_column("as labelled by the inputs")
    for source, per in numbers["by_source"].items():
        by_eco = ", ".join(
            f"{shown(eco)} {n}" for eco, n in sorted(per.items(), key=lambda i: -i[1])
        )
        labels = ", ".join(f"{shown(label)} {n}" for label, n in labelled.get(source, {}).items())
        row = [shown(source), str(sum(per.values())), by_eco]
        table.add_row(*row, *([labels] if labelled else []))
    out.print(table)

    pairs = [p for p in numbers["overlap"] if p["ecosystem"] == "*" and p["shared"]]
    pairs.sort(key=lambda p: -p["shared"])
    table = Table(
        title=f"source overlap, all ecosystems (unit: {numbers['level']}; "
        + (f"top {TOP_PAIRS} of " if len(pairs) > TOP_PAIRS else "all ")
        + f"{len(pairs)} pairs sharing any)",
        caption="overlap = shared / size of the smaller source",
    )
    for header in ("a", "b"):
        table.add_column(header, overflow="fold")
    for header in ("shared", "jaccard", "overlap"):
        table.add_column(header, justify="right", min_width=len(header))
    for p in pairs[:TOP_PAIRS]:
        table.add_row(
            shown(p["a"]),
            shown(p["b"]),
            str(p["shared"]),
            f"{p['jaccard']:.3f}",
            f"{p['overlap_coefficient']:.3f}",
        )
    out.print(table)
    occurrence = ", ".join(f"{k} source(s): {v}" for k, v in numbers["occurrence"].items())
    out.print(f"{numbers['level']}s held by n sources: {occurrence}")
    unknown = sum(sum(per.values()) for per in numbers["versions_unknown"].values())
    if unknown:
        out.print(f"records naming no version (package-level evidence only): {unknown}")
    if numbers["single_source_share"] is not None:
        unit = "package-version" if numbers["level"] == "version" else "package"
        out.print(
            f"single-source share: {100 * numbers['single_source_share']:.2f}% of "
            f"{unit}s are held by exactly one source"
        )
    overall = numbers["missing_rate"]["overall"]
    if overall["records"]:
        out.print(
            f"missing rate: {100 * overall['missing']:.2f}% of records without their "
            f"source's code; {100 * overall['missing_after_filling']:.2f}% after filling "
            "from code of the same package-version held by any source"
        )
    out.print("edges: " + (", ".join(f"{k} {v}" for k, v in numbers["edges"].items()) or "none"))
    code = numbers["code"]
    analysed = ", ".join(f"{n} {s}" for s, n in code["analyses"].items()) or "none analysed"
    out.print(
        f"code: {code['artifacts']} artifacts for {code['available_package_versions']} "
        f"package-versions ({analysed})"
    )
    held = [
        f"{shown(s)} {a['available']}/{a['package_versions']}"
        for s, a in code["availability"].items()
        if a["available"]
    ]
    if held:
        out.print("package-versions with code, per source: " + ", ".join(held), highlight=False)
    dependency = numbers["dependency"]
    if dependency["edges"]:
        hidden, by = dependency["hidden_packages"], dependency["dependent_packages"]
        out.print(
            f"dependency-hidden: {hidden} packages pulled in by {by}, "
            f"in {len(dependency['groups'])} groups"
        )
    families = numbers["families"]
    if families["count"]:
        out.print(
            f"code families: {families['count']} (largest {families['largest']}); "
            f"{families['in_families']} of {families['available_package_versions']} "
            "package-versions with code are in one"
        )


RULES_HELP = (
    "Counting rules: malgraph's own, or the paper's (sheet rows of its malware.xlsx "
    "matched by exact name_version on the same sheet)."
)


@app.command("stats")
def stats_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    rules: Annotated[Rules, typer.Option(help=RULES_HELP)] = Rules.MALGRAPH,
    level: Annotated[str, typer.Option(help="Unit of overlap: version or package.")] = "version",
    include_withdrawn: Annotated[bool, typer.Option(help="Count withdrawn records too.")] = False,
) -> None:
    """Counts and source overlap (RQ1): records, packages, by_source, overlap, occurrence."""
    if level not in ("version", "package"):
        raise UsageError(f"--level is 'version' or 'package', not {level!r}")
    with open_store(create=False) as store:
        if rules is Rules.PAPER:
            counted = paper_rules(paper_rows(store.db))
            print_json(counted) if as_json else print_paper_rules(counted)
            return
        numbers = stats(store.db, level=level, include_withdrawn=include_withdrawn)
    print_json(numbers) if as_json else print_stats(numbers)


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.2%}"


def print_paper_rules(counted: dict[str, Any]) -> None:
    """RQ1 by the paper's rules: its per-source table, source pairs and occurrence."""
    if not counted["records"]:
        out.print(
            "no rows of the paper's malware sheets in the store (`malgraph ingest paper` "
            "reads its malware.xlsx; a store made before rows kept their name_version "
            "text needs it ingested into a new store)"
        )
        return
    table = Table(title=f"records by source, paper rules ({counted['definitions']['match']})")
    table.add_column("source", no_wrap=True)
    for header in ("records", "untracked", "missing", "filled", "after filling"):
        table.add_column(header, justify="right")
    overall = counted["missing_rate"]["overall"]
    for source, c in [*counted["by_source"].items(), ("all", overall)]:
        table.add_row(
            shown(source),
            str(c["records"]),
            str(c["untracked"]),
            _percent(c["missing"]),
            str(c["filled"]),
            _percent(c["missing_after_filling"]),
        )
    out.print(table)
    table = Table(title=f"source pairs sharing a name_version ({len(counted['pairs'])} pairs)")
    for header in ("a", "b", "shared"):
        table.add_column(header, justify="right" if header == "shared" else "left")
    for p in counted["pairs"]:
        table.add_row(shown(p["a"]), shown(p["b"]), str(p["shared"]))
    out.print(table)
    occurrence = ", ".join(f"{k} source(s): {v}" for k, v in counted["occurrence"].items())
    out.print(f"records held by n sources ({counted['definitions']['occurrence']}): {occurrence}")
    out.print(
        f"missing rate overall: {_percent(overall['missing'])}, after filling "
        f"{_percent(overall['missing_after_filling'])}"
    )


@app.command("show")
def show_command(
    name: Annotated[
        str, typer.Argument(help="A package name, spelled any way its registry treats as the same.")
    ],
    ecosystem: Annotated[str | None, typer.Option(help="Only this ecosystem.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One package's card: its records, sources, dates, reports and edges."""
    with open_store(create=False) as store:
        cards = [package_card(store.db, pid) for pid in find_packages(store.db, name, ecosystem)]
    if not cards:
        err.print(
            f"no package {shown(repr(name))} in the store"
            + (f" ({shown(ecosystem)})" if ecosystem else ""),
            highlight=False,
        )
        raise typer.Exit(1)
    if as_json:
        print_json(cards)
        return
    for card in cards:
        _print_card(card)


def _short(ident: str) -> str:
    """Report hashes used as ids are long: show enough of them to search for."""
    return ident[:12] + "…" if len(ident) == 64 and ident.isalnum() else ident


def _versions(record: dict[str, Any]) -> str:
    listed = ", ".join(map(shown, record["versions"][:5]))
    listed += " …" if len(record["versions"]) > 5 else ""
    return listed if record["scope"] == "listed" else f"{shown(record['scope'])} {listed}".strip()


def _print_card(card: dict[str, Any]) -> None:
    out.print(
        f"\n[bold]{shown(card['name'])}[/] ({shown(card['ecosystem'])})  {shown(card['purl'])}",
        highlight=False,
    )
    out.print(f"sources: {', '.join(map(shown, card['sources'])) or '-'}", highlight=False)
    if card["versions"]:
        out.print(f"versions named: {', '.join(map(shown, card['versions']))}", highlight=False)
    table = Table(title="records (indented: the claims a feed record merges)")
    for header in ("source", "id", "versions", "dated", "withdrawn"):
        table.add_column(header)
    for r in card["records"]:
        indent = "  " if r["parent_id"] else ""
        dated = r["published"] or r["modified"] or r["imported"] or ""
        as_given = f" (as {r['label']})" if r["label"] != r["source"] else ""
        table.add_row(
            shown(indent + r["source"] + as_given),
            shown(_short(r["source_record_id"])),
            _versions(r),
            shown(dated[:10]),
            shown((r["withdrawn"] or "")[:10]),
        )
    out.print(table)
    for report in card["reports"]:
        date = (report["published"] or "")[:10]
        out.print(
            f"report {shown(date)} ({shown(report['via'])}): {shown(report['url'])}",
            highlight=False,
        )
    for dates in card["timeline"]:
        if dates["released"] or dates["first_detected"]:
            out.print(
                f"{shown(dates['version'])}: released "
                f"{shown((dates['released'] or '?')[:10])}, first detected "
                f"{shown((dates['first_detected'] or '?')[:10])} by "
                f"{shown(dates['detected_by'] or '?')}",
                highlight=False,
            )
    for dates in card["timeline"]:
        if dates["removal_observed"]:
            out.print(
                f"{shown(dates['version'])}: removal observed "
                f"{shown(dates['removal_observed'][:10])} on "
                f"{shown(dates['removal_seen_by'])}",
                highlight=False,
            )
    for version in card["code"]:
        _print_code(version)
    for entry in card["similarity"]:
        family = entry["family"]
        if family:
            out.print(
                f"{shown(entry['version'])}: family {shown(family['id'])} "
                f"({family['size']} members, first released "
                f"{shown((family['first_release'] or '?')[:10])})",
                highlight=False,
            )
        for n in entry["neighbours"]:
            out.print(
                f"  similar to {shown(n['name'])}@{shown(n['version'])} "
                f"({shown(n['ecosystem'])}): {shown(n['tier'])} {n['score']:.2f}",
                highlight=False,
            )
    for label, key in (("pulls in", "pulls_in"), ("pulled in by", "pulled_in_by")):
        for link in card["dependency"][key]:
            first = link["evidence"][0]
            where = first.get("file") or first.get("source") or ""
            out.print(
                f"{label} {shown(link['name'])} ({shown(link['ecosystem'])})"
                + (f" from {shown(link['version'])}" if link["version"] else "")
                + f": {shown(first['via'])} {shown(first.get('kind', ''))} {shown(where)}"
                + (f":{shown(first['line'])}" if first.get("line") else "")
                + f" ({shown(link['confidence'])})",
                highlight=False,
            )
    for campaign in card["campaigns"]:
        out.print(
            f"campaign ({shown(campaign['source'])}, {shown(campaign['category'] or '-')}"
            f"): {shown(campaign['name'])}",
            highlight=False,
        )
    for ioc in card["iocs"]:
        out.print(f"ioc {shown(ioc['kind'])}: {shown(ioc['value'])}", highlight=False)
    if card["coreported"]:
        names = ", ".join(
            f"{shown(p['name'])} ({shown(p['ecosystem'])})" for p in card["coreported"][:20]
        )
        more = len(card["coreported"]) - 20
        out.print(
            f"co-reported with: {names}" + (f" and {more} more" if more > 0 else ""),
            highlight=False,
        )
    for edge in card["edges"]:
        ev = edge["evidence"]
        what = ", ".join(ev.get("versions", [])) or "/".join(ev.get("scopes", []))
        out.print(
            f"{shown(edge['kind'])} ({shown(edge['confidence'])}): "
            f"{shown(ev['a']['source'])} {shown(_short(ev['a']['id']))} ↔ "
            f"{shown(ev['b']['source'])} {shown(_short(ev['b']['id']))} "
            f"{shown(f'[{what}]')}",
            highlight=False,
        )


def _print_code(version: dict[str, Any]) -> None:
    for a in version["artifacts"]:
        out.print(
            f"code {shown(version['version'])}: {shown(a['kind'])} from "
            f"{shown(a['source'])} sha256:{shown(a['sha256'][:12])}… analysis: "
            f"{shown(a['analysis'] or 'not yet')}"
            + (f" ({shown(a['reason'])})" if a["reason"] else ""),
            highlight=False,
        )
        if a["analysis"] is None:
            continue
        out.print(
            f"  {a['files']} files ({', '.join(map(shown, a['languages'])) or 'no code'})"
            f", {a['skipped_members']} members refused",
            highlight=False,
        )
        for line in a["install_hooks"]:
            out.print(f"  install hook {shown(line)}", highlight=False)
        if a["findings"]:
            out.print(
                "  sensitive calls: "
                + ", ".join(f"{shown(c)} {n}" for c, n in a["findings"].items()),
                highlight=False,
            )
        for label in ("obfuscation", "dependencies", "iocs"):
            if a[label]:
                out.print(f"  {label}: {', '.join(map(shown, a[label][:12]))}", highlight=False)


RELATION_KINDS = ("mentions", "similar", "dependency")


@app.command("relate")
def relate_command(
    kinds: Annotated[
        str, typer.Option(help=f"Comma-separated, of: {', '.join(RELATION_KINDS)}.")
    ] = ",".join(RELATION_KINDS),
    model: Annotated[
        str | None,
        typer.Option(
            help="Also a code-embedding tier: a local sentence-transformers model "
            "folder, or module:Class of your own. Never downloads."
        ),
    ] = None,
) -> None:
    """Recompute derived relations: which packages each report's text names (co-existing;
    ingest does this itself), code reuse (similar edges and families, from `analyze`) and
    dependencies (from manifests, imports and the sources' dependency lists)."""
    chosen = [k.strip() for k in kinds.split(",") if k.strip()]
    if unknown := sorted(set(chosen) - set(RELATION_KINDS)):
        raise UsageError(
            f"unknown relation kind(s) {', '.join(unknown)}; one of {', '.join(RELATION_KINDS)}"
        )
    with open_store(create=False) as store:
        if "mentions" in chosen:
            with store.transaction():
                out.print(f"{refresh_mentions(store.db)} package mentions in reports")
        if "similar" in chosen:
            backend = load_backend(model) if model else None
            with bar("similar") as progress:
                found = refresh_similar(store, model=backend, progress=progress)
            tiers = ", ".join(f"{n} {t}" for t, n in sorted(found.edges.items())) or "none"
            out.print(
                f"similar: {found.items} package-versions with code; edges: {tiers}; "
                f"{found.families} families ({found.new_families} new, "
                f"{found.dissolved_families} dissolved)"
            )
        if "dependency" in chosen:
            print_dependency_summary(refresh_dependencies(store))


def print_dependency_summary(found: DependencySummary) -> None:
    vias = ", ".join(f"{n} with {via} evidence" for via, n in sorted(found.by_via.items()))
    out.print(
        f"dependency: {found.edges} depends-on edges"
        + (f" ({vias})" if vias else "")
        + f"; {found.name_only} by name only (no malicious version shown reached; left"
        f" out of the counts); {found.excluded_by_spec} declared dependencies whose"
        " version spec admits no malicious version"
    )


@app.command("families")
def families_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Code families (from `relate --kinds similar`): id, size, dates, members."""
    from malgraph.insights.families import all_families
    from malgraph.store.read.graph import families

    with open_store(create=False) as store:
        found = all_families(families(store.db))
    if as_json:
        print_json(found)
        return
    for family in found:
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
    as_json: Annotated[bool, typer.Option("--json", help="The source names as JSON.")] = False,
) -> None:
    """The source kinds `malgraph ingest KIND` understands, and the source names: each
    reporter's canonical name with the labels (aliases) that count as it."""
    from malgraph.cli.ingest import aliases_or_exit

    user = aliases_or_exit(source_aliases)
    labels: list[str] = []
    if State.db_path.exists():
        with open_store() as store:
            user = stored_table(store.db) if user is None else user
            labels = [label for (label,) in store.db.execute("SELECT label FROM source_labels")]
    names = SourceNames(user or ())
    aliases = names.aliases_of(labels)
    if as_json:
        print_json(
            [
                {
                    "name": name,
                    "aliases": aliases[name],
                    "description": getattr(names.entries.get(name), "description", ""),
                    "url": getattr(names.entries.get(name), "url", ""),
                }
                for name in aliases
            ]
        )
        return
    for name, source in SOURCES.items():
        out.print(f"[bold]{name}[/]: {source.description}")
    table = Table(title="source names (labels match ignoring case and punctuation)")
    for header in ("source", "aliases", "what"):
        table.add_column(header, overflow="fold")
    for name, labels_of in aliases.items():
        entry = names.entries.get(name)
        what = entry.description if entry else "(seen in the store; no table lists it)"
        table.add_row(shown(name), shown(", ".join(labels_of)), shown(what))
    out.print(table)
    out.print(f"[bold]{ARCHIVES}[/]: {ARCHIVES_DESCRIPTION}", highlight=False)
