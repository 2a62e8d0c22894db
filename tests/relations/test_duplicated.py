from malgraph.core.kinds import EdgeKind
from malgraph.core.model import ClaimView, Scope
from malgraph.relations.duplicated import duplicated_edges, duplicated_edges_by_package

PURL = "pkg:npm/evil"


def claim(rid: int, source: str, scope: Scope, *versions: str) -> ClaimView:
    return ClaimView(rid, source, f"{source}-{rid}", "npm", 1, PURL, scope, frozenset(versions))


def test_same_version_from_two_sources_is_a_strong_edge_with_its_evidence() -> None:
    (edge,) = duplicated_edges(
        PURL,
        [claim(1, "ghsa", Scope.LISTED, "1.0", "2.0"), claim(2, "rl", Scope.LISTED, "2.0", "3.0")],
    )
    assert edge.kind == EdgeKind.DUPLICATED and edge.confidence == 1.0
    assert (edge.src, edge.dst) == (("record", 1), ("record", 2))
    assert edge.evidence == {
        "key": PURL,
        "versions": ["2.0"],
        "a": {"source": "ghsa", "id": "ghsa-1"},
        "b": {"source": "rl", "id": "rl-2"},
    }


def test_all_or_unknown_versions_give_the_weaker_kind() -> None:
    claims = [
        claim(1, "ghsa", Scope.ALL),
        claim(2, "rl", Scope.LISTED, "1.0"),
        claim(3, "cx", Scope.UNKNOWN),
    ]
    edges = duplicated_edges(PURL, claims)
    assert {e.kind for e in edges} == {EdgeKind.DUPLICATED_PACKAGE}
    assert len(edges) == 3
    assert all(e.confidence < 1.0 for e in edges)
    # Ordered by source name: cx, ghsa, rl.
    assert [e.evidence["scopes"] for e in edges] == [
        ["unknown", "all"],
        ["unknown", "listed"],
        ["all", "listed"],
    ]


def test_no_edge_within_a_source_or_between_different_versions() -> None:
    assert (
        duplicated_edges(
            PURL, [claim(1, "rl", Scope.LISTED, "1.0"), claim(2, "rl", Scope.LISTED, "1.0")]
        )
        == []
    )
    assert (
        duplicated_edges(
            PURL, [claim(1, "rl", Scope.LISTED, "1.0"), claim(2, "ghsa", Scope.LISTED, "2.0")]
        )
        == []
    )


def test_edges_do_not_depend_on_input_order() -> None:
    claims = [claim(i, s, Scope.LISTED, "1.0") for i, s in enumerate(["c", "a", "b", "a"], 1)]
    assert duplicated_edges(PURL, claims) == duplicated_edges(PURL, list(reversed(claims)))
    assert len(duplicated_edges(PURL, claims)) == 5  # a1,a2 x b, a1,a2 x c, b x c


def test_claims_of_several_packages_are_related_package_by_package() -> None:
    other = "pkg:npm/other"
    claims = [
        ClaimView(5, "rl", "rl-5", "npm", 2, other, Scope.LISTED, frozenset({"1.0"})),
        claim(1, "ghsa", Scope.LISTED, "1.0"),
        ClaimView(4, "ghsa", "ghsa-4", "npm", 2, other, Scope.LISTED, frozenset({"1.0"})),
        claim(2, "rl", Scope.LISTED, "1.0"),
    ]
    edges = duplicated_edges_by_package(claims)
    # Package 1 first; never a pair across packages.
    assert [(e.src[1], e.dst[1], e.evidence["key"]) for e in edges] == [
        (1, 2, PURL),
        (4, 5, other),
    ]
    assert [e.src[1] for e in duplicated_edges_by_package(claims, new={5})] == [4]
