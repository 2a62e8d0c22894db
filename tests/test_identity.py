import pytest
from packageurl import PackageURL

from malgraph.core.identity import (
    PURL_TYPES,
    UnsafeName,
    canonical_name,
    canonical_version,
    check_name,
    ecosystem_of,
    purl,
)


def test_canonical_names_follow_each_registry() -> None:
    assert canonical_name("PyPI", "Foo.Bar__baz") == "foo-bar-baz"  # PEP 503
    assert canonical_name("npm", "@Scope/Left-Pad") == "@scope/left-pad"  # scope kept
    assert canonical_name("crates.io", "Serde_JSON") == "serde-json"
    assert canonical_name("NuGet", "Newtonsoft.Json") == "newtonsoft.json"
    assert canonical_name("RubyGems", "Rails_Admin") == "Rails_Admin"  # exact
    assert canonical_name("Go", "github.com/Foo/Bar") == "github.com/Foo/Bar"
    assert canonical_name("Maven", "com.Example:Lib") == "com.Example:Lib"
    assert canonical_name("Packagist", "Vendor/Pkg") == "vendor/pkg"


def test_lookalike_names_are_not_folded() -> None:
    cyrillic = "\u0405ystem.Net.Http"  # a Cyrillic capital DZE that looks like S
    assert canonical_name("NuGet", cyrillic) != canonical_name("NuGet", "System.Net.Http")
    assert canonical_name("NuGet", cyrillic).startswith("\u0455")  # lower-cased, still Cyrillic
    assert canonical_name("PyPI", "reque\u0455ts") != "requests"


def test_ecosystems_map_to_osv_spelling_and_unknown_ones_are_kept() -> None:
    assert ecosystem_of("pypi").name == "PyPI"
    assert ecosystem_of("crates-io").name == "crates.io"
    assert ecosystem_of("Debian:12").name == "Debian:12"
    odd = ecosystem_of("Foobar")
    assert (odd.name, odd.known) == ("Foobar", False)


def test_versions_are_canonical_per_ecosystem() -> None:
    assert canonical_version("PyPI", "1.0.0-RC1") == "1.0.0rc1"
    assert canonical_version("PyPI", "not a version") == "not a version"
    assert canonical_version("npm", "v1.2.3") == "1.2.3"
    assert canonical_version("npm", "1.2.3-beta.1") == "1.2.3-beta.1"


def test_purls_match_the_reference_implementation() -> None:
    cases = [
        ("npm", "@scope/name", "1.0.0", PackageURL("npm", "@scope", "name", "1.0.0")),
        ("npm", "plain", None, PackageURL("npm", None, "plain")),
        ("PyPI", "foo-bar", "1.0rc1", PackageURL("pypi", None, "foo-bar", "1.0rc1")),
        ("Go", "github.com/a/b", "v1.2.0", PackageURL("golang", "github.com/a", "b", "v1.2.0")),
        ("Maven", "org.x:core", "2.0", PackageURL("maven", "org.x", "core", "2.0")),
        ("NuGet", "\u0455ystem.net", "1.0", PackageURL("nuget", None, "\u0455ystem.net", "1.0")),
        ("RubyGems", "rails", "7.0.0", PackageURL("gem", None, "rails", "7.0.0")),
        ("crates.io", "serde-json", None, PackageURL("cargo", None, "serde-json")),
        ("Packagist", "vendor/pkg", "1.0", PackageURL("composer", "vendor", "pkg", "1.0")),
    ]
    for eco, name, version, expected in cases:
        assert purl(eco, name, version) == expected.to_string(), (eco, name)


def _whole_purl(ecosystem: str, name: str, version: str | None) -> str:
    """The purl built in one PackageURL, version and all: what `purl` must always equal."""
    ptype = PURL_TYPES.get(ecosystem.split(":", 1)[0])
    namespace = None
    if ptype == "maven" and ":" in name:
        namespace, name = name.split(":", 1)
    elif ptype in {"npm", "golang", "composer", "githubactions", "swift"} and "/" in name:
        namespace, name = name.rsplit("/", 1)
    qualifiers = None if ptype else {"ecosystem": ecosystem}
    return str(PackageURL(ptype or "generic", namespace, name, version, qualifiers).to_string())


def test_a_versions_purl_is_its_packages_with_the_version_packageurl_encodes() -> None:
    names = ["plain", "@scope/a b", "org.x:core", "a#b?c", "Foo_Bar", "\u0455ys/t%41"]
    versions = [None, "", "  ", " 1.0 ", "1@2", "a?b#c", "1.0+local", "1:7.88-1", "\u00e9/x"]
    versions += ["1.0.0", "V2.0-Beta_1~x", "1.0\n", "1/2", "1%41"]
    for ecosystem in [*PURL_TYPES, "Weird Eco:1"]:
        for name in names:
            for version in versions:
                expected = _whole_purl(ecosystem, name, version)
                assert purl(ecosystem, name, version) == expected, (ecosystem, name, version)


def test_unknown_ecosystems_get_a_generic_purl_naming_them() -> None:
    assert purl("Foobar", "thing", "1") == "pkg:generic/thing@1?ecosystem=Foobar"
    assert PackageURL.from_string(purl("Foobar", "thing")).qualifiers == {"ecosystem": "Foobar"}


@pytest.mark.parametrize(
    ("eco", "name", "version", "expected"),
    [
        ("npm", "@a/b", "1.0.0", "pkg:npm/%40a/b@1.0.0"),  # the scope is the namespace
        ("npm", "@a/b/c", None, "pkg:npm/%40a/b/c"),
        ("PyPI", canonical_name("PyPI", "zope.interface"), None, "pkg:pypi/zope-interface"),
        ("PyPI", canonical_name("PyPI", "Foo_Bar"), "1.0", "pkg:pypi/foo-bar@1.0"),
        ("PyPI", "a_b.c", None, "pkg:pypi/a-b.c"),  # the purl spec's own pypi rule: _ is -
        ("PyPI", "foo", "1.0+local.7", "pkg:pypi/foo@1.0%2Blocal.7"),  # + is not allowed bare
        ("Maven", "org.apache:commons-lang3", "3.1", "pkg:maven/org.apache/commons-lang3@3.1"),
        ("Debian:12", "curl", "1:7.88-1", "pkg:deb/curl@1:7.88-1"),  # a colon is never encoded
        ("Weird Eco:1", "x y", "2 b", "pkg:generic/x%20y@2%20b?ecosystem=Weird%20Eco:1"),
        ("npm", "a#b?c", "1@2", "pkg:npm/a%23b%3fc@1%402"),
    ],
)
def test_tricky_purls_are_packageurl_pythons_and_parse_back(
    eco: str, name: str, version: str | None, expected: str
) -> None:
    written = purl(eco, name, version)
    assert written == expected
    parsed = PackageURL.from_string(written)
    assert parsed.to_string() == written  # already in packageurl-python's canonical form
    assert parsed.version == version
    if parsed.type == "generic":
        assert parsed.qualifiers == {"ecosystem": eco} and parsed.name == name
    elif parsed.type != "pypi":  # pypi names are normalised (_ to -)
        joined = f"{parsed.namespace}{':' if parsed.type == 'maven' else '/'}{parsed.name}"
        assert (joined if parsed.namespace else parsed.name) == name


@pytest.mark.parametrize(
    "name",
    [
        "esc\x1b[2Jname",
        "nul\x00",
        "del\x7f",
        "c1\x9bcsi",
        "bidi\u202eevil",
        "zero\u200bwidth",
        "tag\U000e0041",
        "line\u2028break",
        "surrogate\udcff",
        "inner\rreturn",
    ],
)
def test_a_name_with_a_control_or_invisible_character_is_refused(name: str) -> None:
    with pytest.raises(UnsafeName, match=r"U\+[0-9A-F]{4}"):
        check_name(name)


def test_names_registries_allow_pass() -> None:
    # Look-alike letters are the registry's business (and a signal), not a control character;
    # the whitespace around a name (a CSV's line end) is stripped by every reader.
    for name in ("left-pad", "@scope/pkg", "Newtonsoft.Json", "p\u0430ypal", "name\r", " x "):
        check_name(name)
