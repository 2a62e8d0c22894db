"""All the real data in one store: every source, reports, IoCs, campaigns, co-reports.

Expected numbers are worked out here from the files themselves, not from malgraph.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
import pytest

from malgraph.core.card import CardCampaign
from malgraph.pipeline.ingest import ingest
from malgraph.report.numbers import stats
from malgraph.store import Store
from malgraph.store.read.card import find_packages, read_card
from tests.conftest import write_json

KINDS = [  # every folder of the real data with the source that reads it
    ("osv", "osv-malicious-sample"),
    ("osv", "leitwacht-malicious-packages"),
    ("datadog", "datadog-manifests"),
    ("maloss", "maloss-lists"),
    ("kam193", "kam193-package-campaigns"),
    ("paper", "malgraph-paper-excerpt"),
    ("reports", "supply-chain-reports"),
]


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Store:
    store = Store(tmp_path_factory.mktemp("graph") / "all.db")
    rejected = []
    for kind, folder in KINDS:
        rejected += ingest(store, kind, [str(shared_data / folder)]).rejected
    # Every published file is read or recognised: leitwacht's index of ids is skipped.
    assert rejected == []
    return store


def test_every_source_is_in_the_graph(graph: Store) -> None:
    numbers = stats(graph.db)
    sources = set(numbers["by_source"])
    assert {
        "ghsa-malware",
        "leitwacht",
        "datadog",
        "maloss",
        "snyk",
        "kam193",
        "phylum",
        "backstabbers-knife-collection",
    } <= sources
    # The paper's labels of reporters other inputs name too count as those reporters.
    assert not sources & {"DataDog", "Snyk.io", "Maloss", "GitHub Advisory", "Phylum"}
    assert {label for labels in numbers["by_label"].values() for label in labels} >= {
        "DataDog",
        "datadog",
        "Snyk.io",
        "snyk",
        "Maloss",
        "maloss",
        "GitHub Advisory",
    }
    again = ingest(graph, "reports", [str(Path(graph.path).parent)])  # nothing there: no-op
    assert again.outcomes == {}


def test_kam193_campaigns_and_members(graph: Store, shared_data: Path) -> None:
    campaigns, members = set(), defaultdict(set)
    root = shared_data / "kam193-package-campaigns/pypi"
    for path in root.glob("campaigns/*/*.json"):
        data = json.loads(path.read_text())
        campaigns.add(data["name"])
        members[data["name"]] |= set(data.get("packages") or [])
    for path in root.glob("packages/*/json/*.json"):
        data = json.loads(path.read_text())
        campaigns.add(data["campaign"])
        members[data["campaign"]].add(data["name"])
    stored = dict(
        graph.db.execute(
            "SELECT c.name, count(DISTINCT r.package_id) FROM campaigns c"
            " LEFT JOIN campaign_members m ON m.campaign_id = c.id"
            " LEFT JOIN records r ON r.id = m.record_id GROUP BY c.id"
        )
    )
    assert set(stored) == campaigns
    # Members are packages: names that differ only in PEP 503 spelling are one.
    import re

    pep503 = {k: {re.sub(r"[-_.]+", "-", n).lower() for n in v} for k, v in members.items()}
    assert stored == {k: len(v) for k, v in pep503.items()}


def test_a_campaign_with_categories_and_iocs(graph: Store, shared_data: Path) -> None:
    path = next(
        p
        for p in (shared_data / "kam193-package-campaigns/pypi/campaigns").glob("*/*.json")
        if json.loads(p.read_text()).get("ioc") == ["https://t.me/pozozal"]
    )
    data = json.loads(path.read_text())
    (package,) = find_packages(graph.db, data["packages"][0], "PyPI")
    card = read_card(graph.db, package)
    assert (
        CardCampaign(
            source="kam193",
            name=data["name"],
            category=data["category"],
            created=data["created_at"] + "T00:00:00Z",
        )
        in card.campaigns
    )
    iocs = graph.db.execute(
        "SELECT i.kind, i.value FROM iocs i JOIN ioc_sightings s ON s.ioc_id = i.id"
        " JOIN campaigns c ON c.id = s.campaign_id WHERE c.name = ?",
        (data["name"],),
    ).fetchall()
    assert iocs == [("url", "https://t.me/pozozal")]


def test_osv_iocs_are_nodes_linked_to_their_record(graph: Store, shared_data: Path) -> None:
    doc = json.loads(
        (
            shared_data / "osv-malicious-sample/osv/malicious/pypi/libnvidiasplitpep/"
            "MAL-2023-4262.json"
        ).read_text()
    )
    rows = graph.db.execute(
        "SELECT i.kind, i.value FROM iocs i JOIN ioc_sightings s ON s.ioc_id = i.id"
        " JOIN records r ON r.id = s.record_id WHERE r.source_record_id = 'MAL-2023-4262'"
        " ORDER BY 2"
    ).fetchall()
    assert rows == sorted(("url", u) for u in doc["database_specific"]["iocs"]["urls"])


def test_reports_cited_by_several_records_make_co_reported_packages(
    graph: Store, shared_data: Path
) -> None:
    # From the files: packages citing each ARTICLE/WEB URL (the sample keeps whole groups).
    cited = defaultdict(set)
    for path in (shared_data / "osv-malicious-sample/osv").rglob("*.json"):
        doc = json.loads(path.read_text())
        for ref in doc.get("references") or []:
            if ref["type"] in ("ARTICLE", "WEB", "REPORT"):
                cited[ref["url"]].add(doc["affected"][0]["package"]["name"].lower())
    url, names = max(
        ((u, n) for u, n in cited.items() if 2 <= len(n) <= 40),
        key=lambda item: (len(item[1]), item[0]),
    )
    first = sorted(names)[0]
    (package,) = find_packages(graph.db, first, "npm") or find_packages(graph.db, first, "PyPI")
    co = read_card(graph.db, package).coreported
    assert {p.name for p in co if url in p.reports} == names - {first}


def test_write_ups_name_packages_the_store_knows(graph: Store) -> None:
    # 2021/klow-klown-okhsa.md, read by hand, names klow, klown, okhsa and ua-parser-js on
    # npm. Only names the store knows can be found; of these four the shared sources list
    # klow alone (MalOSS), so klow is the one mention.
    report = graph.db.execute(
        "SELECT id FROM reports WHERE url LIKE '%klow-klown-okhsa.md'"
    ).fetchone()[0]
    found = {
        name
        for (name,) in graph.db.execute(
            "SELECT p.name FROM report_mentions m JOIN packages p ON p.id = m.package_id"
            " WHERE m.report_id = ?",
            (report,),
        )
    }
    known = {
        n
        for (n,) in graph.db.execute(
            "SELECT name FROM packages WHERE ecosystem = 'npm'"
            " AND name IN ('klow', 'klown', 'okhsa', 'ua-parser-js')"
        )
    }
    assert found == known == {"klow"}


def test_defanged_iocs_in_a_write_up(store: Store, tmp_path: Path) -> None:
    (tmp_path / "incident.md").write_text(
        "# Evil\n\nThe payload calls hxxps://evil-c2[.]example[.]com/a and 185[.]62[.]57[.]2.\n"
    )
    ingest(store, "reports", [str(tmp_path / "incident.md")])
    rows = store.db.execute(
        "SELECT i.kind, i.value, s.as_written FROM iocs i JOIN ioc_sightings s"
        " ON s.ioc_id = i.id WHERE s.report_id IS NOT NULL ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("ip", "185.62.57.2", "185[.]62[.]57[.]2"),
        ("url", "https://evil-c2.example.com/a", "hxxps://evil-c2[.]example[.]com/a"),
    ]


def test_a_write_up_links_to_packages_ingested_later(store: Store, tmp_path: Path) -> None:
    (tmp_path / "r.md").write_text(
        "# X\n\nThe malicious npm packages `left-pad-evil` and `colors-evil` stole tokens.\n"
    )
    ingest(store, "reports", [str(tmp_path / "r.md")])
    write_json(
        tmp_path / "osv/a.json",
        {
            "id": "MAL-1",
            "modified": "2024-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "npm", "name": "left-pad-evil"}}],
        },
    )
    write_json(
        tmp_path / "osv/b.json",
        {
            "id": "MAL-2",
            "modified": "2024-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "npm", "name": "colors-evil"}}],
        },
    )
    ingest(store, "osv", [str(tmp_path / "osv")])
    (package,) = find_packages(store.db, "left-pad-evil", "npm")
    card = read_card(store.db, package)
    assert [r.via for r in card.reports] == ["mention: left-pad-evil"]
    assert [p.name for p in card.coreported] == ["colors-evil"]


def test_missing_rate_single_and_after_filling(graph: Store, shared_data: Path) -> None:
    # malware.xlsx: per source, rows not "tracked"; after filling, rows whose name_version no
    # tracked row of any source has. Sources that only this workbook feeds are checked.
    book = openpyxl.load_workbook(
        shared_data / "malgraph-paper-excerpt/malware.xlsx", read_only=True
    )
    rows = []
    for sheet in book:
        values = list(sheet.iter_rows(values_only=True))
        header = [str(h).strip() if h else "" for h in values[0]]
        rows += [dict(zip(header, r, strict=False)) for r in values[1:] if any(r)]
    tracked = {r["name_version"] for r in rows if r["Status"] == "tracked"}
    rates = stats(graph.db)["missing_rate"]["by_source"]
    only_here = {
        "backstabbers-knife-collection": "Backstabber-Knife",
        "socket": "Socket",
        "mal-pypi-dataset": "Mal-PyPI Dataset",
    }
    for source, label in only_here.items():
        mine = [r for r in rows if str(r["Source"]).strip() == label]
        single = sum(r["Status"] != "tracked" for r in mine) / len(mine)
        filled = sum(r["name_version"] not in tracked for r in mine) / len(mine)
        assert rates[source] == {
            "records": len(mine),
            "missing": round(single, 4),
            "missing_after_filling": round(filled, 4),
        }, source


def test_the_same_report_twice_adds_nothing(store: Store, tmp_path: Path) -> None:
    (tmp_path / "r.md").write_text("# Evil\n\nSee hxxp://bad[.]example/x for the npm package.\n")
    ingest(store, "reports", [str(tmp_path)])
    tables = ("reports", "iocs", "ioc_sightings", "documents")
    before = {t: store.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy/r.md").write_bytes((tmp_path / "r.md").read_bytes())  # same bytes
    assert ingest(store, "reports", [str(tmp_path)]).outcomes == {"unchanged": 2}
    assert {
        t: store.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables
    } == before
