"""Campaign candidates on a tiny store: which packages join, on what evidence, how confidently."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson

from malgraph.core.graph import IocSightings, NamedCampaign, SiteCount, StoredIoc
from malgraph.core.kinds import IocKind
from malgraph.insights.campaigns import (
    COMMON_IOC,
    campaigns,
    candidate,
    candidate_ids,
    confidence,
    family_holders,
    join_packages,
)
from malgraph.insights.campaigns import member_facts as facts_of
from malgraph.store import Store
from malgraph.store.read.graph import (
    family_packages,
    ioc_sightings,
    member_facts,
    package_purls,
    packages,
)
from malgraph.store.read.graph import (
    groupings as read_groupings,
)
from tests.conftest import osv
from tests.insights.tiny_store import (
    build,
    campaign,
    campaigns_of,
    code,
    day,
    depends_on,
    family,
    many_packages,
    package,
    released,
    report,
    version,
)
from tests.insights.typed import Made, groupings

R1, R2, R3 = "https://blog.example/r1", "https://blog.example/r2", "https://blog.example/r3"
HOOK = "https://discord.com/api/webhooks/1/x"


def ref(url: str) -> dict[str, Any]:
    return {"references": [{"type": "ARTICLE", "url": url}]}


DOCS = [
    osv("SRCA-1", "a", versions=["1.0"], **ref(R1)),
    osv("SRCA-2", "b", versions=["1.0"], **ref(R1)),
    osv("SRCA-3", "c", versions=["1.0"]),
    osv("SRCA-4", "d", versions=["1.0"]),
    osv("SRCA-5", "e", versions=["1.0"]),
    osv("SRCA-6", "f", versions=["1.0"]),
    osv("SRCA-7", "g", versions=["1.0"], **ref(R2)),
    osv("SRCA-8", "h", versions=["1.0"], **ref(R2)),
    osv("SRCA-9", "w", versions=["1.0"], withdrawn=day(5), **ref(R2)),  # taken back: no link
    osv("SRCA-10", "lone", versions=["1.0"]),
]


def cid(*names: str) -> str:
    purls = "\n".join(sorted(f"pkg:npm/{n}" for n in names))
    return "C-" + hashlib.sha256(purls.encode()).hexdigest()[:10]


def _store(store: Store, tmp_path: Path) -> None:
    build(store, tmp_path, DOCS)
    with store.transaction() as db:
        report(db, R3, [package(db, "a"), package(db, "b")], None)  # a second report on a, b
        family(db, "F-0000000001", [version(db, "b", "1.0"), version(db, "c", "1.0")])
        family(db, "F-0000000002", [version(db, "lone", "1.0")])  # one package: joins nothing
        depends_on(db, "package_version", version(db, "d", "1.0"), package(db, "c"))
        # One webhook in e's record and in f's code; another everywhere (the 201 of a list).
        db.execute(
            "INSERT INTO iocs(kind, value) VALUES ('webhook', ?), ('domain', 'cdn.x')", (HOOK,)
        )
        db.execute(
            "INSERT INTO ioc_sightings(ioc_id, record_id, as_written) SELECT i.id, r.id, i.value"
            " FROM iocs i, records r WHERE i.kind = 'webhook' AND r.source_record_id = 'SRCA-5'"
        )
        code(db, version(db, "f", "1.0"), "ff")
        db.execute(
            "INSERT INTO code_iocs SELECT id, 'ff', 'index.js', 3, value FROM iocs"
            " WHERE kind = 'webhook'"
        )
        listed = many_packages(db, 201)
        report(db, "https://list.example/all", listed, day(9))
        db.executemany(
            "INSERT INTO package_versions(package_id, version, purl) VALUES (?, '1.0', ?)",
            [(p, f"pkg:npm/list-{i}@1.0") for i, p in enumerate(listed)],
        )
        for i in range(len(listed)):
            v = version(db, f"list-{i}", "1.0")
            code(db, v, f"list{i}")
            db.execute(
                "INSERT INTO code_iocs SELECT id, ?, 'a.js', 1, value FROM iocs"
                " WHERE kind = 'domain'",
                (f"list{i}",),
            )
        released(db, version(db, "a", "1.0"), day(1))
        released(db, version(db, "d", "1.0"), day(9))
        campaign(db, "stealers", [package(db, n) for n in ("e", "g", "lone")])


def test_candidates_worked_by_hand(store: Store, tmp_path: Path) -> None:
    _store(store, tmp_path)
    out = campaigns_of(store.db)
    # {a, b} by R1 and R3, {b, c} by a family, {d, c} by a dependency: one candidate of 4.
    # {e, f} by the webhook; {g, h} by R2 alone (w's record was withdrawn). The list report
    # and the domain seen on its 201 packages join nothing; lone has only itself.
    assert out["left_out"] == {"list_reports": 1, "common_iocs": 1}
    assert [c["id"] for c in out["candidates"]] == [
        cid("a", "b", "c", "d"),
        *sorted([cid("e", "f"), cid("g", "h")]),
    ]
    assert (out["count"], out["packages_in_candidates"]) == (3, 8)
    big = out["candidates"][0]
    assert big["size"] == 4
    assert [m["name"] for m in big["members"]] == ["a", "b", "c", "d"]
    assert big["evidence"] == {
        "reports": [R1, R3],
        "families": ["F-0000000001"],
        "dependencies": [{"from": "pkg:npm/d", "to": "pkg:npm/c"}],
        "iocs": [],
    }
    assert big["evidence_counts"] == {"reports": 2, "families": 1, "dependencies": 1, "iocs": 0}
    # Two reports 0.5, a family 0.5, a dependency 0.4: 1 - 0.5 * 0.5 * 0.6 = 0.85.
    assert big["confidence"] == 0.85
    assert (big["first_release"], big["last_release"]) == (day(1), day(9))
    assert big["undated_members"] == 2  # b and c
    by_id = {c["id"]: c for c in out["candidates"]}
    ef, gh = by_id[cid("e", "f")], by_id[cid("g", "h")]
    assert ef["evidence"]["iocs"] == [{"kind": "webhook", "value": HOOK}]
    assert ef["confidence"] == 0.6  # shared infrastructure alone
    assert gh["evidence"]["reports"] == [R2]
    assert gh["confidence"] == 0.3  # one report alone is weak
    assert (gh["first_release"], gh["undated_members"]) == (None, 2)
    # The named campaign: e and g fall in two candidates, lone in none.
    assert out["named"] == [
        {
            "source": "kam193",
            "name": "stealers",
            "category": "malware",
            "members": 3,
            "candidates": sorted([cid("e", "f"), cid("g", "h")]),
            "outside_candidates": 1,
        }
    ]
    assert orjson.dumps(out) == orjson.dumps(campaigns_of(store.db))


def test_the_narrow_reads_give_the_candidates_the_whole_graph_gives(
    store: Store, tmp_path: Path
) -> None:
    """The exports' path (package ids, purls streamed, members read per candidate) against the
    report's (every package and version in memory), on the store worked by hand above."""
    _store(store, tmp_path)
    db = store.db
    everything, grouped = packages(db), read_groupings(db)
    assert family_packages(db) == family_holders(everything, grouped)
    streamed = list(package_purls(db))
    assert [p.purl for p in streamed] == sorted(n.purl for n in everything.names.values())
    assert {p.id for p in streamed} == set(everything.names)
    some = {package(db, n) for n in ("a", "b", "d", "lone")}
    assert member_facts(db, some) == facts_of(everything, some)
    assert member_facts(db, {package(db, "a")})[package(db, "a")] == (
        "npm",
        "a",
        "pkg:npm/a",
        day(1),
        day(1),
    )
    joined = join_packages(grouped, family_packages(db), ioc_sightings(db))
    ids = candidate_ids(joined, package_purls(db))
    labels = joined.labels()
    from_ids = {
        ids[min(m)]: candidate(m, labels[min(m)], member_facts(db, m)) for m in joined.groups
    }
    whole = campaigns_of(db)["candidates"]
    assert (
        sorted(from_ids)
        == sorted(c["id"] for c in whole)
        == sorted([cid("a", "b", "c", "d"), cid("e", "f"), cid("g", "h")])
    )
    assert [from_ids[c["id"]] for c in whole] == whole


def test_confidence_grows_with_independent_kinds() -> None:
    assert confidence({"reports": 1}) == 0.3
    assert confidence({"reports": 3}) == 0.5
    assert confidence({"reports": 1, "iocs": 2}) == 0.72  # 1 - 0.7 * 0.4
    # 1 - 0.5 * 0.5 * 0.6 * 0.4 = 0.94
    assert confidence({"reports": 2, "families": 1, "dependencies": 1, "iocs": 1}) == 0.94
    assert confidence({}) == 0.0


def test_candidates_on_typed_inputs() -> None:
    made = Made({n: {"1.0": day(3) if n == "c" else None} for n in ("a", "b", "c", "d", "x")})
    grouped = groupings(
        reports={"file:/tmp/in/posts.zip!blog/a.md": made.ids("a", "b")},
        families={"F-1": frozenset({made.version["b", "1.0"], made.version["c", "1.0"]})},
        edges=[made.edge("x", "x")],  # a package pulling itself in joins nothing
    )
    grouped = grouped._replace(
        campaigns=[NamedCampaign(7, "kam193", "stealers", None)],
        campaign_members={7: made.ids("a", "x")},
    )
    sightings = IocSightings(
        {
            1: StoredIoc(IocKind.DOMAIN, "cdn.example"),
            2: StoredIoc(IocKind.DOMAIN, "everywhere.example"),
        },
        {1: made.ids("d", "c"), 2: frozenset(range(1000, 1000 + COMMON_IOC + 1))},
    )
    out = campaigns(made.packages, grouped, sightings, {"blog": SiteCount(2, 5)})
    [one] = out["candidates"]
    assert one["id"] == cid("a", "b", "c", "d")
    assert one["evidence"] == {
        "reports": ["file:blog/a.md"],  # named by its place in the archive, not on disk
        "families": ["F-1"],
        "dependencies": [],
        "iocs": [{"kind": "domain", "value": "cdn.example"}],
    }
    assert (one["first_release"], one["last_release"], one["undated_members"]) == (
        day(3),
        day(3),
        3,
    )
    assert out["left_out"] == {"list_reports": 0, "common_iocs": 1}
    assert out["named"][0]["candidates"] == [one["id"]]
    assert out["named"][0]["outside_candidates"] == 1  # x
    assert out["report_sites"] == {"blog": {"sites": 2, "reports": 5}}
