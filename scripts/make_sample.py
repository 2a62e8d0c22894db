"""Rebuild the bundled sample (src/malgraph/data/sample/) from the shared data, byte for byte.

Usage: python scripts/make_sample.py [SHARED_DATA_DIR]
One folder per source kind; zips are written with fixed timestamps and sorted members, so the
output is reproducible. DataDog manifests and the paper's workbooks stay plain files (their
readers want them so: a DataDog zip is a sample, and malware.xlsx reads its sibling).
"""

import shutil
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
OUT = HERE / "src/malgraph/data/sample"
FIXED = (2025, 6, 4, 0, 0, 0)
LICENCES = ("LICENSE", "LICENSE.md", "NOTICE")


def pack(root: Path, files: list[Path], zip_path: Path) -> int:
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in sorted(files):
            info = zipfile.ZipInfo(str(path.relative_to(root)), FIXED)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    return len(files)


def copy(files: list[Path], root: Path, to: Path) -> int:
    for path in files:
        target = to / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return len(files)


def licences(folder: Path, to: Path, prefix: str) -> None:
    """Each licence file beside the data, named after the folder it came from."""
    for path in folder.rglob("*"):
        if path.name in LICENCES:
            where = ".".join((prefix, *path.relative_to(folder).parent.parts[:1]))
            shutil.copyfile(path, to / f"{where}.{path.name}")


def main() -> None:
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent / "shared/data"
    for kind in ("osv", "datadog", "paper", "kam193", "maloss", "reports"):
        shutil.rmtree(OUT / kind, ignore_errors=True)  # NOTICE.md stays
    zipped = {  # kind, shared folder, zip name, which files
        ("osv", "osv-malicious-sample", "ossf-malicious-packages", "osv/**/*.json"),
        ("osv", "leitwacht-malicious-packages", "leitwacht", "osv/**/*.json"),
        ("kam193", "kam193-package-campaigns", "kam193-package-campaigns", "**/*.json"),
        ("maloss", "maloss-lists", "maloss", "malware/**/*"),
        ("reports", "supply-chain-reports", "supply-chain-reports", "**/*"),
    }
    for kind, folder, name, pattern in sorted(zipped):
        root = shared / folder
        files = [p for p in root.glob(pattern) if p.is_file() and p.name not in LICENCES]
        count = pack(root, files, OUT / kind / f"{name}.zip")
        licences(root, OUT / kind, name)
        print(f"{kind}/{name}.zip: {count} files")
    for kind, folder, pattern in [
        ("datadog", "datadog-manifests", "samples/*/manifest.json"),
        ("paper", "malgraph-paper-excerpt", "*.xlsx"),
    ]:
        root = shared / folder
        count = copy(list(root.glob(pattern)), root, OUT / kind)
        licences(root, OUT / kind, folder)
        print(f"{kind}/: {count} files")


if __name__ == "__main__":
    main()
