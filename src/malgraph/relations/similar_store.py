"""The similar relation in the store: code items read from the analyses, similar edges between
package-versions written with their evidence, and families whose ids outlive re-runs."""

from __future__ import annotations

import hashlib
import sqlite3
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import orjson

from malgraph.core.dates import now_utc
from malgraph.relations.embedding import EmbeddingBackend, model_edges
from malgraph.relations.families import families
from malgraph.relations.similar import DEFAULT_THRESHOLD, CodeItem, similar_edges
from malgraph.store import Store
from malgraph.store.read.graph import release_times


@dataclass
class SimilarSummary:
    items: int = 0  # package-versions with analysed code
    edges: Counter[str] = field(default_factory=Counter)  # by tier
    families: int = 0
    new_families: int = 0
    dissolved_families: int = 0


def code_items(db: sqlite3.Connection) -> Iterator[CodeItem]:
    """One item per package-version with readable analysed code: its first such artifact."""
    rows = db.execute(
        "SELECT a.package_version_id, a.sha256, c.tokens FROM artifacts a"
        " JOIN code_analyses c ON c.sha256 = a.sha256 WHERE c.status != 'unreadable'"
        " AND a.id = (SELECT min(b.id) FROM artifacts b JOIN code_analyses d ON d.sha256 ="
        "  b.sha256 WHERE b.package_version_id = a.package_version_id"
        "  AND d.status != 'unreadable') ORDER BY a.package_version_id"
    )
    for version, sha256, tokens in rows:
        files = tuple(
            db.execute(
                "SELECT path, file_sha256, normalised_sha256, tokens FROM code_files"
                " WHERE sha256 = ? ORDER BY path",
                (sha256,),
            )
        )
        yield CodeItem(version, sha256, files, zlib.decompress(tokens).decode() if tokens else "")


def refresh_similar(
    store: Store,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    model: EmbeddingBackend | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SimilarSummary:
    """Recompute every similar edge and family from the stored analyses (read first, then one
    write transaction, so readers see the old graph or the new one, never half of each). With
    a `model`, its nearest neighbours are added where no tier links a pair (never families)."""
    summary = SimilarSummary()
    total = int(
        store.db.execute(
            "SELECT count(DISTINCT a.package_version_id) FROM artifacts a JOIN code_analyses c"
            " ON c.sha256 = a.sha256 WHERE c.status != 'unreadable'"
        ).fetchone()[0]
    )
    keys: list[int] = []

    def items() -> Iterator[CodeItem]:
        for item in code_items(store.db):
            keys.append(item.key)
            yield item

    def seen(count: int) -> None:
        if progress:
            progress(count, total)

    edges = similar_edges(items(), threshold=threshold, progress=seen)
    clusters = families(keys, edges)
    if model is not None:
        linked = {(e.a, e.b) for e in edges}
        edges += [e for e in model_edges(code_items(store.db), model) if (e.a, e.b) not in linked]
    summary.items = len(keys)
    summary.edges.update(e.tier for e in edges)
    with store.transaction() as db:
        db.execute("DELETE FROM edges WHERE kind = 'similar'")
        db.executemany(
            "INSERT INTO edges(kind, src_type, src_id, dst_type, dst_id, evidence, confidence,"
            " step) VALUES ('similar', 'package_version', ?, 'package_version', ?, ?, ?, ?)",
            [
                (
                    e.a,
                    e.b,
                    orjson.dumps({"tier": e.tier, **e.evidence}).decode(),
                    e.score,
                    f"similar/{e.tier}",
                )
                for e in edges
            ],
        )
        summary.new_families, summary.dissolved_families = _store_families(db, clusters)
    summary.families = len(clusters)
    return summary


def _store_families(db: sqlite3.Connection, clusters: list[set[int]]) -> tuple[int, int]:
    """Give each cluster an id: the old family that keeps most of its members there keeps its
    id (ties: the smaller id); a cluster with none gets an id from its first-released member's
    purl. Returns (new families, dissolved families)."""
    old_of = dict(db.execute("SELECT package_version_id, family_id FROM family_members"))
    old_ids = {fid for (fid,) in db.execute("SELECT id FROM families")}
    matches = sorted(
        (-n, fid, i)
        for i, cluster in enumerate(clusters)
        for fid, n in Counter(old_of[v] for v in cluster if v in old_of).items()
    )
    ids: dict[int, str] = {}
    for _, fid, i in matches:
        if i not in ids and fid not in ids.values():
            ids[i] = fid
    released = release_times(db)
    about = {
        v: (eco, purl)
        for v, eco, purl in db.execute(
            "SELECT pv.id, p.ecosystem, pv.purl FROM package_versions pv"
            " JOIN packages p ON p.id = pv.package_id"
        )
    }
    taken = set(ids.values()) | old_ids
    for i, cluster in enumerate(clusters):
        if i not in ids:
            anchor = min(cluster, key=lambda v: (released.get(v) or "9", about[v][1]))
            base = "F-" + hashlib.sha256(about[anchor][1].encode()).hexdigest()[:10]
            fid, n = base, 1
            while fid in taken:
                fid, n = f"{base}-{n}", n + 1
            ids[i] = fid
            taken.add(fid)
    now, kept = now_utc(), set(ids.values())
    dissolved = old_ids - kept
    db.executemany("DELETE FROM families WHERE id = ?", [(fid,) for fid in sorted(dissolved)])
    db.execute("DELETE FROM family_members")
    for i, cluster in enumerate(clusters):
        dates = sorted(released[v] for v in cluster if v in released)
        ecosystems = sorted({about[v][0] for v in cluster})
        db.execute(
            "INSERT INTO families VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
            " size = excluded.size, ecosystems = excluded.ecosystems, first_release ="
            " excluded.first_release, last_release = excluded.last_release, undated ="
            " excluded.undated, updated_at = excluded.updated_at",
            (
                ids[i],
                len(cluster),
                orjson.dumps(ecosystems).decode(),
                dates[0] if dates else None,
                dates[-1] if dates else None,
                len(cluster) - len(dates),
                now,
                now,
            ),
        )
        db.executemany(
            "INSERT INTO family_members VALUES (?, ?)", [(v, ids[i]) for v in sorted(cluster)]
        )
    new = len(kept - old_ids)
    return new, len(dissolved)
