"""The read model hands fixed vocabularies over as enum members, and refuses a stored value
that is none of them, so a reader never compares against a misspelt string."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from malgraph.core.kinds import IocKind, MemberRole, SourceKind
from malgraph.core.model import Role, Scope
from malgraph.pipeline.ingest import ingest
from malgraph.store import Store
from malgraph.store.read.card import find_packages, read_card
from malgraph.store.read.graph import ioc_sightings
from malgraph.store.read.relations import target_claims
from malgraph.store.read.sources import label_groups
from tests.conftest import origin, osv, write_json


def _ingested(store: Store, tmp_path: Path) -> int:
    doc = osv(
        "MAL-1",
        "evil-pkg",
        versions=["1.0.0"],
        database_specific={
            "iocs": {"domains": ["c2.evil.example"]},
            "malicious-packages-origins": [origin("ghsa-malware", "GHSA-1", ["1.0.0"])],
        },
    )
    write_json(tmp_path / "osv/MAL-1.json", doc)
    ingest(store, "osv", [str(tmp_path / "osv")])
    (package,) = find_packages(store.db, "evil-pkg", "npm")
    return package


def test_the_card_reader_gives_enum_members(store: Store, tmp_path: Path) -> None:
    card = read_card(store.db, _ingested(store, tmp_path))
    roles = {r.role for r in card.records}
    assert roles == {Role.CLAIM, Role.MERGED}
    assert all(type(r.role) is Role and type(r.scope) is Scope for r in card.records)
    assert {type(r.source_kind) for r in card.records} == {SourceKind}
    assert [(type(i.kind), i.kind) for i in card.iocs] == [(IocKind, IocKind.DOMAIN)]
    assert card.sources == ("ghsa-malware",)  # only claims name the card's sources
    # the JSON the CLI prints keeps the stored text
    assert orjson.loads(orjson.dumps(card.as_json()))["iocs"] == [
        {"kind": "domain", "value": "c2.evil.example"}
    ]


def test_the_graph_and_relations_readers_give_enum_members(store: Store, tmp_path: Path) -> None:
    _ingested(store, tmp_path)
    sightings = ioc_sightings(store.db)
    assert [type(i.kind) for i in sightings.iocs.values()] == [IocKind]
    assert {type(c.scope) for c in target_claims(store.db)} == {Scope}


def test_a_stored_value_outside_the_vocabulary_is_refused(store: Store, tmp_path: Path) -> None:
    package = _ingested(store, tmp_path)
    store.db.execute("UPDATE records SET scope = 'some'")
    with pytest.raises(ValueError, match="'some' is not a valid Scope"):
        read_card(store.db, package)
    with pytest.raises(ValueError, match="'some' is not a valid Scope"):
        target_claims(store.db)


def test_label_members_come_back_with_their_role(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        store.db.execute(
            "INSERT INTO label_groups (labeller, kind, key, document_sha256)"
            " VALUES ('study', 'depends-on', 'a -> b', 'x')"
        )
        for name, role in (("a", "from"), ("b", "to")):
            store.db.execute(
                "INSERT INTO label_members (group_id, ecosystem, name, version, given, role)"
                " VALUES (1, 'npm', ?, NULL, ?, ?)",
                (name, name, role),
            )
        (group,) = label_groups(store.db, "study")
    assert {(m.name, m.role) for m in group.members} == {
        ("a", MemberRole.FROM),
        ("b", MemberRole.TO),
    }
    assert all(type(m.role) is MemberRole for m in group.members)
