"""Agreement with the paper's graph."""

from __future__ import annotations

from typing import Any

from malgraph.report.html import Section, Table
from malgraph.report.sections.common import left_out, share


def section(a: dict[str, Any]) -> Section:
    title = "Agreement with the paper's graph"
    if not a["kinds"]:
        return Section(
            "paper-agreement",
            title,
            f"No labelling of the MalGraph paper's in the store: `{a['filled_by']}` "
            "fills this section.",
        )
    kinds = Table(
        ["kind", "groups", "members", "files"],
        [[k, v["groups"], v["members"], v["files"]] for k, v in a["kinds"].items()],
        "The paper's groups as read",
    )
    return Section(
        "paper-agreement",
        title,
        _text(a["definitions"]),
        [],
        [kinds, _similar(a), _links(a)],
        _notes(a),
    )


def _text(d: dict[str, str]) -> str:
    return (
        "The MalGraph paper's own graph (its code clusters, crawler results and NetworkX graphs) "
        "is kept as its labelling, apart from malgraph's relations, and compared with them. "
        f"Pair precision: {d['pair_precision']}. Pair recall: {d['pair_recall']}. Adjusted "
        f"Rand: {d['adjusted_rand']}. Co-existing share: {d['share_of_paper_links']}; reverse: "
        f"{d['share_of_malgraph_links']}. Dependency share: {d['share_of_paper_pairs']}; "
        f"reverse: {d['share_of_malgraph_pairs']}. Duplicated share: "
        f"{d['share_held_by_several_sources']}. Groups: {d['groups']}."
    )


def _similar(a: dict[str, Any]) -> Table:
    return Table(
        [
            "clusters",
            "paper members",
            "not in malgraph",
            "no code",
            "with code",
            "in no family",
            "pair precision",
            "pair recall",
            "adjusted Rand",
        ],
        [
            [
                k,
                v["paper_members"],
                v["not_in_malgraph"],
                v["no_code"],
                v["with_code"],
                v["with_code_no_family"],
                share(v["pair_precision"]),
                share(v["pair_recall"]),
                v["adjusted_rand"],
            ]
            for k in ("similar", "similar-run")
            for v in [a[k]]
        ],
        "Code clusters against malgraph's families",
    )


def _links(a: dict[str, Any]) -> Table:
    c, dep, dup = a["co-existing"], a["dependency"], a["duplicated"]
    return Table(
        ["relation", "the paper's", "malgraph has them too", "share", "reverse share"],
        [
            [
                "co-existing (report -> package links)",
                c["paper_links"],
                c["shared_links"],
                share(c["share_of_paper_links"]),
                share(c["share_of_malgraph_links"]),
            ],
            [
                "dependency (package pairs)",
                dep["paper_pairs"],
                dep["shared_pairs"],
                share(dep["share_of_paper_pairs"]),
                share(dep["share_of_malgraph_pairs"]),
            ],
            [
                "duplicated (groups from 2+ sources)",
                dup["paper_groups"],
                dup["held_by_several_sources"],
                share(dup["share_held_by_several_sources"]),
                None,
            ],
        ],
        "Links and groups",
    )


def _notes(a: dict[str, Any]) -> list[str]:
    c, dep, dup = a["co-existing"], a["dependency"], a["duplicated"]
    return [
        f"co-existing: {c['reports_in_malgraph']} of the paper's {c['paper_reports']} "
        f"reports are reports in malgraph; {c['links_to_known_packages']} of its links name "
        "a package malgraph knows",
        f"dependency: {dep['pairs_both_known']} of the paper's pairs join two packages "
        "malgraph knows",
        *left_out({"without a version": dup["left_out_without_version"]}, "duplicated groups"),
    ]
