"""Source names: label keys, the shipped table, a user's table on top, and bad files."""

from __future__ import annotations

from itertools import permutations
from pathlib import Path

import pytest

from malgraph.core.source_names import SourceAliasError, SourceNames, label_key, read_table


def test_labels_match_ignoring_case_punctuation_and_width() -> None:
    full_width = "\uff24\uff41\uff54\uff41\uff24\uff4f\uff47"
    assert label_key("DataDog") == label_key("datadog") == label_key(full_width)
    assert label_key("Maloss ") == label_key("MalOSS") == label_key("maloss")
    assert label_key("Mal-PyPI Dataset") == label_key("Mal-PyPI_Dataset") == "malpypidataset"
    assert label_key("Snyk.io") == "snykio" != label_key("snyk")  # hence listed as an alias
    assert label_key(" -- ") == "--"  # nothing to fold: kept as written, less the spaces


def test_the_shipped_table_joins_one_reporters_labels_and_only_those() -> None:
    names = SourceNames()
    expected = {
        "DataDog": "datadog",
        "datadog": "datadog",
        "Snyk.io": "snyk",
        "snyk": "snyk",
        "Maloss ": "maloss",
        "MalOSS": "maloss",
        "GitHub Advisory ": "ghsa-malware",
        "ghsa-malware": "ghsa-malware",
        "ghsa": "ghsa-malware",
        "Backstabber-Knife": "backstabbers-knife-collection",
        "backstabbers-knife-collection": "backstabbers-knife-collection",
        "Mal-PyPI_Dataset": "mal-pypi-dataset",
        "Mal-PyPI Dataset": "mal-pypi-dataset",
        "Phylum": "phylum",
        "Socket": "socket",
        "Tianwen": "tianwen",
        "Blogs": "blogs",
        "reversing-labs": "reversing-labs",
        "kam193": "kam193",
        "leitwacht": "leitwacht",
    }
    assert {label: names.listed(label) for label in expected} == expected
    assert names.listed("my-team") is None
    # Every canonical name of the table is its own source, and no two share a key.
    keys = [label_key(name) for name in names.entries]
    assert len(keys) == len(set(keys)) and all(names.listed(n) == n for n in names.entries)


def test_unlisted_spellings_are_one_source_named_the_same_whatever_the_order() -> None:
    names = SourceNames()
    spellings = ["My Team", "my-team", "MY_TEAM"]
    for order in permutations(spellings):
        assert set(names.canonical(order).values()) == {"my-team"}
    assert set(names.canonical(["Acme", "ACME"]).values()) == {"ACME"}  # none lower-case: order
    assert names.canonical(["Acme", "acme"]) == {"Acme": "acme", "acme": "acme"}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "aliases.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_user_table_extends_and_overrides_the_shipped_one(tmp_path: Path) -> None:
    user = read_table(
        write(
            tmp_path,
            """
        [my-team]
        aliases = ["Team A", "team_b"]
        description = "our triage list"

        # Snyk.io is kept apart from MalOSS's copy of Snyk's list.
        [snyk-io]
        aliases = ["Snyk.io"]

        # DataDog's labels go by another name: its shipped aliases follow.
        [datadog-security-labs]
        aliases = ["datadog"]
    """,
        )
    )
    names = SourceNames(user)
    assert names.listed("TEAM A") == names.listed("team-b") == "my-team"
    assert names.listed("Snyk.io") == "snyk-io" and names.listed("snyk") == "snyk"
    assert names.listed("DataDog") == names.listed("datadog") == "datadog-security-labs"
    assert names.listed("malicious-software-packages-dataset") == "datadog-security-labs"
    assert "datadog" not in names.entries and names.entries["my-team"].description
    aliases = names.aliases_of(["Team C"])
    assert aliases["my-team"] == ["Team A", "team_b"] and aliases["Team C"] == []
    assert "Snyk.io" not in aliases["snyk"] and aliases["snyk-io"] == ["Snyk.io"]
    assert SourceNames().listed("Snyk.io") == "snyk"  # the shipped table itself is untouched


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[a\naliases = [", "not valid TOML"),
        ('team = "x"', "'team' is not a table"),
        ('[team]\naliases = "Team A"', "aliases is not a list of strings"),
        ("[team]\naliases = [1]", "aliases is not a list of strings"),
        ('[team]\nalias = ["Team A"]', "unknown field(s) alias"),
        ('[team]\naliases = ["  "]', "empty name or alias"),
        ("[team]\ndescription = 3", "description is not a string"),
        (
            '[a]\naliases = ["X-Y"]\n[b]\naliases = ["x_y"]',
            "'x_y' is listed under both [a] and [b]",
        ),
    ],
)
def test_a_malformed_table_is_one_error_naming_the_file(
    tmp_path: Path, text: str, reason: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SourceAliasError) as caught:
        read_table(path)
    assert str(caught.value).startswith(f"{path}: ") and reason in str(caught.value)


def test_a_missing_or_binary_file_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(SourceAliasError, match="cannot read the source aliases file"):
        read_table(tmp_path / "nope.toml")
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(SourceAliasError, match="cannot read"):
        read_table(tmp_path / "bin.toml")
