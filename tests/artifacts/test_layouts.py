"""What an archive's place in a folder says it is, and what it leaves open."""

from __future__ import annotations

from malgraph.artifacts.layouts import read_place, same_package

ROOT = ("/", "data")


def place(*inside: str) -> tuple[tuple[str, ...], int]:
    return (*ROOT, *inside), len(inside)


def test_places_say_what_they_can_and_no_more() -> None:
    sample = read_place(
        *place(
            "samples",
            "npm",
            "malicious_intent",
            "@evil@scope",
            "1.0.0",
            "2024-03-05-@evil@scope-v1.0.0.zip",
        )
    )
    assert (sample.layout, sample.ecosystem, sample.readings, sample.detected) == (
        "datadog sample",
        "npm",
        (("@evil/scope", "1.0.0"),),
        "2024-03-05T00:00:00Z",
    )
    # DataDog's tree is recognised above the folder given too (`samples/npm` given).
    parts = ("/", "samples", "pypi", "compromised_lib", "pkg", "2.0", "2024-01-02-pkg-v2.0.zip")
    assert read_place(parts, 3).ecosystem == "PyPI"
    tree = read_place(*place("foo-2-bar", "1.0", "foo-2-bar-1.0.tar.gz"))
    assert (tree.layout, tree.readings) == ("name/version/file", (("foo-2-bar", "1.0"),))
    assert read_place(*place("my-pkg", "0.1", "my_pkg-0.1-py3-none-any.whl")).readings == (
        ("my-pkg", "0.1"),
    )
    # Folders above the one given are not read as name/version; a non-version folder neither.
    assert read_place(("/", "x", "1.0", "foo-2-bar-1.0.tgz"), 1).readings == (
        ("foo", "2-bar-1.0"),
        ("foo-2-bar", "1.0"),
    )
    assert read_place(*place("tarballs", "misc", "left-pad-1.3.0.tgz")).readings == (
        ("left-pad", "1.3.0"),
    )
    loose = read_place(*place("stuff", "2024", "left-pad-1.3.0.tgz"))
    assert len(loose.readings) == 2  # the folders and the file name disagree: two readings
    assert read_place(*place("x.gem")).ecosystem == "RubyGems"
    assert same_package(("Evil_Py", "v2.0"), ("evil-py", "2.0"))
