"""The package card as typed values: its JSON shape and its printed lines, from a card made
by hand (no store)."""

from __future__ import annotations

import pytest

from malgraph.cli.card_view import print_card
from malgraph.core.card import (
    ArtifactFeatures,
    CardArtifact,
    CardRecord,
    DependencyLink,
    DependencyLinks,
    PackageCard,
    VersionCode,
    VersionDates,
)

FEATURES = ArtifactFeatures(
    files=2,
    languages=("javascript",),
    install_hooks=("preinstall: node x.js",),
    findings={"process": 1},
    obfuscation=(),
    skipped_members=0,
    dependencies=(),
    iocs=("url: https://evil.example/x",),
)


def _artifact(features: ArtifactFeatures | None) -> CardArtifact:
    status = None if features is None else "ok"
    return CardArtifact("ab" * 32, "datadog", "/x.tgz", "sample", None, status, None, features)


def _card() -> PackageCard:
    record = CardRecord(
        id=1,
        source="osv",
        source_kind="osv",
        source_record_id="MAL-1",
        role="claim",
        parent_id=None,
        name_given="evil",
        scope="listed",
        versions=("1.0.0",),
        published="2024-01-02T00:00:00Z",
        modified=None,
        withdrawn=None,
        imported=None,
        aliases=(),
        summary=None,
        label="OSV",
    )
    link = DependencyLink("npm", "flatmap", "1.0.0", 0.9, ({"via": "manifest", "file": "p.json"},))
    return PackageCard(
        ecosystem="npm",
        name="evil",
        purl="pkg:npm/evil",
        versions=("1.0.0",),
        sources=("osv",),
        records=(record,),
        reports=(),
        campaigns=(),
        iocs=(),
        coreported=(),
        timeline=(VersionDates("1.0.0", "2024-01-01T00:00:00Z", "2024-01-02", "osv"),),
        code=(VersionCode("1.0.0", (_artifact(FEATURES), _artifact(None)), ()),),
        similarity=(),
        dependency=DependencyLinks(pulls_in=(link,)),
        edges=(),
    )


def test_an_artifact_keeps_its_features_beside_its_own_keys() -> None:
    analysed, waiting = _artifact(FEATURES).as_json(), _artifact(None).as_json()
    assert analysed["files"] == 2 and analysed["install_hooks"] == ["preinstall: node x.js"]
    assert "features" not in analysed and "files" not in waiting
    own = ["sha256", "source", "location", "kind", "fetched_at", "analysis", "reason"]
    assert list(waiting) == own


def test_the_card_as_json_is_plain_lists_and_objects() -> None:
    card = _card().as_json()
    assert card["records"][0]["versions"] == ["1.0.0"]
    assert card["dependency"] == {
        "pulls_in": [
            {
                "ecosystem": "npm",
                "name": "flatmap",
                "version": "1.0.0",
                "confidence": 0.9,
                "evidence": [{"via": "manifest", "file": "p.json"}],
            }
        ],
        "pulled_in_by": [],
    }


def test_the_printed_card(capsys: pytest.CaptureFixture[str]) -> None:
    print_card(_card())
    lines = [line.rstrip() for line in capsys.readouterr().out.splitlines()]
    assert lines[1] == "evil (npm)  pkg:npm/evil"
    assert "sources: osv" in lines and "versions named: 1.0.0" in lines
    assert "1.0.0: released 2024-01-01, first detected 2024-01-02 by osv" in lines
    assert "  2 files (javascript), 0 members refused" in lines
    assert "  sensitive calls: process 1" in lines
    assert "  iocs: url: https://evil.example/x" in lines
    assert "pulls in flatmap (npm) from 1.0.0: manifest  p.json (0.9)" in lines
    waiting = [line for line in lines if line.endswith("analysis: not yet")]
    assert len(waiting) == 1
