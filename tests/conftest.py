"""Shared fixtures: a fresh store, the bundled sample's graph, the real public data, and OSV
documents written by hand."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from malgraph.cli.ingest import sample_inputs
from malgraph.pipeline.ingest import ingest
from malgraph.pipeline.relate import refresh_dependencies, refresh_similar
from malgraph.store import Store
from tests.real_data import materialise

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def shared_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real public data (OSV, DataDog, kam193, MalOSS, reports, the paper's excerpt) in
    its upstream layout, unpacked from the bundled sample: the repository alone suffices."""
    return materialise(tmp_path_factory.mktemp("real-data"))


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The graph `malgraph build` makes from the bundled sample, with its dependency and
    similar relations: one per run, shared by every test that only reads it."""
    with Store(tmp_path_factory.mktemp("sample") / "sample.db") as store:
        for kind, paths in sample_inputs():
            ingest(store, kind, paths)
        refresh_dependencies(store)
        refresh_similar(store)
        yield store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "test.db") as opened:
        yield opened


def osv(
    ident: str,
    name: str,
    *,
    ecosystem: str = "npm",
    versions: list[str] | None = None,
    modified: str = "2024-01-01T00:00:00Z",
    origins: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A minimal valid OSV record of a malicious package."""
    affected: dict[str, Any] = {"package": {"ecosystem": ecosystem, "name": name}}
    if versions is None:
        affected["ranges"] = [{"type": "SEMVER", "events": [{"introduced": "0"}]}]
    else:
        affected["versions"] = versions
    doc: dict[str, Any] = {
        "schema_version": "1.5.0",
        "id": ident,
        "modified": modified,
        "published": "2024-01-01T00:00:00Z",
        "summary": f"Malicious code in {name}",
        "details": "test record",
        "affected": [affected],
        **extra,
    }
    if origins is not None:
        doc["database_specific"] = {"malicious-packages-origins": origins}
    return doc


def origin(source: str, ident: str, versions: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "source": source,
        "id": ident,
        "sha256": ident.encode().hex().ljust(64, "0")[:64],
        "import_time": "2024-01-02T00:00:00.123456789Z",
        "modified_time": "2024-01-01T12:00:00Z",
    }
    if versions is None:
        out["ranges"] = [{"type": "SEMVER", "events": [{"introduced": "0"}]}]
    else:
        out["versions"] = versions
    return out


def write_json(path: Path, doc: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="Rewrite golden files from this run."
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
