"""CycloneDX and SPDX JSON SBOMs, and how an explicitly named JSON file is recognised."""

from __future__ import annotations

from pathlib import Path

import orjson

from malgraph.check.inputs import read_inputs
from malgraph.check.inputs.sbom import from_purl, parse_sbom
from malgraph.core.check_inputs import Dependency

CYCLONEDX = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.5",
    "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
    "version": 1,
    "metadata": {
        "timestamp": "2024-03-01T10:00:00Z",
        "component": {"type": "application", "name": "app", "bom-ref": "app"},
    },
    "components": [
        {
            "type": "library",
            "bom-ref": "pkg:npm/%40scope/evil@1.0.1",
            "name": "evil",
            "group": "@scope",
            "version": "1.0.1",
            "purl": "pkg:npm/%40scope/evil@1.0.1",
            "components": [
                {
                    "type": "library",
                    "bom-ref": "pkg:npm/inner@2.0.0",
                    "name": "inner",
                    "version": "2.0.0",
                    "purl": "pkg:npm/inner@2.0.0",
                }
            ],
        },
        {
            "type": "library",
            "bom-ref": "requests",
            "name": "requests",
            "version": "2.31.0",
            "purl": "pkg:pypi/requests@2.31.0",
        },
        {"type": "library", "bom-ref": "rails", "name": "rails", "purl": "pkg:gem/rails@7.1.3"},
        {
            "type": "library",
            "name": "commons-text",
            "purl": "pkg:maven/org.apache.commons/commons-text@1.10.0?type=jar",
        },
        {"type": "library", "name": "zlib", "purl": "pkg:deb/debian/zlib1g@1.2.13?arch=amd64"},
        {"type": "file", "name": "README.md"},
    ],
    "dependencies": [
        {"ref": "app", "dependsOn": ["pkg:npm/%40scope/evil@1.0.1", "requests"]},
        {"ref": "pkg:npm/%40scope/evil@1.0.1", "dependsOn": ["pkg:npm/inner@2.0.0"]},
    ],
}

SPDX = {
    "spdxVersion": "SPDX-2.3",
    "dataLicense": "CC0-1.0",
    "SPDXID": "SPDXRef-DOCUMENT",
    "name": "app",
    "documentNamespace": "https://example.invalid/spdxdocs/app-1",
    "creationInfo": {"created": "2024-03-01T10:00:00Z", "creators": ["Tool: syft-1.0.0"]},
    "packages": [
        {
            "SPDXID": "SPDXRef-Package-npm-left-pad",
            "name": "left-pad",
            "versionInfo": "1.3.0",
            "downloadLocation": "NOASSERTION",
            "externalRefs": [
                {
                    "referenceCategory": "SECURITY",
                    "referenceType": "cpe23Type",
                    "referenceLocator": "cpe:2.3:a:left-pad:left-pad:1.3.0:*:*:*:*:*:*:*",
                },
                {
                    "referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": "pkg:npm/left-pad@1.3.0",
                },
            ],
        },
        {
            "SPDXID": "SPDXRef-Package-python-Django",
            "name": "Django",
            "versionInfo": "4.2.0",
            "downloadLocation": "NOASSERTION",
            "externalRefs": [
                {
                    "referenceCategory": "PACKAGE_MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": "pkg:pypi/django@4.2.0",
                }
            ],
        },
        {"SPDXID": "SPDXRef-Package-app", "name": "app", "downloadLocation": "NOASSERTION"},
    ],
    "relationships": [
        {
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": "SPDXRef-Package-app",
        }
    ],
}


def test_cyclonedx_components_nesting_ecosystems_and_chains() -> None:
    found = {d.name: d for d in parse_sbom("bom.json", orjson.dumps(CYCLONEDX))}
    assert {(d.ecosystem, d.name, d.version) for d in found.values()} == {
        ("npm", "@scope/evil", "1.0.1"),
        ("npm", "inner", "2.0.0"),
        ("PyPI", "requests", "2.31.0"),
        ("RubyGems", "rails", "7.1.3"),
        ("Maven", "org.apache.commons:commons-text", "1.10.0"),
        ("Debian", "zlib1g", "1.2.13"),
    }
    assert found["@scope/evil"].direct is True
    assert found["inner"].path == ("evil",) and found["inner"].direct is False
    assert found["rails"].direct is None  # in no dependency relation


def test_spdx_packages_by_purl() -> None:
    found = parse_sbom("app.spdx.json", orjson.dumps(SPDX))
    assert found == [
        Dependency("npm", "left-pad", "1.3.0", "app.spdx.json"),
        Dependency("PyPI", "django", "4.2.0", "app.spdx.json"),
    ]


def test_purls_of_other_types_keep_their_type() -> None:
    assert from_purl("pkg:cargo/serde@1.0.0") == ("crates.io", "serde", "1.0.0")
    assert from_purl("pkg:golang/github.com/x/y@v1.2.3") == ("Go", "github.com/x/y", "v1.2.3")
    assert from_purl("pkg:conda/numpy@1.26.0") == ("conda", "numpy", "1.26.0")
    assert from_purl("not a purl") is None


def test_file_names_and_content_sniffing(tmp_path: Path) -> None:
    (tmp_path / "app.cdx.json").write_bytes(orjson.dumps(CYCLONEDX))
    (tmp_path / "unrelated.json").write_bytes(orjson.dumps(SPDX))  # not searched for
    found_in_dir = read_inputs([tmp_path])
    assert found_in_dir.files == (str(tmp_path / "app.cdx.json"),)
    named = read_inputs([tmp_path / "unrelated.json"])
    assert named.files == (str(tmp_path / "unrelated.json"),) and len(named.dependencies) == 2
    (tmp_path / "config.json").write_bytes(b'{"name": "not an sbom"}')
    refused = read_inputs([tmp_path / "config.json"])
    assert refused.files == () and refused.problems[0].reason.startswith("neither")
