"""Evolution inside family, dependency and co-report groups on a tiny store, worked by hand."""

from __future__ import annotations

from pathlib import Path

import orjson

from malgraph.core.graph import ChangeFacts
from malgraph.core.kinds import GroupKind
from malgraph.insights.evolution import evolution
from malgraph.store import Store
from tests.conftest import osv
from tests.insights.tiny_store import (
    build,
    campaign,
    code,
    day,
    dependency_of,
    depends_on,
    evolution_of,
    family,
    many_packages,
    package,
    released,
    report,
    version,
)
from tests.insights.typed import Made, groupings

BLOG = "https://blog.example/r1"
DOCS = [
    osv("SRCA-1", "p1", versions=["1.0"], references=[{"type": "ARTICLE", "url": BLOG}]),
    osv("SRCA-2", "p2", versions=["1.0"]),
    osv("SRCA-3", "p2", versions=["1.1"]),
    osv(
        "SRCA-4",
        "p3",
        versions=["1.0"],
        references=[{"type": "ARTICLE", "url": "https://blog.example/r2"}],
    ),
    osv("SRCA-5", "q1", versions=["1.0"], references=[{"type": "ARTICLE", "url": BLOG}]),
    osv("SRCA-6", "q2", versions=["1.0"]),
    osv("SRCA-7", "r1", versions=["1.0"]),
    osv("SRCA-8", "r2", versions=["1.0"]),
]


def _store(store: Store, tmp_path: Path) -> dict[str, int]:
    build(store, tmp_path, DOCS)
    with store.transaction() as db:
        v = {
            f"{n}@{x}": version(db, n, x)
            for n, x in [
                ("p1", "1.0"),
                ("p2", "1.0"),
                ("p2", "1.1"),
                ("p3", "1.0"),
                ("q1", "1.0"),
                ("q2", "1.0"),
                ("r1", "1.0"),
                ("r2", "1.0"),
            ]
        }
        for key, when in [("p1@1.0", 1), ("p2@1.0", 2), ("p2@1.1", 3), ("q1@1.0", 5)]:
            released(db, v[key], day(when))
        # p1 and p2@1.0: the same normalised code in different archives, the same description
        # but for spacing, different dependencies. p2@1.1: new code, no manifest at all.
        code(
            db,
            v["p1@1.0"],
            "aa",
            tokens="I = S",
            descriptions=("hello world",),
            dependencies=("lodash",),
        )
        code(
            db,
            v["p2@1.0"],
            "bb",
            tokens="I = S",
            descriptions=("hello  world",),
            dependencies=("lodash", "axios"),
        )
        code(db, v["p2@1.1"], "cc", tokens="I ( S )")
        # What records say, for versions without a manifest: p2@1.1 another description; q1
        # the same description and dependencies as p1's code (written with a version spec).
        db.execute("UPDATE records SET description = 'other' WHERE source_record_id = 'SRCA-3'")
        db.execute(
            "UPDATE records SET description = 'hello world', dependencies = ?"
            " WHERE source_record_id = 'SRCA-5'",
            ('["Lodash>=4"]',),
        )
        family(db, "F-0000000001", [v["p1@1.0"], v["p2@1.0"], v["p2@1.1"], v["p3@1.0"]])
        family(db, "F-0000000002", [v["q1@1.0"], v["q2@1.0"]])
        family(db, "F-0000000003", [v["r1@1.0"], v["r2@1.0"]])
        depends_on(db, "package_version", v["p2@1.0"], package(db, "p1"))
        depends_on(db, "package", package(db, "q1"), package(db, "q2"))
        # BLOG is cited by p1 and q1 and names r1 in its text; a campaign holds the same
        # three; another holds p2 alone; a list names 201 packages.
        blog = int(db.execute("SELECT id FROM reports WHERE url = ?", (BLOG,)).fetchone()[0])
        db.execute(
            "INSERT INTO report_mentions VALUES (?, ?, 0, 'r1', 'r1', 'test')",
            (blog, package(db, "r1")),
        )
        campaign(db, "same-three", [package(db, n) for n in ("p1", "q1", "r1")])
        campaign(db, "solo", [package(db, "p2")])
        listed = many_packages(db, 201)
        report(db, "https://list.example/all", listed, day(9))
        depends_on(db, "package", package(db, "r2"), listed[0])  # list-0 has no version
    return v


def test_families(store: Store, tmp_path: Path) -> None:
    _store(store, tmp_path)
    fam = evolution_of(store.db)["family"]
    # F-1 in release order: p1@1.0 (d1), p2@1.0 (d2), p2@1.1 (d3); p3@1.0 has no release.
    # Steps: p1 -> p2@1.0 a name change (code: same token stream; description: same once
    # spaces collapse; dependencies {lodash} vs {axios, lodash}: changed), p2@1.0 -> p2@1.1 a
    # version change (code changed; description 'hello world' vs 'other' from the record:
    # changed; dependencies unknown: p2@1.1 has code but no manifest, and no record says).
    # F-2: only q1 dated (0 days). F-3: nothing dated, left out of active time.
    assert (fam["groups"], fam["members"], fam["undated_members"]) == (3, 8, 4)
    assert (fam["steps"], fam["groups_without_steps"]) == (2, 2)
    assert fam["name_change"] == {"count": 1, "share": 0.5}
    assert fam["version_change"] == {"count": 1, "share": 0.5}
    every = fam["changes"]["all"]
    assert every["code"] == {"changed": 1, "unchanged": 1, "unknown": 0, "share_changed": 0.5}
    assert every["description"] == {
        "changed": 1,
        "unchanged": 1,
        "unknown": 0,
        "share_changed": 0.5,
    }
    assert every["dependencies"] == {
        "changed": 1,
        "unchanged": 0,
        "unknown": 1,
        "share_changed": 1.0,
    }
    renamed = fam["changes"]["name_change"]
    assert (renamed["code"]["unchanged"], renamed["dependencies"]["changed"]) == (1, 1)
    assert fam["changes"]["version_change"]["code"]["changed"] == 1
    active = fam["active_time"]
    assert active["values"] == [0.0, 2.0]  # F-2: 0; F-1: d3 - d1
    assert (active["single_dated_member"], active["left_out_undated_groups"]) == (1, 1)
    assert [g["key"] for g in fam["largest"]] == ["F-0000000001", "F-0000000002", "F-0000000003"]
    assert fam["largest"][0]["first_release"] == day(1)
    assert fam["left_out"] == {}


def test_dependency_groups_match_the_dependency_numbers(store: Store, tmp_path: Path) -> None:
    _store(store, tmp_path)
    dep = evolution_of(store.db)["dependency"]
    # {p1, p2}: all their versions, p1@1.0 d1, p2@1.0 d2, p2@1.1 d3 -> the two F-1 steps
    # again; {q1, q2}: q1@1.0 alone is dated; {list-0, r2}: r2@1.0 undated, list-0 has no
    # version at all.
    assert (dep["groups"], dep["members"], dep["undated_members"], dep["steps"]) == (3, 6, 2, 2)
    # Largest first by member versions: 3, 2, 1.
    assert [g["key"] for g in dep["largest"]] == [
        "dependency:pkg:npm/p1",
        "dependency:pkg:npm/q1",
        "dependency:pkg:npm/list-0",
    ]
    assert dep["left_out"] == {"packages_without_versions": 1}
    assert dep["active_time"]["values"] == [0.0, 2.0]
    assert dep["active_time"]["left_out_undated_groups"] == 1
    numbers = dependency_of(store.db)["groups"]
    dated = sorted(g["active_days"] for g in numbers if g["active_days"] is not None)
    assert dep["active_time"]["values"] == dated


def test_coreport_groups(store: Store, tmp_path: Path) -> None:
    _store(store, tmp_path)
    co = evolution_of(store.db)["coreport"]
    # BLOG names p1, q1, r1; the campaign 'same-three' the same packages (counted once, under
    # the key that sorts first); .../r2 names p3 alone, 'solo' holds one package,
    # the list 201: all left out. Versions p1@1.0 d1, q1@1.0 d5, r1@1.0 undated: one step,
    # a name change; q1 has no code (unknown), its record gives p1's description and
    # dependencies ('Lodash>=4' is lodash).
    assert co["left_out"] == {"duplicate_groups": 1, "list_reports": 1, "single_package": 2}
    assert (co["groups"], co["members"], co["undated_members"], co["steps"]) == (1, 3, 1, 1)
    assert co["largest"][0]["key"] == "campaign:kam193/same-three"
    assert co["name_change"] == {"count": 1, "share": 1.0}
    step = co["changes"]["all"]
    assert (
        step["code"]["unknown"],
        step["description"]["unchanged"],
        step["dependencies"]["unchanged"],
    ) == (1, 1, 1)
    assert co["active_time"]["values"] == [4.0]
    assert orjson.dumps(evolution_of(store.db)) == orjson.dumps(evolution_of(store.db))


def _no_code() -> ChangeFacts:
    return ChangeFacts({}, {}, [])


def test_steps_on_typed_inputs() -> None:
    made = Made(
        {
            "old": {"1.0": day(1), "1.1": day(2)},
            "new": {"1.0": day(4)},
            "late": {"1.0": None},
        }
    )
    family = frozenset(made.version[n] for n in [("old", "1.0"), ("old", "1.1"), ("new", "1.0")])
    out = evolution(
        made.packages,
        groupings(
            families={"F-1": family},
            reports={
                "https://a.example": made.ids("old", "late"),
                "https://b.example": made.ids("new"),
            },
        ),
        _no_code(),
    )
    assert list(out)[:3] == [kind.value for kind in GroupKind]
    fam = out[GroupKind.FAMILY]
    assert (fam["steps"], fam["name_change"]["count"], fam["version_change"]["count"]) == (2, 1, 1)
    assert fam["changes"]["all"]["code"]["unknown"] == 2  # no code known: never a guess
    assert fam["active_time"]["values"] == [3.0]
    co = out[GroupKind.COREPORT]
    # a.example: old's two versions dated, late's undated; b.example names one package.
    assert (co["groups"], co["members"], co["undated_members"], co["steps"]) == (1, 3, 1, 1)
    assert co["left_out"] == {"single_package": 1}
    assert co["largest"][0]["key"] == "report:https://a.example"
    assert out[GroupKind.DEPENDENCY]["groups"] == 0
