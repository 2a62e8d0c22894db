"""Source labels in the store: one reporter counted once, its labels kept, and the store
re-pointed whenever the aliases change, whatever the order of the inputs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import malgraph.cli.ingest  # noqa: F401  (registers the commands)
from malgraph.cli import app, explore, run  # noqa: F401
from malgraph.core.rows import (
    CampaignRow,
    CampaignRows,
    DocumentRows,
    IocRow,
    RecordRow,
    RecordRows,
    package_row,
)
from malgraph.core.source_names import SourceEntry, SourceNames
from malgraph.pipeline.duplicated import repoint, write_batch
from malgraph.pipeline.ingest import ingest
from malgraph.pipeline.store import open_store
from malgraph.report.numbers import stats
from malgraph.store import Store
from malgraph.store.read.card import find_packages, read_card
from malgraph.store.schema import MIGRATIONS
from malgraph.store.writer import Accepted, Writer
from tests.sources.test_paper import write_book

runner = CliRunner()
COUNTED = ("by_source", "overlap", "occurrence", "units", "by_label", "missing_rate", "edges")


def datadog_manifest(root: Path) -> Path:
    """DataDog's manifest, with a sample of evil-pkg 1.0.0 (an inert stand-in zip)."""
    folder = root / "datadog" / "samples" / "npm"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"evil-pkg": ["1.0.0"], "other": ["2.0.0"]}))
    sample = folder / "malicious_intent/evil-pkg/1.0.0/2024-05-01-evil-pkg-v1.0.0.zip"
    sample.parent.mkdir(parents=True)
    sample.write_bytes(b"PK\x05\x06" + b"\x00" * 18)  # an empty zip: never opened here
    return root / "datadog"


def paper_book(root: Path) -> Path:
    """The MalGraph paper's malware.xlsx: DataDog and Phylum both name evil-pkg 1.0.0."""
    header = ("Source", "name_version", "Status", "ID", "OSS")
    write_book(
        root / "paper" / "malware.xlsx",
        {
            "NPM": [
                header,
                ("DataDog", "evil-pkg-1.0.0", "untracked", 1, "NPM"),
                ("Phylum", "evil-pkg-1.0.0", "untracked", 2, "NPM"),
                ("Snyk.io", "lonely-9.9.9", "untracked", 3, "NPM"),
            ]
        },
    )
    return root / "paper"


def counted(store: Store) -> dict[str, Any]:
    numbers = stats(store.db)
    return {key: numbers[key] for key in COUNTED}


def test_the_papers_datadog_and_datadogs_manifest_are_one_source(
    tmp_path: Path, store: Store
) -> None:
    inputs = [("datadog", datadog_manifest(tmp_path)), ("paper", paper_book(tmp_path))]
    for kind, path in inputs:
        assert ingest(store, kind, [str(path)]).ok
    numbers = stats(store.db)
    assert set(numbers["by_source"]) == {"datadog", "phylum", "snyk"}
    assert numbers["by_label"] == {
        "datadog": {"DataDog": 1, "datadog": 2},
        "phylum": {"Phylum": 1},
        "snyk": {"Snyk.io": 1},
    }
    # evil-pkg 1.0.0 is held by two reporters, not three; no source overlaps itself.
    assert numbers["occurrence"] == {"1": 2, "2": 1}
    pairs = {(p["a"], p["b"]): p["shared"] for p in numbers["overlap"] if p["ecosystem"] == "*"}
    assert pairs == {("datadog", "phylum"): 1, ("datadog", "snyk"): 0, ("phylum", "snyk"): 0}
    # The paper's DataDog claim has its code: DataDog holds the sample.
    assert numbers["missing_rate"]["by_source"]["datadog"] == {
        "records": 3,
        "missing": round(1 - 2 / 3, 4),
        "missing_after_filling": round(1 - 2 / 3, 4),
    }
    # Two labels of one reporter are no confirmation of each other.
    edges = store.db.execute("SELECT evidence FROM edges WHERE kind = 'duplicated'").fetchall()
    sides = sorted(
        tuple(sorted((e["a"]["source"], e["b"]["source"])))
        for (e,) in ((json.loads(text),) for (text,) in edges)
    )
    assert sides == [("datadog", "phylum"), ("datadog", "phylum")]
    labelled = [json.loads(text) for (text,) in edges]
    assert {side.get("label") for e in labelled for side in (e["a"], e["b"])} == {
        None,
        "DataDog",
        "Phylum",
    }
    # Each claim keeps the label its input gave.
    [pid] = find_packages(store.db, "evil-pkg", "npm")
    records = read_card(store.db, pid).records
    assert sorted((r.source, r.label) for r in records) == [
        ("datadog", "DataDog"),
        ("datadog", "datadog"),
        ("phylum", "Phylum"),
    ]
    shown = " ".join(
        runner.invoke(app, ["--db", str(store.path), "show", "evil-pkg"]).output.split()
    )
    assert "datadog (as DataDog)" in shown and "sources: datadog, phylum" in shown


def test_the_counts_do_not_depend_on_the_order_of_inputs(tmp_path: Path) -> None:
    inputs = [("datadog", datadog_manifest(tmp_path)), ("paper", paper_book(tmp_path))]
    results = []
    for name, order in (("a.db", inputs), ("b.db", inputs[::-1])):
        with Store(tmp_path / name) as store:
            for kind, path in order:
                ingest(store, kind, [str(path)])
            results.append(counted(store))
    assert results[0] == results[1]


def team_list(root: Path, name: str, *rows: tuple[str, str]) -> Path:
    """A list with claims on npm evil-pkg 1.0.0, one per (source, version) row."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / name
    lines = ["ecosystem,name,version,source"] + [f"npm,evil-pkg,{v},{s}" for s, v in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


TEAM = (SourceEntry("team", ("Team A", "team-b")),)


def test_a_store_is_re_pointed_when_the_aliases_change(tmp_path: Path) -> None:
    lists = [
        team_list(tmp_path, "a.csv", ("Team A", "1.0.0")),
        team_list(tmp_path, "b.csv", ("team-b", "1.0.0"), ("team-b", "2.0.0")),
    ]
    with Store(tmp_path / "late.db") as store:
        for path in lists:
            assert ingest(store, "list", [str(path)]).ok
        before = stats(store.db)
        assert set(before["by_source"]) == {"Team A", "team-b"}
        assert before["edges"] == {"duplicated": 1}
        # A user's table given on a later run, with nothing new to read: the store follows.
        report = ingest(store, "list", [str(p) for p in lists], source_aliases=TEAM)
        assert report.repointed == 2 and report.outcomes == {"unchanged": 2}
        late = counted(store)
        assert late["by_label"] == {"team": {"Team A": 1, "team-b": 1}}
        assert late["edges"] == {} and late["occurrence"] == {"1": 2}
        assert store.db.execute("SELECT name FROM sources ORDER BY 1").fetchall() == [
            ("list",),
            ("team",),
        ]  # the two old sources are gone
        # Later runs without the file keep the store's table.
        assert ingest(store, "list", [str(lists[0])]).repointed == 0
        assert counted(store) == late
        # ... as if the table had been there from the start.
        with Store(tmp_path / "early.db") as early:
            for path in lists[::-1]:
                ingest(early, "list", [str(path)], source_aliases=TEAM)
            assert counted(early) == late
        # An empty table forgets the user's aliases: two sources again, and their edge.
        assert ingest(store, "list", [str(lists[0])], source_aliases=()).repointed == 2
        assert counted(store) == {key: before[key] for key in COUNTED}


def test_unlisted_spellings_of_one_source_settle_on_one_name(tmp_path: Path) -> None:
    results = []
    for name, sources in (
        ("a.db", ("Acme Labs", "acme-labs")),
        ("b.db", ("acme-labs", "Acme Labs")),
    ):
        with Store(tmp_path / name) as store:
            for i, source in enumerate(sources):
                path = team_list(tmp_path / name.replace(".db", ""), f"{i}.csv", (source, "1.0.0"))
                ingest(store, "list", [str(path)])
            results.append(counted(store))
    assert results[0] == results[1]
    assert results[0]["by_label"] == {"acme-labs": {"Acme Labs": 1, "acme-labs": 1}}
    assert results[0]["edges"] == {}


@pytest.fixture
def team_file(tmp_path: Path) -> Path:
    path = tmp_path / "aliases.toml"
    path.write_text('[team]\naliases = ["Team A", "team-b"]\ndescription = "ours"\n')
    return path


def test_cli_source_aliases_option_env_var_and_stats_json(tmp_path: Path, team_file: Path) -> None:
    db = str(tmp_path / "cli.db")
    a = team_list(tmp_path, "a.csv", ("Team A", "1.0.0"))
    b = team_list(tmp_path, "b.csv", ("team-b", "1.0.0"))
    done = runner.invoke(
        app, ["--db", db, "ingest", "list", str(a), "--source-aliases", str(team_file)]
    )
    assert done.exit_code == 0, done.output
    done = runner.invoke(
        app, ["--db", db, "ingest", "list", str(b)], env={"MALGRAPH_SOURCE_ALIASES": str(team_file)}
    )
    assert done.exit_code == 0, done.output
    numbers = json.loads(runner.invoke(app, ["--db", db, "stats", "--format", "json"]).output)
    assert numbers["by_label"] == {"team": {"Team A": 1, "team-b": 1}}
    assert list(numbers["by_source"]) == ["team"] and numbers["overlap"] == []
    text = " ".join(runner.invoke(app, ["--db", db, "stats"]).output.split())
    assert "Team A 1, team-b 1" in text
    listed = json.loads(runner.invoke(app, ["--db", db, "sources", "-f", "json"]).output)["names"]
    by_name = {s["name"]: s for s in listed}
    assert by_name["team"]["aliases"] == ["Team A", "team-b"]
    assert by_name["team"]["description"] == "ours"
    assert "DataDog" in by_name["datadog"]["aliases"]


@pytest.mark.parametrize("command", [["ingest", "list"], ["build"]])
def test_cli_a_malformed_aliases_file_is_a_usage_error(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[team]\naliases = "Team A"\n')
    a = team_list(tmp_path, "a.csv", ("Team A", "1.0.0"))
    db = tmp_path / "never.db"
    args = ["--db", str(db), *command, *([str(a)] if command[0] == "ingest" else [])]
    assert run([*args, "--source-aliases", str(bad)]) == 2
    said = capsys.readouterr()
    assert said.err.strip().splitlines() == [
        f"error: {bad}: [team] aliases is not a list of strings"
    ]
    assert "Traceback" not in said.out + said.err and not db.exists()
    assert run([*args, "--source-aliases", str(tmp_path / "none.toml")]) == 2
    assert "no such file or directory" in capsys.readouterr().err


def campaign_document(feed: str, package: str) -> Accepted:
    """A document of `feed` whose claim on `package` joins campaign "c1" (as kam193's do)."""
    campaign = CampaignRows(
        "c1",
        CampaignRow("Campaign one", None, None, f"by {feed}", None),
        (IocRow("domain", "evil.example", "evil[.]example"),),
    )
    claim = RecordRows(
        feed,
        package_row("npm", True, package),
        (),
        (),
        RecordRow(f"{feed}/{package}", "claim", package, "unknown", "[]"),
        (),
        (campaign,),
        (),
    )
    rows = DocumentRows(
        path=f"{feed}.json",
        sha256=feed.encode().hex().ljust(64, "0"),
        feed=feed,
        key=f"{feed}/doc",
        modified="2024-01-01T00:00:00Z",
        warnings=(),
        rejected=(),
        records=(claim,),
        campaigns=(campaign,),
    )
    return Accepted(rows, f"/in/{feed}.json", (1, 1))


def test_campaigns_and_artifacts_of_merged_labels_are_merged(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        writer = Writer(store.db)
        with store.transaction():
            write_batch(
                writer,
                [campaign_document("Team A", "evil-a"), campaign_document("team-b", "evil-b")],
            )
        assert store.db.execute("SELECT count(*) FROM campaigns").fetchone() == (2,)
        with store.transaction():
            assert repoint(store.db, SourceNames(TEAM)) == 2
        # One campaign "c1" of source team, joined by both claims, its IoC seen once.
        assert store.db.execute(
            "SELECT s.name, c.key, count(m.record_id) FROM campaigns c JOIN sources s"
            " ON s.id = c.source_id JOIN campaign_members m ON m.campaign_id = c.id GROUP BY c.id"
        ).fetchall() == [("team", "c1", 2)]
        assert store.db.execute(
            "SELECT count(*) FROM ioc_sightings WHERE campaign_id IS NOT NULL"
        ).fetchone() == (1,)
        assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_an_artifact_follows_its_label(tmp_path: Path) -> None:
    renamed = (SourceEntry("datadog-labs", ("datadog",)),)
    with Store(tmp_path / "late.db") as store:
        ingest(store, "datadog", [str(datadog_manifest(tmp_path))])
        ingest(store, "paper", [str(paper_book(tmp_path))])
        assert ingest(store, "paper", [], source_aliases=renamed).repointed == 2
        late = counted(store)
        assert late["missing_rate"]["by_source"]["datadog-labs"]["records"] == 3
        assert store.db.execute(
            "SELECT s.name FROM artifacts a JOIN sources s ON s.id = a.source_id"
        ).fetchall() == [("datadog-labs",)]
    with Store(tmp_path / "early.db") as store:
        ingest(store, "paper", [str(paper_book(tmp_path))], source_aliases=renamed)
        ingest(store, "datadog", [str(datadog_manifest(tmp_path / "again"))])
        assert counted(store) == late


def test_an_older_store_counts_its_sources_as_reporters_once_opened(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    before = next(i for i, sql in enumerate(MIGRATIONS) if "CREATE TABLE source_labels" in sql)
    db = sqlite3.connect(path)
    for sql in MIGRATIONS[:before]:
        db.executescript(sql)
    db.executescript(
        f"PRAGMA user_version={before};"
        "INSERT INTO sources VALUES (1, 'DataDog', 'feed'), (2, 'datadog', 'feed');"
        "INSERT INTO packages VALUES (1, 'npm', 'evil', 1, 'pkg:npm/evil');"
        "INSERT INTO package_versions VALUES (1, 1, '1.0.0', 'pkg:npm/evil@1.0.0');"
        "INSERT INTO records(id, source_id, source_record_id, role, package_id, name_given,"
        " scope, versions, raw_sha256) VALUES (1, 1, 'p1', 'claim', 1, 'evil', 'listed',"
        " '[\"1.0.0\"]', ''), (2, 2, 'd1', 'claim', 1, 'evil', 'listed', '[\"1.0.0\"]', '');"
        "INSERT INTO record_versions VALUES (1, 1), (2, 1);"
        "INSERT INTO edges(kind, src_type, src_id, dst_type, dst_id, evidence, confidence, step)"
        " VALUES ('duplicated', 'record', 1, 'record', 2, '{}', 1.0, 'relations.duplicated');"
    )
    db.close()
    with open_store(path) as store:
        numbers = stats(store.db)
        assert numbers["by_label"] == {"datadog": {"DataDog": 1, "datadog": 1}}
        assert numbers["edges"] == {} and numbers["occurrence"] == {"1": 1}
        assert store.db.execute("SELECT name FROM sources").fetchall() == [("datadog",)]
