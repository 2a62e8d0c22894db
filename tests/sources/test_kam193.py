"""kam193/package-campaigns as the project publishes it: campaigns, package files, and the OSV
copy of each package file beside its `json/` folder."""

from __future__ import annotations

from pathlib import Path

from malgraph.pipeline.ingest import ingest
from malgraph.sources.kam193 import OSV_COPY
from malgraph.store import Store
from tests.conftest import osv, write_json


def checkout(root: Path) -> Path:
    """Two packages of one campaign, each as `json/` and as `osv/`, and the campaign file."""
    pypi = root / "package-campaigns/pypi"
    write_json(
        pypi / "campaigns/malicious/funcaptcha-ru.json",
        {
            "name": "funcaptcha-ru",
            "category": "malicious",
            "packages": ["3web", "3web-py"],
            "references": ["https://blog.example/typosquats"],
            "created_at": "2024-06-28",
        },
    )
    for name in ("3web", "3web-py"):
        folder = pypi / "packages/malicious"
        write_json(
            folder / f"json/{name}.json",
            {
                "name": name,
                "ecosystem": "pypi",
                "campaign": "funcaptcha-ru",
                "affected_versions": ["1.0.0"],
            },
        )
        write_json(
            folder / f"osv/{name}.json",
            osv(
                f"pypi/funcaptcha-ru/{name}",
                name,
                ecosystem="PyPI",
                details="Campaign: funcaptcha-ru",
            ),
        )
    return root / "package-campaigns"


def test_osv_copies_are_recognised_and_each_package_is_one_claim(
    store: Store, tmp_path: Path
) -> None:
    report = ingest(store, "kam193", [str(checkout(tmp_path))])
    assert report.rejected == []
    assert {w.reason for w in report.warnings} == {OSV_COPY}
    assert len(report.warnings) == 2
    claims = store.db.execute(
        "SELECT p.name, count(*) FROM records r JOIN packages p ON p.id = r.package_id"
        " GROUP BY p.name ORDER BY p.name"
    ).fetchall()
    # Each package: one claim from its json/ file, one from the campaign that lists it.
    assert claims == [("3web", 2), ("3web-py", 2)]
    versions = store.db.execute(
        "SELECT DISTINCT v.version FROM record_versions rv"
        " JOIN package_versions v ON v.id = rv.version_id"
    ).fetchall()
    assert versions == [("1.0.0",)]  # the OSV copy's "every version" range is not read
    again = ingest(store, "kam193", [str(checkout(tmp_path))])
    assert again.rejected == [] and set(again.outcomes) <= {"unchanged"}
