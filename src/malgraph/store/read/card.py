"""The package card's reader: every query `malgraph show` needs, turned into a PackageCard."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from malgraph.core.card import (
    ArtifactFeatures,
    CardArtifact,
    CardCampaign,
    CardEdge,
    CardIoc,
    CardRecord,
    CardReport,
    CoreportedPackage,
    DependencyLink,
    DependencyLinks,
    FamilyRef,
    Neighbour,
    PackageCard,
    RegistryObservation,
    VersionCode,
    VersionDates,
    VersionSimilarity,
)
from malgraph.core.identity import canonical_name, ecosystem_of
from malgraph.core.kinds import (
    AnalysisStatus,
    EdgeKind,
    IocKind,
    RegistryStatus,
    SimilarTier,
    SourceKind,
)
from malgraph.core.model import Role, Scope

NEIGHBOURS = 10  # the most similar package-versions a card lists per version


def holds_records(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM records LIMIT 1").fetchone() is not None


def find_packages(db: sqlite3.Connection, name: str, ecosystem: str | None) -> list[int]:
    """Packages called `name` (canonicalised per ecosystem), in one ecosystem or all."""
    ecosystems = (
        [ecosystem_of(ecosystem).name]
        if ecosystem
        else [row[0] for row in db.execute("SELECT DISTINCT ecosystem FROM packages")]
    )
    ids = []
    for eco in ecosystems:
        row = db.execute(
            "SELECT id FROM packages WHERE ecosystem = ? AND name = ?",
            (eco, canonical_name(eco, name)),
        ).fetchone()
        if row:
            ids.append(int(row[0]))
    return ids


def read_card(
    db: sqlite3.Connection, package_id: int, *, with_coreported: bool = True
) -> PackageCard:
    """Everything the store knows about one package: records, sources, reports, edges.
    Without co-reported packages when not asked (a report may name thousands: the explorer
    follows it to its own page instead)."""
    eco, name, purl = db.execute(
        "SELECT ecosystem, name, purl FROM packages WHERE id = ?", (package_id,)
    ).fetchone()
    records = records_of(db, package_id)
    return PackageCard(
        ecosystem=eco,
        name=name,
        purl=purl,
        versions=versions_of(db, package_id),
        sources=tuple(sorted({r.source for r in records if r.role == Role.CLAIM})),
        records=records,
        reports=reports_of(db, package_id),
        campaigns=campaigns_of(db, package_id),
        iocs=iocs_of(db, package_id),
        coreported=coreported(db, package_id) if with_coreported else (),
        timeline=version_dates(db, package_id),
        code=code_of(db, package_id),
        similarity=similarity_of(db, package_id),
        dependency=dependency_links(db, package_id),
        edges=edges_of(db, package_id),
    )


def _loads(text: str | None) -> Any:
    return orjson.loads(text) if text else None


def versions_of(db: sqlite3.Connection, package_id: int) -> tuple[str, ...]:
    return tuple(
        v
        for (v,) in db.execute(
            "SELECT version FROM package_versions WHERE package_id = ? ORDER BY version",
            (package_id,),
        )
    )


def records_of(db: sqlite3.Connection, package_id: int) -> tuple[CardRecord, ...]:
    """The package's records, claims first, each with the label its input gave the source."""
    rows = db.execute(
        "SELECT r.id, s.name, s.kind, r.source_record_id, r.role, r.parent_id, r.name_given,"
        " r.scope, r.versions, r.published, r.modified, r.withdrawn, r.imported, r.aliases,"
        " r.summary, coalesce(l.label, s.name) FROM records r JOIN sources s ON s.id = r.source_id"
        " LEFT JOIN source_labels l ON l.id = r.label_id"
        " WHERE r.package_id = ? ORDER BY r.parent_id IS NOT NULL, s.name, r.source_record_id",
        (package_id,),
    )
    return tuple(_record(*row) for row in rows)


def _record(*row: Any) -> CardRecord:
    """A records row (in the order records_of selects) with its JSON lists decoded."""
    ident, source, kind, record_id, role, parent, name_given, scope = row[:8]
    versions, published, modified, withdrawn, imported, aliases, summary, label = row[8:]
    return CardRecord(
        id=ident,
        source=source,
        source_kind=SourceKind(kind),
        source_record_id=record_id,
        role=Role(role),
        parent_id=parent,
        name_given=name_given,
        scope=Scope(scope),
        versions=tuple(_loads(versions) or ()),
        published=published,
        modified=modified,
        withdrawn=withdrawn,
        imported=imported,
        aliases=tuple(_loads(aliases) or ()),
        summary=summary,
        label=label,
    )


def reports_of(db: sqlite3.Connection, package_id: int) -> tuple[CardReport, ...]:
    """Reports cited by the package's records, naming it in their text, or linked to it."""
    rows = db.execute(
        "SELECT rp.url, rp.site, rp.title, rp.published, group_concat(DISTINCT via) FROM ("
        " SELECT rr.report_id, lower(rr.ref_type) AS via FROM record_reports rr"
        " JOIN records r ON r.id = rr.record_id WHERE r.package_id = :p"
        " UNION SELECT report_id, 'mention: ' || matched FROM report_mentions"
        " WHERE package_id = :p UNION SELECT report_id,"
        " 'linked' || coalesce('@' || version, '') FROM report_link_packages"
        " WHERE package_id = :p)"
        " AS links JOIN reports rp ON rp.id = links.report_id"
        " GROUP BY rp.id ORDER BY rp.published, rp.url",
        {"p": package_id},
    )
    return tuple(CardReport(*row) for row in rows)


def campaigns_of(db: sqlite3.Connection, package_id: int) -> tuple[CardCampaign, ...]:
    rows = db.execute(
        "SELECT DISTINCT s.name, c.name, c.category, c.created FROM campaigns c"
        " JOIN sources s ON s.id = c.source_id JOIN campaign_members m ON m.campaign_id = c.id"
        " JOIN records r ON r.id = m.record_id WHERE r.package_id = ? ORDER BY c.name",
        (package_id,),
    )
    return tuple(CardCampaign(*row) for row in rows)


def iocs_of(db: sqlite3.Connection, package_id: int) -> tuple[CardIoc, ...]:
    rows = db.execute(
        "SELECT DISTINCT i.kind, i.value FROM iocs i JOIN ioc_sightings g ON g.ioc_id = i.id"
        " JOIN records r ON r.id = g.record_id WHERE r.package_id = ? ORDER BY 1, 2",
        (package_id,),
    )
    return tuple(CardIoc(IocKind(kind), value) for kind, value in rows)


def edges_of(db: sqlite3.Connection, package_id: int) -> tuple[CardEdge, ...]:
    """The stored edges that start at one of the package's records."""
    rows = db.execute(  # records first (CROSS JOIN keeps that order): edges by their index
        "SELECT e.kind, e.src_id, e.dst_id, e.confidence, e.step, e.evidence FROM records r"
        " CROSS JOIN edges e ON e.src_type = 'record' AND e.src_id = r.id"
        " WHERE r.package_id = ? ORDER BY e.kind, e.id",
        (package_id,),
    )
    return tuple(
        CardEdge(EdgeKind(kind), src, dst, confidence, step, _loads(evidence))
        for kind, src, dst, confidence, step, evidence in rows
    )


# A package's reports: cited by one of its records, naming it in their text, or linked to it
# by a list of the packages each report named.
_REPORTS_OF = """
    SELECT rr.report_id FROM record_reports rr JOIN records r ON r.id = rr.record_id
    WHERE r.package_id = :package
    UNION SELECT report_id FROM report_mentions WHERE package_id = :package
    UNION SELECT report_id FROM report_link_packages WHERE package_id = :package
"""
_PACKAGES_OF_REPORT = """
    SELECT r.package_id, rr.report_id FROM record_reports rr JOIN records r ON r.id = rr.record_id
    WHERE rr.report_id IN ({reports})
    UNION SELECT package_id, report_id FROM report_mentions WHERE report_id IN ({reports})
    UNION SELECT package_id, report_id FROM report_link_packages WHERE report_id IN ({reports})
"""


def coreported(db: sqlite3.Connection, package_id: int) -> tuple[CoreportedPackage, ...]:
    """Packages sharing a report or a campaign with this one, each with what joins them (the
    co-existing relation is kept as membership and answered here, at query time)."""
    reports: dict[int, set[str]] = {}
    campaigns: dict[int, set[str]] = {}
    sql = _PACKAGES_OF_REPORT.format(reports=_REPORTS_OF)
    for other, report in db.execute(sql, {"package": package_id}).fetchall():
        if other != package_id:
            (url,) = db.execute("SELECT url FROM reports WHERE id = ?", (report,)).fetchone()
            reports.setdefault(other, set()).add(url)
            campaigns.setdefault(other, set())
    for other, campaign in db.execute(
        "SELECT DISTINCT r2.package_id, c.name FROM records r JOIN campaign_members m"
        " ON m.record_id = r.id JOIN campaign_members m2 ON m2.campaign_id = m.campaign_id"
        " JOIN records r2 ON r2.id = m2.record_id JOIN campaigns c ON c.id = m.campaign_id"
        " WHERE r.package_id = ? AND r2.package_id != r.package_id",
        (package_id,),
    ):
        reports.setdefault(other, set())
        campaigns.setdefault(other, set()).add(campaign)
    found = [
        CoreportedPackage(
            eco, name, purl, tuple(sorted(reports[other])), tuple(sorted(campaigns[other]))
        )
        for other, eco, name, purl in db.execute(
            "SELECT id, ecosystem, name, purl FROM packages"
            " WHERE id IN (SELECT value FROM json_each(?))",
            (orjson.dumps(list(reports)).decode(),),
        )
    ]
    return tuple(sorted(found, key=lambda p: (-len(p.reports) - len(p.campaigns), p.purl)))


_VERSION_DATES = """
    WITH versions AS (SELECT id, version FROM package_versions WHERE package_id = :p),
    claims AS (
        SELECT r.id, r.released, s.name AS source,
            min(coalesce(r.published, '9'), coalesce(r.modified, '9'),
                coalesce(r.imported, '9')) AS seen
        FROM records r JOIN sources s ON s.id = r.source_id
        WHERE r.package_id = :p AND r.role = 'claim' AND r.withdrawn IS NULL),
    dated(version_id, released, seen, who) AS (
        SELECT rv.version_id, c.released, c.seen, c.source FROM claims c
        JOIN record_versions rv ON rv.record_id = c.id
        UNION ALL SELECT v.id, c.released, c.seen, c.source FROM claims c, versions v
        WHERE NOT EXISTS (SELECT 1 FROM record_versions WHERE record_id = c.id)
        UNION ALL SELECT a.package_version_id, NULL, a.detected, s.name FROM artifacts a
        JOIN sources s ON s.id = a.source_id JOIN versions v ON v.id = a.package_version_id
        UNION ALL SELECT o.package_version_id, o.released, NULL, o.registry
        FROM registry_observations o JOIN versions v ON v.id = o.package_version_id
        UNION ALL SELECT v.id, NULL, rp.published, rp.url FROM versions v, reports rp
        WHERE rp.published IS NOT NULL AND rp.id IN (
            SELECT rr.report_id FROM record_reports rr JOIN records r ON r.id = rr.record_id
            WHERE r.package_id = :p
            UNION SELECT report_id FROM report_mentions WHERE package_id = :p
            UNION SELECT report_id FROM report_link_packages WHERE package_id = :p))
    SELECT v.version, d.released, nullif(d.seen, '9'), d.who
    FROM versions v LEFT JOIN dated d ON d.version_id = v.id ORDER BY v.version
"""


def version_dates(db: sqlite3.Connection, package_id: int) -> tuple[VersionDates, ...]:
    """Per package-version: the release time sources give, and when it was first detected,
    i.e. the earliest date any source (claim, sample) or report (citing or naming the
    package) gives, with who gave it. Claims on all or unknown versions count for each."""
    released: dict[str, str | None] = {}
    detected: dict[str, tuple[str, str] | None] = {}
    for version, when, seen, who in db.execute(_VERSION_DATES, {"p": package_id}):
        earliest = released.setdefault(version, None)
        if when and (earliest is None or when < earliest):
            released[version] = when
        first = detected.setdefault(version, None)
        if seen and (first is None or seen < first[0]):
            detected[version] = (seen, who)
    removed = {
        version: (observed, registry)
        for version, observed, registry in db.execute(
            "SELECT pv.version, min(o.observed_at), o.registry FROM registry_observations o"
            " JOIN package_versions pv ON pv.id = o.package_version_id"
            " WHERE pv.package_id = ? AND o.status = 'removed' GROUP BY pv.id",
            (package_id,),
        )
    }
    dates = []
    for version, when in released.items():
        seen, who = detected[version] or (None, None)
        gone, where = removed.get(version, (None, None))
        dates.append(VersionDates(version, when, seen, who, gone, where))
    return tuple(dates)


def code_of(db: sqlite3.Connection, package_id: int) -> tuple[VersionCode, ...]:
    """Per package-version: its artifacts, where each came from, and their main features;
    and what registries said of it."""
    artifacts: dict[str, list[CardArtifact]] = {}
    for version, sha256, source, location, kind, fetched_at, status, reason in db.execute(
        "SELECT pv.version, a.sha256, s.name, a.location, a.kind, a.fetched_at, c.status,"
        " c.reason FROM artifacts a JOIN package_versions pv ON pv.id = a.package_version_id"
        " JOIN sources s ON s.id = a.source_id LEFT JOIN code_analyses c ON c.sha256 = a.sha256"
        " WHERE pv.package_id = ? ORDER BY pv.version, a.id",
        (package_id,),
    ).fetchall():
        features = None if status is None else features_of(db, sha256)
        artifact = CardArtifact(
            sha256,
            source,
            location,
            kind,
            fetched_at,
            None if status is None else AnalysisStatus(status),
            reason,
            features,
        )
        artifacts.setdefault(version, []).append(artifact)
    registries: dict[str, list[RegistryObservation]] = {}
    for version, *observation in db.execute(
        "SELECT pv.version, o.registry, o.status, o.detail, o.released, o.observed_at"
        " FROM registry_observations o JOIN package_versions pv ON pv.id = o.package_version_id"
        " WHERE pv.package_id = ? ORDER BY pv.version, o.observed_at, o.registry",
        (package_id,),
    ):
        artifacts.setdefault(version, [])
        registries.setdefault(version, []).append(_observation(*observation))
    return tuple(
        VersionCode(version, tuple(held), tuple(registries.get(version, ())))
        for version, held in artifacts.items()
    )


def _observation(
    registry: str, status: str, detail: str | None, released: str | None, observed_at: str
) -> RegistryObservation:
    return RegistryObservation(registry, RegistryStatus(status), detail, released, observed_at)


def features_of(db: sqlite3.Connection, sha256: str) -> ArtifactFeatures:
    """The summary of an analysed archive's stored features."""
    hooks, findings, obfuscation, skipped = db.execute(
        "SELECT install_hooks, findings, obfuscation, skipped FROM code_analyses WHERE sha256 = ?",
        (sha256,),
    ).fetchone()
    files, languages = db.execute(
        "SELECT count(*), group_concat(DISTINCT language) FROM code_files WHERE sha256 = ?",
        (sha256,),
    ).fetchone()
    categories: dict[str, int] = {}
    for finding in orjson.loads(findings):
        categories[finding["category"]] = categories.get(finding["category"], 0) + 1
    dependencies = db.execute(
        "SELECT DISTINCT name, spec, kind FROM code_dependencies WHERE sha256 = ?"
        " ORDER BY kind, name",
        (sha256,),
    )
    iocs = db.execute(
        "SELECT DISTINCT i.kind, i.value FROM code_iocs c JOIN iocs i ON i.id = c.ioc_id"
        " WHERE c.sha256 = ? ORDER BY 1, 2",
        (sha256,),
    )
    return ArtifactFeatures(
        files=files,
        languages=tuple(sorted(languages.split(","))) if languages else (),
        install_hooks=tuple(f"{h['kind']}: {h['detail']}" for h in orjson.loads(hooks)),
        findings=dict(sorted(categories.items())),
        obfuscation=tuple(sorted({o["sign"] for o in orjson.loads(obfuscation)})),
        skipped_members=len(orjson.loads(skipped)),
        dependencies=tuple(
            f"{name} {spec}".strip() + f" ({kind})" for name, spec, kind in dependencies
        ),
        iocs=tuple(f"{kind}: {value}" for kind, value in iocs),
    )


# A version's similar edges, either way (they join package-versions), each end by its index.
_NEIGHBOURS = (
    "SELECT p.ecosystem, p.name, pv.version, json_extract(e.evidence, '$.tier'), e.confidence"
    " FROM (SELECT dst_id AS other, evidence, confidence FROM edges"
    " WHERE src_type = 'package_version' AND src_id = :v AND kind = 'similar'"
    " UNION ALL SELECT src_id, evidence, confidence FROM edges"
    " WHERE dst_type = 'package_version' AND dst_id = :v AND kind = 'similar' AND src_id != :v)"
    " AS e JOIN package_versions pv ON pv.id = e.other JOIN packages p ON p.id = pv.package_id"
    " ORDER BY e.confidence DESC, p.name, pv.version LIMIT :n"
)


def similarity_of(db: sqlite3.Connection, package_id: int) -> tuple[VersionSimilarity, ...]:
    """Per package-version with code: its family and its nearest neighbours by score."""
    found = []
    for version_id, version, fid, *family in db.execute(
        "SELECT pv.id, pv.version, f.id, f.size, f.first_release, f.last_release"
        " FROM package_versions pv LEFT JOIN family_members m ON m.package_version_id = pv.id"
        " LEFT JOIN families f ON f.id = m.family_id WHERE pv.package_id = ? ORDER BY pv.version",
        (package_id,),
    ).fetchall():
        neighbours = tuple(
            Neighbour(eco, name, other, SimilarTier(tier), score)
            for eco, name, other, tier, score in db.execute(
                _NEIGHBOURS, {"v": version_id, "n": NEIGHBOURS}
            )
        )
        if fid or neighbours:
            ref = FamilyRef(fid, *family) if fid else None
            found.append(VersionSimilarity(version, ref, neighbours))
    return tuple(found)


_EDGE_ENDS = (
    "SELECT {columns}, pv.version, e.confidence, e.evidence FROM edges e"
    " LEFT JOIN package_versions pv ON e.src_type = 'package_version' AND pv.id = e.src_id"
    " JOIN packages src ON src.id = coalesce(pv.package_id, e.src_id)"
    " JOIN packages dst ON dst.id = e.dst_id WHERE e.kind = 'depends_on' AND {where}"
    " ORDER BY 1, 2, 3"
)


# The edges starting at the package or at one of its versions (a depends-on edge starts at
# either and ends at a package), so that the edges' indexes find them.
_STARTS_AT = (
    "e.id IN (SELECT id FROM edges WHERE src_type = 'package' AND src_id = ?1"
    " UNION ALL SELECT x.id FROM package_versions v CROSS JOIN edges x"
    " ON x.src_type = 'package_version' AND x.src_id = v.id WHERE v.package_id = ?1)"
)


def _dependency_ends(
    db: sqlite3.Connection, package_id: int, columns: str, where: str
) -> tuple[DependencyLink, ...]:
    query = _EDGE_ENDS.format(columns=columns, where=where)
    return tuple(
        DependencyLink(eco, name, version, confidence, tuple(orjson.loads(evidence)["evidence"]))
        for eco, name, version, confidence, evidence in db.execute(query, (package_id,))
    )


def dependency_links(db: sqlite3.Connection, package_id: int) -> DependencyLinks:
    """What a package pulls in (from which of its versions) and which packages pull it in,
    with the evidence of each link."""
    return DependencyLinks(
        pulls_in=_dependency_ends(db, package_id, "dst.ecosystem, dst.name", _STARTS_AT),
        pulled_in_by=_dependency_ends(
            db, package_id, "src.ecosystem, src.name", "e.dst_type = 'package' AND e.dst_id = ?"
        ),
    )
