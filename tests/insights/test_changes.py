"""What changed between two package-versions, on hand-made typed facts: no store."""

from __future__ import annotations

from malgraph.core.graph import ArchiveFacts, ChangeFacts, RecordSays
from malgraph.insights.changes import CHANGED, UNCHANGED, UNKNOWN, VersionFacts
from tests.insights.typed import Made

MADE = Made({"a": {"1": None, "2": None, "3": None, "4": None}, "b": {"1": None}})
A1, A2, A3, A4 = (MADE.version["a", n] for n in "1234")
B1 = MADE.version["b", "1"]


def facts(
    archives: dict[int, set[str]],
    about: dict[str, ArchiveFacts],
    records: list[RecordSays] | None = None,
) -> VersionFacts:
    change = ChangeFacts({v: frozenset(s) for v, s in archives.items()}, about, records or [])
    return VersionFacts(change, MADE.packages.versions)


def archive(
    digest: str | None = None,
    descriptions: tuple[str, ...] = (),
    declared: set[str] | None = None,
) -> ArchiveFacts:
    return ArchiveFacts(
        digest,
        declared is not None or bool(descriptions),
        descriptions,
        frozenset(("npm", n) for n in declared or ()),
    )


def test_code_same_archive_or_token_stream() -> None:
    f = facts(
        {A1: {"x"}, A2: {"x", "y"}, A3: {"z"}, A4: {"w"}},
        {"x": archive("t1"), "y": archive("t2"), "z": archive("t2"), "w": archive(None)},
    )
    assert f.code(A1, A2) == UNCHANGED  # one archive in common
    assert f.code(A2, A3) == UNCHANGED  # another archive, the same normalised tokens
    assert f.code(A1, A3) == CHANGED
    assert f.code(A4, A1) == CHANGED  # an empty stream matches nothing
    assert f.code(A1, B1) == UNKNOWN  # b has no code


def test_description_from_manifests_else_records() -> None:
    f = facts(
        {A1: {"x"}, A2: {"y"}},
        {"x": archive(descriptions=("steals  keys",)), "y": archive(descriptions=("other",))},
        [RecordSays(A3, "steals keys", ()), RecordSays(A2, "steals keys", ())],
    )
    assert f.description(A1, A3) == UNCHANGED  # whitespace collapsed
    assert f.description(A1, A2) == CHANGED  # a2's manifest wins over its record
    assert f.description(A1, A4) == UNKNOWN


def test_dependencies_from_manifests_else_records() -> None:
    f = facts(
        {A1: {"x"}, A2: {"y"}, A3: {"z"}},
        {"x": archive(declared={"Left-Pad"}), "y": archive(declared=set()), "z": archive()},
        [RecordSays(A3, None, ("left-pad@^1",)), RecordSays(A4, None, ("left-pad>=1", 7))],
    )
    assert f.dependencies(A1, A4) == UNCHANGED  # names canonical, specs and junk dropped
    assert f.dependencies(A1, A2) == CHANGED  # a manifest declaring none is known empty
    assert f.dependencies(A3, A4) == UNCHANGED  # z has no manifest: the record speaks
    assert f.dependencies(A1, B1) == UNKNOWN
