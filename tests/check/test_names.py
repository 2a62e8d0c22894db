"""name-like-malicious on hand-made names: one edit, one confusable character, the popular
name never warned about, and the distance itself."""

from __future__ import annotations

from collections.abc import Collection

import pytest

from malgraph.check.names import (
    NameSubject,
    PopularNames,
    name_findings,
    one_edit_variants,
    skeleton,
    within,
)
from malgraph.check.popular import popular_names

POPULAR = PopularNames.of(["requests", "lodash", "express"])
MALICIOUS = {"reqeusts", "lodahs", "expresss", "rnalware-thing"}


def _subject(name: str) -> NameSubject:
    return NameSubject("npm", name, name, "1.0.0", "package-lock.json", ())


def _malicious_among(names: Collection[str]) -> set[str]:
    return MALICIOUS & set(names)


def _warned(*names: str) -> dict[str, list[dict[str, str]]]:
    found = name_findings([_subject(n) for n in names], POPULAR, _malicious_among)
    return {f.name: list(f.evidence["like"]) for f in found}


def test_one_edit_from_a_typosquat_is_a_warning() -> None:
    assert _warned("reqeust") == {
        "reqeust": [{"name": "reqeusts", "how": "one edit", "imitates": "requests"}]
    }


def test_the_popular_name_and_the_typosquat_itself_are_not_warned() -> None:
    assert _warned("requests", "lodash", "express") == {}


def test_a_confusable_character() -> None:
    assert _warned("l0dahs")["l0dahs"][0]["how"] == "one confusable character"


def test_far_names_and_malware_imitating_nothing_popular_are_not_warned() -> None:
    assert _warned("left-pad", "numpy-extra", "rnalware-thinq") == {}


@pytest.mark.parametrize(
    ("a", "b", "limit", "expected"),
    [
        ("requests", "reqeusts", 1, True),  # a swap of neighbours
        ("requests", "request", 1, True),
        ("requests", "rekuests", 1, True),
        ("requests", "reqests", 1, True),
        ("requests", "rqeuest", 1, False),
        ("requests", "rqeuest", 2, True),
        ("abc", "abcdef", 2, False),
    ],
)
def test_within(a: str, b: str, limit: int, expected: bool) -> None:
    assert within(a, b, limit) is expected


def test_skeleton_and_variants() -> None:
    assert skeleton("rnodule_x") == skeleton("module-x")
    assert skeleton("l0dash") == skeleton("Iodash".lower())
    variants = one_edit_variants("lodash")
    assert {"lodahs", "lodas", "llodash", "lodash1", "iodash"} <= variants
    assert "lodash" not in variants
    assert "rnodule" in one_edit_variants("module")


def test_the_shipped_lists() -> None:
    npm, pypi = popular_names("npm"), popular_names("PyPI")
    assert {"lodash", "express", "react", "@types/node"} <= npm
    assert {"requests", "django", "typing-extensions"} <= pypi  # canonical (PEP 503)
    assert len(npm) > 1000 and len(pypi) > 1000
    gems = popular_names("RubyGems")
    assert {"rails", "rake", "nokogiri", "activesupport"} <= gems and len(gems) > 900
    assert popular_names("Go") == frozenset()
