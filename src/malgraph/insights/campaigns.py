"""Attack-campaign candidates (the paper's RQ4): packages joined by any evidence that they come
from one actor, as connected components, each with the evidence that joins it and a confidence;
the campaigns sources name (kam193) shown beside, with the candidates their members fall in.

Evidence joining two packages: a report naming both (cited by a record of each or mentioned in
its text; a report naming more than LIST_REPORT packages is a list and joins nothing), one code
family holding versions of both, a depends-on link, one IoC seen on both (in a record or in its
code; an IoC seen on more than COMMON_IOC packages is infrastructure everyone uses, skipped).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections import defaultdict
from math import prod
from typing import Any

from malgraph.insights.groups import (
    LIST_REPORT,
    campaign_members,
    dependency_links,
    family_versions,
    package_names,
    package_of_version,
    report_labels,
    report_members,
    versions_of_packages,
)
from malgraph.insights.sources import report_site_numbers
from malgraph.relations.components import components
from malgraph.store.code import release_times
from malgraph.store.read.sources import report_site_counts

COMMON_IOC = 200
EVIDENCE_LISTED = 50  # per kind and candidate; `evidence_counts` gives the full numbers
# Confidence = 1 - prod(1 - weight) over the kinds of evidence found in the candidate, so each
# independent kind raises it. One report alone is weak (it may just list packages it saw that
# week); two reports agree more; shared code, a dependency and shared infrastructure are the
# attacker's own doing.
WEIGHTS = {"one_report": 0.3, "reports": 0.5, "families": 0.5, "dependencies": 0.4, "iocs": 0.6}
KINDS = ("reports", "families", "dependencies", "iocs")


def _ioc_packages(db: sqlite3.Connection) -> dict[int, set[int]]:
    out: dict[int, set[int]] = defaultdict(set)
    for ioc, package in db.execute(
        "SELECT g.ioc_id, r.package_id FROM ioc_sightings g JOIN records r ON r.id = g.record_id"
        " WHERE r.withdrawn IS NULL UNION SELECT c.ioc_id, pv.package_id FROM code_iocs c"
        " JOIN artifacts a ON a.sha256 = c.sha256"
        " JOIN package_versions pv ON pv.id = a.package_version_id"
    ):
        out[ioc].add(package)
    return dict(out)


def confidence(counts: dict[str, int]) -> float:
    """From how many pieces of each kind of evidence a candidate has (see WEIGHTS)."""
    weights = [WEIGHTS[k] for k in ("families", "dependencies", "iocs") if counts.get(k)]
    if counts.get("reports"):
        weights.append(WEIGHTS["reports" if counts["reports"] > 1 else "one_report"])
    return round(1 - prod(1 - w for w in weights), 3)


def campaigns(db: sqlite3.Connection) -> dict[str, Any]:
    """Candidates of two or more packages, sorted by size (largest first) then id, and the
    named campaigns beside them; with what was left out and why."""
    names = package_names(db)
    # Each piece of evidence: (kind, its label, the packages it joins).
    evidence: list[tuple[str, Any, frozenset[int]]] = []
    left = {"list_reports": 0, "common_iocs": 0}
    urls = report_labels(db)
    for report, named in report_members(db).items():
        if len(named) > LIST_REPORT:
            left["list_reports"] += 1
        elif len(named) > 1:
            evidence.append(("reports", urls[report], frozenset(named)))
    package = package_of_version(db)
    for family, members in family_versions(db).items():
        holders = frozenset(package[v] for v in members)
        if len(holders) > 1:
            evidence.append(("families", family, holders))
    for src, dst in dependency_links(db):
        if src != dst:
            link = {"from": names[src][2], "to": names[dst][2]}
            evidence.append(("dependencies", link, frozenset((src, dst))))
    iocs = {i: (kind, value) for i, kind, value in db.execute("SELECT id, kind, value FROM iocs")}
    for ioc, seen_on in _ioc_packages(db).items():
        if len(seen_on) > COMMON_IOC:
            left["common_iocs"] += 1
        elif len(seen_on) > 1:
            kind, value = iocs[ioc]
            evidence.append(("iocs", {"kind": kind, "value": value}, frozenset(seen_on)))
    pairs = [(min(joins), other) for _, _, joins in evidence for other in joins]
    groups = components({p for _, _, joins in evidence for p in joins}, pairs)
    group_of = {p: min(members) for members in groups for p in members}
    found: dict[int, dict[str, list[Any]]] = defaultdict(lambda: {k: [] for k in KINDS})
    for kind, label, joins in evidence:
        found[group_of[min(joins)]][kind].append(label)
    released = release_times(db)
    versions = versions_of_packages(db)
    candidates: list[dict[str, Any]] = []
    member_of: dict[int, str] = {}
    for members in groups:
        purls = sorted(names[p][2] for p in members)
        cid = "C-" + hashlib.sha256("\n".join(purls).encode()).hexdigest()[:10]
        member_of.update(dict.fromkeys(members, cid))
        labels = found[min(members)]
        counts = {k: len(labels[k]) for k in KINDS}
        dates = sorted(released[v] for p in members for v in versions.get(p, ()) if v in released)
        candidates.append(
            {
                "id": cid,
                "size": len(members),
                "members": [
                    {"ecosystem": e, "name": n} for e, n, _ in sorted(names[p] for p in members)
                ],
                "evidence": {k: sorted(labels[k], key=_label_key)[:EVIDENCE_LISTED] for k in KINDS},
                "evidence_counts": counts,
                "confidence": confidence(counts),
                "first_release": dates[0] if dates else None,
                "last_release": dates[-1] if dates else None,
                "undated_members": sum(
                    1 for p in members if not any(v in released for v in versions.get(p, ()))
                ),
            }
        )
    candidates.sort(key=lambda c: (-c["size"], c["id"]))
    return {
        "candidates": candidates,
        "count": len(candidates),
        "packages_in_candidates": len(member_of),
        "left_out": left,
        "named": _named(db, member_of),
        "confidence_formula": "1 - prod(1 - weight) over the kinds of evidence present",
        "weights": WEIGHTS,
        "report_sites": report_site_numbers(report_site_counts(db)),
    }


def _label_key(label: Any) -> str:
    return label if isinstance(label, str) else "\x00".join(label.values())


def _named(db: sqlite3.Connection, member_of: dict[int, str]) -> list[dict[str, Any]]:
    """Campaigns sources name, with the candidates holding their members."""
    members = campaign_members(db)
    out = []
    for cid, source, name, category in db.execute(
        "SELECT c.id, s.name, c.name, c.category FROM campaigns c"
        " JOIN sources s ON s.id = c.source_id ORDER BY s.name, c.name, c.key"
    ):
        packages = members.get(cid, set())
        out.append(
            {
                "source": source,
                "name": name,
                "category": category,
                "members": len(packages),
                "candidates": sorted({member_of[p] for p in packages if p in member_of}),
                "outside_candidates": sum(1 for p in packages if p not in member_of),
            }
        )
    return out
