"""The graph as exports see it: nodes and edges with stable string ids and flat attributes,
the attributes every node and edge may carry (with their types, declared before any node is
written), and the ids themselves, named by the packages' purls (identity.purl)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import NamedTuple

from malgraph.core.identity import purl
from malgraph.core.kinds import EdgeKind, GraphLinkKind, GraphNodeKind

# JSON-like: GraphML writes lists and dicts as JSON text, node-link JSON as they are.
AttrValue = str | int | float | bool | list[object] | dict[str, object]


class AttrType(StrEnum):
    """An attribute's type, spelt as GraphML's `attr.type`."""

    STRING = "string"
    INT = "long"
    FLOAT = "double"
    BOOL = "boolean"
    JSON = "json"  # a list or a dict: a string in GraphML


class GraphNode(NamedTuple):
    id: str
    kind: GraphNodeKind
    attrs: Mapping[str, AttrValue]  # None values are left out


class GraphEdge(NamedTuple):
    source: str
    target: str
    kind: EdgeKind | GraphLinkKind
    attrs: Mapping[str, AttrValue]


_S, _I, _F, _B, _J = AttrType.STRING, AttrType.INT, AttrType.FLOAT, AttrType.BOOL, AttrType.JSON

# Every attribute a node may carry, beside `kind` (its GraphNodeKind).
NODE_ATTRIBUTES: Mapping[str, AttrType] = {
    "kind": _S,
    "ecosystem": _S,
    "name": _S,
    "purl": _S,
    "ecosystem_known": _B,
    "version": _S,
    "source": _S,
    "source_record_id": _S,
    "role": _S,
    "name_given": _S,
    "scope": _S,
    "versions": _J,
    "published": _S,
    "modified": _S,
    "withdrawn": _S,
    "imported": _S,
    "released": _S,
    "removed": _S,
    "aliases": _J,
    "summary": _S,
    "available": _B,
    "source_kind": _S,
    "url": _S,
    "url_key": _S,
    "site": _S,
    "title": _S,
    "report_kind": _S,
    "key": _S,
    "category": _S,
    "created": _S,
    "description": _S,
    "refs": _J,
    "ioc_kind": _S,
    "value": _S,
    "size": _I,
    "ecosystems": _J,
    "first_release": _S,
    "last_release": _S,
    "undated": _I,
}

# Every attribute an edge may carry, beside `kind` (a relation or a link between tables).
EDGE_ATTRIBUTES: Mapping[str, AttrType] = {
    "kind": _S,
    "evidence": _J,
    "confidence": _F,
    "step": _S,
    "ref_type": _S,
    "relation": _S,  # "co-existing" on the report edges that make that relation
    "start": _I,
    "matched": _S,
    "context": _S,
    "how": _S,
    "version": _S,
    "as_written": _S,
}


def package_id(ecosystem: str, name: str) -> str:
    return f"{GraphNodeKind.PACKAGE}:{purl(ecosystem, name)}"


def version_id(ecosystem: str, name: str, version: str) -> str:
    return f"{GraphNodeKind.VERSION}:{purl(ecosystem, name, version)}"


def record_id(source: str, record: int) -> str:
    """A record by its source and the store's record id (never reused): a source's own id
    may name several records (a feed's document, one per package), so it is an attribute."""
    return f"{GraphNodeKind.RECORD}:{source}:{record}"


def source_id(name: str) -> str:
    return f"{GraphNodeKind.SOURCE}:{name}"


def report_id(url_key: str) -> str:
    return f"{GraphNodeKind.REPORT}:{url_key}"


def campaign_id(source: str, key: str) -> str:
    return f"{GraphNodeKind.CAMPAIGN}:{source}:{key}"


def ioc_id(kind: str, value: str) -> str:
    return f"{GraphNodeKind.IOC}:{kind}:{value}"


def family_id(family: str) -> str:
    return f"{GraphNodeKind.FAMILY}:{family}"
