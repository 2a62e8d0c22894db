"""The one error a project-file parser raises (the whole file cannot be read, and why), and
the loading of the JSON and YAML documents every such parser starts from."""

from __future__ import annotations

from typing import Any

import orjson
import yaml

from malgraph.core.errors import MalgraphError


class UnreadableInput(MalgraphError):
    """A project file malgraph cannot read; the message is the reason, without the path."""


def json_object(data: bytes, what: str) -> dict[str, Any]:
    """The JSON document of a `what` (e.g. "package-lock"), whose top level is an object."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise UnreadableInput(f"not JSON: {error}") from error
    if not isinstance(doc, dict):
        raise UnreadableInput(f"not a {what}: the top level is not an object")
    return doc


def yaml_mapping(data: bytes | str, what: str) -> dict[str, Any]:
    """The YAML document of a `what`, whose top level is a mapping (safe loader: data only)."""
    try:
        doc = yaml.safe_load(data)
    except yaml.YAMLError as error:
        raise UnreadableInput(f"not YAML: {error}") from error
    if not isinstance(doc, dict):
        raise UnreadableInput(f"not a {what}: the top level is not a mapping")
    return doc
