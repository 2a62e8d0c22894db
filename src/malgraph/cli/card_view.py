"""The human-readable package card of `malgraph show`, one printer a part of the card."""

from __future__ import annotations

from rich.table import Table

from malgraph.cli.application import out
from malgraph.cli.output import print_table
from malgraph.cli.safe import shown
from malgraph.core.card import (
    CardArtifact,
    CardRecord,
    DependencyLink,
    PackageCard,
    VersionCode,
    VersionSimilarity,
)

SHOWN_VERSIONS = 5  # versions listed per record
SHOWN_COREPORTED = 20
SHOWN_FEATURES = 12  # obfuscation signs, dependencies, IoCs listed per artifact


def say(text: str) -> None:
    """One line of already-escaped text, without rich's highlighting."""
    out.print(text, highlight=False)


def print_card(card: PackageCard) -> None:
    """Everything `show` tells about one package, in the order it has always told it."""
    _print_header(card)
    _print_records(card.records)
    _print_reports(card)
    _print_timeline(card)
    for version in card.code:
        _print_code(version)
    for entry in card.similarity:
        _print_similarity(entry)
    _print_dependency(card)
    _print_campaigns_and_iocs(card)
    _print_coreported(card)
    _print_edges(card)


def _short(ident: str) -> str:
    """Report hashes used as ids are long: show enough of them to search for."""
    return ident[:12] + "…" if len(ident) == 64 and ident.isalnum() else ident


def _versions(record: CardRecord) -> str:
    listed = ", ".join(map(shown, record.versions[:SHOWN_VERSIONS]))
    listed += " …" if len(record.versions) > SHOWN_VERSIONS else ""
    return listed if record.scope == "listed" else f"{shown(record.scope)} {listed}".strip()


def _print_header(card: PackageCard) -> None:
    say(f"\n[bold]{shown(card.name)}[/] ({shown(card.ecosystem)})  {shown(card.purl)}")
    say(f"sources: {', '.join(map(shown, card.sources)) or '-'}")
    if card.versions:
        say(f"versions named: {', '.join(map(shown, card.versions))}")


def _print_records(records: tuple[CardRecord, ...]) -> None:
    table = Table(title="records (indented: the claims a feed record merges)")
    for header in ("source", "id", "versions", "dated", "withdrawn"):
        table.add_column(header)
    for r in records:
        indent = "  " if r.parent_id else ""
        dated = r.published or r.modified or r.imported or ""
        as_given = f" (as {r.label})" if r.label != r.source else ""
        table.add_row(
            shown(indent + r.source + as_given),
            shown(_short(r.source_record_id)),
            _versions(r),
            shown(dated[:10]),
            shown((r.withdrawn or "")[:10]),
        )
    print_table(table)


def _print_reports(card: PackageCard) -> None:
    for report in card.reports:
        date = (report.published or "")[:10]
        say(f"report {shown(date)} ({shown(report.via)}): {shown(report.url)}")


def _print_timeline(card: PackageCard) -> None:
    for dates in card.timeline:
        if dates.released or dates.first_detected:
            say(
                f"{shown(dates.version)}: released {shown((dates.released or '?')[:10])}, "
                f"first detected {shown((dates.first_detected or '?')[:10])} by "
                f"{shown(dates.detected_by or '?')}"
            )
    for dates in card.timeline:
        if dates.removal_observed:
            say(
                f"{shown(dates.version)}: removal observed "
                f"{shown(dates.removal_observed[:10])} on {shown(dates.removal_seen_by)}"
            )


def _print_code(version: VersionCode) -> None:
    for a in version.artifacts:
        say(
            f"code {shown(version.version)}: {shown(a.kind)} from "
            f"{shown(a.source)} sha256:{shown(a.sha256[:12])}… analysis: "
            f"{shown(a.analysis or 'not yet')}" + (f" ({shown(a.reason)})" if a.reason else "")
        )
        _print_features(a)


def _print_features(artifact: CardArtifact) -> None:
    f = artifact.features
    if artifact.analysis is None or f is None:
        return
    say(
        f"  {f.files} files ({', '.join(map(shown, f.languages)) or 'no code'})"
        f", {f.skipped_members} members refused"
    )
    for line in f.install_hooks:
        say(f"  install hook {shown(line)}")
    if f.findings:
        say("  sensitive calls: " + ", ".join(f"{shown(c)} {n}" for c, n in f.findings.items()))
    for label, listed in (
        ("obfuscation", f.obfuscation),
        ("dependencies", f.dependencies),
        ("iocs", f.iocs),
    ):
        if listed:
            say(f"  {label}: {', '.join(map(shown, listed[:SHOWN_FEATURES]))}")


def _print_similarity(entry: VersionSimilarity) -> None:
    family = entry.family
    if family:
        say(
            f"{shown(entry.version)}: family {shown(family.id)} ({family.size} members, "
            f"first released {shown((family.first_release or '?')[:10])})"
        )
    for n in entry.neighbours:
        say(
            f"  similar to {shown(n.name)}@{shown(n.version)} "
            f"({shown(n.ecosystem)}): {shown(n.tier)} {n.score:.2f}"
        )


def _link_line(label: str, link: DependencyLink) -> str:
    first = link.evidence[0]
    where = first.get("file") or first.get("source") or ""
    return (
        f"{label} {shown(link.name)} ({shown(link.ecosystem)})"
        + (f" from {shown(link.version)}" if link.version else "")
        + f": {shown(first['via'])} {shown(first.get('kind', ''))} {shown(where)}"
        + (f":{shown(first['line'])}" if first.get("line") else "")
        + f" ({shown(link.confidence)})"
    )


def _print_dependency(card: PackageCard) -> None:
    for link in card.dependency.pulls_in:
        say(_link_line("pulls in", link))
    for link in card.dependency.pulled_in_by:
        say(_link_line("pulled in by", link))


def _print_campaigns_and_iocs(card: PackageCard) -> None:
    for campaign in card.campaigns:
        say(
            f"campaign ({shown(campaign.source)}, {shown(campaign.category or '-')}"
            f"): {shown(campaign.name)}"
        )
    for ioc in card.iocs:
        say(f"ioc {shown(ioc.kind)}: {shown(ioc.value)}")


def _print_coreported(card: PackageCard) -> None:
    if not card.coreported:
        return
    names = ", ".join(
        f"{shown(p.name)} ({shown(p.ecosystem)})" for p in card.coreported[:SHOWN_COREPORTED]
    )
    more = len(card.coreported) - SHOWN_COREPORTED
    say(f"co-reported with: {names}" + (f" and {more} more" if more > 0 else ""))


def _print_edges(card: PackageCard) -> None:
    for edge in card.edges:
        ev = edge.evidence
        what = ", ".join(ev.get("versions", [])) or "/".join(ev.get("scopes", []))
        say(
            f"{shown(edge.kind)} ({shown(edge.confidence)}): "
            f"{shown(ev['a']['source'])} {shown(_short(ev['a']['id']))} ↔ "
            f"{shown(ev['b']['source'])} {shown(_short(ev['b']['id']))} "
            f"{shown(f'[{what}]')}"
        )
