"""DataDog's malicious-software-packages-dataset: `samples/<ecosystem>/manifest.json`.

A manifest maps each package name to `null` (malicious intent: every version), `[]` (no
version known) or a list of versions (a compromised package: only those). Older manifests
use lists throughout; all three shapes are read.
"""

from __future__ import annotations

from pathlib import PurePath

import orjson

from malgraph.model import Document, Problem, Record, Scope
from malgraph.sources.base import claim, file_time
from malgraph.sources.inputs import InputFile

ECOSYSTEMS = {"npm": "npm", "pypi": "PyPI"}


class DataDogSource:
    name: str = "datadog"
    description: str = "DataDog malicious-software-packages-dataset: samples/<eco>/manifest.json"
    suffixes: tuple[str, ...] = ("manifest.json",)

    def parse(self, raw: bytes, item: InputFile, sha256: str) -> Document | Problem:
        path = PurePath(item.member or item.path)
        folder = path.parent.name.lower()
        if path.name != "manifest.json" or folder not in ECOSYSTEMS:
            return Problem(item.display, "expected samples/<npm|pypi>/manifest.json")
        try:
            manifest = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            return Problem(item.display, f"not valid JSON: {exc}")
        if not isinstance(manifest, dict):
            return Problem(item.display, "a manifest maps package names to versions")
        records: list[Record] = []
        rejected = []
        for name, versions in manifest.items():
            if versions is None:
                records.append(claim("datadog", ECOSYSTEMS[folder], name, scope=Scope.ALL))
            elif isinstance(versions, list) and all(isinstance(v, str) for v in versions):
                records.append(claim("datadog", ECOSYSTEMS[folder], name, versions=tuple(versions)))
            else:
                rejected.append(f"{name!r}: versions must be null or a list of strings")
        return Document(item.display, sha256, "datadog", f"datadog/{folder}/manifest",
                        file_time(item), tuple(records), (), tuple(rejected))  # fmt: skip
