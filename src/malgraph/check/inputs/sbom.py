"""Software bills of materials: CycloneDX JSON (`bomFormat: CycloneDX`, components and their
nested components, each named by a package URL) and SPDX JSON (`spdxVersion`, packages with a
`purl` external reference).

Package URLs are parsed by packageurl-python. The purl type gives the OSV ecosystem by
core.identity's table (read in reverse; a distribution type takes its ecosystem from the
namespace, "pkg:deb/debian/..."); a type with no OSV ecosystem is kept as written. A component
without a purl names no package of a known ecosystem and is skipped. CycloneDX's
`dependencies` graph gives direct dependencies (those of the described component) and
chains."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from packageurl import PackageURL

from malgraph.check.inputs.chains import shortest_chains
from malgraph.check.inputs.problems import UnreadableInput, json_object
from malgraph.core.check_inputs import Dependency
from malgraph.core.identity import OSV_ECOSYSTEMS, PURL_TYPES

_ECOSYSTEM_OF_TYPE: dict[str, str] = {}
for _ecosystem, _type in PURL_TYPES.items():
    _ECOSYSTEM_OF_TYPE.setdefault(_type, _ecosystem)  # the first listed: Debian, Alpine
_BY_LOWER_NAME = {e.lower(): e for e in OSV_ECOSYSTEMS}


def is_sbom(doc: Any) -> bool:
    return isinstance(doc, dict) and (doc.get("bomFormat") == "CycloneDX" or "spdxVersion" in doc)


def parse_sbom(file: str, data: bytes) -> list[Dependency]:
    doc = json_object(data, "SBOM")
    if doc.get("bomFormat") == "CycloneDX":
        return _cyclonedx(file, doc)
    if "spdxVersion" in doc:
        return _spdx(file, doc)
    raise UnreadableInput("neither a CycloneDX ('bomFormat') nor an SPDX ('spdxVersion') SBOM")


def from_purl(text: str) -> tuple[str, str, str | None] | None:
    """(OSV ecosystem, name as OSV writes it, version) of a package URL, or None."""
    try:
        purl = PackageURL.from_string(text)
    except ValueError:
        return None
    ptype = purl.type
    namespace = purl.namespace or ""
    ecosystem = _ECOSYSTEM_OF_TYPE.get(ptype, ptype)
    if ptype in ("deb", "apk", "rpm") and namespace.lower() in _BY_LOWER_NAME:
        ecosystem, namespace = _BY_LOWER_NAME[namespace.lower()], ""
    if ptype == "generic" and isinstance(purl.qualifiers, dict):
        ecosystem = purl.qualifiers.get("ecosystem", ecosystem)
    separator = ":" if ptype == "maven" else "/"  # Maven's group:artifact, npm's @scope/name
    name = f"{namespace}{separator}{purl.name}" if namespace else purl.name
    return ecosystem, name, purl.version


def _cyclonedx(file: str, doc: dict[str, Any]) -> list[Dependency]:
    components = list(_nested(doc.get("components")))
    by_ref = {c.get("bom-ref"): c for c in components if isinstance(c.get("bom-ref"), str)}
    edges: dict[str, list[str]] = {}
    for relation in doc.get("dependencies") or []:
        if isinstance(relation, dict) and isinstance(relation.get("ref"), str):
            edges[relation["ref"]] = [
                r for r in relation.get("dependsOn") or [] if isinstance(r, str)
            ]
    metadata = doc.get("metadata")
    root = metadata.get("component") if isinstance(metadata, dict) else None
    root_ref = root.get("bom-ref") if isinstance(root, dict) else None
    direct = edges.get(root_ref, []) if isinstance(root_ref, str) and root_ref in edges else None
    names = {ref: str(c.get("name")) for ref, c in by_ref.items()}
    chains = shortest_chains(direct or [], edges, lambda ref: names.get(ref, ref))
    found: list[Dependency] = []
    for component in components:
        item = _dependency(file, component.get("purl"), component.get("version"))
        if item is not None and direct is not None:
            ref = component.get("bom-ref")
            item = _with_chain(item, chains.get(ref) if isinstance(ref, str) else None)
        if item is not None:
            found.append(item)
    return found


def _with_chain(item: Dependency, chain: tuple[str, ...] | None) -> Dependency:
    return Dependency(
        item.ecosystem,
        item.name,
        item.version,
        item.file,
        spec=item.spec,
        path=chain or (),
        direct=None if chain is None else chain == (),
    )


def _nested(components: Any) -> Iterator[dict[str, Any]]:
    for component in components if isinstance(components, list) else ():
        if isinstance(component, dict):
            yield component
            yield from _nested(component.get("components"))


def _spdx(file: str, doc: dict[str, Any]) -> list[Dependency]:
    found: list[Dependency] = []
    for package in doc.get("packages") or []:
        if not isinstance(package, dict):
            continue
        for ref in package.get("externalRefs") or []:
            if isinstance(ref, dict) and ref.get("referenceType") == "purl":
                item = _dependency(file, ref.get("referenceLocator"), package.get("versionInfo"))
                if item is not None:
                    found.append(item)
                break
    return found


def _dependency(file: str, purl_text: Any, version: Any) -> Dependency | None:
    parsed = from_purl(purl_text) if isinstance(purl_text, str) else None
    if parsed is None:
        return None
    ecosystem, name, purl_version = parsed
    stated = purl_version or (version if isinstance(version, str) and version else None)
    return Dependency(ecosystem, name, stated, file)
