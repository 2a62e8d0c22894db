"""The read model of `malgraph check`: the claims on the packages a project names, the
package-versions the store holds of them, their depends-on and similar edges, and the stored
code an archive's code is compared with. Keys go in as one JSON parameter per query
(`json_each`), so a lockfile of thousands of packages costs a few queries, not one a package."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Collection, Iterable

import orjson

from malgraph.core.check import (
    CodeMatch,
    PackageClaims,
    PackageKey,
    PullsIn,
    StoredClaim,
    VersionRef,
)
from malgraph.core.derived_rows import CodeSketchRow
from malgraph.core.graph import NAME_ONLY_STEP
from malgraph.core.kinds import SimilarTier
from malgraph.core.model import Scope

_KEYS = "json_each(:keys) k"
_KEY_COLUMNS = "json_extract(k.value, '$[0]')", "json_extract(k.value, '$[1]')"
# A package is malicious when an active claim names it.
_CLAIMED = (
    "EXISTS (SELECT 1 FROM records cr WHERE cr.package_id = {pkg} AND cr.role = 'claim'"
    " AND cr.withdrawn IS NULL)"
)


def _keys(keys: Iterable[tuple[str, ...]]) -> dict[str, str]:
    return {"keys": orjson.dumps(sorted(set(keys))).decode()}


def _strings(text: str | None) -> tuple[str, ...]:
    found = orjson.loads(text) if text else None
    return tuple(s for s in found if isinstance(s, str)) if isinstance(found, list) else ()


def claims_for(
    db: sqlite3.Connection, keys: Iterable[PackageKey]
) -> dict[PackageKey, PackageClaims]:
    """The claims (withdrawn ones too) on each of the packages named by canonical (ecosystem,
    name) keys; a package the store has no claim on is left out."""
    eco, name = _KEY_COLUMNS
    rows = db.execute(
        "SELECT p.ecosystem, p.name, s.name, r.source_record_id, r.scope,"
        " (SELECT json_group_array(pv.version) FROM record_versions rv JOIN package_versions pv"
        " ON pv.id = rv.version_id WHERE rv.record_id = r.id), r.ranges,"
        " coalesce(r.published, pr.published), r.modified, r.withdrawn"
        f" FROM {_KEYS} JOIN packages p ON p.ecosystem = {eco} AND p.name = {name}"
        " JOIN records r ON r.package_id = p.id AND r.role = 'claim'"
        " JOIN sources s ON s.id = r.source_id LEFT JOIN records pr ON pr.id = r.parent_id"
        " ORDER BY p.ecosystem, p.name, s.name, r.source_record_id, r.id",
        _keys(keys),
    )
    found: dict[PackageKey, list[StoredClaim]] = defaultdict(list)
    for ecosystem, package, source, ident, scope, versions, ranges, *dates in rows:
        found[ecosystem, package].append(
            StoredClaim(
                source,
                ident,
                Scope(scope),
                tuple(sorted(set(_strings(versions)))),
                tuple(orjson.loads(ranges) if ranges else ()),
                *dates,
            )
        )
    return {key: PackageClaims(*key, tuple(claims)) for key, claims in found.items()}


def stored_versions(
    db: sqlite3.Connection, keys: Iterable[tuple[str, str, str]]
) -> dict[tuple[str, str, str], VersionRef]:
    """The package-versions the store holds among canonical (ecosystem, name, version) keys."""
    eco, name = _KEY_COLUMNS
    rows = db.execute(
        "SELECT pv.id, p.ecosystem, p.name, pv.version"
        f" FROM {_KEYS} JOIN packages p ON p.ecosystem = {eco} AND p.name = {name}"
        " JOIN package_versions pv ON pv.package_id = p.id"
        " AND pv.version = json_extract(k.value, '$[2]')",
        _keys(keys),
    )
    return {(e, n, v): VersionRef(i, e, n, v) for i, e, n, v in rows}


def pulls_in(db: sqlite3.Connection, versions: Collection[VersionRef]) -> list[PullsIn]:
    """The depends-on edges from these package-versions, and from their packages (a source's
    dependency list without code), to malicious packages."""
    rows = db.execute(
        "WITH ids(id) AS (SELECT value FROM json_each(:ids)),"
        " ends(type, id) AS (SELECT 'package_version', id FROM ids UNION"
        " SELECT 'package', package_id FROM package_versions WHERE id IN ids)"
        " SELECT src.ecosystem, src.name, pv.version, dst.ecosystem, dst.name, e.confidence,"
        " e.step, e.evidence FROM ends JOIN edges e ON e.src_type = ends.type"
        " AND e.src_id = ends.id AND e.kind = 'depends_on'"
        " LEFT JOIN package_versions pv ON e.src_type = 'package_version' AND pv.id = e.src_id"
        " JOIN packages src ON src.id = coalesce(pv.package_id, e.src_id)"
        " JOIN packages dst ON dst.id = e.dst_id ORDER BY 1, 2, 3, 4, 5",
        {"ids": orjson.dumps(sorted(v.id for v in versions)).decode()},
    )
    return [
        PullsIn(
            eco,
            name,
            version,
            target_eco,
            target,
            confidence,
            step == NAME_ONLY_STEP,
            tuple(orjson.loads(evidence).get("evidence", ())),
        )
        for eco, name, version, target_eco, target, confidence, step, evidence in rows
    ]


def similar_neighbours(
    db: sqlite3.Connection, versions: Collection[VersionRef]
) -> dict[int, list[CodeMatch]]:
    """Per package-version given: the package-versions of other packages its stored similar
    edges reach, strongest first."""
    rows = db.execute(
        "WITH mine(id) AS (SELECT value FROM json_each(:ids)),"
        " ends(mine, other, confidence, evidence) AS ("
        " SELECT e.src_id, e.dst_id, e.confidence, e.evidence FROM edges e"
        " WHERE e.src_type = 'package_version' AND e.src_id IN mine AND e.kind = 'similar'"
        " UNION ALL SELECT e.dst_id, e.src_id, e.confidence, e.evidence FROM edges e"
        " WHERE e.dst_type = 'package_version' AND e.dst_id IN mine AND e.kind = 'similar')"
        " SELECT ends.mine, p.ecosystem, p.name, pv.version, ends.confidence, ends.evidence,"
        f" m.family_id, {_CLAIMED.format(pkg='p.id')} FROM ends"
        " JOIN package_versions pv ON pv.id = ends.other JOIN packages p ON p.id = pv.package_id"
        " JOIN package_versions me ON me.id = ends.mine"
        " LEFT JOIN family_members m ON m.package_version_id = pv.id"
        " WHERE pv.package_id != me.package_id"
        " ORDER BY ends.mine, ends.confidence DESC, p.name, pv.version",
        {"ids": orjson.dumps(sorted(v.id for v in versions)).decode()},
    )
    found: dict[int, list[CodeMatch]] = defaultdict(list)
    for mine, eco, name, version, confidence, evidence, family, claimed in rows:
        ev = orjson.loads(evidence)
        tier = SimilarTier(ev.pop("tier"))
        found[mine].append(
            CodeMatch(eco, name, version, tier, confidence, family, bool(claimed), ev)
        )
    return found


def holders(
    db: sqlite3.Connection, column: str, digests: Collection[str]
) -> dict[str, list[VersionRef]]:
    """The package-versions whose analysed code has an archive (`column` 'archive'), a file
    ('file') or a normalised file ('normalised') of these digests."""
    where = {
        "archive": "a.sha256 IN digests",
        "file": "a.sha256 IN (SELECT sha256 FROM code_files WHERE file_sha256 IN digests)",
        "normalised": "a.sha256 IN (SELECT sha256 FROM code_files"
        " WHERE normalised_sha256 IN digests)",
    }[column]
    select = {
        "archive": "a.sha256",
        "file": "f.file_sha256",
        "normalised": "f.normalised_sha256",
    }[column]
    join = "" if column == "archive" else " JOIN code_files f ON f.sha256 = a.sha256"
    rows = db.execute(
        "WITH digests(d) AS (SELECT value FROM json_each(:digests))"
        f" SELECT DISTINCT {select}, pv.id, p.ecosystem, p.name, pv.version FROM artifacts a{join}"
        " JOIN code_analyses c ON c.sha256 = a.sha256 AND c.status != 'unreadable'"
        " JOIN package_versions pv ON pv.id = a.package_version_id"
        f" JOIN packages p ON p.id = pv.package_id WHERE {where}"
        + ("" if column == "archive" else f" AND {select} IN digests"),
        {"digests": orjson.dumps(sorted(digests)).decode()},
    )
    found: dict[str, list[VersionRef]] = defaultdict(list)
    for digest, *ref in rows:
        found[digest].append(VersionRef(*ref))
    return found


def stored_sketches(db: sqlite3.Connection, method: str) -> tuple[list[CodeSketchRow], list[str]]:
    """The stored sketches, made by `method`, of every readable analysed archive an artifact
    holds; and those archives that have none (sha256)."""
    rows = db.execute(
        "SELECT c.sha256, s.method, s.stream_sha256, s.sketch FROM code_analyses c"
        " LEFT JOIN code_sketches s ON s.sha256 = c.sha256 AND s.method = ?"
        " WHERE c.status != 'unreadable' AND c.tokens IS NOT NULL"
        " AND EXISTS (SELECT 1 FROM artifacts a WHERE a.sha256 = c.sha256) ORDER BY c.sha256",
        (method,),
    )
    sketched: list[CodeSketchRow] = []
    missing: list[str] = []
    for sha256, found, stream, sketch in rows:
        if found is None:
            missing.append(sha256)
        else:
            sketched.append(CodeSketchRow(sha256, found, stream, sketch))
    return sketched, missing


def version_facts(
    db: sqlite3.Connection, ids: Collection[int]
) -> dict[int, tuple[str | None, bool]]:
    """Per package-version id: its family, and whether an active claim makes its package
    malicious."""
    rows = db.execute(
        f"SELECT pv.id, m.family_id, {_CLAIMED.format(pkg='pv.package_id')}"
        " FROM package_versions pv LEFT JOIN family_members m ON m.package_version_id = pv.id"
        " WHERE pv.id IN (SELECT value FROM json_each(:ids))",
        {"ids": orjson.dumps(sorted(ids)).decode()},
    )
    return {i: (family, bool(claimed)) for i, family, claimed in rows}


def claimed_names(db: sqlite3.Connection, ecosystem: str, names: Collection[str]) -> set[str]:
    """Those of `names` (canonical) that are malicious packages of the ecosystem."""
    rows = db.execute(
        "SELECT p.name FROM json_each(:names) k JOIN packages p ON p.ecosystem = :eco"
        f" AND p.name = k.value WHERE {_CLAIMED.format(pkg='p.id')}",
        {"names": orjson.dumps(sorted(names)).decode(), "eco": ecosystem},
    )
    return {name for (name,) in rows}
