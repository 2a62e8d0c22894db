"""What the agreement with another study's labelling asks of malgraph, from the labelling
alone: the versions it clusters, those it calls duplicated, the packages it names and the
reports it groups packages by. The store answers (store.read.sources.label_facts); the
comparison is insights.paper_agreement's."""

from __future__ import annotations

from collections.abc import Iterable

from malgraph.core.kinds import LabelKind
from malgraph.core.provenance import Group, LabelQuestions, Version

SIMILAR_KINDS = (LabelKind.SIMILAR, LabelKind.SIMILAR_RUN)


def versions_of(group: Group) -> set[Version]:
    """The package-versions a group names (members naming a package only are left out)."""
    return {(m.ecosystem, m.name, m.version) for m in group.members if m.version is not None}


def questions(groups: Iterable[Group]) -> LabelQuestions:
    """What malgraph must say about a labelling's groups for the agreement to compare them."""
    groups = list(groups)
    return LabelQuestions(
        clustered=frozenset(v for g in groups if g.kind in SIMILAR_KINDS for v in versions_of(g)),
        duplicated=frozenset(
            v for g in groups if g.kind == LabelKind.DUPLICATED for v in versions_of(g)
        ),
        packages=frozenset(m.package for g in groups for m in g.members),
        report_keys=frozenset(g.key for g in groups if g.kind == LabelKind.COEXISTING),
    )
