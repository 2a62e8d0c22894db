"""The read model of the whole graph for exports: every node and edge the store holds, with
its attributes and evidence, limited to a Selection, in a stable order, streamed from cursors
(nothing here holds the graph in memory)."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

import orjson

from malgraph.core.graph_export import (
    AttrValue,
    GraphEdge,
    GraphNode,
    campaign_id,
    family_id,
    ioc_id,
    package_id,
    record_id,
    report_id,
    source_id,
    version_id,
)
from malgraph.core.kinds import EdgeKind, GraphLinkKind, GraphNodeKind, NodeType
from malgraph.core.selection import Selection

P = ParamSpec("P")
R = TypeVar("R")


def sorting_on_disk(
    export: Callable[Concatenate[sqlite3.Connection, P], R],
) -> Callable[Concatenate[sqlite3.Connection, P], R]:
    """Runs an export with the connection's temporary storage on disk. The store keeps
    temporary tables in memory, so a sort that no index gives (an order a format must keep)
    or a set a query builds would hold its rows in memory, as many as the graph has; on disk,
    SQLite's sorter keeps a bounded part in memory and spills the rest."""

    @functools.wraps(export)
    def run(db: sqlite3.Connection, /, *args: P.args, **kwargs: P.kwargs) -> R:
        (before,) = db.execute("PRAGMA temp_store").fetchone()
        db.execute("PRAGMA temp_store = FILE")
        try:
            return export(db, *args, **kwargs)
        finally:
            db.execute(f"PRAGMA temp_store = {int(before)}")

    return run


CO_EXISTING = "co-existing"  # the relation report edges make between the packages they name
_SEP = "\x00"  # joins a package's parts in one column: control characters never reach a name


_WHOLE = ("packages", "versions", "records", "reports", "campaigns")


@dataclass(frozen=True, slots=True)
class _Scope:
    """The selected ids of each table, as SQL subqueries over named parameters."""

    packages: str
    versions: str
    records: str
    reports: str
    campaigns: str
    iocs: str
    sources: str
    params: dict[str, Any]
    whole: frozenset[str] = frozenset()  # the fields that select every row of their table

    def has(self, column: str, field: str) -> str:
        """A condition that `column` is among the selected ids of `field`."""
        if field in self.whole:
            return "1"  # no condition: a subquery over every row only slows the plan
        return f"{column} IN ({getattr(self, field)})"


def _scope(selection: Selection) -> _Scope:
    params: dict[str, Any] = {
        "ecosystems": orjson.dumps(sorted(selection.ecosystems)).decode(),
        "sources": orjson.dumps(sorted(selection.sources)).decode(),
        "since": selection.since,
    }
    matches = []  # what a record must match: the selection's non-empty fields
    if selection.ecosystems:
        matches.append(
            "r.package_id IN (SELECT id FROM packages"
            " WHERE ecosystem IN (SELECT value FROM json_each(:ecosystems)))"
        )
    if selection.sources:
        matches.append(
            "r.source_id IN (SELECT id FROM sources"
            " WHERE name IN (SELECT value FROM json_each(:sources)))"
        )
    if selection.since:
        matches.append("coalesce(r.published, r.imported) >= :since")
    if not matches:
        packages, records = "SELECT id FROM packages", "SELECT id FROM records"
        reports = "SELECT id FROM reports"
        campaigns = "SELECT id FROM campaigns"
    else:
        match = " AND ".join(matches)
        packages = (
            "SELECT r.package_id FROM records r WHERE r.role = 'claim'"
            f" AND r.withdrawn IS NULL AND {match}"
        )
        records = f"SELECT r.id FROM records r WHERE r.package_id IN ({packages}) AND {match}"
        reports = (
            f"SELECT report_id FROM record_reports WHERE record_id IN ({records})"
            f" UNION SELECT report_id FROM report_mentions WHERE package_id IN ({packages})"
            f" UNION SELECT report_id FROM report_link_packages WHERE package_id IN ({packages})"
        )
        campaigns = f"SELECT campaign_id FROM campaign_members WHERE record_id IN ({records})"
    iocs = (
        f"SELECT ioc_id FROM ioc_sightings WHERE record_id IN ({records})"
        f" OR report_id IN ({reports}) OR campaign_id IN ({campaigns})"
    )
    sources = (
        f"SELECT source_id FROM records WHERE id IN ({records})"
        f" UNION SELECT source_id FROM campaigns WHERE id IN ({campaigns})"
    )
    versions = f"SELECT id FROM package_versions WHERE package_id IN ({packages})"
    whole = frozenset() if matches else frozenset(_WHOLE)
    return _Scope(packages, versions, records, reports, campaigns, iocs, sources, params, whole)


def _attrs(**values: object) -> dict[str, AttrValue]:
    """The attributes given, None left out; JSON columns arrive decoded."""
    return {key: value for key, value in values.items() if value is not None}  # type: ignore[misc]


def _json(text: str | None) -> object:
    return None if text is None else orjson.loads(text)


def _nodes_of(
    db: sqlite3.Connection, query: str, scope: _Scope, make: Callable[..., GraphNode]
) -> Iterator[GraphNode]:
    for row in db.execute(query, scope.params):
        yield make(*row)


def _package(eco: str, name: str, known: int) -> GraphNode:
    purl = package_id(eco, name).split(":", 1)[1]
    attrs = _attrs(ecosystem=eco, name=name, purl=purl, ecosystem_known=bool(known))
    return GraphNode(package_id(eco, name), GraphNodeKind.PACKAGE, attrs)


def _version(eco: str, name: str, version: str) -> GraphNode:
    ident = version_id(eco, name, version)
    attrs = _attrs(ecosystem=eco, name=name, version=version, purl=ident.split(":", 1)[1])
    return GraphNode(ident, GraphNodeKind.VERSION, attrs)


def _record(
    rid: int,
    source: str,
    sid: str,
    role: str,
    given: str,
    scope: str,
    versions: str,
    *rest: Any,
) -> GraphNode:
    published, modified, withdrawn, imported, released, removed, aliases, summary, avail = rest
    attrs = _attrs(
        source=source,
        source_record_id=sid,
        role=role,
        name_given=given,
        scope=scope,
        versions=_json(versions),
        published=published,
        modified=modified,
        withdrawn=withdrawn,
        imported=imported,
        released=released,
        removed=removed,
        aliases=_json(aliases),
        summary=summary,
        available=None if avail is None else bool(avail),
    )
    return GraphNode(record_id(source, rid), GraphNodeKind.RECORD, attrs)


def _source(name: str, kind: str) -> GraphNode:
    return GraphNode(source_id(name), GraphNodeKind.SOURCE, _attrs(name=name, source_kind=kind))


def _report(
    key: str, url: str, site: str, title: str | None, published: str | None, kind: str
) -> GraphNode:
    attrs = _attrs(
        url_key=key, url=url, site=site, title=title, published=published, report_kind=kind
    )
    return GraphNode(report_id(key), GraphNodeKind.REPORT, attrs)


def _campaign(
    source: str,
    key: str,
    name: str,
    category: str | None,
    created: str | None,
    description: str | None,
    refs: str | None,
) -> GraphNode:
    attrs = _attrs(
        source=source,
        key=key,
        name=name,
        category=category,
        created=created,
        description=description,
        refs=_json(refs),
    )
    return GraphNode(campaign_id(source, key), GraphNodeKind.CAMPAIGN, attrs)


def _ioc(kind: str, value: str) -> GraphNode:
    return GraphNode(ioc_id(kind, value), GraphNodeKind.IOC, _attrs(ioc_kind=kind, value=value))


def _family(
    fid: str, size: int, ecosystems: str, first: str | None, last: str | None, undated: int
) -> GraphNode:
    attrs = _attrs(
        size=size,
        ecosystems=_json(ecosystems),
        first_release=first,
        last_release=last,
        undated=undated,
    )
    return GraphNode(family_id(fid), GraphNodeKind.FAMILY, attrs)


def _package_nodes(db: sqlite3.Connection, s: _Scope) -> Iterator[GraphNode]:
    """Packages, their versions, and the records that name them."""
    yield from _nodes_of(
        db,
        "SELECT ecosystem, name, ecosystem_known FROM packages"
        f" WHERE {s.has('id', 'packages')} ORDER BY ecosystem, name",
        s,
        _package,
    )
    yield from _nodes_of(
        db,
        "SELECT p.ecosystem, p.name, v.version FROM package_versions v"
        f" JOIN packages p ON p.id = v.package_id WHERE {s.has('v.id', 'versions')}"
        " ORDER BY p.ecosystem, p.name, v.version",
        s,
        _version,
    )
    # Source after source, each one's records in id order: one sort of every record by
    # source name would be held whole in memory (the store keeps temporary tables there).
    query = (
        "SELECT r.id, s.name, r.source_record_id, r.role, r.name_given, r.scope, r.versions,"
        " r.published, r.modified, r.withdrawn, r.imported, r.released, r.removed,"
        " r.aliases, r.summary, r.available FROM records r JOIN sources s"
        f" ON s.id = r.source_id WHERE r.source_id = :source AND {s.has('r.id', 'records')}"
        " ORDER BY r.id"
    )
    sources = db.execute("SELECT id FROM sources ORDER BY name").fetchall()  # a few
    for (source,) in sources:
        for row in db.execute(query, {**s.params, "source": source}):
            yield _record(*row)


def _other_nodes(db: sqlite3.Connection, s: _Scope) -> Iterator[GraphNode]:
    """Sources, reports, campaigns, IoCs and families."""
    yield from _nodes_of(
        db,
        f"SELECT name, kind FROM sources WHERE {s.has('id', 'sources')} ORDER BY name",
        s,
        _source,
    )
    yield from _nodes_of(
        db,
        "SELECT url_key, url, site, title, published, kind FROM reports"
        f" WHERE {s.has('id', 'reports')} ORDER BY url_key",
        s,
        _report,
    )
    yield from _nodes_of(
        db,
        "SELECT s.name, c.key, c.name, c.category, c.created, c.description, c.refs"
        f" FROM campaigns c JOIN sources s ON s.id = c.source_id WHERE {s.has('c.id', 'campaigns')}"
        " ORDER BY s.name, c.key",
        s,
        _campaign,
    )
    yield from _nodes_of(
        db,
        f"SELECT kind, value FROM iocs WHERE {s.has('id', 'iocs')} ORDER BY kind, value",
        s,
        _ioc,
    )
    yield from _nodes_of(
        db,
        "SELECT id, size, ecosystems, first_release, last_release, undated FROM families"
        " WHERE id IN (SELECT family_id FROM family_members"
        f" WHERE {s.has('package_version_id', 'versions')}) ORDER BY id",
        s,
        _family,
    )


def graph_nodes(db: sqlite3.Connection, selection: Selection) -> Iterator[GraphNode]:
    """Every selected node, kind after kind, each kind in the order of its stable id."""
    s = _scope(selection)
    yield from _package_nodes(db, s)
    yield from _other_nodes(db, s)


# The parts of a stored edge's end that make its node id, by the end's type.
_END_PARTS = {
    NodeType.RECORD: "(SELECT s.name FROM records r JOIN sources s ON s.id = r.source_id"
    " WHERE r.id = {end}_id)",
    NodeType.PACKAGE: "(SELECT ecosystem || char(0) || name FROM packages WHERE id = {end}_id)",
    NodeType.PACKAGE_VERSION: "(SELECT p.ecosystem || char(0) || p.name || char(0) || v.version"
    " FROM package_versions v JOIN packages p ON p.id = v.package_id WHERE v.id = {end}_id)",
    NodeType.SOURCE: "(SELECT name FROM sources WHERE id = {end}_id)",
}


def _end_parts(end: str) -> str:
    cases = " ".join(
        f"WHEN '{kind}' THEN {query.format(end=f'e.{end}')}" for kind, query in _END_PARTS.items()
    )
    return f"CASE e.{end}_type {cases} ELSE CAST(e.{end}_id AS TEXT) END"


def _end_id(kind: str, ident: int, parts: str) -> str:
    if kind == NodeType.RECORD:
        return record_id(parts, ident)
    if kind == NodeType.PACKAGE:
        return package_id(*parts.split(_SEP))
    if kind == NodeType.PACKAGE_VERSION:
        eco, name, version = parts.split(_SEP)
        return version_id(eco, name, version)
    if kind == NodeType.SOURCE:
        return source_id(parts)
    return family_id(parts)


def _end_selected(end: str, s: _Scope) -> str:
    return (
        f"(e.{end}_type = '{NodeType.RECORD}' AND {s.has(f'e.{end}_id', 'records')}"
        f" OR e.{end}_type = '{NodeType.PACKAGE}' AND {s.has(f'e.{end}_id', 'packages')}"
        f" OR e.{end}_type = '{NodeType.PACKAGE_VERSION}' AND {s.has(f'e.{end}_id', 'versions')}"
        f" OR e.{end}_type = '{NodeType.SOURCE}' AND {s.has(f'e.{end}_id', 'sources')})"
    )


def _stored_edges(db: sqlite3.Connection, selection: Selection, s: _Scope) -> Iterator[GraphEdge]:
    """The relations (duplicated, duplicated_package, similar, depends_on), in store order."""
    where = ["kind IN (SELECT value FROM json_each(:kinds))"]
    if not selection.everything:
        where += [_end_selected("src", s), _end_selected("dst", s)]
    kinds = selection.kinds or frozenset(EdgeKind)
    params = {**s.params, "kinds": orjson.dumps(sorted(kinds)).decode()}
    query = (
        f"SELECT e.kind, e.src_type, e.src_id, {_end_parts('src')}, e.dst_type, e.dst_id,"
        f" {_end_parts('dst')}, e.evidence, e.confidence, e.step FROM edges e"
        f" WHERE {' AND '.join(where)} ORDER BY e.id"
    )
    for kind, st, si, sp, dt, di, dp, evidence, confidence, step in db.execute(query, params):
        attrs = _attrs(evidence=_json(evidence), confidence=confidence, step=step)
        yield GraphEdge(_end_id(st, si, sp), _end_id(dt, di, dp), EdgeKind(kind), attrs)


def _links(
    db: sqlite3.Connection,
    s: _Scope,
    kind: GraphLinkKind,
    query: str,
    make: Callable[..., tuple[str, str, dict[str, AttrValue]]],
) -> Iterator[GraphEdge]:
    for row in db.execute(query, s.params):
        source, target, attrs = make(*row)
        yield GraphEdge(source, target, kind, attrs)


_NO_ATTRS: dict[str, AttrValue] = {}
_PKG = "p.ecosystem, p.name"


def _record_links(db: sqlite3.Connection, s: _Scope) -> Iterator[GraphEdge]:
    """What each record names and where it comes from."""
    src = f"FROM records r JOIN sources s ON s.id = r.source_id WHERE {s.has('r.id', 'records')}"
    yield from _links(
        db,
        s,
        GraphLinkKind.CLAIMS,
        f"SELECT s.name, r.id, {_PKG} FROM records r JOIN sources s ON s.id = r.source_id"
        f" JOIN packages p ON p.id = r.package_id WHERE {s.has('r.id', 'records')} ORDER BY r.id",
        lambda src_name, rid, eco, name: (
            record_id(src_name, rid),
            package_id(eco, name),
            _NO_ATTRS,
        ),
    )
    yield from _links(
        db,
        s,
        GraphLinkKind.CLAIMS_VERSION,
        f"SELECT s.name, r.id, {_PKG}, v.version FROM record_versions rv"
        " JOIN records r ON r.id = rv.record_id JOIN sources s ON s.id = r.source_id"
        " JOIN package_versions v ON v.id = rv.version_id JOIN packages p ON p.id = v.package_id"
        f" WHERE {s.has('r.id', 'records')} ORDER BY rv.record_id, rv.version_id",
        lambda sn, rid, eco, name, ver: (record_id(sn, rid), version_id(eco, name, ver), _NO_ATTRS),
    )
    yield from _links(
        db,
        s,
        GraphLinkKind.PART_OF,
        "SELECT s.name, r.id, ps.name, r.parent_id FROM records r"
        " JOIN sources s ON s.id = r.source_id JOIN records pr ON pr.id = r.parent_id"
        f" JOIN sources ps ON ps.id = pr.source_id WHERE {s.has('r.id', 'records')}"
        f" AND {s.has('r.parent_id', 'records')} ORDER BY r.id",
        lambda sn, rid, pn, pid: (record_id(sn, rid), record_id(pn, pid), _NO_ATTRS),
    )
    yield from _links(
        db,
        s,
        GraphLinkKind.FROM_SOURCE,
        f"SELECT s.name, r.id {src} ORDER BY r.id",
        lambda sn, rid: (record_id(sn, rid), source_id(sn), _NO_ATTRS),
    )
    yield from _links(
        db,
        s,
        GraphLinkKind.CITES,
        "SELECT s.name, r.id, rep.url_key, rr.ref_type FROM record_reports rr"
        " JOIN records r ON r.id = rr.record_id JOIN sources s ON s.id = r.source_id"
        f" JOIN reports rep ON rep.id = rr.report_id WHERE {s.has('r.id', 'records')}"
        f" AND {s.has('rep.id', 'reports')} ORDER BY rr.record_id, rep.url_key",
        lambda sn, rid, key, ref: (record_id(sn, rid), report_id(key), _attrs(ref_type=ref)),
    )


def _package_links(db: sqlite3.Connection, s: _Scope) -> Iterator[GraphEdge]:
    """Versions to their package and family; reports to the packages they name."""
    yield from _links(
        db,
        s,
        GraphLinkKind.VERSION_OF,
        f"SELECT {_PKG}, v.version FROM package_versions v JOIN packages p"
        f" ON p.id = v.package_id WHERE {s.has('v.id', 'versions')} ORDER BY {_PKG}, v.version",
        lambda eco, name, ver: (version_id(eco, name, ver), package_id(eco, name), _NO_ATTRS),
    )
    yield from _links(
        db,
        s,
        GraphLinkKind.IN_FAMILY,
        f"SELECT {_PKG}, v.version, m.family_id FROM family_members m JOIN package_versions v"
        " ON v.id = m.package_version_id JOIN packages p ON p.id = v.package_id"
        f" WHERE {s.has('v.id', 'versions')} ORDER BY {_PKG}, v.version",
        lambda eco, name, ver, fam: (version_id(eco, name, ver), family_id(fam), _NO_ATTRS),
    )
    yield from _links(
        db,
        s,
        GraphLinkKind.MENTIONS,
        f"SELECT rep.url_key, {_PKG}, m.start, m.matched, m.context, m.how"
        " FROM report_mentions m JOIN reports rep ON rep.id = m.report_id"
        f" JOIN packages p ON p.id = m.package_id WHERE {s.has('rep.id', 'reports')}"
        f" AND {s.has('p.id', 'packages')} ORDER BY rep.url_key, {_PKG}, m.start",
        lambda key, eco, name, start, matched, context, how: (
            report_id(key),
            package_id(eco, name),
            _attrs(relation=CO_EXISTING, start=start, matched=matched, context=context, how=how),
        ),
    )
    yield from _links(
        db,
        s,
        GraphLinkKind.LINKS,
        f"SELECT rep.url_key, {_PKG}, l.version, l.evidence FROM report_link_packages l"
        " JOIN reports rep ON rep.id = l.report_id JOIN packages p ON p.id = l.package_id"
        f" WHERE {s.has('rep.id', 'reports')} AND {s.has('p.id', 'packages')}"
        f" ORDER BY rep.url_key, {_PKG}, l.version, l.evidence",
        lambda key, eco, name, version, evidence: (
            report_id(key),
            package_id(eco, name),
            _attrs(relation=CO_EXISTING, version=version, evidence=_json(evidence)),
        ),
    )


def _campaign_links(db: sqlite3.Connection, s: _Scope) -> Iterator[GraphEdge]:
    """Campaign membership, and the source naming each campaign."""
    camp = f"{s.has('c.id', 'campaigns')} ORDER BY cs.name, c.key"
    yield from _links(
        db,
        s,
        GraphLinkKind.IN_CAMPAIGN,
        "SELECT s.name, r.id, cs.name, c.key FROM campaign_members m"
        " JOIN records r ON r.id = m.record_id JOIN sources s ON s.id = r.source_id"
        " JOIN campaigns c ON c.id = m.campaign_id JOIN sources cs ON cs.id = c.source_id"
        f" WHERE {s.has('r.id', 'records')} AND {camp}, r.id",
        lambda sn, rid, cn, key: (record_id(sn, rid), campaign_id(cn, key), _NO_ATTRS),
    )
    yield from _links(
        db,
        s,
        GraphLinkKind.FROM_SOURCE,
        "SELECT cs.name, c.key FROM campaigns c JOIN sources cs ON cs.id = c.source_id"
        f" WHERE {camp}",
        lambda cn, key: (campaign_id(cn, key), source_id(cn), _NO_ATTRS),
    )


def _ioc_links(db: sqlite3.Connection, s: _Scope) -> Iterator[GraphEdge]:
    """Where each IoC was seen: in a record, a report's text, a campaign's description."""
    sighted = (
        "SELECT i.kind, i.value, w.as_written, {cols} FROM ioc_sightings w"
        " JOIN iocs i ON i.id = w.ioc_id {join} WHERE {where}"
        " ORDER BY i.kind, i.value, {order}, w.as_written"
    )
    # IoC after IoC (CROSS JOIN keeps iocs the outer loop), each one's sightings in the order
    # of their unique index, which for a record's sighting is (record id, as written): the
    # order above, streamed rather than sorted whole in memory.
    in_records = (
        "SELECT i.kind, i.value, w.as_written, s.name, r.id FROM iocs i CROSS JOIN"
        " ioc_sightings w ON w.ioc_id = i.id JOIN records r ON r.id = w.record_id"
        f" JOIN sources s ON s.id = r.source_id WHERE {s.has('r.id', 'records')}"
        " ORDER BY i.kind, i.value, coalesce(w.record_id, 0), coalesce(w.report_id, 0),"
        " coalesce(w.campaign_id, 0), w.as_written"
    )
    yield from _links(
        db,
        s,
        GraphLinkKind.SIGHTED,
        in_records,
        lambda kind, value, written, sn, rid: (
            record_id(sn, rid),
            ioc_id(kind, value),
            _attrs(as_written=written),
        ),
    )
    yield from _links(
        db,
        s,
        GraphLinkKind.SIGHTED,
        sighted.format(
            cols="rep.url_key",
            join="JOIN reports rep ON rep.id = w.report_id",
            where=s.has("rep.id", "reports"),
            order="rep.url_key",
        ),
        lambda kind, value, written, key: (
            report_id(key),
            ioc_id(kind, value),
            _attrs(as_written=written),
        ),
    )
    yield from _links(
        db,
        s,
        GraphLinkKind.SIGHTED,
        sighted.format(
            cols="cs.name, c.key",
            join="JOIN campaigns c ON c.id = w.campaign_id JOIN sources cs ON cs.id = c.source_id",
            where=s.has("c.id", "campaigns"),
            order="cs.name, c.key",
        ),
        lambda kind, value, written, cn, key: (
            campaign_id(cn, key),
            ioc_id(kind, value),
            _attrs(as_written=written),
        ),
    )


def graph_edges(db: sqlite3.Connection, selection: Selection) -> Iterator[GraphEdge]:
    """Every edge between selected nodes: the stored relations (of the selected kinds), then
    the links the store's tables make, each group in a stable order."""
    s = _scope(selection)
    yield from _stored_edges(db, selection, s)
    yield from _record_links(db, s)
    yield from _package_links(db, s)
    yield from _campaign_links(db, s)
    yield from _ioc_links(db, s)
