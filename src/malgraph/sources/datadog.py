"""DataDog's malicious-software-packages-dataset: `samples/<ecosystem>/manifest.json`, and the
sample tree beside it when present.

A manifest maps each package name to `null` (malicious intent: every version), `[]` (no
version known) or a list of versions (a compromised package: only those). Older manifests
use lists throughout; all three shapes are read.

A sample, `samples/<eco>/<malicious_intent|compromised_lib>/<name>/<version>/<date>-<name>-
v<version>.zip`, is an encrypted archive of that package-version's code: it is registered as
an artifact (by hash and place; never opened here), and its date is DataDog's detection date.
"""

from __future__ import annotations

import os
from pathlib import PurePath

import orjson

from malgraph.core.datadog_samples import ECOSYSTEMS, INTENTS, sample_place
from malgraph.core.inputs import display_path
from malgraph.core.model import Artifact, Document, Problem, Record, Scope
from malgraph.sources.base import claim, file_time
from malgraph.sources.inputs import InputFile


class DataDogSource:
    name: str = "datadog"
    description: str = "DataDog malicious-software-packages-dataset: samples/<eco>/manifest.json"
    suffixes: tuple[str, ...] = ("manifest.json", ".zip")
    containers: bool = False  # its zips are samples, not archives of inputs

    def parse(self, raw: bytes, item: InputFile, sha256: str) -> Document | Problem:
        path = item.inner
        if path.suffix.lower() == ".zip":
            return _sample(path, item, sha256)
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
        return Document(
            item.display,
            sha256,
            "datadog",
            f"datadog/{folder}/manifest",
            file_time(item),
            tuple(records),
            (),
            tuple(rejected),
        )


def _sample(path: PurePath, item: InputFile, sha256: str) -> Document | Problem:
    parts = path.parts
    intent = next((i for i, p in enumerate(parts) if p in INTENTS), None)
    if intent is None or intent < 1 or len(parts) - intent < 4:
        return Problem(item.display, "expected samples/<eco>/<intent>/<name>/<version>/<file>.zip")
    eco, name, version, detected = sample_place(parts, intent)
    if eco is None:
        return Problem(item.display, f"unknown ecosystem folder {parts[intent - 1]!r}")
    # Absolute, so that `malgraph analyze` can read it in place from wherever it runs.
    where = item.display if item.member else display_path(os.path.abspath(item.path))
    artifact = Artifact(
        "datadog", eco, name, version, sha256, where, f"datadog-sample ({parts[intent]})", detected
    )
    return Document(
        item.display,
        sha256,
        "datadog",
        f"datadog/sample/{eco}/{name}/{version}",
        file_time(item),
        (),
        artifacts=(artifact,),
    )
