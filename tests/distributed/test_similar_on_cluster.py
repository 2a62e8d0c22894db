"""`relate --kinds similar --scheduler` on a LocalCluster of two workers stores the same similar
edges (with their evidence) and families as the local run: on the bundled sample with inert
packages analysed into it, and on a few thousand generated analyses with planted families."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from malgraph.artifacts.cache import cache_for
from malgraph.cli import app, relate  # noqa: F401  (importing registers the commands)
from malgraph.cli.ingest import sample_inputs
from malgraph.core.code import Analysis, Features, FileFacts, token_digest
from malgraph.core.kinds import AnalysisStatus, CodeLanguage
from malgraph.pipeline.analyze_code import analyze_stored
from malgraph.pipeline.distributed import similar as on_cluster
from malgraph.pipeline.fetch_code import register_local
from malgraph.pipeline.ingest import ingest
from malgraph.pipeline.relate import refresh_similar
from malgraph.store import Store
from malgraph.store.code import add_artifact, save_analysis
from malgraph.store.read.graph import families
from tests.conftest import osv, write_json
from tests.inert_packages import tar_gz
from tests.relations.code_samples import OTHER_FUNCTIONS, SEED_FUNCTIONS, program

runner = CliRunner()
VOCABULARY = [f"t{i}" for i in range(400)]


def _stored_similar(store: Store) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every stored similar edge with its evidence, and every family with its members."""
    edges = store.db.execute(
        "SELECT src_id, dst_id, evidence, confidence, step FROM edges"
        " WHERE kind = 'similar' ORDER BY src_id, dst_id"
    ).fetchall()
    found = [(f.id, tuple(sorted(m.name for m in f.members))) for f in families(store.db)]
    return edges, sorted(found)


def _relate_on_cluster(store: Store, scheduler: str, work: Path | None) -> str:
    args = ["--db", str(store.path), "relate", "--kinds", "similar", "--scheduler", scheduler]
    result = runner.invoke(app, args if work is None else [*args, "--results", str(work)])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def _feed(folder: Path, names: list[str]) -> None:
    for name in names:
        doc = osv(f"MAL-{name}", name, ecosystem="PyPI", versions=["1.0"])
        write_json(folder / f"{name}.json", doc)


def test_the_sample_with_analysed_packages_gives_the_local_edges_and_families(
    store: Store, tmp_path: Path, scheduler: str
) -> None:
    for kind, paths in sample_inputs():
        ingest(store, kind, paths)
    seed = program(SEED_FUNCTIONS)
    packages = {
        "alpha": seed,
        "beta": seed,
        "delta": program(SEED_FUNCTIONS[:-1]) + "\n\ndef junk():\n    return 1\n",
        "epsilon": program(SEED_FUNCTIONS[1:]),
        "other": program(OTHER_FUNCTIONS),
    }
    _feed(tmp_path / "osv", list(packages))
    archives = tmp_path / "archives"
    archives.mkdir()
    for name, code in packages.items():
        members = {f"{name}-1.0/{name}/__init__.py": code.encode()}
        (archives / f"{name}-1.0.tar.gz").write_bytes(tar_gz(members))
    assert ingest(store, "osv", [str(tmp_path / "osv")]).ok
    register_local(store, cache_for(store.path), archives)
    analyze_stored(store, cache_for(store.path), jobs=1)

    local = refresh_similar(store)
    expected = _stored_similar(store)
    assert local.edges["near-duplicate"] > 0 and local.families == 1
    work = tmp_path / "work"
    other_run = work / "malgraph-similar-sketches-0a1b" / "part-00000.parquet"
    other_run.parent.mkdir(parents=True)
    other_run.write_bytes(b"another run's sketches, sharing the folder")
    said = _relate_on_cluster(store, scheduler, work)
    assert list(work.rglob("*")) == [other_run.parent, other_run]  # this run's are removed
    assert other_run.read_bytes() == b"another run's sketches, sharing the folder"
    assert "5 package-versions with code" in said and "1 families (0 new, 0 dissolved)" in said
    assert _stored_similar(store) == expected


def _variant(rng: np.random.Generator, stream: list[str], change: float) -> list[str]:
    """The stream with about `change` of its tokens replaced, some dropped and some added."""
    out: list[str] = []
    for token in stream:
        roll = rng.random()
        if roll < change / 3:
            continue
        out.append(str(rng.choice(VOCABULARY)) if roll < change else token)
        if rng.random() < change / 3:
            out.append(str(rng.choice(VOCABULARY)))
    return out


def _corpus(rng: np.random.Generator, count: int) -> list[list[str]]:
    """Token streams: unrelated ones, families of 2-12 variants, a campaign of 150 near-copies
    (large LSH buckets, spanned), exact copies, and streams too short to compare."""

    def fresh() -> list[str]:
        return [str(t) for t in rng.choice(VOCABULARY, int(rng.integers(60, 500)))]

    streams: list[list[str]] = []
    campaign = fresh() + fresh()
    streams += [_variant(rng, campaign, 0.02) for _ in range(150)]
    while len(streams) < count * 2 // 3:
        seed = fresh()
        streams += [
            _variant(rng, seed, float(rng.uniform(0.01, 0.09)))
            for _ in range(int(rng.integers(2, 13)))
        ]
    streams += [fresh() for _ in range(count - len(streams))]
    streams[10:20] = [streams[9]] * 10  # identical streams
    order = rng.permutation(len(streams))
    return [streams[i] for i in order]


def _analysis(stream: list[str], shared: str) -> Analysis:
    """An analysed archive of one code file holding `stream`, and a shared helper file."""
    digest = token_digest(stream)
    files = (
        FileFacts("pkg/main.py", digest, 100, CodeLanguage.PYTHON, digest, len(stream)),
        FileFacts("pkg/util.py", shared, 100, CodeLanguage.PYTHON, shared, 40),
    )
    features = Features(files, (), (), (), (), (), (), (), " ".join(stream), ())
    return Analysis(AnalysisStatus.OK, "tar.gz", None, (), features)


def test_generated_analyses_give_the_local_edges_and_families(
    store: Store, tmp_path: Path, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(21)
    streams = _corpus(rng, 2500)
    names = [f"gen{i:05d}" for i in range(len(streams))]
    _feed(tmp_path / "osv", names)
    assert ingest(store, "osv", [str(tmp_path / "osv")]).ok
    versions = dict(
        store.db.execute(
            "SELECT p.name, v.id FROM packages p JOIN package_versions v ON v.package_id = p.id"
        )
    )
    with store.transaction() as db:
        for i, name in enumerate(names):
            copy = i - i % 2 if i < 40 else i  # the first 40 versions: 20 archives, twice each
            sha = hashlib.sha256(f"archive-{copy}".encode()).hexdigest()
            stream = streams[copy]
            helper = i // 2 if 100 <= i < 140 else i  # 20 pairs of versions share a helper file
            shared = hashlib.sha256(f"helper-{helper}".encode()).hexdigest()
            add_artifact(db, versions[name], "test", sha, f"/{name}.tar.gz", "sdist", "2024-01-01")
            save_analysis(db, sha, _analysis(stream, shared), "2024-01-01")

    local = refresh_similar(store)
    expected = _stored_similar(store)
    assert local.edges["near-duplicate"] > 1000 and local.families > 100
    assert max(len(members) for _, members in expected[1]) >= 150  # the spanned campaign
    monkeypatch.setattr(on_cluster, "MIN_SKETCHES_PER_PARTITION", 300)  # several partitions
    monkeypatch.setattr(on_cluster, "BANDED_ROWS_PER_PARTITION", 50_000)
    said = _relate_on_cluster(store, scheduler, None)  # the folder beside the store
    assert f"{local.families} families (0 new, 0 dissolved)" in said
    assert _stored_similar(store) == expected
