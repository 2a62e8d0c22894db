"""The real public data the tests read, laid out as the upstream projects publish it, from the
bundled sample alone (src/malgraph/data/sample; provenance and licences in its NOTICE.md).

A clone of the repository has nothing beside it, so no test reads outside it: the folders
below are unpacked from the sample into a temporary directory once per test session.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent.parent / "src/malgraph/data/sample"

# folder the tests name -> (the sample's zip, or folder, that holds it)
ZIPPED = {
    "osv-malicious-sample": "osv/ossf-malicious-packages.zip",
    "leitwacht-malicious-packages": "osv/leitwacht.zip",
    "kam193-package-campaigns": "kam193/kam193-package-campaigns.zip",
    "maloss-lists": "maloss/maloss.zip",
    "supply-chain-reports": "reports/supply-chain-reports.zip",
}
COPIED = {"datadog-manifests": "datadog", "malgraph-paper-excerpt": "paper"}


def _unzip(archive: Path, to: Path) -> None:
    """Our own bundled zips; members are checked to stay inside `to` all the same."""
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            target = (to / info.filename).resolve()
            if not target.is_relative_to(to.resolve()):
                raise ValueError(f"{archive}: member {info.filename!r} leaves the folder")
        zf.extractall(to)


def _leitwacht_index(folder: Path) -> None:
    """leitwacht publishes `index.json` (id -> package, version, MAL id, file, published) beside
    its `osv/` tree; the sample keeps only the records, so the index is written in that shape
    from them."""
    index = {}
    for path in sorted((folder / "osv").rglob("*.json")):
        doc = json.loads(path.read_text())
        affected = doc["affected"][0]
        index[doc["id"]] = {
            "package": affected["package"]["name"],
            "version": (affected.get("versions") or [None])[0],
            "mal_id": next(iter(doc.get("aliases") or []), None),
            "file": str(path.relative_to(folder)),
            "published": doc.get("published"),
        }
    (folder / "index.json").write_text(json.dumps(index, indent=2))


def materialise(root: Path) -> Path:
    """Unpack every real-data folder the tests read under `root`; returns `root`."""
    for name, member in ZIPPED.items():
        _unzip(SAMPLE / member, root / name)
    for name, folder in COPIED.items():
        shutil.copytree(SAMPLE / folder, root / name)
    _leitwacht_index(root / "leitwacht-malicious-packages")
    return root
