"""The sources section on a tiny store: the example of test_overlap, ingested for real."""

from __future__ import annotations

from pathlib import Path

from malgraph.core.model import Scope
from malgraph.report.numbers import sources_numbers
from malgraph.store import Store
from malgraph.store.read.sources import claims
from tests.conftest import osv
from tests.insights.tiny_store import build, code, day, version

DOCS = [
    osv("SRCA-1", "x", versions=["1.0", "2.0"]),
    osv("SRCA-2", "z", versions=["0.1"], ecosystem="PyPI"),
    osv("SRCA-3", "x", versions=["1.0"]),  # a duplicate of part of SRCA-1
    osv("SRCB-1", "x", versions=["2.0"]),
    osv("SRCB-2", "y"),  # all versions: package-level evidence, no package-version
    osv("SRCB-3", "x", versions=["3.0"], withdrawn=day(2)),  # left out
    osv("SRCC-1", "y", versions=[]),  # unknown versions
    osv("SRCC-2", "x"),  # all versions: not stretched to x@1.0 and x@2.0, named by others
]


def test_sources_worked_by_hand(store: Store, tmp_path: Path) -> None:
    build(store, tmp_path, DOCS)
    with store.transaction() as db:
        code(db, version(db, "x", "2.0"), "c0de")  # a registry holds x@2.0's code
    out = sources_numbers(store.db)
    # Package-versions: srca {x@1.0, x@2.0, z@0.1}; srcb {x@2.0}; srcc none (names no version).
    assert out["records"] == {
        "srca": {"PyPI": 1, "npm": 2, "*": 3},
        "srcb": {"npm": 2, "*": 2},
        "srcc": {"npm": 2, "*": 2},
    }
    assert out["package_versions"] == {
        "srca": {"*": 3, "PyPI": 1, "npm": 2},
        "srcb": {"*": 1, "npm": 1},
    }
    assert out["versions_unknown"] == {"srcb": {"*": 1, "npm": 1}, "srcc": {"*": 2, "npm": 2}}
    # Never more package-versions than the versioned claims' versions: srca 2 + 1 + 1, srcb 1.
    # Shared: a-b {x@2.0} 1. Jaccard over all: 1/3; over npm (srca has 2 there): 1/2.
    everything = out["overlap"]["*"]
    assert everything["sources"] == ["srca", "srcb"]
    assert everything["shared"] == [[3, 1], [1, 1]]
    assert everything["jaccard"] == [[1.0, 0.3333], [0.3333, 1.0]]
    assert out["overlap"]["npm"]["jaccard"][0] == [1.0, 0.5]
    assert out["overlap"]["PyPI"] == {"sources": ["srca"], "shared": [[1]], "jaccard": [[1.0]]}
    # x@1.0: a; x@2.0: a, b; z@0.1: a.
    assert out["units"] == 3
    assert out["occurrence"] == {"1": 2, "2": 1}
    assert out["occurrence_share"] == {"1": 0.6667, "2": 0.3333}
    assert out["single_source_share"] == 0.6667
    # No source holds code itself; the registry's copy of x@2.0 fills SRCA-1 (of 3 claims) and
    # SRCB-1 (of 2), the claims naming x@2.0; not SRCC-2 (all versions of x): code of one
    # version is not code of the versions claimed. Overall: 2 of 7 records filled.
    assert out["missing_rate"] == {
        "overall": {"records": 7, "missing": 1.0, "missing_after_filling": 0.7143},
        "by_source": {
            "srca": {"records": 3, "missing": 1.0, "missing_after_filling": 0.6667},
            "srcb": {"records": 2, "missing": 1.0, "missing_after_filling": 0.5},
            "srcc": {"records": 2, "missing": 1.0, "missing_after_filling": 1.0},
        },
    }
    assert out["left_out"] == {"withdrawn_claims": 1}


def test_no_source_holds_more_package_versions_than_its_versioned_claims_name(
    store: Store, tmp_path: Path
) -> None:
    build(store, tmp_path, DOCS)
    out = sources_numbers(store.db)
    named: dict[str, int] = {}
    for claim in claims(store.db):
        if claim.scope is Scope.LISTED:
            named[claim.source] = named.get(claim.source, 0) + len(claim.versions)
    # srca names 2 + 1 + 1 versions (4; 3 distinct), srcb 1; srcc names none.
    assert named == {"srca": 4, "srcb": 1}
    for source, per in out["package_versions"].items():
        assert per["*"] <= named[source]
    assert "srcc" not in out["package_versions"]
