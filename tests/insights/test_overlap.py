from malgraph.core.kinds import CountLevel
from malgraph.core.model import ClaimView, Scope
from malgraph.insights.overlap import source_overlap


def facts(source: str, package: int, scope: Scope, *versions: str, eco: str = "npm") -> ClaimView:
    return ClaimView(0, source, "", eco, package, f"pkg:x/{package}", scope, frozenset(versions))


CLAIMS = [
    facts("A", 1, Scope.LISTED, "1.0", "2.0"),
    facts("B", 1, Scope.LISTED, "2.0"),
    facts("B", 2, Scope.ALL),  # names no version: package-level evidence only
    facts("C", 2, Scope.UNKNOWN),
    facts("C", 1, Scope.ALL),  # not stretched to 1.0 and 2.0, the versions A and B name
    facts("A", 3, Scope.LISTED, "0.1", eco="PyPI"),
]


def pair(result: dict, a: str, b: str, eco: str) -> dict:  # type: ignore[type-arg]
    return next(p for p in result["overlap"] if (p["a"], p["b"], p["ecosystem"]) == (a, b, eco))


def test_overlap_worked_by_hand() -> None:
    result = source_overlap(CLAIMS)
    # Only listed claims hold package-versions: A = {1@1.0, 1@2.0, 3@0.1}; B = {1@2.0};
    # C names no version, so it holds none and shares none at version level.
    assert result["units"] == 3
    assert result["by_source"] == {"A": {"PyPI": 1, "npm": 1}, "B": {"npm": 2}, "C": {"npm": 2}}
    assert result["versions_unknown"] == {"B": {"npm": 1}, "C": {"npm": 2}}
    ab = pair(result, "A", "B", "*")
    # shared {1@2.0}; Jaccard 1 / |{1@1.0, 1@2.0, 3@0.1}| = 1/3; overlap 1 / min(3, 1) = 1.
    assert (ab["shared"], ab["jaccard"], ab["overlap_coefficient"]) == (1, 0.3333, 1.0)
    assert pair(result, "A", "B", "npm")["jaccard"] == 0.5  # 1 / |{1@1.0, 1@2.0}|
    assert not [p for p in result["overlap"] if "C" in (p["a"], p["b"])]
    # PyPI: only A has anything, so no PyPI pair is listed.
    assert not [p for p in result["overlap"] if p["ecosystem"] == "PyPI"]
    # 1@1.0: A; 1@2.0: A, B; 3@0.1: A.
    assert result["occurrence"] == {"1": 2, "2": 1}
    assert result["single_source_share"] == 0.6667


def test_name_only_claim_matches_at_package_level_only() -> None:
    claims = [facts("A", 1, Scope.LISTED, "1.0"), facts("B", 1, Scope.UNKNOWN)]
    by_version = source_overlap(claims)
    assert by_version["overlap"] == [] and by_version["occurrence"] == {"1": 1}
    by_package = source_overlap(claims, level=CountLevel.PACKAGE)
    assert pair(by_package, "A", "B", "*")["shared"] == 1
    assert by_package["occurrence"] == {"2": 1} and by_package["versions_unknown"] == {}


def test_a_listed_claim_without_versions_names_none() -> None:
    result = source_overlap([facts("A", 1, Scope.LISTED), facts("A", 2, Scope.RANGE, "0.1")])
    # A range's versions are examples, not the versions claimed: neither holds a unit.
    assert result["units"] == 0 and result["single_source_share"] is None
    assert result["versions_unknown"] == {"A": {"npm": 2}}


def test_package_level() -> None:
    # Package level sees every claim: 1: A, B, C; 2: B, C; 3: A.
    result = source_overlap(CLAIMS, level="package")
    assert result["units"] == 3
    assert result["occurrence"] == {"1": 1, "3": 1, "2": 1}
    assert pair(result, "A", "B", "*")["shared"] == 1
    assert pair(result, "A", "C", "*")["shared"] == 1
