from malgraph.insights.overlap import source_overlap
from malgraph.model import ClaimView, Scope


def facts(source: str, package: int, scope: Scope, *versions: str, eco: str = "npm") -> ClaimView:
    return ClaimView(0, source, "", eco, package, f"pkg:x/{package}", scope, frozenset(versions))


CLAIMS = [
    facts("A", 1, Scope.LISTED, "1.0", "2.0"),
    facts("B", 1, Scope.LISTED, "2.0"),
    facts("B", 2, Scope.ALL),  # no source names a version of package 2: one unit "2@*"
    facts("C", 2, Scope.UNKNOWN),
    facts("C", 1, Scope.ALL),  # covers 1.0 and 2.0, the versions other sources name
    facts("A", 3, Scope.LISTED, "0.1", eco="PyPI"),
]


def pair(result: dict, a: str, b: str, eco: str) -> dict:  # type: ignore[type-arg]
    return next(p for p in result["overlap"] if (p["a"], p["b"], p["ecosystem"]) == (a, b, eco))


def test_overlap_worked_by_hand() -> None:
    result = source_overlap(CLAIMS)
    # Units: A = {1@1.0, 1@2.0, 3@0.1}; B = {1@2.0, 2@*}; C = {1@1.0, 1@2.0, 2@*}.
    assert result["units"] == 4
    assert result["by_source"] == {"A": {"PyPI": 1, "npm": 1}, "B": {"npm": 2}, "C": {"npm": 2}}
    ab = pair(result, "A", "B", "*")
    assert (ab["shared"], ab["jaccard"], ab["overlap_coefficient"]) == (1, 0.25, 0.5)
    ac = pair(result, "A", "C", "npm")
    assert (ac["shared"], ac["jaccard"], ac["overlap_coefficient"]) == (2, 0.6667, 1.0)
    bc = pair(result, "B", "C", "*")
    assert (bc["shared"], bc["jaccard"], bc["overlap_coefficient"]) == (2, 0.6667, 1.0)
    # PyPI: only A has anything, so no PyPI pair is listed.
    assert not [p for p in result["overlap"] if p["ecosystem"] == "PyPI"]
    # 1@1.0: A, C; 1@2.0: A, B, C; 2@*: B, C; 3@0.1: A.
    assert result["occurrence"] == {"1": 1, "2": 2, "3": 1}


def test_package_level() -> None:
    result = source_overlap(CLAIMS, level="package")
    assert result["units"] == 3
    assert result["occurrence"] == {"1": 1, "3": 1, "2": 1}
    assert pair(result, "A", "B", "*")["shared"] == 1
