"""Agreement with the paper's graph, worked out by hand: the pair measures on two small
partitions, then every kind on a tiny store holding the paper's labelling beside malgraph's
own claims, code, families, report links and depends-on edges; and the comparison alone on a
labelling and malgraph's facts typed by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from malgraph.core.kinds import LabelKind, MemberRole
from malgraph.core.provenance import CodeFacts, Group, LabelFacts, Member
from malgraph.insights.paper_agreement import agreement, pair_agreement
from malgraph.insights.paper_labels import questions
from malgraph.pipeline.ingest import ingest
from malgraph.report.numbers import paper_agreement_numbers
from malgraph.store import Store
from tests.insights.tiny_store import code, depends_on, family, package, version
from tests.sources.paper_graph_shapes import write_kg

CLAIMS = """ecosystem,name,version,source,url
npm,a,1.0.0,s1,https://blog.example.com/evil-campaign
npm,b,1.0.0,s1,
npm,c,2.0,s1,
npm,d,1.0.0,s1,
npm,evil-dep,,s1,
RubyGems,coming_soon,0.2.4,s1,
RubyGems,coming_soon,0.2.4,s2,
"""


def test_pair_measures_by_hand() -> None:
    # Paper {a b c}{d}; malgraph {a b}{c alone}{d alone}... on a, b, c, d.
    paper = {"a": "0", "b": "0", "c": "0", "d": "1", "e": "1"}
    ours: dict[str, str | None] = {"a": "F", "b": "F", "c": None, "d": None}
    found = pair_agreement(paper, ours)
    # Paper pairs ab ac bc = 3; malgraph pairs ab = 1; shared ab = 1; C(4,2) = 6 pairs in all,
    # chance 3 * 1 / 6 = 0.5 shared: ARI = (1 - 0.5) / ((3 + 1) / 2 - 0.5) = 1/3.
    assert found == {
        "compared": 4,
        "paper_pairs": 3,
        "malgraph_pairs": 1,
        "shared_pairs": 1,
        "pair_precision": 1.0,
        "pair_recall": 0.3333,
        "adjusted_rand": 0.3333,
    }
    same = pair_agreement({"a": "0", "b": "0", "c": "1"}, {"a": "X", "b": "X", "c": "Y"})
    assert (same["pair_precision"], same["pair_recall"], same["adjusted_rand"]) == (1.0, 1.0, 1.0)
    # Every item alone on both sides: no pair to count, no index to give.
    alone = pair_agreement({"a": "0", "b": "1"}, {"a": None, "b": None})
    assert (alone["pair_precision"], alone["pair_recall"], alone["adjusted_rand"]) == (
        None,
        None,
        None,
    )


@pytest.fixture
def tiny(store: Store, tmp_path: Path) -> Store:
    assert ingest(store, "paper", [str(write_kg(tmp_path))], workers=1).ok
    (tmp_path / "claims.csv").write_text(CLAIMS)
    assert ingest(store, "list", [str(tmp_path / "claims.csv")], workers=1).ok
    db = store.db
    for name in ("a", "b", "d"):
        code(db, version(db, name, "1.0.0"), f"sha-{name}")
    code(db, version(db, "c", "2.0"), "sha-c")
    family(db, "F-1", [version(db, "a", "1.0.0"), version(db, "b", "1.0.0")])
    (report,) = db.execute(
        "SELECT id FROM reports WHERE url_key = ?", ("blog.example.com/evil-campaign",)
    ).fetchone()
    db.execute(
        "INSERT INTO report_mentions VALUES (?, ?, 0, 'd', 'd', 'test')", (report, package(db, "d"))
    )
    depends_on(db, "package_version", version(db, "a", "1.0.0"), package(db, "evil-dep"))
    depends_on(db, "package", package(db, "b"), package(db, "a"))
    depends_on(db, "package", package(db, "c"), package(db, "evil-dep"))
    return store


def test_every_kind_on_a_tiny_store(tiny: Store) -> None:
    found = paper_agreement_numbers(tiny.db)
    assert found["kinds"] == {
        "co-existing": {"groups": 3, "members": 6, "files": 4},  # phylum's twice: once
        "dependency": {"groups": 2, "members": 5, "files": 3},
        "depends-on": {"groups": 3, "members": 5, "files": 3},
        "duplicated": {"groups": 1, "members": 1, "files": 1},
        "similar": {"groups": 2, "members": 5, "files": 1},
        "similar-run": {"groups": 1, "members": 2, "files": 1},
    }
    # Clusters {a b c}{d e}; e unknown to malgraph; a, b, c, d with code; family {a b}.
    assert found["similar"] == {
        "paper_members": 5,
        "paper_clusters": 2,
        "not_in_malgraph": 1,
        "no_code": 0,
        "with_code": 4,
        "with_code_no_family": 2,
        "families_met": 1,
        "compared": 4,
        "paper_pairs": 3,
        "malgraph_pairs": 1,
        "shared_pairs": 1,
        "pair_precision": 1.0,
        "pair_recall": 0.3333,
        "adjusted_rand": 0.3333,
        "also_in_another_cluster": 0,
    }
    # coming_soon 0.2.4 is claimed (no code), 0.2.3 is not.
    run = found["similar-run"]
    assert (run["paper_members"], run["not_in_malgraph"], run["no_code"], run["compared"]) == (
        2,
        1,
        1,
        0,
    )
    # Paper links: campaign -> a, b; gems -> coming-soon, rest-client; phylum -> 2 gems.
    # malgraph's for the campaign: a (its record cites it), d (the text names it). The gems
    # report is in the store too (the crawler's results are report links) but with no link of
    # malgraph's own: the paper's lists are never compared with themselves.
    assert found["co-existing"] == {
        "paper_reports": 3,
        "reports_in_malgraph": 2,
        "paper_links": 6,
        "links_to_known_packages": 2,
        "malgraph_links": 2,
        "shared_links": 1,
        "share_of_paper_links": 0.1667,
        "share_of_malgraph_links": 0.5,
    }
    # Paper pairs x->y, a->evil-dep, b->evil-dep; malgraph a->evil-dep, b->a, c->evil-dep
    # (c is in none of the paper's dependency graphs).
    assert found["dependency"] == {
        "paper_pairs": 3,
        "pairs_both_known": 2,
        "shared_pairs": 1,
        "share_of_paper_pairs": 0.3333,
        "malgraph_pairs_among_paper_packages": 2,
        "share_of_malgraph_pairs": 0.5,
    }
    assert found["duplicated"] == {
        "paper_groups": 1,
        "left_out_without_version": 0,
        "held_by_malgraph": 1,
        "held_by_several_sources": 1,
        "share_held_by_several_sources": 1.0,
    }


def test_without_the_papers_labelling_nothing_is_compared(store: Store) -> None:
    found = paper_agreement_numbers(store.db)
    assert found["kinds"] == {} and found["filled_by"] == "malgraph ingest paper OSS-MPAW/KG"
    assert found["similar"]["paper_members"] == 0 and found["co-existing"]["paper_links"] == 0


def member(
    name: str, version: str | None = "1.0.0", role: MemberRole = MemberRole.MEMBER
) -> Member:
    return Member("npm", name, version, role)


def v(name: str) -> tuple[str, str, str]:
    return ("npm", name, "1.0.0")


GROUPS = [
    Group(LabelKind.SIMILAR, "c1", "f1", frozenset(member(n) for n in "abc")),
    Group(LabelKind.SIMILAR, "c2", "f1", frozenset(member(n) for n in "de")),
    Group(LabelKind.SIMILAR, "c1", "f2", frozenset(member(n) for n in "abc")),  # published again
    Group(LabelKind.COEXISTING, "r1", "f3", frozenset(member(n, None) for n in "ab")),
    Group(
        LabelKind.DEPENDS_ON,
        "a -> x",
        "f4",
        frozenset({member("a", None, MemberRole.FROM), member("x", None, MemberRole.TO)}),
    ),
    Group(LabelKind.DUPLICATED, "a", "f5", frozenset({member("a")})),
]
HELD = LabelFacts(
    code={
        **{v(n): CodeFacts(True, True, "F" if n in "ab" else None) for n in "abcd"},
        v("e"): CodeFacts(False, False, None),
    },
    links={"r1": frozenset({("npm", "a"), ("npm", "d")})},
    pairs=frozenset({(("npm", "a"), ("npm", "x")), (("npm", "b"), ("npm", "a"))}),
    sources={v("a"): 2},
    known=frozenset(("npm", n) for n in "abcd"),
)


def test_what_the_agreement_asks_of_malgraph() -> None:
    asked = questions(GROUPS)
    assert asked.clustered == {v(n) for n in "abcde"}
    assert asked.duplicated == {v("a")}
    assert asked.packages == {("npm", n) for n in "abcdex"}
    assert asked.report_keys == {"r1"}


def test_every_kind_on_typed_inputs() -> None:
    found = agreement(GROUPS, HELD)
    assert found["kinds"] == {
        "co-existing": {"groups": 1, "members": 2, "files": 1},
        "depends-on": {"groups": 1, "members": 2, "files": 1},
        "duplicated": {"groups": 1, "members": 1, "files": 1},
        "similar": {"groups": 2, "members": 5, "files": 2},  # c1 twice: once
    }
    # Clusters {a b c}{d e}; e unknown; family {a b}: as on the tiny store.
    similar = found["similar"]
    assert (similar["with_code"], similar["with_code_no_family"], similar["compared"]) == (4, 2, 4)
    assert (similar["pair_precision"], similar["pair_recall"]) == (1.0, 0.3333)
    assert found["similar-run"]["paper_members"] == 0
    # Paper r1 -> a, b; malgraph r1 -> a, d: one shared of two each.
    coexisting = found["co-existing"]
    assert (coexisting["shared_links"], coexisting["share_of_paper_links"]) == (1, 0.5)
    assert coexisting["share_of_malgraph_links"] == 0.5
    # a -> x is malgraph's too; b -> a is not between packages of the paper's pairs.
    assert found["dependency"] == {
        "paper_pairs": 1,
        "pairs_both_known": 0,  # x is no package malgraph knows
        "shared_pairs": 1,
        "share_of_paper_pairs": 1.0,
        "malgraph_pairs_among_paper_packages": 1,
        "share_of_malgraph_pairs": 1.0,
    }
    assert found["duplicated"]["share_held_by_several_sources"] == 1.0
