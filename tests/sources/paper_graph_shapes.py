"""A tiny copy of the MalGraph paper's graph folder (KG/), written in each published shape:
code clusters in `*_end.xlsx` (label in `cluster`, a version typed as a number),
`clusters_*.json` (sample file paths), crawler results `*_results.xlsx` (found_names as a
Python list literal), and NetworkX node-link graphs with bare NaN, int or string ids,
`package_name` / `name_version` / name and `verison` / id-only nodes, and a whole graph beside
its subgraph file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped]

NAN = float("nan")  # json.dumps writes it as the bare NaN the paper's files hold
END_HEADER = (
    "Source",
    "Filepath",
    "path",
    "sourcecode_path",
    "name_version",
    "name",
    "version",
    "published_at",
    "Status",
    "OSS",
    "description",
    "author",
    "maintainers",
    "repository_url",
    "dependencies",
    "ID",
    "cluster",
    "SHA-256",
    "LoC",
)
CAMPAIGN = "https://blog.example.com/evil-campaign?utm_source=feed"
GEMS = "https://helpnetsecurity.com/2019/08/21/backdoored-ruby-gems/"
PHYLUM = "https://blog.phylum.io/malware-campaign-targets-npm-pypi-and-rubygems-developers/"


def book(path: Path, rows: list[tuple[Any, ...]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def graph(
    path: Path, nodes: list[dict[str, Any]], links: list[dict[str, Any]], directed: bool = False
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"directed": directed, "multigraph": False, "graph": {}, "nodes": nodes, "links": links}
    path.write_text(json.dumps(doc))  # allow_nan: NaN stays bare, as pandas wrote it
    return path


def end_row(name: str, version: Any, cluster: int, joined: str | None = None) -> tuple[Any, ...]:
    joined = joined or f"{name}-{version}"
    return (
        "Backstabber-Knife",
        f"   /Documents/malware/npm/{joined}.tgz",
        None,
        f"   /Documents/sourcecode_js/{joined}_sourcecode.js",
        joined,
        name,
        version,
        "2023-10-29T10:20:31.931Z",
        "tracked",
        "NPM",
        "",
        "",
        "",
        "",
        "",
        1,
        cluster,
        "c3ec55",
        50,
    )


def write_kg(root: Path) -> Path:
    """The folder; returns its KG/ path."""
    kg = root / "OSS-MPAW" / "KG"
    book(
        kg / "Similar_Edge" / "npm_end.xlsx",
        [
            END_HEADER,
            end_row("a", "1.0.0", 0),
            end_row("b", "1.0.0", 0),
            end_row("c", 2.0, 0, joined="c-2.0"),  # the sheet typed "2.0" as a number
            end_row("d", "1.0.0", 1),
            end_row("e", "1.0.0", 1),
        ],
    )
    sample = "/root/Desktop/sourcecode_rb/Backstabber/sourcecode/coming_soon-{}_sourcecode.rb"
    (kg / "Similar_Edge" / "clusters_rb.json").write_text(
        json.dumps(
            {
                "0": {
                    "size": 2,
                    "average_similarity": NAN,
                    "average_silhouette": 1.0,
                    "representative_samples": [sample.format("0.2.4")],
                    "samples": [
                        {
                            "file_path": sample.format(v),
                            "distance_to_center": 0.0,
                            "silhouette_score": 1.0,
                            "code_length": 155,
                        }
                        for v in ("0.2.4", "0.2.3")
                    ],
                    "cluster_stats": {"min_similarity": 1.0},
                }
            }
        )
    )
    crawler = kg / "Co-existing_Edge" / "WebCrawler_report"
    book(
        crawler / "ruby_results.xlsx",
        [("url", "found_names"), (GEMS, "['coming-soon', 'rest-client']")],
    )
    coreported = {
        "Source": "Socket",
        "Filepath": NAN,
        "Status": "untracked",
        "OSS": "NPM",
        "url": CAMPAIGN,
        "download_number": None,
        "description": NAN,
    }
    graph(
        crawler / "npm" / "graph_0.json",
        [
            {**coreported, "name_version": "a-1.0.0", "name": "a", "version": "1.0.0", "id": 7},
            {**coreported, "name_version": "b-1.0.0", "name": "b", "version": "1.0.0", "id": 8},
        ],
        [{"report": CAMPAIGN, "source": 7, "target": 8}],
    )
    traced = [
        {
            "name": name,
            "report": PHYLUM,
            "Source": "None",
            "status": "untraced",
            "id": str(i),
            "published_at": "Not available",
        }
        for i, name in enumerate(("gunther", "iosthin"), 1)
    ]
    source_report = kg / "Co-existing_Edge" / "source_report"
    graph(source_report / "ruby_graph.json", traced, [{"source": 1, "target": 2}])
    graph(
        source_report / "ruby" / "subgraph_1.json",  # the same group, more attributes
        [{**node, "download_number": NAN} for node in traced],
        [{"source": 1, "target": 2}],
    )
    duplicated = [
        {
            "package_id": str(i),
            "OSS": "RubyGems",
            "Source": source,
            "Status": "tracked",
            "package_name": text,
            "edge_name": "[]",
            "id": str(i),
        }
        for i, (source, text) in enumerate(
            [
                ("Backstabber-Knife", "coming_soon-0.2.4"),
                ("Snyk.io", "coming_soon-0.2.4"),
                ("Snyk.io", "lonely-1.0.0"),
            ],
            1,
        )
    ]
    graph(kg / "Duplicated_Edge" / "ruby_graph.json", duplicated, [{"source": 1, "target": 2}])
    metadata = [
        {
            "package_id": str(i),
            "OSS": "RubyGems",
            "Source": "Backstabber-Knife",
            "Status": "tracked",
            "filepath": NAN,
            "package_name": f"{name}-{version}",
            "name": name,
            "verison": version,
            "edge_dependency": "[]",
            "id": str(i),
        }
        for i, name, version in ((10, "x", "1.0.0"), (11, "y", "2.0.0"))
    ]
    dependency = kg / "Dependency_Edge"
    graph(dependency / "metadata_dep" / "ruby_graph.json", metadata, [{"source": 10, "target": 11}])
    code = [
        {
            "yuan1": "Backstabber-Knife",
            "File": "/x",
            "Code": "require('evil-dep')",
            "id": "a-1.0.0",
        },
        {"yuan1": "Snyk.io", "id": "b-1.0.0"},
        {"yuan": "Snyk.io", "id": "evil-dep"},
    ]
    pulls = [
        {"source": "a-1.0.0", "target": "evil-dep"},
        {"source": "b-1.0.0", "target": "evil-dep"},
    ]
    graph(dependency / "sourcecode_dep" / "npm_dependency_graph.json", code, pulls, directed=True)
    apart = {"a-1.0.0": ("a", "1.0.0"), "b-1.0.0": ("b", "1.0.0"), "evil-dep": ("evil-dep", NAN)}
    described = [
        {
            **node,
            "Source": "Snyk.io",
            "OSS": "NPM",
            "name": apart[node["id"]][0],
            "version": apart[node["id"]][1],
        }
        for node in code
    ]
    graph(
        dependency / "sourcecode_dep" / "npm" / "weakly_connected_subgraph_0.json",
        described,
        pulls,
        directed=True,
    )
    return kg
