"""Tiny graphs for the report's analyses: OSV records ingested for real, then the few rows the
other steps would write (registry observations, analysed code, families, edges, reports) put
in with SQL, with inert placeholder values."""

from __future__ import annotations

import sqlite3
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from malgraph.insights.campaigns import campaigns
from malgraph.insights.dependency import dependency_numbers
from malgraph.insights.evolution import evolution
from malgraph.insights.lifecycle import lifecycle
from malgraph.pipeline.ingest import ingest
from malgraph.store import Store
from malgraph.store.code import add_artifact, add_observation
from malgraph.store.read import graph
from tests.conftest import write_json

DAY0 = datetime(2024, 1, 1, tzinfo=UTC)


def day(n: float) -> str:
    """Store timestamp of day n (day 0 is 2024-01-01, midnight UTC)."""
    return (DAY0 + timedelta(days=n)).strftime("%Y-%m-%dT%H:%M:%SZ")


def build(store: Store, tmp_path: Path, docs: list[dict[str, Any]]) -> None:
    for i, doc in enumerate(docs):
        write_json(tmp_path / "feed" / f"{i}.json", doc)
    report = ingest(store, "osv", [str(tmp_path / "feed")], workers=1)
    assert not report.rejected, report.rejected


def package(db: sqlite3.Connection, name: str, eco: str = "npm") -> int:
    return int(
        db.execute(
            "SELECT id FROM packages WHERE ecosystem = ? AND name = ?", (eco, name)
        ).fetchone()[0]
    )


def version(db: sqlite3.Connection, name: str, number: str, eco: str = "npm") -> int:
    return int(
        db.execute(
            "SELECT pv.id FROM package_versions pv JOIN packages p ON p.id = pv.package_id"
            " WHERE p.ecosystem = ? AND p.name = ? AND pv.version = ?",
            (eco, name, number),
        ).fetchone()[0]
    )


def released(db: sqlite3.Connection, version_id: int, when: str) -> None:
    add_observation(db, version_id, "npm", "present", "200", when, day(100))


def removed(db: sqlite3.Connection, version_id: int, observed: str) -> None:
    add_observation(db, version_id, "npm", "removed", "404", None, observed)


def code(
    db: sqlite3.Connection,
    version_id: int,
    sha256: str,
    *,
    tokens: str = "",
    descriptions: tuple[str, ...] = (),
    dependencies: tuple[str, ...] = (),
) -> None:
    """An analysed archive (the analysis rows only: no bytes exist); one manifest per
    description given, and the declared dependency names."""
    add_artifact(db, version_id, "registry", sha256, f"test:{sha256}", "registry", day(100))
    manifests = [
        {
            "ecosystem": "npm",
            "file": "package.json",
            "name": None,
            "version": None,
            "description": d,
        }
        for d in descriptions
    ]
    db.execute(
        "INSERT OR IGNORE INTO code_analyses VALUES (?, 2, 'ok', 'tgz', NULL, '[]', '[]', ?,"
        " '[]', '[]', '[]', ?, ?)",
        (sha256, orjson.dumps(manifests).decode(), zlib.compress(tokens.encode()), day(100)),
    )
    db.executemany(
        "INSERT INTO code_dependencies(sha256, ecosystem, name, spec, kind, file, line)"
        " VALUES (?, 'npm', ?, '', 'dependencies', 'package.json', 1)",
        [(sha256, name) for name in dependencies],
    )


def family(db: sqlite3.Connection, family_id: str, versions: list[int]) -> None:
    db.execute(
        "INSERT INTO families VALUES (?, ?, '[\"npm\"]', NULL, NULL, 0, ?, ?)",
        (family_id, len(versions), day(100), day(100)),
    )
    db.executemany("INSERT INTO family_members VALUES (?, ?)", [(v, family_id) for v in versions])


def depends_on(db: sqlite3.Connection, src_type: str, src_id: int, dst_package: int) -> None:
    db.execute(
        "INSERT INTO edges(kind, src_type, src_id, dst_type, dst_id, evidence, confidence, step)"
        " VALUES ('depends_on', ?, ?, 'package', ?, ?, 0.9, 'test')",
        (src_type, src_id, dst_package, '{"evidence": [{"via": "manifest"}]}'),
    )


def report(db: sqlite3.Connection, url: str, mentions: list[int], published: str | None) -> int:
    """A report naming `mentions` (package ids) in its text."""
    site = url.split("/")[2]
    db.execute(
        "INSERT INTO reports(url_key, url, site, published) VALUES (?, ?, ?, ?)",
        (url, url, site, published),
    )
    report_id = int(db.execute("SELECT id FROM reports WHERE url = ?", (url,)).fetchone()[0])
    db.executemany(
        "INSERT INTO report_mentions VALUES (?, ?, 0, 'x', 'x', 'test')",
        [(report_id, p) for p in mentions],
    )
    return report_id


def many_packages(db: sqlite3.Connection, count: int) -> list[int]:
    """`count` bare packages named list-0, list-1, ... (what a long incident list names)."""
    db.executemany(
        "INSERT INTO packages(ecosystem, name, ecosystem_known, purl) VALUES ('npm', ?, 1, ?)",
        [(f"list-{i}", f"pkg:npm/list-{i}") for i in range(count)],
    )
    return [package(db, f"list-{i}") for i in range(count)]


def campaign(db: sqlite3.Connection, name: str, packages: list[int]) -> None:
    """A named campaign (as kam193 gives them) holding the claims of `packages`."""
    db.execute("INSERT OR IGNORE INTO sources(name, kind) VALUES ('kam193', 'feed')")
    db.execute(
        "INSERT INTO campaigns(source_id, key, name, category) SELECT id, ?, ?, 'malware'"
        " FROM sources WHERE name = 'kam193'",
        (name, name),
    )
    db.execute(
        "INSERT INTO campaign_members SELECT c.id, r.id FROM campaigns c, records r"
        " WHERE c.name = ? AND r.role = 'claim' AND r.package_id IN"
        " (SELECT value FROM json_each(?))",
        (name, orjson.dumps(packages).decode()),
    )


# The analyses over a store, read through the read model as the report reads them.


def campaigns_of(db: sqlite3.Connection) -> dict[str, Any]:
    return campaigns(
        graph.packages(db), graph.groupings(db), graph.ioc_sightings(db), graph.report_sites(db)
    )


def evolution_of(db: sqlite3.Connection) -> dict[str, Any]:
    return evolution(graph.packages(db), graph.groupings(db), graph.change_facts(db))


def dependency_of(db: sqlite3.Connection) -> dict[str, Any]:
    edges, name_only = graph.package_edges(db), graph.package_edges(db, name_only=True)
    return dependency_numbers(graph.packages(db), edges, name_only)


def lifecycle_of(db: sqlite3.Connection) -> dict[str, Any]:
    return lifecycle(graph.lifecycle_dates(db))
