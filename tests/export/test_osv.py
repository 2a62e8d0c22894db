"""The OSV export: schema-valid records, deterministic, stable ids, selection, hostile names,
and the round trip through `malgraph ingest osv`."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from packageurl import PackageURL

from malgraph.core.identity import PURL_TYPES
from malgraph.core.identity import purl as make_purl
from malgraph.core.kinds import EdgeKind
from malgraph.core.selection import Selection
from malgraph.export.osv import _PLAIN_PURL, canonical_purl, osv_id, write_osv
from malgraph.pipeline.ingest import ingest
from malgraph.store import Store
from tests.conftest import origin, osv, write_json

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "src/malgraph/data/osv-schema.json").read_text()
)
SAMPLE_KINDS = [
    ("osv", "osv-malicious-sample"),
    ("osv", "leitwacht-malicious-packages"),
    ("datadog", "datadog-manifests"),
    ("maloss", "maloss-lists"),
    ("kam193", "kam193-package-campaigns"),
    ("paper", "malgraph-paper-excerpt"),
    ("reports", "supply-chain-reports"),
]
HOSTILE = ["..", ".hidden", "a/../../b", "%2e%2e", "x" * 400, "con", "évil\\name"]


def _validator() -> Any:
    cls = jsonschema.validators.validator_for(SCHEMA)
    return cls(SCHEMA, format_checker=cls.FORMAT_CHECKER)


def _records(out: Path) -> dict[Path, dict[str, Any]]:
    return {p: json.loads(p.read_text()) for p in sorted((out / "osv").rglob("*.json"))}


def _contents(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.json"))}


def _held(store: Store) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """purl -> (versions, sources) of every package an active claim names."""
    versions: dict[str, set[str]] = defaultdict(set)
    sources: dict[str, set[str]] = defaultdict(set)
    for purl, source, version in store.db.execute(
        "SELECT p.purl, s.name, pv.version FROM records r JOIN packages p ON p.id = r.package_id"
        " JOIN sources s ON s.id = r.source_id LEFT JOIN record_versions rv"
        " ON rv.record_id = r.id LEFT JOIN package_versions pv ON pv.id = rv.version_id"
        " WHERE r.role = 'claim' AND r.withdrawn IS NULL"
    ):
        sources[purl].add(source)
        if version is not None:
            versions[purl].add(version)
    return {p: (frozenset(versions[p]), frozenset(sources[p])) for p in sources}


def _small_store(tmp: Path, extra: Sequence[dict[str, Any]] = ()) -> Store:
    """Several sources on a few packages: merged origins, a lone GHSA, all/unknown scopes."""
    docs = [
        osv(
            "MAL-2024-1",
            "evil",
            versions=["1.0.0", "1.0.1"],
            origins=[
                origin("ghsa-malware", "GHSA-aaaa-bbbb-cccc", ["1.0.0"]),
                origin("ossf-package-analysis", "a" * 64, ["1.0.0", "1.0.1"]),
            ],
            references=[{"type": "REPORT", "url": "https://example.com/evil"}],
        ),
        osv("GHSA-dddd-eeee-ffff", "evil", versions=["1.0.2"]),
        osv("MAL-2024-2", "Bad_Pkg", ecosystem="PyPI", origins=[origin("socket", "S-1")]),
        {
            **osv("MAL-2024-3", "nover", ecosystem="PyPI"),
            "affected": [{"package": {"ecosystem": "PyPI", "name": "nover"}}],
        },
        osv("MAL-2024-4", "@scope/pkg", versions=["2.0.0"], published="2023-05-01T00:00:00Z"),
        *extra,
    ]
    for i, doc in enumerate(docs):
        write_json(tmp / "in" / f"{i}.json", doc)
    store = Store(tmp / "small.db")
    assert ingest(store, "osv", [str(tmp / "in")]).rejected == []
    return store


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> tuple[Store, Path]:
    """The bundled sample, every source, and its OSV export."""
    store = Store(tmp_path_factory.mktemp("sample") / "all.db")
    for kind, folder in SAMPLE_KINDS:
        ingest(store, kind, [str(shared_data / folder)])
    out = tmp_path_factory.mktemp("sample-osv")
    write_osv(store.db, out, Selection())
    return store, out


def test_every_sample_record_is_valid_osv(sample: tuple[Store, Path]) -> None:
    store, out = sample
    records = _records(out)
    assert len(records) == len(_held(store))
    validator = _validator()
    known = set(SCHEMA["$defs"]["ecosystemName"]["enum"])
    unlisted = 0
    for path, record in records.items():
        errors = sorted((list(e.absolute_path), e.message) for e in validator.iter_errors(record))
        if record["affected"][0]["package"]["ecosystem"].split(":")[0] not in known:
            # An ecosystem OSV does not list is kept as the store has it: the one error allowed.
            unlisted += 1
            errors = [e for e in errors if e[0] != ["affected", 0, "package", "ecosystem"]]
        assert errors == [], (path, errors[:3])
        assert path.name == f"{record['id']}.json"
        origins = record["database_specific"]["malicious-packages-origins"]
        assert origins and all(o["source"] for o in origins)
    assert unlisted < len(records) / 10


def test_the_sample_round_trips_through_ingest(sample: tuple[Store, Path], tmp_path: Path) -> None:
    store, out = sample
    with Store(tmp_path / "again.db") as again:
        assert ingest(again, "osv", [str(out)]).rejected == []
        assert _held(again) == _held(store)


def test_a_multi_source_store_round_trips(tmp_path: Path) -> None:
    store = _small_store(tmp_path)
    write_osv(store.db, tmp_path / "out", Selection())
    with Store(tmp_path / "again.db") as again:
        ingest(again, "osv", [str(tmp_path / "out")])
        held = _held(store)
        assert _held(again) == held
    assert held["pkg:npm/evil"] == (
        frozenset({"1.0.0", "1.0.1", "1.0.2"}),
        frozenset({"ghsa-malware", "ossf-package-analysis"}),  # the GHSA feed is ghsa-malware
    )


def test_records_merge_every_claim(tmp_path: Path) -> None:
    store = _small_store(tmp_path)
    summary = write_osv(store.db, tmp_path / "out", Selection())
    by_name = {r["affected"][0]["package"]["name"]: r for r in _records(tmp_path / "out").values()}
    assert set(by_name) == {"evil", "bad-pkg", "nover", "@scope/pkg"}
    assert summary.counts["records"] == 4 and len(summary.files) == 4
    evil = by_name["evil"]
    assert evil["affected"][0]["versions"] == ["1.0.0", "1.0.1", "1.0.2"]
    assert evil["affected"][0]["package"]["purl"] == "pkg:npm/evil"
    assert evil["aliases"] == ["GHSA-aaaa-bbbb-cccc", "GHSA-dddd-eeee-ffff", "MAL-2024-1"]
    assert evil["references"] == [{"type": "REPORT", "url": "https://example.com/evil"}]
    assert evil["published"] == "2024-01-01T00:00:00Z"
    assert evil["modified"] == "2024-01-02T00:00:00Z"  # the origins' import time
    malgraph = evil["database_specific"]["malgraph"]
    assert {(s["source"], s["id"]) for s in malgraph["sources"]} == {
        ("ghsa-malware", "GHSA-dddd-eeee-ffff"),
        ("ghsa-malware", "GHSA-aaaa-bbbb-cccc"),
        ("ossf-package-analysis", "a" * 64),
    }
    assert malgraph["duplicated"] == [
        {"kind": "duplicated", "sources": ["ghsa-malware", "ossf-package-analysis"], "edges": 1}
    ]
    everything = by_name["bad-pkg"]["affected"][0]
    assert [r["events"] for r in everything["ranges"]] == [[{"introduced": "0"}]]  # as given
    assert "versions" not in everything
    nover = by_name["nover"]
    assert "versions" not in nover["affected"][0] and "ranges" not in nover["affected"][0]
    assert nover["database_specific"]["malgraph"]["notes"]


def test_two_exports_are_byte_identical(tmp_path: Path) -> None:
    store = _small_store(tmp_path)
    write_osv(store.db, tmp_path / "a", Selection())
    write_osv(store.db, tmp_path / "b", Selection())
    first = _contents(tmp_path / "a")
    assert first and first == _contents(tmp_path / "b")


def test_ids_stay_when_more_is_ingested(tmp_path: Path) -> None:
    store = _small_store(tmp_path)
    write_osv(store.db, tmp_path / "before", Selection())
    before = {
        r["affected"][0]["package"]["purl"]: r["id"] for r in _records(tmp_path / "before").values()
    }
    write_json(tmp_path / "in" / "more.json", osv("MAL-2024-9", "another"))
    write_json(tmp_path / "in" / "more-evil.json", osv("MAL-2024-8", "evil", versions=["9.9.9"]))
    ingest(store, "osv", [str(tmp_path / "in")])
    write_osv(store.db, tmp_path / "after", Selection())
    after = {
        r["affected"][0]["package"]["purl"]: r["id"] for r in _records(tmp_path / "after").values()
    }
    assert set(after) == set(before) | {"pkg:npm/another"}
    assert all(after[purl] == ident == osv_id(purl) for purl, ident in before.items())


def test_selection_filters_packages_and_relations(tmp_path: Path) -> None:
    store = _small_store(tmp_path)

    def names(selection: Selection) -> set[str]:
        out = tmp_path / str(len(list(tmp_path.iterdir())))
        write_osv(store.db, out, selection)
        return {r["affected"][0]["package"]["name"] for r in _records(out).values()}

    assert names(Selection(ecosystems=frozenset({"PyPI"}))) == {"bad-pkg", "nover"}
    assert names(Selection(sources=frozenset({"socket"}))) == {"bad-pkg"}
    assert names(Selection(since="2024-01-01")) == {"evil", "bad-pkg", "nover"}
    assert names(Selection(kinds=frozenset({EdgeKind.SIMILAR}))) == {
        "evil",
        "bad-pkg",
        "nover",
        "@scope/pkg",
    }
    out = tmp_path / "similar-only"
    write_osv(store.db, out, Selection(kinds=frozenset({EdgeKind.SIMILAR})))
    for record in _records(out).values():
        assert record["database_specific"]["malgraph"]["duplicated"] == []


def test_hostile_names_stay_inside_out(tmp_path: Path) -> None:
    extra = [osv(f"MAL-2024-{100 + i}", name, versions=["1"]) for i, name in enumerate(HOSTILE)]
    store = _small_store(tmp_path, extra)
    out = tmp_path / "nest" / "out"
    summary = write_osv(store.db, out, Selection())
    assert len(summary.files) == len(set(summary.files)) == 4 + len(HOSTILE)
    for path in summary.files:
        assert path.resolve().is_relative_to(out.resolve())
        assert path.relative_to(out).parts[0] == "osv" and len(path.relative_to(out).parts) == 4
        assert all(part not in {".", ".."} and len(part) <= 120 + 30 for part in path.parts)
    assert sorted((tmp_path / "nest").iterdir()) == [out]
    names = {r["affected"][0]["package"]["name"] for r in _records(out).values()}
    assert set(HOSTILE) <= names


AWKWARD_NAMES = [
    "plain",
    "Mixed.Case-Name",
    "under_score",
    "@scope/pkg",
    "@Scope/Pkg_x",
    "group.id:artifact-id",
    "github.com/User/Repo",
    "vendor/package",
    "a..b",
    ".hidden",
    "with space",
    "unicode-\uff45vil",
    "per%cent",
    "q?uery#frag",
    "x/y/z",
]


def test_purls_that_skip_the_parse_are_those_packageurl_writes_back() -> None:
    """The fast path (a purl packageurl-python writes unchanged) gives what the parse gives,
    over every purl type's stored purls and names that need encoding or lowercasing."""
    fast = 0
    for ecosystem in [*PURL_TYPES, "Unknown:x"]:
        for name in AWKWARD_NAMES:
            stored = make_purl(ecosystem, name)
            parsed = str(PackageURL.from_string(stored).to_string())
            assert canonical_purl(stored) == parsed, stored
            if _PLAIN_PURL.fullmatch(stored):
                fast += 1
                assert parsed == stored
    assert fast > 20  # the common purls do take the fast path
    for written in ["pkg:pypi/Upper", "pkg:pypi/under_score", "pkg:npm/Upper", "pkg:pub/a-b"]:
        assert not _PLAIN_PURL.fullmatch(written)
        assert canonical_purl(written) != written
