"""Package identity: ecosystem names, canonical package names, versions and purls.

Canonical names decide which records are "the same package", so every rule here follows the
registry's own notion of equality. Unicode look-alikes are never folded: a Cyrillic letter in a
NuGet name is the attack, not a typo.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from packageurl import PackageURL, normalize_version
from packaging.version import InvalidVersion, Version

# OSV ecosystem name -> purl type. Names are OSV's own spelling.
PURL_TYPES: dict[str, str] = {
    "npm": "npm",
    "PyPI": "pypi",
    "crates.io": "cargo",
    "NuGet": "nuget",
    "RubyGems": "gem",
    "Go": "golang",
    "Maven": "maven",
    "Packagist": "composer",
    "Hex": "hex",
    "Pub": "pub",
    "CRAN": "cran",
    "Hackage": "hackage",
    "GitHub Actions": "githubactions",
    "SwiftURL": "swift",
    "ConanCenter": "conan",
    "Bioconductor": "bioconductor",
    "Julia": "julia",
    "opam": "opam",
    "VSCode": "vscode",
    "Debian": "deb",
    "Ubuntu": "deb",
    "Alpine": "apk",
    "Wolfi": "apk",
    "Chainguard": "apk",
}

# Every ecosystem the OSV schema knows (validation/schema.json, $defs.ecosystemName).
OSV_ECOSYSTEMS: frozenset[str] = frozenset(
    {
        "AlmaLinux",
        "Alpaquita",
        "Alpine",
        "Android",
        "Azure Linux",
        "BellSoft Hardened Containers",
        "Bioconductor",
        "Bitnami",
        "Chainguard",
        "CleanStart",
        "ConanCenter",
        "CRAN",
        "crates.io",
        "Debian",
        "Docker Hardened Images",
        "Echo",
        "FreeBSD",
        "GHC",
        "GIT",
        "GitHub Actions",
        "Go",
        "Hackage",
        "Hex",
        "Julia",
        "Kubernetes",
        "Linux",
        "Mageia",
        "Maven",
        "MinimOS",
        "npm",
        "NuGet",
        "opam",
        "openEuler",
        "openSUSE",
        "OSS-Fuzz",
        "Packagist",
        "Photon OS",
        "Pub",
        "PyPI",
        "Red Hat",
        "Rocky Linux",
        "Root",
        "RubyGems",
        "SUSE",
        "SwiftURL",
        "TuxCare",
        "Ubuntu",
        "VSCode",
        "Wolfi",
    }
)

# Spellings other sources use (directory names, lower case) -> OSV name.
_ALIASES: dict[str, str] = {e.lower(): e for e in OSV_ECOSYSTEMS} | {
    "crates-io": "crates.io",
    "cargo": "crates.io",
    "rubygem": "RubyGems",
    "gem": "RubyGems",
    "rubygems.org": "RubyGems",
    "golang": "Go",
    "composer": "Packagist",
    "pip": "PyPI",
    "python": "PyPI",
    "node": "npm",
    "javascript": "npm",
}

_PEP503 = re.compile(r"[-_.]+")


@dataclass(frozen=True, slots=True)
class Ecosystem:
    """An ecosystem as the store keeps it: OSV's spelling, or the input's own when unknown."""

    name: str
    known: bool

    @property
    def base(self) -> str:
        """The ecosystem without an OSV release suffix ("Debian:12" -> "Debian")."""
        return self.name.split(":", 1)[0]


def ecosystem_of(text: str) -> Ecosystem:
    """Map a source's ecosystem spelling to OSV's; unknown ones are kept verbatim, flagged."""
    base, sep, suffix = text.strip().partition(":")
    osv = _ALIASES.get(base.lower())
    if osv is None:
        return Ecosystem(text.strip(), known=False)
    return Ecosystem(osv + sep + suffix, known=True)


# Control (C0, DEL, C1), format (bidi overrides, zero-width, soft hyphen, tags), line and
# paragraph separators and lone surrogates (undecodable bytes). No registry allows one in a
# name: in a record they are an attack on whoever reads it (a terminal obeys ESC sequences, a
# bidi override reorders the text, an invisible character makes two names look alike).
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


class UnsafeName(ValueError):
    """A package name carrying a character no registry allows; the message says which."""


def check_name(name: str, what: str = "package name") -> None:
    """Raise UnsafeName if `name` (its surrounding whitespace aside, which every reader
    strips) has a control, format or separator character. `what` names it in the message."""
    name = name.strip()
    if name.isprintable():  # the common case, in C: nothing of those categories is printable
        return
    for char in name:
        if unicodedata.category(char) in _UNSAFE_CATEGORIES:
            raise UnsafeName(
                f"{what} {name!r} has U+{ord(char):04X}, a control or invisible "
                "character no registry allows"
            )


@lru_cache(maxsize=65536)
def canonical_name(ecosystem: str, name: str) -> str:
    """The registry's notion of "the same name" (PEP 503 for PyPI, case rules elsewhere)."""
    name = name.strip()
    base = ecosystem.split(":", 1)[0]
    if base == "PyPI":
        return _PEP503.sub("-", name).lower()
    if base in ("npm", "NuGet", "Packagist", "Hex", "Pub"):
        return name.lower()
    if base == "crates.io":
        return name.lower().replace("_", "-")
    # RubyGems, Go, Maven (group:artifact) and anything unknown: exact.
    return name


@lru_cache(maxsize=65536)  # the same few version strings recur across thousands of records
def canonical_version(ecosystem: str, version: str) -> str:
    """PEP 440 spelling for PyPI (1.0 == 1.0.0 stays distinct only where PEP 440 says so)."""
    version = version.strip()
    base = ecosystem.split(":", 1)[0]
    if base == "PyPI":
        try:
            return str(Version(version))
        except InvalidVersion:
            return version
    if base == "npm" and version[:1] in ("v", "=") and version[1:2].isdigit():
        return version[1:]
    return version


# purl types whose names carry a namespace before their last "/" (a Maven name is group:artifact).
_SLASH_NAMESPACES = frozenset({"npm", "golang", "composer", "githubactions", "swift"})


# A version of only the characters percent-encoding leaves alone; packageurl-python lowercases
# the versions of a few purl types besides.
_PLAIN_VERSION = re.compile(r"[A-Za-z0-9._~-]+")
_LOWERCASED_VERSIONS = frozenset({"huggingface", "oci"})


@lru_cache(maxsize=65536)  # a feed record and its claims name the same package-versions
def purl(ecosystem: str, name: str, version: str | None = None) -> str:
    """A package URL for a canonical (ecosystem, name[, version]), written by packageurl-python
    (the purl spec's own implementation). An ecosystem without a purl type is `generic` with
    an `ecosystem` qualifier."""
    head, qualifiers, ptype = _package_purl(ecosystem, name)
    if version is None:
        return head + qualifiers
    # The version is normalised apart from every other part, so the package's own purl is
    # built once and each version only encodes its own text, as PackageURL does: normalised
    # once unencoded (its constructor), then encoded (to_string).
    encoded: str | None = version  # what both normalisations leave as it is
    if not _PLAIN_VERSION.fullmatch(version) or ptype in _LOWERCASED_VERSIONS:
        encoded = normalize_version(
            normalize_version(version, ptype, encode=None), ptype, encode=True
        )
    return f"{head}@{encoded}{qualifiers}" if encoded else head + qualifiers


@lru_cache(maxsize=65536)  # a package's versions come together in every reader's order
def _package_purl(ecosystem: str, name: str) -> tuple[str, str, str]:
    """The package's purl (no version) as packageurl-python writes it, cut before its
    qualifiers (a version goes between the two; `?` is always encoded in the parts before),
    and its purl type."""
    ptype = PURL_TYPES.get(ecosystem.split(":", 1)[0])
    namespace: str | None = None
    if ptype == "maven" and ":" in name:
        namespace, name = name.split(":", 1)
    elif ptype in _SLASH_NAMESPACES and "/" in name:
        namespace, name = name.rsplit("/", 1)
    written = PackageURL(
        type=ptype or "generic",
        namespace=namespace,
        name=name,
        qualifiers=None if ptype else {"ecosystem": ecosystem},
    ).to_string()
    head, mark, qualifiers = str(written).partition("?")
    return head, mark + qualifiers, ptype or "generic"
