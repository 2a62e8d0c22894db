"""The STIX 2.1 export: the official validator accepts the bundle and the stix2 library parses
it back; counts agree with the store, every reference resolves, each IoC kind makes a valid
pattern, ids are stable across runs and across stores built in another order, and the
selection limits what is written."""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import stix2
from stix2patterns.validator import run_validator
from stix2validator import ValidationOptions, validate_file

from malgraph.cli import run
from malgraph.core.kinds import EdgeKind, ExportFormat
from malgraph.core.selection import Selection
from malgraph.export import WRITERS
from malgraph.export.stix import write_stix
from malgraph.export.stix_objects import pattern, timestamp, uuid5_text
from malgraph.pipeline.ingest import ingest
from malgraph.store import Store
from tests.conftest import origin, osv, write_json
from tests.export.conftest import HOSTILE

# Strict: every SHOULD is an error and custom properties are refused (malgraph's evidence is
# in its extension), with two SHOULDs left out on purpose: SDO ids are UUIDv5 (deterministic,
# over malgraph's own namespace, as STIX 2.1 section 2.9 allows) where the validator expects
# UUIDv4, and external references carry no hash of pages malgraph never downloads.
OPTIONS = ValidationOptions(
    version="2.1",
    strict=True,
    strict_properties=True,
    enforce_refs=True,
    disabled="uuid-check,extref-hashes",
)
TYPES = {
    "identity",
    "extension-definition",
    "malware",
    "software",
    "report",
    "indicator",
    "campaign",
    "relationship",
}
HASHES = [
    hashlib.sha256(b"x").hexdigest(),
    hashlib.sha1(b"x").hexdigest(),
    hashlib.md5(b"x").hexdigest(),
]
IOCS = {
    "urls": ["https://evil.example/payload?a=1", "https://discord.com/api/webhooks/1/abc"],
    "domains": ["exfil.example.org"],
    "ips": ["203.0.113.7", "2001:db8::7"],
    "hashes": HASHES,
}


def _documents() -> list[dict[str, Any]]:
    """Two sources agreeing on evil (a duplicated edge), IoCs of every kind, a reference, a
    PyPI package with hostile text, a package claimed later than the others."""
    return [
        osv(
            "MAL-2024-1",
            "evil",
            versions=["1.0.0"],
            origins=[
                origin("ghsa-malware", "GHSA-aaaa-bbbb-cccc", ["1.0.0"]),
                origin("ossf-package-analysis", "a" * 64, ["1.0.0"]),
            ],
            references=[{"type": "REPORT", "url": "https://example.com/evil"}],
        ),
        {
            **osv("MAL-2024-2", "Bad_Pkg", ecosystem="PyPI", summary=HOSTILE),
            "database_specific": {"iocs": IOCS},
        },
        osv("MAL-2025-3", "later", versions=["0.1.0"], published="2025-06-01T00:00:00Z"),
    ]


def _store(folder: Path, documents: Sequence[dict[str, Any]]) -> Store:
    for i, doc in enumerate(documents):
        write_json(folder / "in" / f"{i}.json", doc)
    store = Store(folder / "store.db")
    assert ingest(store, "osv", [str(folder / "in")]).rejected == []
    return store


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with _store(tmp_path_factory.mktemp("small"), _documents()) as store:
        yield store


def _bundle(store: Store, out: Path, selection: Selection | None = None) -> dict[str, Any]:
    summary = write_stix(store.db, out, selection or Selection())
    assert summary.files == (out,) and summary.format is ExportFormat.STIX
    bundle: dict[str, Any] = json.loads(out.read_bytes())
    counts = Counter(o["type"] for o in bundle["objects"])
    assert summary.counts == {f"objects.{k}": n for k, n in sorted(counts.items())}
    return bundle


def _valid(path: Path) -> None:
    """The official validator, strict, finds nothing; stix2 parses every object back."""
    result = validate_file(str(path), OPTIONS)
    problems = [str(e) for r in result.object_results for e in (*r.errors, *r.warnings)]
    bundle = json.loads(path.read_bytes())
    assert result.is_valid and problems == [], problems[:5]
    parsed = stix2.parse(json.dumps(bundle), allow_custom=True)
    assert [o.id for o in parsed.objects] == [o["id"] for o in bundle["objects"]]
    assert {o["type"] for o in bundle["objects"]} <= TYPES


def _refs(value: object) -> Iterator[str]:
    """Every id a `*_ref` or `*_refs` property names, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith("_ref") and isinstance(item, str):
                yield item
            elif key.endswith("_refs") and isinstance(item, list):
                yield from item
            else:
                yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def _by_type(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [o for o in bundle["objects"] if o["type"] == kind]


def _count(store: Store, query: str) -> int:
    [(n,)] = store.db.execute(query)
    return int(n)


def test_the_bundle_is_valid_stix_and_agrees_with_the_store(small: Store, tmp_path: Path) -> None:
    bundle = _bundle(small, tmp_path / "out.json")
    _valid(tmp_path / "out.json")
    ids = [o["id"] for o in bundle["objects"]]
    assert len(ids) == len(set(ids))
    assert set(_refs(bundle["objects"])) <= set(ids)
    packages = [m for m in _by_type(bundle, "malware") if not m["is_family"]]
    active = "FROM records WHERE role = 'claim' AND withdrawn IS NULL"
    assert len(packages) == _count(small, f"SELECT count(DISTINCT package_id) {active}")
    assert {m["name"] for m in packages} == {"pkg:npm/evil", "pkg:pypi/bad-pkg", "pkg:npm/later"}
    assert len(_by_type(bundle, "software")) == len(packages)
    claims = [r for r in _by_type(bundle, "report") if "malware" in r["report_types"]]
    key = "source_id, source_record_id, package_id"
    assert len(claims) == _count(small, f"SELECT count(*) FROM (SELECT DISTINCT {key} {active})")
    assert len(_by_type(bundle, "indicator")) == _count(small, "SELECT count(*) FROM iocs") == 8
    sources = _count(small, f"SELECT count(DISTINCT source_id) {active}")
    assert len(_by_type(bundle, "identity")) == sources + 1  # and malgraph itself


def test_claims_are_reports_their_source_authored(small: Store, tmp_path: Path) -> None:
    bundle = _bundle(small, tmp_path / "out.json")
    names = {o["id"]: o["name"] for o in _by_type(bundle, "identity")}
    evil = next(o["id"] for o in _by_type(bundle, "malware") if o["name"] == "pkg:npm/evil")
    reports = [r for r in _by_type(bundle, "report") if evil in r["object_refs"]]
    on_evil = [r for r in reports if r["report_types"] == ["malware"]]
    [security] = [r for r in reports if r["report_types"] == ["threat-report"]]
    assert security["external_references"][0]["url"] == "https://example.com/evil"
    assert sorted(names[r["created_by_ref"]] for r in on_evil) == [
        "ghsa-malware",
        "ossf-package-analysis",
    ]
    assert all(r["published"] == "2024-01-01T00:00:00.000Z" for r in on_evil)
    [duplicated] = [
        r for r in _by_type(bundle, "relationship") if "duplicated" in r.get("description", "")
    ]
    assert {duplicated["source_ref"], duplicated["target_ref"]} == {r["id"] for r in on_evil}
    evidence = next(iter(duplicated["extensions"].values()))
    assert evidence["relation"] == "duplicated" and evidence["evidence"]
    later = next(o for o in _by_type(bundle, "malware") if o["name"] == "pkg:npm/later")
    assert later["first_seen"] == later["created"] == "2025-06-01T00:00:00.000Z"
    hostile = next(o for o in _by_type(bundle, "report") if o.get("description") == HOSTILE)
    assert hostile["name"].startswith("MAL-2024-2")


def test_each_ioc_kind_makes_a_valid_pattern(small: Store, tmp_path: Path) -> None:
    bundle = _bundle(small, tmp_path / "out.json")
    patterns = sorted(i["pattern"] for i in _by_type(bundle, "indicator"))
    sha256, sha1, md5 = HASHES
    assert patterns == [
        "[domain-name:value = 'exfil.example.org']",
        f"[file:hashes.'MD5' = '{md5}']",
        f"[file:hashes.'SHA-1' = '{sha1}']",
        f"[file:hashes.'SHA-256' = '{sha256}']",
        "[ipv4-addr:value = '203.0.113.7']",
        "[ipv6-addr:value = '2001:db8::7']",
        "[url:value = 'https://discord.com/api/webhooks/1/abc']",  # a webhook
        "[url:value = 'https://evil.example/payload?a=1']",
    ]
    assert all(run_validator(p) == [] for p in patterns)
    bad = next(o["id"] for o in _by_type(bundle, "malware") if o["name"] == "pkg:pypi/bad-pkg")
    indicated = {r["target_ref"] for r in _by_type(bundle, "relationship")}
    assert bad in indicated


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("url", "http://a.example/x'y\\z", "[url:value = 'http://a.example/x\\'y\\\\z']"),
        ("webhook", "https://hooks.slack.com/T", "[url:value = 'https://hooks.slack.com/T']"),
        ("domain", "o'hare.example", "[domain-name:value = 'o\\'hare.example']"),
        ("ip", "198.51.100.1", "[ipv4-addr:value = '198.51.100.1']"),
        ("ip", "2001:db8::1", "[ipv6-addr:value = '2001:db8::1']"),
        ("md5", "A" * 32, f"[file:hashes.'MD5' = '{'a' * 32}']"),
        ("sha1", "b" * 40, f"[file:hashes.'SHA-1' = '{'b' * 40}']"),
        ("sha256", "c" * 64, f"[file:hashes.'SHA-256' = '{'c' * 64}']"),
        ("wallet", "bc1qxyz", "[cryptocurrency-wallet:value = 'bc1qxyz']"),
    ],
)
def test_patterns_quote_and_escape(kind: str, value: str, expected: str) -> None:
    assert pattern(kind, value) == expected
    assert run_validator(expected) == []


@pytest.mark.parametrize("name", ["", "a", '["malware","package","pkg:npm/x"]', "\u0455\U0001f600"])
@pytest.mark.parametrize("namespace", [uuid.NAMESPACE_URL, uuid.UUID(int=(1 << 128) - 1)])
def test_ids_are_the_uuid_modules_uuid5(namespace: uuid.UUID, name: str) -> None:
    expected = str(uuid.uuid5(namespace, name))
    assert uuid5_text(namespace.bytes, name.encode()) == expected


def test_the_same_store_gives_the_same_bytes(small: Store, tmp_path: Path) -> None:
    write_stix(small.db, tmp_path / "a.json", Selection())
    write_stix(small.db, tmp_path / "b.json", Selection())
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_ids_do_not_depend_on_the_order_a_store_was_built_in(tmp_path: Path) -> None:
    documents = _documents()
    shuffled = documents[::-1]
    random.Random(7).shuffle(shuffled)
    one, other = _store(tmp_path / "one", documents), _store(tmp_path / "other", shuffled)
    with one, other:
        first = _bundle(one, tmp_path / "one.json")
        second = _bundle(other, tmp_path / "other.json")
    assert [o["id"] for o in first["objects"]] == [o["id"] for o in second["objects"]]
    assert first == second


def test_a_selection_keeps_its_part(small: Store, tmp_path: Path) -> None:
    pypi = _bundle(small, tmp_path / "pypi.json", Selection(ecosystems=frozenset({"PyPI"})))
    _valid(tmp_path / "pypi.json")
    assert [m["name"] for m in _by_type(pypi, "malware")] == ["pkg:pypi/bad-pkg"]
    assert set(_refs(pypi["objects"])) <= {o["id"] for o in pypi["objects"]}
    ghsa = _bundle(small, tmp_path / "ghsa.json", Selection(sources=frozenset({"ghsa-malware"})))
    authors = {r.get("created_by_ref") for r in _by_type(ghsa, "report")}
    [source] = [o for o in _by_type(ghsa, "identity") if o["id"] in authors]
    assert source["name"] == "ghsa-malware"
    assert [m["name"] for m in _by_type(ghsa, "malware")] == ["pkg:npm/evil"]
    recent = _bundle(small, tmp_path / "recent.json", Selection(since="2025-01-01"))
    assert [m["name"] for m in _by_type(recent, "malware")] == ["pkg:npm/later"]
    similar = _bundle(small, tmp_path / "k.json", Selection(kinds=frozenset({EdgeKind.SIMILAR})))
    assert not any("duplicated" in r["description"] for r in _by_type(similar, "relationship"))


def test_code_relations_become_relationships(code_store: Store, tmp_path: Path) -> None:
    """alpha and beta share code (variant-of, one family); loadyaml depends on node-serialize
    (downloads)."""
    bundle = _bundle(code_store, tmp_path / "code.json")
    _valid(tmp_path / "code.json")
    names = {o["id"]: o["name"] for o in bundle["objects"] if "name" in o}
    links = Counter(
        (names.get(r["source_ref"]), r["relationship_type"], names.get(r["target_ref"]))
        for r in _by_type(bundle, "relationship")
    )
    [family] = [m for m in _by_type(bundle, "malware") if m["is_family"]]
    assert links[("pkg:pypi/alpha", "variant-of", family["name"])] == 1
    assert links[("pkg:pypi/beta", "variant-of", family["name"])] == 1
    assert (
        links[("pkg:pypi/alpha", "variant-of", "pkg:pypi/beta")]
        + links[("pkg:pypi/beta", "variant-of", "pkg:pypi/alpha")]
        >= 1
    )
    assert links[("pkg:npm/loadyaml", "downloads", "pkg:npm/node-serialize")] == 1
    candidates = [c for c in _by_type(bundle, "campaign") if c["created_by_ref"] in names]
    assert candidates and all(0 < c["confidence"] <= 100 for c in candidates)


def test_the_sample_refs_resolve_and_the_writer_is_registered(
    sample_store: Store, tmp_path: Path
) -> None:
    assert WRITERS[ExportFormat.STIX] is write_stix
    done: list[int] = []
    write_stix(sample_store.db, tmp_path / "all.json", Selection(), done.append)
    bundle = json.loads((tmp_path / "all.json").read_bytes())
    ids = {o["id"] for o in bundle["objects"]}
    assert len(ids) == len(bundle["objects"])
    assert set(_refs(bundle["objects"])) <= ids
    assert done and done[-1] == len(ids)
    named = _count(
        sample_store,
        "SELECT count(DISTINCT m.campaign_id) FROM campaign_members m JOIN records r"
        " ON r.id = m.record_id WHERE r.withdrawn IS NULL AND r.package_id IN (SELECT package_id"
        " FROM records WHERE role = 'claim' AND withdrawn IS NULL)",
    )
    authors = Counter(c["created_by_ref"] for c in _by_type(bundle, "campaign"))
    me = next(o["id"] for o in _by_type(bundle, "identity") if o["name"] == "malgraph")
    assert named > 0 and authors.total() - authors[me] == named
    assert authors[me] > 0  # the candidates
    assert {o["type"] for o in bundle["objects"]} == TYPES


def test_malgraph_export_stix_writes_the_bundle_and_says_so(
    code_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bundle.json"
    code = run(["--db", str(code_store.path), "export", "stix", str(out), "--ecosystem", "PyPI"])
    [line] = capsys.readouterr().out.splitlines()
    bundle = json.loads(out.read_bytes())
    assert code == 0 and line.startswith(f"export stix: {out}: {len(bundle['objects'])} objects (")
    assert {m["name"] for m in _by_type(bundle, "malware") if not m["is_family"]} == {
        "pkg:pypi/alpha",
        "pkg:pypi/beta",
        "pkg:pypi/other",
    }
    store = run(["--db", str(code_store.path), "export", "stix", str(code_store.path), "--force"])
    assert store == 2  # OUT is one file, never the store


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("2024-01-02", "2024-01-02T00:00:00.000Z"),
        ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05.000Z"),
        ("2024-01-02T03:04:05.678901Z", "2024-01-02T03:04:05.678Z"),
        ("2024-01-02T03:04:05+02:00", "2024-01-02T01:04:05.000Z"),
        ("not a date", None),
        (None, None),
    ],
)
def test_store_dates_become_stix_timestamps(stored: str | None, expected: str | None) -> None:
    assert timestamp(stored) == expected
