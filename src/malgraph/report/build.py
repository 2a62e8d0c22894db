"""`malgraph report`: the paper's questions answered from the graph. Gathers the numbers of
every analysis, draws the figures and lays out the sections; each figure says what it counts
and what was left out."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from malgraph.insights.campaigns import campaigns
from malgraph.insights.dependency import dependency_numbers
from malgraph.insights.duplicates import records_with_and_without_duplicates
from malgraph.insights.evolution import evolution
from malgraph.insights.lifecycle import lifecycle
from malgraph.insights.paper_agreement import paper_agreement
from malgraph.insights.sources import sources_section
from malgraph.report import figures
from malgraph.report.html import Figure, Section, Table, write_report
from malgraph.report.paper_rules import paper_rules_numbers, paper_rules_section
from malgraph.store.families import family_stats
from malgraph.store.queries import claims, package_version_count

TOP_SOURCES = 20  # the heat map stays readable; report.json has every source
GROUP_KINDS = ("family", "dependency", "coreport")
PAPER_NAME_CHANGES = "88.65%"  # the MalGraph paper's share of name changes in similar groups
DELAYS = ("release_to_detection", "detection_to_removal", "exposure")


def report_numbers(db: sqlite3.Connection, rules: str = "malgraph") -> dict[str, Any]:
    """Every number of the report, deterministic for a given store (`report --json`); with the
    paper's rules, RQ1 counted as the paper counted it too."""
    paper = {"paper_rules": paper_rules_numbers(db)} if rules == "paper" else {}
    return {
        "store": {
            "package_versions": package_version_count(db),  # the number `stats` prints
            "records": records_with_and_without_duplicates(claims(db)),
        },
        "sources": sources_section(db),
        "diversity": family_stats(db),
        "evolution": evolution(db),
        "dependency": dependency_numbers(db),
        "campaigns": campaigns(db),
        "lifecycle": lifecycle(db),
        "paper_agreement": paper_agreement(db),
        **paper,
    }


def build_report(db: sqlite3.Connection, outdir: Path, rules: str = "malgraph") -> Path:
    """Write index.html, report.json and the figures into `outdir`; returns index.html."""
    numbers = report_numbers(db, rules)
    outdir.mkdir(parents=True, exist_ok=True)
    paper = [paper_rules_section(numbers["paper_rules"])] if rules == "paper" else []
    sections = [
        _sources(numbers["sources"], numbers["store"], outdir),
        *paper,
        _diversity(numbers["diversity"], outdir),
        _evolution(numbers["evolution"], outdir),
        _active_time(numbers["evolution"], outdir),
        _dependency(numbers["dependency"], outdir),
        _campaigns(numbers["campaigns"], outdir),
        _lifecycle(numbers["lifecycle"], outdir),
        _paper_agreement(numbers["paper_agreement"]),
    ]
    subtitle = (
        f"{numbers['store']['package_versions']:,} package-versions (as `malgraph "
        f"stats` counts them) from {len(numbers['sources']['records'])} sources"
    )
    return write_report(outdir, "malgraph report", subtitle, sections, numbers)


def _share(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _left_out(counts: dict[str, int], what: str) -> list[str]:
    return [
        f"{n} {what} left out: {why.replace('_', ' ')}" for why, n in sorted(counts.items()) if n
    ]


def _sources(s: dict[str, Any], store: dict[str, Any], out: Path) -> Section:
    totals = {src: per.get("*", 0) for src, per in s["records"].items()}
    top = sorted(totals, key=lambda src: (-totals[src], src))[:TOP_SOURCES]
    records = store["records"]
    figures.grouped_bars(
        out / "sources-records.svg",
        {
            src: {
                "with duplicates": records.get(src, {}).get("with_duplicates", 0),
                "without duplicates": records.get(src, {}).get("without_duplicates", 0),
            }
            for src in top
        },
        "Records per source, with and without duplicates",
        xlabel="records",
        horizontal=True,
    )
    matrix = s["overlap"]["*"]
    index = [matrix["sources"].index(src) for src in top if src in matrix["sources"]]
    figures.heatmap(
        out / "sources-overlap.svg",
        [matrix["sources"][i] for i in index],
        [[_jaccard(matrix, i, j) for j in index] for i in index],
        "Jaccard index of package-versions: shared / held by either (0 where none is shared)",
        colorbar_label="Jaccard index",
        vmin=0.0,
        vmax=1.0,
    )
    one = s["occurrence_share"].get(1, s["occurrence_share"].get("1"))
    by_count = sorted(s["occurrence_share"].items(), key=lambda kv: int(kv[0]))
    figures.bars(
        out / "sources-occurrence.svg",
        {str(k): 100 * v for k, v in by_count},
        "Package-versions by how many sources hold them",
        xlabel="sources holding it",
        ylabel="% of package-versions",
        note=f"held by one source: {_share(one)}",
    )
    rates, overall = s["missing_rate"]["by_source"], s["missing_rate"]["overall"]
    missing = {
        src: {
            "own code only": 100 * m["missing"],
            "after supplementing": 100 * m["missing_after_filling"],
        }
        for src, m in rates.items()
    }
    figures.grouped_bars(
        out / "sources-missing.svg",
        missing,
        "Missing rate per source",
        xlabel="% of records without code",
        horizontal=True,
    )
    table = Table(
        [
            "source",
            "records",
            "without duplicates",
            "package-versions",
            "versions unknown",
            "missing",
            "after supplementing",
        ],
        [
            [
                src,
                totals[src],
                records.get(src, {}).get("without_duplicates"),
                s["package_versions"].get(src, {}).get("*", 0),
                s["versions_unknown"].get(src, {}).get("*", 0),
                _share(rates.get(src, {}).get("missing")),
                _share(rates.get(src, {}).get("missing_after_filling")),
            ]
            for src in sorted(totals, key=lambda x: (-totals[x], x))
        ],
    )
    headline = Table(
        ["figure", "value", "definition"],
        [
            [
                "missing rate",
                _share(overall["missing"]),
                "share of all records whose code their source does not hold",
            ],
            [
                "missing rate after filling",
                _share(overall["missing_after_filling"]),
                "share of all records without code of the same package-version from any source",
            ],
            [
                "single-source share",
                _share(s["single_source_share"]),
                "share of package-versions named by exactly one source",
            ],
        ],
    )
    return Section(
        "sources",
        "Sources (RQ1)",
        f"{store['package_versions']:,} package-versions in all (as `malgraph stats` counts "
        "them). Records are the claims each source makes (one per package, with duplicates); "
        "without duplicates, a record repeating another of the same source (same package and "
        "versions) counts once. A source's package-versions are the distinct package-versions "
        "it lists. A claim that names no version (all versions, a range, unknown) is evidence "
        "about the package only: it is counted under 'versions unknown' and never stretched to "
        "the versions other sources name. Overlap is the Jaccard index of two sources' "
        f"package-versions, 0 where they share none (the {len(index)} largest sources are "
        "drawn). The missing rate is the share of a source's records whose code it does not "
        "hold itself, and after supplementing from any source holding code of the same "
        "package-version (a record naming no version cannot be supplemented).",
        [
            Figure("sources-records.svg", "Records per source, with and without duplicates"),
            Figure("sources-overlap.svg", "Pairwise source overlap (Jaccard index)"),
            Figure("sources-occurrence.svg", "Share of package-versions by number of sources"),
            Figure("sources-missing.svg", "Missing rate before and after supplementing"),
        ],
        [headline, table],
        _left_out(s.get("left_out", {}), "claims"),
    )


def _jaccard(matrix: dict[str, Any], i: int, j: int) -> float:
    """The drawn overlap: exactly 0 where two sources share no package-version, whatever a
    coarser unit (a claim on all versions) made of their Jaccard index."""
    return 0.0 if not matrix["shared"][i][j] else float(matrix["jaccard"][i][j])


def _empty(section_id: str, title: str, what_fills_it: str) -> Section:
    """A section with nothing to show: one line saying which input would fill it."""
    return Section(section_id, title, f"Nothing to show yet: {what_fills_it}.")


def _diversity(d: dict[str, Any], out: Path) -> Section:
    if not d["available_package_versions"]:
        return _empty(
            "diversity",
            "Diversity (RQ2)",
            "no package-version has analysed code; "
            "`malgraph fetch`, `analyze` and `relate` fill this section",
        )
    figures.histogram(
        out / "diversity-sizes.svg",
        {int(k): v for k, v in d["sizes"].items()},
        "Family sizes",
        xlabel="members",
        log=True,
    )
    rows = [
        [eco, e["available"], e["in_families"], e["families"], _share(e["share_in_families"])]
        for eco, e in sorted(d["by_ecosystem"].items())
    ]
    return Section(
        "diversity",
        "Diversity (RQ2)",
        "A family is a group of package-versions whose code is the same or nearly so (the "
        "similar relation's strong edges: identical archives, files or normalised code, and "
        "near-duplicates). The share in families is the paper's diversity measure: how much of "
        "the available code is a copy or variant of other code. Only package-versions with "
        f"analysed code count: {d['available_package_versions']} of them, "
        f"{d['in_families']} in {d['count']} families.",
        [Figure("diversity-sizes.svg", "Family size distribution")],
        [Table(["ecosystem", "with code", "in families", "families", "share"], rows)],
    )


def _evolution(e: dict[str, Any], out: Path) -> Section:
    kinds = {k: e[k] for k in GROUP_KINDS}
    if not any(v["steps"] for v in kinds.values()):
        return _empty(
            "evolution",
            "Evolution",
            "no group has two members with a release time; "
            "analysed code (families), dependency links or reports naming several "
            "packages, with release dates, fill this section",
        )
    figures.grouped_bars(
        out / "evolution-steps.svg",
        {
            k: {
                "name change": v["name_change"]["count"],
                "version change": v["version_change"]["count"],
            }
            for k, v in kinds.items()
            if v["steps"]
        },
        "Steps inside groups (kinds with none left out)",
        ylabel="steps",
    )
    rows = []
    for kind, v in kinds.items():
        changed = {
            a: v["changes"]["all"].get(a, {}) for a in ("code", "description", "dependencies")
        }
        rows.append(
            [
                kind,
                v["groups"],
                v["steps"],
                _share(v["name_change"]["share"]),
                _share(v["version_change"]["share"]),
            ]
            + [_share(c.get("share_changed")) for c in changed.values()]
        )
    notes = [
        f"{kind}: " + note
        for kind, v in kinds.items()
        for note in _left_out(v["left_out"], "items")
    ]
    notes += [
        f"{kind}: {v['undated_members']} members without a release time left out"
        for kind, v in kinds.items()
        if v["undated_members"]
    ]
    if kinds["family"]["steps"]:
        notes.append(
            f"family: {_share(kinds['family']['name_change']['share'])} of steps are "
            f"name changes; the paper counts {PAPER_NAME_CHANGES} in its similar-code "
            "groups, the same kind of group, counted the same way"
        )
    return Section(
        "evolution",
        "Evolution",
        "Inside each group (a code family, a dependency group, the packages one report or "
        "campaign names) the members are sorted by release time, and each consecutive step is a "
        "name change (another package) or a version change (the same package), and changes or "
        "keeps the code, the description and the dependencies (unknown when either side lacks "
        "it, and then not counted in the share).",
        [Figure("evolution-steps.svg", "Name and version changes per group kind")],
        [
            Table(
                [
                    "group kind",
                    "groups",
                    "steps",
                    "name changes",
                    "version changes",
                    "code changed",
                    "description changed",
                    "dependencies changed",
                ],
                rows,
            )
        ],
        [*notes, *e.get("notes", [])],
    )


def _active_time(e: dict[str, Any], out: Path) -> Section:
    series = {k: e[k]["active_time"]["values"] for k in GROUP_KINDS}
    if not any(series.values()):
        return _empty(
            "active-time",
            "Active time",
            "no group has a dated member; release "
            "dates (from sources or registries) fill this section",
        )
    figures.ecdf(out / "active-time.svg", series, "Active time per group", xlabel="days")
    notes = [
        f"{k}: {e[k]['active_time']['left_out_undated_groups']} groups without any dated "
        f"member left out; {e[k]['active_time']['single_dated_member']} with one dated "
        "member count 0 days"
        for k in GROUP_KINDS
    ]
    return Section(
        "active-time",
        "Active time",
        "A group's active time is its latest member release minus its earliest, in days: how "
        "long one family, dependency group or co-reported set kept publishing. The figure is "
        "the empirical cumulative distribution per group kind.",
        [Figure("active-time.svg", "ECDF of active time per group kind")],
        [],
        notes,
    )


def _dependency(d: dict[str, Any], out: Path) -> Section:
    if not d["groups"]:
        return _empty(
            "dependency",
            "Dependency-hidden malware (RQ3)",
            "no malicious package is "
            "pulled in by another; manifests from `malgraph analyze`, or sources that "
            "list dependencies, fill this section",
        )
    days = [g["active_days"] for g in d["groups"] if g["active_days"] is not None]
    figures.histogram(
        out / "dependency-groups.svg",
        [g["size"] for g in d["groups"]],
        "Dependency group sizes",
        xlabel="packages",
    )
    rows = [[h["ecosystem"], h["name"], h["dependents"]] for h in d["hidden"]]
    return Section(
        "dependency",
        "Dependency-hidden malware (RQ3)",
        "A hidden package is a malicious package that another package pulls in: declared in "
        "its manifest (with a version spec that admits a malicious version), imported by its "
        "code under the ecosystem's rules, or listed by a source. Groups are the weakly "
        f"connected components of these links. {d['hidden_packages']} hidden packages are "
        f"pulled in by {d['dependent_packages']} packages, in {len(d['groups'])} groups; "
        f"{len(days)} groups have an active time.",
        [Figure("dependency-groups.svg", "Dependency group sizes")],
        [Table(["ecosystem", "hidden package", "dependents"], rows)],
        [f"{d['groups_without_dates']} groups without any release date"]
        if d["groups_without_dates"]
        else [],
    )


def _campaigns(c: dict[str, Any], out: Path) -> Section:
    if not (c["candidates"] or c["named"] or c["report_sites"]):
        return _empty(
            "campaigns",
            "Campaigns (RQ4)",
            "no packages are joined by a report, "
            "family, dependency or IoC; security reports or campaign lists (kam193) "
            "fill this section",
        )
    figures.histogram(
        out / "campaign-sizes.svg",
        [k["size"] for k in c["candidates"]],
        "Campaign candidate sizes",
        xlabel="packages",
        log=True,
    )
    rows = [
        [
            k["id"],
            k["size"],
            k["confidence"],
            ", ".join(f"{kind} {n}" for kind, n in sorted(k["evidence_counts"].items()) if n),
            ", ".join(m["name"] for m in k["members"][:5])
            + (" …" if len(k["members"]) > 5 else ""),
        ]
        for k in c["candidates"]
    ]
    named = sorted(c["named"], key=lambda n: (-n["members"], n["name"]))
    named_rows = [
        [
            n["source"],
            n["name"],
            n["category"] or "",
            n["members"],
            ", ".join(n["candidates"]) or "-",
        ]
        for n in named
    ]
    notes = _left_out(c["left_out"], "links")
    sites = [[category, n["sites"], n["reports"]] for category, n in c["report_sites"].items()]
    tables = [Table(["category", "sites", "reports"], sites, "Report sites by category")]
    return Section(
        "campaigns",
        "Campaigns (RQ4)",
        "A campaign candidate is a connected group of packages joined by any of: a security "
        "report naming them together, one code family, a dependency link, or a shared IoC "
        f"(list-like reports and very common IoCs are skipped). Confidence is "
        f"{c['confidence_formula']}, with weights {c['weights']}. Named campaigns (kam193, "
        "reports) are listed beside, with the candidates their members fall in.",
        [Figure("campaign-sizes.svg", "Campaign candidate sizes")],
        [
            Table(
                ["candidate", "packages", "confidence", "evidence", "members"], rows, "Candidates"
            ),
            *(
                [
                    Table(
                        ["source", "campaign", "category", "members", "candidates"],
                        named_rows,
                        "Named campaigns",
                    )
                ]
                if named_rows
                else []
            ),
            *(tables if sites else []),
        ],
        notes
        + (
            []
            if named_rows
            else [
                "no named campaign: kam193's campaign lists or reports naming one fill that table"
            ]
        ),
    )


def _lifecycle(lc: dict[str, Any], out: Path) -> Section:
    if not (any(lc[d]["values"] for d in DELAYS) or lc["monthly"]["by_ecosystem"]):
        return _empty(
            "lifecycle",
            "Life cycle",
            "no package-version has a release or "
            "detection date; sources with dates, or registry metadata, fill this "
            "section",
        )
    figures.ecdf(
        out / "lifecycle-delays.svg",
        {d.replace("_", " "): lc[d]["values"] for d in DELAYS},
        "Life cycle delays",
        xlabel="days",
        log_x=True,
    )
    firsts = {src: v["first"] for src, v in lc["by_source"].items() if v["first"]}
    figures.bars(
        out / "lifecycle-first.svg",
        firsts,
        "Which sources detect first",
        ylabel="package-versions detected first",
        horizontal=True,
    )
    figures.lines(
        out / "lifecycle-monthly.svg",
        lc["monthly"]["by_ecosystem"],
        "New malicious package-versions per month",
        xlabel="month",
        ylabel="package-versions",
        fill_missing=0,
    )
    rows = [
        [
            eco,
            *(v[d]["summary"]["count"] for d in DELAYS),
            *(v[d]["summary"]["median"] for d in DELAYS),
        ]
        for eco, v in sorted(lc["by_ecosystem"].items())
    ]
    notes = [
        f"{d.replace('_', ' ')}: " + note
        for d in DELAYS
        for note in _left_out(lc[d]["left_out"], "package-versions")
    ]
    notes += [
        f"{d.replace('_', ' ')}: {lc[d]['negative']} negative delays (kept)"
        for d in DELAYS
        if lc[d]["negative"]
    ]
    notes += _left_out(lc["monthly"].get("left_out", {}), "package-versions")
    return Section(
        "lifecycle",
        "Life cycle",
        "Per package-version: release (from sources and registries), first detection (the "
        "earliest date any source, sample or report gives), and removal (a registry seen "
        "without it, or a source's removal date; an upper bound on when it went). Delays are "
        "release to first detection, detection to removal, and the exposure window (release to "
        "removal, or to detection when no removal was seen). Months count new malicious "
        "package-versions by first detection (or release when earlier).",
        [
            Figure("lifecycle-delays.svg", "ECDF of life cycle delays"),
            Figure("lifecycle-first.svg", "First detections per source"),
            Figure("lifecycle-monthly.svg", "New package-versions per month per ecosystem"),
        ],
        [
            Table(
                [
                    "ecosystem",
                    "n release→detection",
                    "n detection→removal",
                    "n exposure",
                    "median release→detection",
                    "median detection→removal",
                    "median exposure",
                ],
                rows,
            )
        ],
        notes,
    )


def _paper_agreement(a: dict[str, Any]) -> Section:
    title = "Agreement with the paper's graph"
    if not a["kinds"]:
        return Section(
            "paper-agreement",
            title,
            f"No labelling of the MalGraph paper's in the store: `{a['filled_by']}` "
            "fills this section.",
        )
    d = a["definitions"]
    kinds = Table(
        ["kind", "groups", "members", "files"],
        [[k, v["groups"], v["members"], v["files"]] for k, v in a["kinds"].items()],
        "The paper's groups as read",
    )
    similar = Table(
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
                _share(v["pair_precision"]),
                _share(v["pair_recall"]),
                v["adjusted_rand"],
            ]
            for k in ("similar", "similar-run")
            for v in [a[k]]
        ],
        "Code clusters against malgraph's families",
    )
    c, dep, dup = a["co-existing"], a["dependency"], a["duplicated"]
    links = Table(
        ["relation", "the paper's", "malgraph has them too", "share", "reverse share"],
        [
            [
                "co-existing (report -> package links)",
                c["paper_links"],
                c["shared_links"],
                _share(c["share_of_paper_links"]),
                _share(c["share_of_malgraph_links"]),
            ],
            [
                "dependency (package pairs)",
                dep["paper_pairs"],
                dep["shared_pairs"],
                _share(dep["share_of_paper_pairs"]),
                _share(dep["share_of_malgraph_pairs"]),
            ],
            [
                "duplicated (groups from 2+ sources)",
                dup["paper_groups"],
                dup["held_by_several_sources"],
                _share(dup["share_held_by_several_sources"]),
                None,
            ],
        ],
        "Links and groups",
    )
    notes = [
        f"co-existing: {c['reports_in_malgraph']} of the paper's {c['paper_reports']} "
        f"reports are reports in malgraph; {c['links_to_known_packages']} of its links name "
        "a package malgraph knows",
        f"dependency: {dep['pairs_both_known']} of the paper's pairs join two packages "
        "malgraph knows",
        *_left_out({"without a version": dup["left_out_without_version"]}, "duplicated groups"),
    ]
    return Section(
        "paper-agreement",
        title,
        "The MalGraph paper's own graph (its code clusters, crawler results and NetworkX graphs) "
        "is kept as its labelling, apart from malgraph's relations, and compared with them. "
        f"Pair precision: {d['pair_precision']}. Pair recall: {d['pair_recall']}. Adjusted "
        f"Rand: {d['adjusted_rand']}. Co-existing share: {d['share_of_paper_links']}; reverse: "
        f"{d['share_of_malgraph_links']}. Dependency share: {d['share_of_paper_pairs']}; "
        f"reverse: {d['share_of_malgraph_pairs']}. Duplicated share: "
        f"{d['share_held_by_several_sources']}. Groups: {d['groups']}.",
        [],
        [kinds, similar, links],
        notes,
    )
