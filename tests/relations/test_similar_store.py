"""The similar relation through the store: archives analysed, edges written with evidence,
families with ids that survive re-runs and new members, and the numbers and cards on top."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from malgraph.artifacts.cache import cache_for
from malgraph.cli import app, explore  # noqa: F401  (importing registers the commands)
from malgraph.pipeline.analyze_code import analyze_stored
from malgraph.pipeline.fetch_code import register_local
from malgraph.pipeline.ingest import ingest
from malgraph.pipeline.relate import refresh_similar
from malgraph.report.numbers import stats
from malgraph.store import Store
from malgraph.store.read.graph import families
from tests.conftest import osv, write_json
from tests.inert_packages import tar_gz
from tests.relations.code_samples import OTHER_FUNCTIONS, SEED_FUNCTIONS, program

runner = CliRunner()


def _sdist(name: str, version: str, code: str) -> bytes:
    return tar_gz({f"{name}-{version}/{name}/__init__.py": code.encode()})


def _renamed(code: str) -> str:
    """The same program with every local name changed and the payload host moved."""
    local = r"(?<!\.)\b(info|found|payload|code|blob|handle|rel)\b"
    out = re.sub(local, lambda m: m[0] + "_x", code)
    return out.replace("collect.example.invalid", "other.example.invalid")


def _add(store: Store, tmp_path: Path, packages: dict[str, str]) -> None:
    feed, folder = tmp_path / "osv", tmp_path / "archives"
    for name, code in packages.items():
        write_json(
            feed / f"{name}.json", osv(f"MAL-{name}", name, ecosystem="PyPI", versions=["1.0"])
        )
        folder.mkdir(exist_ok=True)
        (folder / f"{name}-1.0.tar.gz").write_bytes(_sdist(name, "1.0", code))
    assert ingest(store, "osv", [str(feed)]).ok
    register_local(store, cache_for(store.path), folder)
    analyze_stored(store, cache_for(store.path), jobs=1)


def _family_of(store: Store) -> dict[str, str]:
    return {m.name: f.id for f in families(store.db) for m in f.members}


def test_copies_and_variants_form_one_family_with_a_stable_id(store: Store, tmp_path: Path) -> None:
    seed = program(SEED_FUNCTIONS)
    _add(
        store,
        tmp_path,
        {
            "alpha": seed,
            "beta": seed,  # a byte-identical copy under another name
            "gamma": _renamed(seed),  # renamed locals, another host: identical once normalised
            "delta": program(SEED_FUNCTIONS[:-1]) + "\n\ndef junk():\n    return 1\n",  # variant
            "other": program(OTHER_FUNCTIONS),  # unrelated
        },
    )
    found = refresh_similar(store)
    assert found.items == 5 and found.families == 1 and found.new_families == 1
    tiers = dict(
        store.db.execute(
            "SELECT (SELECT name FROM packages p JOIN package_versions v ON v.package_id = p.id"
            " WHERE v.id = e.dst_id), json_extract(e.evidence, '$.tier') FROM edges e"
            " WHERE e.kind = 'similar' AND e.src_id = (SELECT v.id FROM package_versions v"
            " JOIN packages p ON p.id = v.package_id WHERE p.name = 'alpha')"
        )
    )
    assert tiers["beta"] in ("identical-files", "identical-archive")
    assert tiers["gamma"] == "identical-normalised"
    assert tiers.get("delta") == "near-duplicate"
    family = _family_of(store)
    assert set(family) == {"alpha", "beta", "gamma", "delta"}
    [fid] = set(family.values())
    assert re.fullmatch(r"F-[0-9a-f]{10}", fid)

    assert refresh_similar(store).new_families == 0  # re-run: same edges, same id
    assert _family_of(store) == family
    _add(store, tmp_path, {"epsilon": _renamed(seed)})  # a new member joins, id kept
    again = refresh_similar(store)
    assert again.families == 1 and again.new_families == 0
    assert _family_of(store)["epsilon"] == fid

    numbers = stats(store.db)["families"]
    assert numbers["count"] == 1 and numbers["sizes"] == {"5": 1}
    assert numbers["available_package_versions"] == 6 and numbers["in_families"] == 5
    assert numbers["by_ecosystem"]["PyPI"]["share_in_families"] == round(5 / 6, 4)

    db = str(store.path)
    listed = json.loads(runner.invoke(app, ["--db", db, "families", "--format", "json"]).output)
    assert listed[0]["id"] == fid and listed[0]["size"] == 5
    assert {m["name"] for m in listed[0]["members"]} == set(_family_of(store))
    shown = runner.invoke(app, ["--db", db, "show", "alpha", "--format", "json"])
    card = json.loads(shown.output)[0]
    [entry] = card["similarity"]
    assert entry["family"]["id"] == fid
    assert {n["name"] for n in entry["neighbours"]} == {"beta", "gamma", "delta", "epsilon"}
    assert all(0.5 <= n["score"] <= 1.0 for n in entry["neighbours"])
    shown = runner.invoke(app, ["--db", db, "show", "alpha"]).output
    assert f"family {fid}" in shown and "similar to gamma@1.0" in shown
    relate = runner.invoke(app, ["--db", db, "relate", "--kinds", "similar"]).output
    assert "1 families (0 new, 0 dissolved)" in " ".join(relate.split())
