"""The analysis of every archive in a folder, serialised, to compare two versions of the code:
each archive analysed fresh and through one in-memory memo shared by all of them (so files seen
in an earlier archive, setup.py files among them, come from recalled scans).

    python benchmarks/analysis_snapshot.py FOLDER OUT.jsonl
    (run once with each checkout's interpreter, then: cmp before.jsonl after.jsonl)

One JSON line per archive and mode: [path relative to FOLDER, "fresh" or "memo", the analysis as
analysis_determinism.canonical writes it].
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.analysis_determinism import canonical
from malgraph.analysis.analyze import analyze_archive
from malgraph.analysis.file_memo import RecentScans

_SUFFIXES = (".gz", ".tgz", ".zip", ".whl", ".gem", ".tar")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    paths = sorted(p for p in args.folder.rglob("*") if p.is_file() and p.suffix in _SUFFIXES)
    memo = RecentScans()
    with args.out.open("w") as out:
        for path in paths:
            data, name = path.read_bytes(), str(path.relative_to(args.folder))
            for mode, used in (("fresh", None), ("memo", memo)):
                line = [name, mode, canonical(analyze_archive(data, path.name, memo=used))]
                out.write(json.dumps(line) + "\n")
    print(f"{len(paths)} archives, {memo.hits} files recalled from the memo: {args.out}")


if __name__ == "__main__":
    main()
