"""The fixed vocabularies that cross module borders, as enums (StrEnum: each member is also
the text the store keeps, so a member compares equal to what a query returns)."""

from enum import StrEnum


class EdgeKind(StrEnum):
    """A stored relation's kind (the `edges.kind` column)."""

    DUPLICATED = "duplicated"  # the same package-version, claimed by several sources
    DUPLICATED_PACKAGE = "duplicated_package"  # the same package, at disjoint versions
    SIMILAR = "similar"  # code reuse between package-versions
    DEPENDS_ON = "depends_on"  # a package-version pulls in a malicious package


class NodeType(StrEnum):
    """What an edge's end names (the `edges.src_type`/`dst_type` columns)."""

    RECORD = "record"
    PACKAGE = "package"
    PACKAGE_VERSION = "package_version"
    SOURCE = "source"
    FAMILY = "family"


class Rules(StrEnum):
    """How records are counted: malgraph's own identities, or the paper's sheet rows."""

    MALGRAPH = "malgraph"
    PAPER = "paper"


class RelateKind(StrEnum):
    """A derived relation `malgraph relate` recomputes."""

    MENTIONS = "mentions"  # the packages each report's text names (co-existing)
    SIMILAR = "similar"  # code reuse: similar edges and families
    DEPENDENCY = "dependency"  # depends-on edges
