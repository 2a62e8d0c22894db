"""Rebuild the bundled sample (src/malgraph/data/sample/) from ../shared/data, byte for byte.

Usage: python scripts/make_sample.py [SHARED_DATA_DIR]
Zips are written with fixed timestamps and sorted members, so the output is reproducible.
"""

import shutil
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
OUT = HERE / "src/malgraph/data/sample"
FIXED = (2025, 6, 4, 0, 0, 0)


def pack(tree: Path, zip_path: Path) -> int:
    files = sorted(p for p in (tree / "osv").rglob("*.json"))
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in files:
            info = zipfile.ZipInfo(str(path.relative_to(tree)), FIXED)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    return len(files)


def main() -> None:
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent / "shared/data"
    OUT.mkdir(parents=True, exist_ok=True)
    for folder, name in [
        ("osv-malicious-sample", "ossf-malicious-packages"),
        ("leitwacht-malicious-packages", "leitwacht"),
    ]:
        count = pack(shared / folder, OUT / f"{name}.zip")
        shutil.copy(shared / folder / "LICENSE", OUT / f"{name}.LICENSE")
        print(f"{name}.zip: {count} records")


if __name__ == "__main__":
    main()
