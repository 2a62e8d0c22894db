"""Life cycle on a tiny store, every number worked out by hand below."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from malgraph.core.graph import CoveringClaim, Detection, LifecycleDates
from malgraph.insights.lifecycle import lifecycle
from malgraph.insights.measures import ecdf_values, summary
from malgraph.store import Store
from tests.conftest import osv
from tests.insights.tiny_store import (
    build,
    day,
    lifecycle_of,
    package,
    released,
    removed,
    report,
    version,
)


def claim(
    ident: str, name: str, seen: float, versions: list[str] | None, **extra: Any
) -> dict[str, Any]:
    return osv(ident, name, versions=versions, published=day(seen), modified=day(seen), **extra)


# Version  eco   release  detections (source: day)           first        removal
# A1 alpha@1.0.0  npm  d1   srca d2, srcb d2                 d2 (tie)     -
# A2 alpha@1.1.0  npm  d4   srca d4                          d4           -
# A3 alpha@1.2.0  npm  d10  srcb d30, sampler d12            d12 sampler  registry d40 (and d45)
# B1 beta@0.1     PyPI d40  srcb d35                         d35          -
# G1 gamma@1.0.0  npm  -    srca d6, report:blog.example d3  d3 report    claim's own date d8
# D2 delta@2.0.0  npm  d6   srca d7 (claims all versions), srcb d9   d7   -
# H1 eta@1.0.0    npm  -    (its claim's dates cleared)      -            -
# E1 eps@1.0.0: only a withdrawn claim covers it, so it is not counted.
DOCS = [
    claim("SRCA-1", "alpha", 2, ["1.0.0"]),
    claim("SRCB-1", "alpha", 2, ["1.0.0"]),
    claim("SRCA-2", "alpha", 4, ["1.1.0"]),
    claim("SRCB-2", "alpha", 30, ["1.2.0"]),
    claim("SRCB-3", "beta", 35, ["0.1"], ecosystem="PyPI"),
    claim(
        "SRCA-3",
        "gamma",
        6,
        ["1.0.0"],
        references=[{"type": "ARTICLE", "url": "https://blog.example/gamma"}],
    ),
    claim("SRCA-4", "delta", 7, None),
    claim("SRCB-4", "delta", 9, ["2.0.0"]),
    claim("SRCC-1", "eta", 1, ["1.0.0"]),
    claim("SRCA-5", "eps", 1, ["1.0.0"], withdrawn=day(3)),
]


def _store(store: Store, tmp_path: Path) -> None:
    build(store, tmp_path, DOCS)
    with store.transaction() as db:
        for name, number, when in [
            ("alpha", "1.0.0", 1),
            ("alpha", "1.1.0", 4),
            ("alpha", "1.2.0", 10),
            ("delta", "2.0.0", 6),
        ]:
            released(db, version(db, name, number), day(when))
        released(db, version(db, "beta", "0.1", "PyPI"), day(40))
        a3 = version(db, "alpha", "1.2.0")
        removed(db, a3, day(45))
        removed(db, a3, day(40))
        db.execute("INSERT INTO sources(name, kind) VALUES ('sampler', 'feed')")
        db.execute(
            "INSERT INTO artifacts(package_version_id, source_id, sha256, location, kind,"
            " detected) SELECT ?, id, 'f00d', 'sample.zip', 'sample', ? FROM sources"
            " WHERE name = 'sampler'",
            (a3, day(12)),
        )
        db.execute(
            "UPDATE reports SET published = ? WHERE url = ?", (day(3), "https://blog.example/gamma")
        )
        db.execute("UPDATE records SET removed = ? WHERE source_record_id = 'SRCA-3'", (day(8),))
        db.execute(
            "UPDATE records SET published = NULL, modified = NULL WHERE source_record_id = 'SRCC-1'"
        )
        # A report with no date names alpha: it dates nothing.
        report(db, "https://undated.example/x", [package(db, "alpha")], None)


def test_lifecycle_worked_by_hand(store: Store, tmp_path: Path) -> None:
    _store(store, tmp_path)
    out = lifecycle_of(store.db)
    assert out["package_versions"] == 7  # A1 A2 A3 B1 G1 D2 H1
    assert out["not_covered"] == 1  # E1
    assert (out["with_release"], out["with_detection"], out["with_removal"]) == (5, 6, 2)

    # Release -> detection: A1 1, A2 0, A3 12-10=2, B1 35-40=-5, D2 7-6=1; G1 and H1 have no
    # release. Sorted [-5, 0, 1, 1, 2]: p25 at rank 1 = 0, median 1, p75 1,
    # p90 at rank 3.6 = 1 + 0.6 * (2 - 1) = 1.6, mean -1/5 = -0.2.
    rd = out["release_to_detection"]
    assert rd["values"] == [-5.0, 0.0, 1.0, 1.0, 2.0]
    assert (rd["total"], rd["sampled"], rd["negative"]) == (5, False, 1)
    assert rd["summary"] == {
        "count": 5,
        "min": -5.0,
        "p25": 0.0,
        "median": 1.0,
        "p75": 1.0,
        "p90": 1.6,
        "max": 2.0,
        "mean": -0.2,
    }
    assert rd["left_out"] == {"no_release": 2}
    # Detection -> removal: A3 40-12 = 28 (the earlier removal seen), G1 8-3 = 5.
    dr = out["detection_to_removal"]
    assert dr["values"] == [5.0, 28.0]
    assert dr["left_out"] == {"no_removal": 5}
    # Exposure: to removal for A3 (40-10 = 30), else to detection: A1 1, A2 0, B1 -5, D2 1.
    ex = out["exposure"]
    assert ex["values"] == [-5.0, 0.0, 1.0, 1.0, 30.0]
    assert (ex["summary"]["median"], ex["negative"], ex["left_out"]) == (1.0, 1, {"no_release": 2})

    npm, pypi = out["by_ecosystem"]["npm"], out["by_ecosystem"]["PyPI"]
    assert npm["release_to_detection"]["values"] == [0.0, 1.0, 1.0, 2.0]
    assert npm["release_to_detection"]["summary"]["mean"] == 1.0
    assert pypi["release_to_detection"]["values"] == [-5.0]
    assert pypi["detection_to_removal"]["left_out"] == {"no_removal": 1}

    # srca dated A1 d2, A2 d4, G1 d6, D2 d7 (its all-versions claim): first on A1 (tied with
    # srcb: half each), A2 and D2; its delays A1 1, A2 0, D2 1 -> median 1.
    # srcb dated A1 d2, A3 d30, B1 d35, D2 d9: first on A1 (tied) and B1; delays 1, 20, -5, 3
    # -> sorted [-5, 1, 3, 20], median 2.
    assert out["by_source"] == {
        "report:blog.example": {
            "detected": 1,
            "first": 1.0,
            "first_alone": 1,
            "first_tied": 0,
            "delays": 0,
            "median_delay_days": None,
            "negative_delays": 0,
        },
        "sampler": {
            "detected": 1,
            "first": 1.0,
            "first_alone": 1,
            "first_tied": 0,
            "delays": 1,
            "median_delay_days": 2.0,
            "negative_delays": 0,
        },
        "srca": {
            "detected": 4,
            "first": 2.5,
            "first_alone": 2,
            "first_tied": 1,
            "delays": 3,
            "median_delay_days": 1.0,
            "negative_delays": 0,
        },
        "srcb": {
            "detected": 4,
            "first": 1.5,
            "first_alone": 1,
            "first_tied": 1,
            "delays": 4,
            "median_delay_days": 2.0,
            "negative_delays": 1,
        },
    }

    # New per month by the earlier of release and detection: A1 d1, A2 d4, A3 d10, G1 d3,
    # D2 d6 in January; B1 d35 = 5 February; H1 has neither.
    assert out["monthly"] == {
        "by_ecosystem": {"PyPI": {"2024-02": 1}, "npm": {"2024-01": 5}},
        "left_out_undated": 1,
    }
    # JSON-able and the same on a second run.
    assert orjson.dumps(out) == orjson.dumps(lifecycle_of(store.db))


def test_ecdf_values_are_capped_by_even_ranks() -> None:
    # 10 values, cap 4: ranks 0, 9/3 = 3, 6, 9.
    assert ecdf_values([9, 8, 7, 6, 5, 4, 3, 2, 1, 0], cap=4) == {
        "total": 10,
        "sampled": True,
        "values": [0, 3, 6, 9],
    }
    assert ecdf_values([2.0, 1.0], cap=4) == {"total": 2, "sampled": False, "values": [1.0, 2.0]}
    # Three releases on days 1, 4, 10 detected on days 2, 4, 30: delays 1, 0, 20; median 1.
    assert summary([1, 0, 20])["median"] == 1
    assert summary([])["median"] is None


def test_delays_on_typed_dates() -> None:
    # 1: released d0, claimed d10 by srca and d12 by srcb, a sample dates it d5, removed d20
    # by a registry and d25 by the claim. 2: claimed, nothing else. 3: only detected by a
    # sample: no claim covers it, so it is not counted.
    dates = LifecycleDates(
        claims=[
            CoveringClaim(1, "srca", day(10), day(25)),
            CoveringClaim(1, "srcb", day(12), None),
            CoveringClaim(2, "srca", None, None),
        ],
        detections=[Detection(1, "sampler", day(5)), Detection(3, "sampler", day(1))],
        removals={1: day(20), 3: day(2)},
        released={1: day(0), 3: day(0)},
        ecosystem={1: "npm", 2: "PyPI", 3: "npm"},
        package_versions=4,
    )
    out = lifecycle(dates)
    assert (out["package_versions"], out["not_covered"]) == (2, 2)
    assert (out["with_release"], out["with_detection"], out["with_removal"]) == (1, 1, 1)
    assert out["release_to_detection"]["values"] == [5.0]  # the sample was first
    assert out["detection_to_removal"]["values"] == [15.0]
    assert out["exposure"]["values"] == [20.0]
    assert out["release_to_detection"]["left_out"] == {"no_release": 1}
    assert out["by_source"]["sampler"]["first_alone"] == 1
    assert out["by_source"]["srca"] == {
        "detected": 1,
        "first": 0,
        "first_alone": 0,
        "first_tied": 0,
        "delays": 1,
        "median_delay_days": 10.0,
        "negative_delays": 0,
    }
    assert out["monthly"] == {"by_ecosystem": {"npm": {"2024-01": 1}}, "left_out_undated": 1}
