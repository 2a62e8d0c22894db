"""The pure parts of the check on hand-made typed inputs: which versions a claim covers (OSV
ranges per ecosystem), and the finding a package's claims make, pinned or not."""

from __future__ import annotations

from typing import Any

import pytest

from malgraph.check.findings import Subject, claim_finding, fails, subjects
from malgraph.check.versions import covers, range_admits
from malgraph.core.check import Finding, PackageClaims, StoredClaim
from malgraph.core.check_inputs import Dependency
from malgraph.core.kinds import FindingKind, Severity
from malgraph.core.model import Scope


def _range(*events: dict[str, str], kind: str = "ECOSYSTEM") -> list[dict[str, Any]]:
    return [{"type": kind, "events": list(events)}]


@pytest.mark.parametrize(
    ("ecosystem", "version", "ranges", "expected"),
    [
        ("npm", "1.2.5", _range({"introduced": "1.2.0"}, {"fixed": "1.3.0"}), True),
        ("npm", "1.3.0", _range({"introduced": "1.2.0"}, {"fixed": "1.3.0"}), False),
        ("npm", "1.1.9", _range({"introduced": "1.2.0"}, {"fixed": "1.3.0"}), False),
        ("npm", "2.0.0", _range({"introduced": "0"}, {"last_affected": "2.0.0"}), True),
        ("npm", "9.0.0", _range({"introduced": "1.0.0"}), True),
        ("PyPI", "1.0", _range({"introduced": "0.9"}, {"fixed": "1.0.1"}), True),
        ("PyPI", "1.0.1", _range({"introduced": "0.9"}, {"fixed": "1.0.1"}), False),
        ("RubyGems", "1.2.3", _range({"introduced": "1.2"}, {"fixed": "1.3"}), True),
        ("npm", "1.0.0", _range({"introduced": "abc123"}, kind="GIT"), None),
        ("Go", "v1.0.0", _range({"introduced": "0"}), None),
        (
            "npm",
            "3.0.0",
            _range({"introduced": "1.0.0"}, {"fixed": "1.1.0"}, {"introduced": "3.0.0"}),
            True,
        ),
    ],
)
def test_range_admits(
    ecosystem: str, version: str, ranges: list[dict[str, Any]], expected: bool | None
) -> None:
    assert range_admits(ecosystem, version, ranges) is expected


def _claim(scope: Scope, versions: tuple[str, ...] = (), **extra: Any) -> StoredClaim:
    fields: dict[str, Any] = {
        "source": "src",
        "source_id": "ID-1",
        "scope": scope,
        "versions": versions,
        "ranges": (),
        "published": None,
        "modified": None,
        "withdrawn": None,
    }
    return StoredClaim(**(fields | extra))


def _subject(version: str | None, spec: str | None = None) -> Subject:
    return Subject("npm", "Pkg", "pkg", version, spec, "package-lock.json", ("parent",))


def _found(subject: Subject, *claims: StoredClaim) -> Finding | None:
    return claim_finding(subject, PackageClaims("npm", "pkg", claims))


def test_pinned_version_listed_and_not() -> None:
    listed = _claim(Scope.LISTED, ("1.0.0",))
    finding = _found(_subject("1.0.0"), listed)
    assert finding is not None
    assert (finding.kind, finding.severity, finding.version, finding.path) == (
        FindingKind.MALICIOUS_VERSION,
        Severity.MALICIOUS,
        "1.0.0",
        ("parent",),
    )
    assert _found(_subject("1.0.1"), listed) is None


def test_package_wide_claims() -> None:
    for scope in (Scope.ALL, Scope.UNKNOWN):
        finding = _found(_subject("5.0.0"), _claim(scope))
        assert finding is not None
        assert (finding.kind, finding.version) == (FindingKind.MALICIOUS_PACKAGE, None)


def test_withdrawn_claims_are_context_only() -> None:
    gone = _claim(Scope.LISTED, ("1.0.0",), withdrawn="2024-01-01T00:00:00Z", source_id="W")
    assert _found(_subject("1.0.0"), gone) is None
    finding = _found(_subject("1.0.0"), gone, _claim(Scope.LISTED, ("1.0.0",)))
    assert finding is not None
    assert [c["id"] for c in finding.evidence["withdrawn"]] == ["W"]
    assert [c["id"] for c in finding.evidence["claims"]] == ["ID-1"]


def test_unpinned_dependency_by_its_constraint() -> None:
    listed = _claim(Scope.LISTED, ("1.2.0", "2.0.0"))
    finding = _found(_subject(None, "^1.0.0"), listed)
    assert finding is not None
    assert (finding.kind, finding.severity, finding.version) == (
        FindingKind.MALICIOUS_VERSION,
        Severity.SUSPICIOUS,
        None,
    )
    assert finding.evidence["admits"] == ["1.2.0"]
    assert _found(_subject(None, "^3.0.0"), listed) is None
    unknown = _found(_subject(None, "github:x/y"), listed)  # a spec no version rule reads
    assert unknown is not None and unknown.kind == FindingKind.MALICIOUS_PACKAGE


def test_subjects_merge_copies_keeping_the_shortest_path() -> None:
    found = subjects(
        [
            Dependency("npm", "A", "v1.0.0", "lock", path=("x", "y")),
            Dependency("npm", "a", "1.0.0", "lock", path=("z",)),
            Dependency("PyPI", "Foo_Bar", "1.0", "req.txt"),
        ]
    )
    assert [(s.canonical, s.version, s.path) for s in found] == [
        ("a", "1.0.0", ("z",)),
        ("foo-bar", "1.0", ()),
    ]


def test_fail_on_levels() -> None:
    warning = Finding(
        FindingKind.NAME_LIKE_MALICIOUS, Severity.WARNING, "npm", "x", None, "f", (), {}
    )
    assert fails([warning], Severity.WARNING)
    assert not fails([warning], Severity.SUSPICIOUS)
    assert not fails([], Severity.WARNING)


def test_pypi_versions_match_by_pep440_equality_npm_by_text() -> None:
    listed = _claim(Scope.LISTED, ("1.0", "0.9.0"))
    assert covers(listed, "PyPI", "1.0.0") is True  # pip installs 1.0 for ==1.0.0
    assert covers(listed, "PyPI", "0.9") is True
    assert covers(listed, "PyPI", "1.0.1") is False
    assert covers(listed, "PyPI", "not a version") is False
    assert covers(listed, "npm", "1.0.0") is False  # semver: 1.0 is no npm version of 1.0.0
