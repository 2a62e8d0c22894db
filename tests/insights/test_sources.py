"""The sources section: on a tiny store (the example of test_overlap, ingested for real), and
on the same claims typed by hand, as the read model gives them."""

from __future__ import annotations

from pathlib import Path

from malgraph.core.model import ClaimView, Scope
from malgraph.core.provenance import Coverage, LabelCount
from malgraph.insights.sources import missing_rate, sources_section
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


def claim(source: str, package: int, scope: Scope, *versions: str, eco: str = "npm") -> ClaimView:
    return ClaimView(0, source, "", eco, package, f"pkg:x/{package}", scope, frozenset(versions))


X, Y, Z = 1, 2, 3
ACTIVE = [  # DOCS as the read model gives them: the active claims only
    claim("srca", X, Scope.LISTED, "1.0", "2.0"),
    claim("srca", Z, Scope.LISTED, "0.1", eco="PyPI"),
    claim("srca", X, Scope.LISTED, "1.0"),
    claim("srcb", X, Scope.LISTED, "2.0"),
    claim("srcb", Y, Scope.ALL),
    claim("srcc", Y, Scope.UNKNOWN),
    claim("srcc", X, Scope.ALL),
]


def test_sources_section_on_typed_inputs() -> None:
    labels = [LabelCount("srca", "Source A", 2), LabelCount("srca", "srca", 1)]
    coverage = [Coverage("srca", 3, 1, 2), Coverage("srcb", 2, 0, 0)]
    out = sources_section(ACTIVE, labels, coverage, withdrawn_claims=4)
    assert out["records"]["srca"] == {"PyPI": 1, "npm": 2, "*": 3}
    assert out["package_versions"]["srca"] == {"*": 3, "PyPI": 1, "npm": 2}
    assert out["versions_unknown"]["srcc"] == {"*": 2, "npm": 2}
    assert out["occurrence"] == {"1": 2, "2": 1}
    assert out["labels"] == {"srca": {"Source A": 2, "srca": 1}}
    # srca: 1 of 3 with its own code, 2 after filling; srcb: none of 2, none after.
    assert out["missing_rate"] == {
        "overall": {"records": 5, "missing": 0.8, "missing_after_filling": 0.6},
        "by_source": {
            "srca": {"records": 3, "missing": 0.6667, "missing_after_filling": 0.3333},
            "srcb": {"records": 2, "missing": 1.0, "missing_after_filling": 1.0},
        },
    }
    assert out["left_out"] == {"withdrawn_claims": 4}


def test_no_source_holds_more_package_versions_than_its_versioned_claims_name() -> None:
    out = sources_section(ACTIVE, [], [], 0)
    named: dict[str, int] = {}
    for c in ACTIVE:
        if c.scope is Scope.LISTED:
            named[c.source] = named.get(c.source, 0) + len(c.versions)
    # srca names 2 + 1 + 1 versions (4; 3 distinct), srcb 1; srcc names none.
    assert named == {"srca": 4, "srcb": 1}
    for source, per in out["package_versions"].items():
        assert per["*"] <= named[source]
    assert "srcc" not in out["package_versions"]


def test_the_read_model_gives_the_claims_by_hand(store: Store, tmp_path: Path) -> None:
    build(store, tmp_path, DOCS)
    stored = sorted((c.source, c.ecosystem, c.scope, c.versions) for c in claims(store.db))
    by_hand = sorted((c.source, c.ecosystem, c.scope, c.versions) for c in ACTIVE)
    assert stored == by_hand


def test_missing_rate_of_no_claims() -> None:
    assert missing_rate([]) == {
        "overall": {"records": 0, "missing": None, "missing_after_filling": None},
        "by_source": {},
    }
