"""STIX 2.1 objects from the typed values of store/read/stix_export: deterministic ids
(UUIDv5 over a fixed namespace and each object's natural key; the spec's own SCO namespace and
id-contributing properties for the software SCO), timestamps from the store's dates (the Unix
epoch where it has none), and indicator patterns for each IoC kind. Pure: no store, no I/O.

malgraph's evidence travels in one property extension (STIX 2.1 section 7.3) that the bundle
defines in its `extension-definition`, rather than in `x_` custom properties, which 2.1
deprecates; each object's `description` says the same in words."""

from __future__ import annotations

import hashlib
import ipaddress
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson

from malgraph.core.kinds import IocKind
from malgraph.core.stix_export import ClaimKey, StixPackage, StixSource
from malgraph.export.uris import uris

NAMESPACE = uuid.UUID("9e168a68-1dfd-579a-8c05-d7aa8fdc5e79")  # malgraph's own, never to change
SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")  # STIX 2.1 section 2.9
EPOCH = "1970-01-01T00:00:00.000Z"
SPEC = "2.1"
MALGRAPH_ID = f"identity--{uuid.uuid5(NAMESPACE, 'identity:malgraph')}"
EXTENSION_ID = f"extension-definition--{uuid.uuid5(NAMESPACE, 'extension:malgraph-evidence')}"
EXTENSION_SCHEMA = (
    "A property extension: `kind` names what malgraph made the object from (package, family,"
    " claim, security-report, ioc, named-campaign, candidate-campaign, relation); packages carry"
    " `purl`, `ecosystem`, `package`, `versions` and `sources`; claims `source`, `record_id` and"
    " `versions`; security reports `named` (each package and how the report names it);"
    " relations `relation` (malgraph's kind: duplicated, duplicated_package, similar,"
    " depends_on, in_family), `evidence` (as the store keeps it), `confidence` and `step`;"
    " candidate campaigns `confidence`, `evidence_counts` and `evidence`."
)


_NAMESPACE_BYTES, _SCO_NAMESPACE_BYTES = NAMESPACE.bytes, SCO_NAMESPACE.bytes


def uuid5_text(namespace: bytes, name: bytes) -> str:
    """`str(uuid.uuid5(namespace, name))` for a namespace's bytes and a UTF-8 name, without
    building the UUID object (an export makes one id an object, and several references)."""
    digest = bytearray(hashlib.sha1(namespace + name).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def stix_id(kind: str, *key: str | None) -> str:
    """`kind--UUIDv5` over the natural key, written as a JSON array (no separator ambiguity)."""
    return f"{kind}--{uuid5_text(_NAMESPACE_BYTES, orjson.dumps([kind, *key]))}"


def software_id(purl: str) -> str:
    """As STIX 2.1 section 2.9 makes an SCO's id: UUIDv5 in the SCO namespace over the
    canonical JSON of its id-contributing properties (here `name` alone)."""
    return f"software--{uuid5_text(_SCO_NAMESPACE_BYTES, orjson.dumps({'name': purl}))}"


@lru_cache(maxsize=1 << 16)  # a package is named again by its claims, reports, IoCs, relations
def package_id(purl: str) -> str:
    return stix_id("malware", "package", purl)


def family_id(family: str) -> str:
    return stix_id("malware", "family", family)


@lru_cache(maxsize=1 << 8)  # each claim names its source as its author
def source_id(source: str) -> str:
    return stix_id("identity", "source", source)


def claim_id(key: ClaimKey) -> str:
    return stix_id("report", "claim", *key)


def campaign_id(source: str, key: str) -> str:
    return stix_id("campaign", "named", source, key)


def candidate_id(candidate: str) -> str:
    return stix_id("campaign", "candidate", candidate)


@lru_cache(maxsize=1 << 12)  # claims of one campaign name the same IoCs, one after another
def indicator_id(kind: str, value: str) -> str:
    return stix_id("indicator", kind, value)


@lru_cache(maxsize=1 << 12)  # records of one feed share their import and publication dates
def timestamp(text: str | None) -> str | None:
    """A store date as a STIX timestamp (UTC, milliseconds); None when there is none or it
    does not parse."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text[:10] if len(text) <= 10 else text)
    except ValueError:
        return None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def latest(*texts: str | None) -> str:
    """The latest of the given timestamps (EPOCH if none): `modified` never precedes
    `created`."""
    return max((t for t in texts if t), default=EPOCH)


def extension(kind: str, **values: object) -> dict[str, Any]:
    """malgraph's property extension, empty values left out."""
    found = {k: v for k, v in values.items() if v not in (None, (), [], {})}
    return {EXTENSION_ID: {"extension_type": "property-extension", "kind": kind, **found}}


def sdo(kind: str, ident: str, created: str | None, modified: str | None) -> dict[str, Any]:
    start = created or EPOCH
    return {
        "type": kind,
        "spec_version": SPEC,
        "id": ident,
        "created": start,
        "modified": latest(start, modified),
    }


def malgraph_objects() -> list[dict[str, Any]]:
    """malgraph's own identity, the author of what it merges and infers, and its extension."""
    me = {
        **sdo("identity", MALGRAPH_ID, None, None),
        "name": "malgraph",
        "description": "The knowledge graph of malicious open-source packages that merged"
        " the sources' claims and inferred the relations in this bundle.",
        "identity_class": "system",
    }
    definition = {
        **sdo("extension-definition", EXTENSION_ID, None, None),
        "created_by_ref": MALGRAPH_ID,
        "name": "malgraph evidence",
        "description": "Where each object comes from in malgraph's store and the evidence"
        " behind each relation.",
        "schema": EXTENSION_SCHEMA,
        "version": "1.0.0",
        "extension_types": ["property-extension"],
    }
    return [me, definition]


def source_identity(source: StixSource) -> dict[str, Any]:
    """A source as the organization publishing its claims."""
    return {
        **sdo("identity", source_id(source.name), None, None),
        "name": source.name,
        "description": f"A source of malicious-package claims ({source.kind} in malgraph).",
        "identity_class": "organization",
    }


def package_objects(package: StixPackage) -> list[dict[str, Any]]:
    """The malicious package as a malware instance, the software it is, and their link."""
    first, last = timestamp(package.first_seen), timestamp(package.last_seen)
    malware: dict[str, Any] = {
        **sdo("malware", package_id(package.purl), first, last),
        "created_by_ref": MALGRAPH_ID,
        "name": package.purl,
        "description": f"Malicious package {package.name} ({package.ecosystem}), claimed by"
        f" {len(package.sources)} source(s): {', '.join(package.sources)}.",
        "is_family": False,
        "extensions": extension(
            "package",
            purl=package.purl,
            ecosystem=package.ecosystem,
            package=package.name,
            versions=list(package.versions),
            sources=list(package.sources),
        ),
    }
    if first:
        malware["first_seen"] = first
        malware["last_seen"] = latest(first, last)
    software: dict[str, Any] = {
        "type": "software",
        "spec_version": SPEC,
        "id": software_id(package.purl),
        "name": package.purl,
        "extensions": extension("package", ecosystem=package.ecosystem, package=package.name),
    }
    link = relationship(
        "related-to",
        malware["id"],
        software["id"],
        malware["created"],
        "The malicious package is this software.",
        extension("package"),
    )
    return [malware, software, link]


def relationship(
    kind: str,
    source: str,
    target: str,
    created: str,
    description: str,
    extensions: dict[str, Any],
    discriminator: str | None = None,
) -> dict[str, Any]:
    """A relationship whose id is its type, ends and (when two may share those) a discriminator."""
    ident = stix_id("relationship", kind, source, target, discriminator)
    return {
        **sdo("relationship", ident, created, None),
        "created_by_ref": MALGRAPH_ID,
        "relationship_type": kind,
        "source_ref": source,
        "target_ref": target,
        "description": description,
        "extensions": extensions,
    }


def _quoted(value: str) -> str:
    """A STIX pattern string literal: backslashes and single quotes escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


_HASHES = {IocKind.MD5: "MD5", IocKind.SHA1: "SHA-1", IocKind.SHA256: "SHA-256"}


def pattern(kind: str, value: str) -> str:
    """The STIX pattern matching the IoC. Wallets use OpenCTI's `cryptocurrency-wallet`
    observable type, STIX 2.1 having none."""
    ioc = IocKind(kind)
    if ioc in _HASHES:
        return f"[file:hashes.'{_HASHES[ioc]}' = {_quoted(value.lower())}]"
    if ioc is IocKind.IP:
        try:
            version = ipaddress.ip_address(value).version
        except ValueError:
            version = 4
        return f"[ipv{version}-addr:value = {_quoted(value)}]"
    if ioc is IocKind.DOMAIN:
        return f"[domain-name:value = {_quoted(value)}]"
    if ioc is IocKind.WALLET:
        return f"[cryptocurrency-wallet:value = {_quoted(value)}]"
    return f"[url:value = {_quoted(value)}]"  # url and webhook


def external_urls(urls: Iterable[str], source: str) -> list[dict[str, str]]:
    """External references to the URLs that are URIs (see export.uris)."""
    return [{"source_name": source, "url": url} for url in uris(urls)]
