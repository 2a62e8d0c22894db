"""The STIX 2.1 export: one bundle, OUT itself, written object by object as the store is read.

What becomes what (the README's Export section has the table): each malicious package a
`malware` instance (`is_family: false`, named by its purl) with the `software` it is; each code
family a `malware` family; each source an `identity` and each of its claims a `report` it
authored; each security report a `report`; each IoC an `indicator`; named campaigns and
malgraph's campaign candidates `campaign`s; the relations `relationship`s whose evidence sits in
malgraph's property extension. Objects go kind after kind, each kind in its natural key's
order, keys sorted: the same store gives the same bytes."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

import orjson

from malgraph.core.identity import purl as purl_of
from malgraph.core.kinds import EdgeKind, ExportFormat
from malgraph.core.selection import Selection
from malgraph.core.stix_export import RelationEnd, StixClaim, StixIoc, StixRelation, StixReport
from malgraph.export import stix_objects as so
from malgraph.export.candidates import candidate_components
from malgraph.export.summary import ExportSummary
from malgraph.insights.campaigns import candidate
from malgraph.store.read.graph import (
    member_facts,
)
from malgraph.store.read.graph_export import sorting_on_disk
from malgraph.store.read.stix_export import (
    stix_campaigns,
    stix_claims,
    stix_families,
    stix_iocs,
    stix_packages,
    stix_relations,
    stix_reports,
    stix_sources,
)

PROGRESS_EVERY = 1000  # objects between two progress calls


class _Bundle:
    """The bundle's `objects` array, one object a line, counted by type."""

    def __init__(self, out: IO[bytes], progress: Callable[[int], None] | None) -> None:
        self._out, self._progress = out, progress
        self.counts: Counter[str] = Counter()
        self._separator = b"\n"

    def add(self, obj: dict[str, Any]) -> None:
        self._out.write(self._separator + orjson.dumps(obj, option=orjson.OPT_SORT_KEYS))
        self._separator = b",\n"
        self.counts[obj["type"]] += 1
        done = self.counts.total()
        if self._progress is not None and done % PROGRESS_EVERY == 0:
            self._progress(done)

    def add_all(self, objects: Iterable[dict[str, Any]]) -> None:
        for obj in objects:
            self.add(obj)


@sorting_on_disk
def write_stix(
    db: sqlite3.Connection,
    out: Path,
    selection: Selection,
    progress: Callable[[int], None] | None = None,
) -> ExportSummary:
    """The selected graph as one STIX 2.1 bundle; the same store writes the same bytes."""
    bundle_id = so.stix_id("bundle", orjson.dumps(_selection_key(selection)).decode())
    with out.open("wb") as file:
        file.write(b'{"type": "bundle", "id": "' + bundle_id.encode() + b'", "objects": [')
        bundle = _Bundle(file, progress)
        bundle.add_all(so.malgraph_objects())
        bundle.add_all(so.source_identity(s) for s in stix_sources(db, selection))
        chosen: set[str] = set()  # the selected purls, for the candidates (computed whole)
        for package in stix_packages(db, selection):
            chosen.add(package.purl)
            bundle.add_all(so.package_objects(package))
        _families(db, selection, bundle)
        bundle.add_all(_claim(c) for c in stix_claims(db, selection))
        bundle.add_all(_report(r) for r in stix_reports(db, selection))
        for ioc in stix_iocs(db, selection):
            bundle.add_all(_indicator(ioc))
        _named_campaigns(db, selection, bundle)
        if not selection.kinds:  # candidates are no stored relation: kept when all kinds are
            _candidates(db, chosen, bundle)
        _relations(db, selection, bundle)
        file.write(b"\n]}\n")
    if progress is not None:
        progress(bundle.counts.total())
    return ExportSummary(ExportFormat.STIX, (out,), _counts(bundle.counts))


def _selection_key(selection: Selection) -> list[object]:
    return [
        sorted(selection.ecosystems),
        sorted(selection.sources),
        selection.since,
        sorted(selection.kinds),
    ]


def _counts(counts: Counter[str]) -> dict[str, int]:
    return {f"objects.{kind}": n for kind, n in sorted(counts.items())}


def _families(db: sqlite3.Connection, selection: Selection, bundle: _Bundle) -> None:
    """Code families as malware families; each member package a variant of its family."""
    for family in stix_families(db, selection):
        first, last = so.timestamp(family.first_release), so.timestamp(family.last_release)
        ident = so.family_id(family.id)
        obj: dict[str, Any] = {
            **so.sdo("malware", ident, first, last),
            "created_by_ref": so.MALGRAPH_ID,
            "name": family.id,
            "description": f"Code family {family.id}: {family.size} package-versions whose code"
            " malgraph found similar.",
            "is_family": True,
            "extensions": so.extension(
                "family", size=family.size, ecosystems=list(family.ecosystems)
            ),
        }
        if first:
            obj["first_seen"], obj["last_seen"] = first, so.latest(first, last)
        bundle.add(obj)
        for purl, versions in family.members:
            bundle.add(
                so.relationship(
                    "variant-of",
                    so.package_id(purl),
                    ident,
                    obj["created"],
                    f"{purl} (versions {', '.join(versions)}) is in code family {family.id}.",
                    so.extension("relation", relation="in_family", versions=list(versions)),
                )
            )


def _claim(claim: StixClaim) -> dict[str, Any]:
    """A source's claim as a report it authored, naming the package and the IoCs it gives."""
    key = claim.key
    published = so.timestamp(claim.published) or so.EPOCH
    refs = [so.package_id(key.purl), so.software_id(key.purl)]
    refs += [so.indicator_id(kind, value) for kind, value in claim.iocs]
    return {
        **so.sdo("report", so.claim_id(key), published, so.timestamp(claim.modified)),
        "created_by_ref": so.source_id(key.source),
        "name": f"{key.record_id}: {key.purl} is malicious",
        "description": claim.summary or f"{key.source} reports {key.purl} as malicious.",
        "published": published,
        "report_types": ["malware"],
        "object_refs": refs,
        "external_references": [
            {"source_name": key.source, "external_id": key.record_id},
            *so.external_urls(claim.references, "reference"),
        ],
        "extensions": so.extension(
            "claim", source=key.source, record_id=key.record_id, versions=list(claim.versions)
        ),
    }


def _report(report: StixReport) -> dict[str, Any]:
    """A security report naming packages (co-existing: they share this report)."""
    published = so.timestamp(report.published) or so.EPOCH
    refs = sorted({so.package_id(p.purl) for p in report.packages})
    refs += [so.indicator_id(kind, value) for kind, value in report.iocs]
    obj = {
        **so.sdo("report", so.stix_id("report", "security", report.url_key), published, None),
        "name": report.title or report.url,
        "description": f"A report on {report.site} naming {len(refs)} object(s); the"
        " packages it names are co-existing in malgraph's terms.",
        "published": published,
        "report_types": ["threat-report"],
        "object_refs": refs,
        "extensions": so.extension(
            "security-report", named=[{"purl": p.purl, "how": p.how} for p in report.packages]
        ),
    }
    references = so.external_urls([report.url], report.site)
    if references:
        obj["external_references"] = references
    return obj


def _indicator(ioc: StixIoc) -> list[dict[str, Any]]:
    """The IoC as an indicator, indicating the packages and campaigns it was seen with."""
    ident = so.indicator_id(ioc.kind, ioc.value)
    valid = so.timestamp(ioc.first_seen) or so.EPOCH
    indicator = {
        **so.sdo("indicator", ident, valid, None),
        "created_by_ref": so.MALGRAPH_ID,
        "name": f"{ioc.kind}: {ioc.value}",
        "description": f"An IoC ({ioc.kind}) seen with {len(ioc.packages)} malicious"
        f" package(s) and {len(ioc.campaigns)} campaign(s).",
        "indicator_types": ["malicious-activity"],
        "pattern": so.pattern(ioc.kind, ioc.value),
        "pattern_type": "stix",
        "pattern_version": so.SPEC,
        "valid_from": valid,
        "extensions": so.extension("ioc", ioc_kind=ioc.kind),
    }
    targets = [so.package_id(p) for p in ioc.packages]
    targets += [so.campaign_id(source, key) for source, key in ioc.campaigns]
    links = [
        so.relationship(
            "indicates", ident, target, valid, f"{ioc.value} was seen with it.", so.extension("ioc")
        )
        for target in targets
    ]
    return [indicator, *links]


def _named_campaigns(db: sqlite3.Connection, selection: Selection, bundle: _Bundle) -> None:
    """The campaigns sources name, authored by the source, using their member packages."""
    for campaign in stix_campaigns(db, selection):
        ident = so.campaign_id(campaign.source, campaign.key)
        created = so.timestamp(campaign.created)
        obj: dict[str, Any] = {
            **so.sdo("campaign", ident, created, None),
            "created_by_ref": so.source_id(campaign.source),
            "name": campaign.name,
            "description": campaign.description
            or f"A campaign {campaign.source} names, of {len(campaign.members)} package(s).",
            "extensions": so.extension(
                "named-campaign",
                source=campaign.source,
                key=campaign.key,
                category=campaign.category,
            ),
        }
        if created:
            obj["first_seen"] = created
        references = so.external_urls(campaign.refs, campaign.source)
        if references:
            obj["external_references"] = references
        bundle.add(obj)
        for purl in campaign.members:
            text = f"{campaign.source} counts {purl} in campaign {campaign.name}."
            bundle.add(
                so.relationship(
                    "uses",
                    ident,
                    so.package_id(purl),
                    obj["created"],
                    text,
                    so.extension("campaign"),
                )
            )


def _candidates(db: sqlite3.Connection, chosen: set[str], bundle: _Bundle) -> None:
    """malgraph's campaign candidates holding a selected package, in id order. They are the
    components of the whole graph, worked out once over package ids, as the OSV export does;
    each candidate's members are read when it is written."""
    joined, ids, labels = candidate_components(db)
    # By id; the ties a 10-digit id could have broken as the report's order breaks them.
    order = sorted(joined.groups, key=lambda m: (ids[min(m)], -len(m), min(m)))
    for members in order:
        found = candidate(members, labels[min(members)], member_facts(db, members))
        purls = sorted({purl_of(m["ecosystem"], m["name"]) for m in found["members"]} & chosen)
        if purls:
            bundle.add_all(_candidate(found, purls))


def _candidate(candidate: dict[str, Any], purls: list[str]) -> list[dict[str, Any]]:
    ident = so.candidate_id(candidate["id"])
    first = so.timestamp(candidate["first_release"])
    last = so.timestamp(candidate["last_release"])
    counts = candidate["evidence_counts"]
    joined = ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items()) if n)
    obj: dict[str, Any] = {
        **so.sdo("campaign", ident, first, last),
        "created_by_ref": so.MALGRAPH_ID,
        "name": f"Campaign candidate {candidate['id']}",
        "description": f"{candidate['size']} packages that malgraph finds joined ({joined});"
        " a candidate, not a confirmed campaign.",
        "confidence": round(candidate["confidence"] * 100),
        "extensions": so.extension(
            "candidate-campaign",
            confidence=candidate["confidence"],
            evidence_counts=counts,
            evidence=candidate["evidence"],
        ),
    }
    if first:
        obj["first_seen"], obj["last_seen"] = first, so.latest(first, last)
    uses = [
        so.relationship(
            "uses",
            ident,
            so.package_id(purl),
            obj["created"],
            f"{purl} is in campaign candidate {candidate['id']}.",
            so.extension("campaign"),
        )
        for purl in purls
    ]
    return [obj, *uses]


# A stored relation's STIX relationship type and what it says, source to target.
_RELATIONS: dict[EdgeKind, tuple[str, str]] = {
    EdgeKind.DUPLICATED: ("related-to", "both claim the same package-version"),
    EdgeKind.DUPLICATED_PACKAGE: ("related-to", "both claim the package, at other versions"),
    EdgeKind.SIMILAR: ("variant-of", "shares code with"),
    EdgeKind.DEPENDS_ON: ("downloads", "depends on (installing it installs)"),
}


def _end_ref(end: RelationEnd) -> str:
    return so.claim_id(end.claim) if end.claim is not None else so.package_id(end.purl)


def _end_text(end: RelationEnd) -> str:
    named = end.purl if end.version is None else f"{end.purl}@{end.version}"
    return named if end.claim is None else f"{end.claim.source}'s claim {end.claim.record_id}"


def _relations(db: sqlite3.Connection, selection: Selection, bundle: _Bundle) -> None:
    """The stored relations; edges with the same kind and ends make one relationship."""
    last: str | None = None
    for relation in stix_relations(db, selection):
        obj = _relation(relation)
        if obj["id"] != last:
            bundle.add(obj)
            last = obj["id"]


def _relation(relation: StixRelation) -> dict[str, Any]:
    kind, says = _RELATIONS[relation.kind]
    source, target = relation.source, relation.target
    text = f"{relation.kind}: {_end_text(source)} {says} {_end_text(target)}"
    if source.claim is not None:
        text += f" ({source.purl})"
    versions = [f"{e.purl}@{e.version}" for e in (source, target) if e.version is not None]
    return so.relationship(
        kind,
        _end_ref(source),
        _end_ref(target),
        so.EPOCH,
        text + f", confidence {relation.confidence:g}.",
        so.extension(
            "relation",
            relation=str(relation.kind),
            versions=versions,
            evidence=relation.evidence,
            confidence=relation.confidence,
            step=relation.step,
        ),
        discriminator="\n".join([relation.kind, *versions]),
    )
