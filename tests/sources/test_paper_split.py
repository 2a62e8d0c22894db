"""malware_deduplicated.xlsx's name/version split, checked against each row's own name_version:
kept where it agrees, re-split by the row's own evidence (the sample's path, DataDog's
name-vVERSION, a dotted version of the ecosystem's grammar), or rejected with its row number;
never a new package named like "ethter-1.10.1b1"."""

from __future__ import annotations

import json
from pathlib import Path

from malgraph.pipeline.ingest import ingest
from malgraph.store import Store
from tests.sources.test_paper import write_book

MALWARE = ("Source", "name_version", "Status", "ID", "OSS")
SIBLING = ("name_version", "name", "version", "published_at", "Filepath")
ETHTER = " /Documents/malware/pypi/Backstabber/ethter/1.10.1b1/ethter-1.10.1b1.tar.gz"
KAZER = " /Documents/malware/pypi/pypi1397_datadog/2023-05-02-kazer12-v1.zip"
LD = " /Documents/malware/pypi/pypi1397_datadog/2022-11-17-ld-impl-linux-64.zip"
PYPI = [  # (source, name_version, the sibling's name, version, Filepath)
    ("Backstabber-Knife", "ethter-1.10.1b1", "ethter-1.10.1b1", None, ETHTER),
    ("DataDog", "kazer12-v1", "kazer12-v1", None, KAZER),
    ("Snyk.io", "locute-1.0.0b5", "locute-1.0.0b5", None, None),
    ("Tianwen", "cloudfix-1", "cloudfix-1", None, None),  # a bare number: may be the name's
    ("DataDog", "ld-impl-linux-64", "ld-impl-linux-64", None, LD),  # no -v: a name
    ("Phylum", "vmconnect-1.1.7", "VMConnect", "1.1.7", None),  # PyPI ignores case: agrees
    ("Phylum", "bad-2.0", "other", "2.0", None),  # not this text: re-split by rule
    ("Phylum", "zz-x-y", "qq", "1.0", None),  # not this text, and no rule splits it
]
NPM = [
    ("Tianwen", "xia-kit-0.0.1-beta.4", "xia-kit-0.0.1-beta.4", None, None),
    ("Snyk.io", "redis-v4", "redis-v4", None, None),
]


def test_a_split_that_disagrees_with_its_name_version_is_redone_or_rejected(
    store: Store, tmp_path: Path
) -> None:
    books = {"PyPI": PYPI, "NPM": NPM}
    write_book(
        tmp_path / "malware.xlsx",
        {
            sheet: [MALWARE]
            + [(r[0], r[1], "untracked", f"{sheet}{i}", sheet) for i, r in enumerate(rows)]
            for sheet, rows in books.items()
        },
    )
    write_book(
        tmp_path / "malware_deduplicated.xlsx",
        {
            sheet: [SIBLING] + [(r[1], r[2], r[3], None, r[4]) for r in rows]
            for sheet, rows in books.items()
        },
    )
    report = ingest(store, "paper", [str(tmp_path)], workers=1)
    stored = {
        ident.rsplit("/", 1)[1]: (name, tuple(json.loads(versions)))
        for ident, name, versions in store.db.execute(
            "SELECT r.source_record_id, p.name, r.versions FROM records r"
            " JOIN packages p ON p.id = r.package_id"
        )
    }
    assert stored == {
        "PyPI0": ("ethter", ("1.10.1b1",)),  # the sample's path: ethter/1.10.1b1/
        "PyPI1": ("kazer12", ("1",)),  # DataDog's kazer12-v1
        "PyPI2": ("locute", ("1.0.0b5",)),  # a dotted PEP 440 version
        "PyPI3": ("cloudfix-1", ()),
        "PyPI4": ("ld-impl-linux-64", ()),
        "PyPI5": ("vmconnect", ("1.1.7",)),
        "PyPI6": ("bad", ("2.0",)),
        "NPM0": ("xia-kit", ("0.0.1-beta.4",)),  # semver with a prerelease
        "NPM1": ("redis-v4", ()),
    }
    [rejection] = [r.reason for r in report.rejected]
    assert rejection.startswith("sheet PyPI row 9: malware_deduplicated.xlsx splits 'zz-x-y'")
    names = {n for (n,) in store.db.execute("SELECT name FROM packages")}
    assert not names & {
        "ethter-1.10.1b1",
        "kazer12-v1",
        "locute-1.0.0b5",
        "xia-kit-0.0.1-beta.4",
        "other",
        "qq",
        "zz-x-y",
    }
