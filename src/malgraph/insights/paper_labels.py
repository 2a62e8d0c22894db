"""What the agreement with another study's graph needs from the store, as typed values: its
label groups, and malgraph's own families, report links, dependency pairs and sources for the
same packages. Reads only; the comparison itself is pure (insights.paper_agreement)."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass

import orjson

Package = tuple[str, str]  # ecosystem, canonical name
Version = tuple[str, str, str]  # ecosystem, canonical name, canonical version


@dataclass(frozen=True, slots=True)
class Member:
    ecosystem: str
    name: str
    version: str | None
    role: str

    @property
    def package(self) -> Package:
        return self.ecosystem, self.name


@dataclass(frozen=True, slots=True)
class Group:
    kind: str
    key: str
    document: str  # the file it came from
    members: frozenset[Member]


@dataclass(frozen=True, slots=True)
class CodeFacts:
    """What malgraph holds for one package-version: the version at all, analysed code, and
    the code family it falls in (None: its code is like no other's)."""

    known: bool
    has_code: bool
    family: str | None


def label_groups(db: sqlite3.Connection, labeller: str) -> list[Group]:
    """Every stored group of one labeller, in a stable order."""
    members: dict[int, set[Member]] = defaultdict(set)
    for group, eco, name, version, role in db.execute(
        "SELECT m.group_id, m.ecosystem, m.name, m.version, m.role FROM label_members m"
        " JOIN label_groups g ON g.id = m.group_id WHERE g.labeller = ?",
        (labeller,),
    ):
        members[group].add(Member(eco, name, version, role))
    return [
        Group(kind, key, path, frozenset(members[group]))
        for group, kind, key, path in db.execute(
            "SELECT g.id, g.kind, g.key, coalesce(d.path, g.document_sha256) FROM label_groups g"
            " LEFT JOIN documents d ON d.sha256 = g.document_sha256 WHERE g.labeller = ?"
            " ORDER BY g.kind, g.key, g.id",
            (labeller,),
        )
    ]


def _listed(values: object) -> str:
    return orjson.dumps(values).decode()


# The (ecosystem, name[, version]) triples asked, as a table.
_ASKED = (
    "WITH w(eco, name, version) AS (SELECT json_extract(value, '$[0]'),"
    " json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?)) "
)


def code_facts(db: sqlite3.Connection, versions: set[Version]) -> dict[Version, CodeFacts]:
    """For each package-version asked: whether the store has it, analysed code, a family."""
    out: dict[Version, CodeFacts] = {}
    for eco, name, version, version_id, has_code, family in db.execute(
        _ASKED + "SELECT w.eco, w.name, w.version, pv.id, EXISTS (SELECT 1 FROM artifacts a"
        " JOIN code_analyses c ON c.sha256 = a.sha256 AND c.status != 'unreadable'"
        " WHERE a.package_version_id = pv.id), m.family_id FROM w"
        " LEFT JOIN packages p ON p.ecosystem = w.eco AND p.name = w.name"
        " LEFT JOIN package_versions pv ON pv.package_id = p.id AND pv.version = w.version"
        " LEFT JOIN family_members m ON m.package_version_id = pv.id",
        (_listed(sorted(versions)),),
    ):
        out[(eco, name, version)] = CodeFacts(version_id is not None, bool(has_code), family)
    return out


def known_packages(db: sqlite3.Connection, packages: set[Package]) -> set[Package]:
    """Those of the packages asked that the store has a claim on."""
    return {
        (eco, name)
        for eco, name in db.execute(
            _ASKED + "SELECT p.ecosystem, p.name FROM w JOIN packages p"
            " ON p.ecosystem = w.eco AND p.name = w.name",
            (_listed(sorted(packages)),),
        )
    }


def report_links(db: sqlite3.Connection, keys: set[str]) -> dict[str, set[Package]]:
    """For the report URL keys asked that the store has as reports: the packages it links to
    each (a record citing it, or its text naming the package)."""
    out: dict[str, set[Package]] = {}
    rows = db.execute(
        "SELECT id, url_key FROM reports WHERE url_key IN (SELECT value FROM json_each(?))",
        (_listed(sorted(keys)),),
    ).fetchall()
    ids = {report: key for report, key in rows}
    for key in ids.values():
        out[key] = set()
    for report, eco, name in db.execute(
        "SELECT l.report_id, p.ecosystem, p.name FROM (SELECT rr.report_id, r.package_id"
        " FROM record_reports rr JOIN records r ON r.id = rr.record_id WHERE r.withdrawn IS NULL"
        " UNION SELECT report_id, package_id FROM report_mentions) l"
        " JOIN packages p ON p.id = l.package_id WHERE l.report_id IN"
        " (SELECT value FROM json_each(?))",
        (_listed(sorted(ids)),),
    ):
        out[ids[report]].add((eco, name))
    return out


def dependency_pairs(db: sqlite3.Connection) -> set[tuple[Package, Package]]:
    """malgraph's depends-on edges lifted to packages: (depending, depended on)."""
    return {
        ((se, sn), (de, dn))
        for se, sn, de, dn in db.execute(
            "SELECT DISTINCT sp.ecosystem, sp.name, dp.ecosystem, dp.name FROM edges e"
            " LEFT JOIN package_versions pv ON e.src_type = 'package_version' AND pv.id = e.src_id"
            " JOIN packages sp ON sp.id = CASE e.src_type WHEN 'package' THEN e.src_id"
            " ELSE pv.package_id END JOIN packages dp ON dp.id = e.dst_id"
            " WHERE e.kind = 'depends_on'"
        )
    }


def sources_per_version(db: sqlite3.Connection, versions: set[Version]) -> dict[Version, int]:
    """How many sources have an active claim naming each package-version asked (two or more
    is what malgraph's duplicated relation links); absent ones are left out."""
    return {
        (eco, name, version): count
        for eco, name, version, count in db.execute(
            _ASKED + "SELECT p.ecosystem, p.name, pv.version, count(DISTINCT r.source_id) FROM w"
            " JOIN packages p ON p.ecosystem = w.eco AND p.name = w.name"
            " JOIN package_versions pv ON pv.package_id = p.id AND pv.version = w.version"
            " JOIN record_versions rv ON rv.version_id = pv.id JOIN records r"
            " ON r.id = rv.record_id AND r.role = 'claim' AND r.withdrawn IS NULL GROUP BY pv.id",
            (_listed(sorted(versions)),),
        )
    }
