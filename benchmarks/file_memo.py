"""Benchmark: what the file-scan memo saves, in one process, on a folder of archives.

    python benchmarks/file_memo.py DIR [--limit N]

Reads every archive under DIR (e.g. the corpus of benchmarks/real_shaped_corpus.py, or a folder
of real samples) into memory, then analyses them all three times with `analyze_archive`:
without a memo, with an empty in-memory memo (a first pass: only files repeated across the
folder are recalled), and with that memo warm (a second pass: every file is recalled). Prints
the CPU seconds of each pass, the share of files recalled, and whether the three passes gave
equal analyses (they must). The stored flow's figures come from `malgraph analyze` and
`analyze --redo`, whose summary line counts the files taken from the memo.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from malgraph.analysis.analyze import analyze_archive
from malgraph.analysis.file_memo import RecentScans
from malgraph.artifacts.local import ARCHIVE_SUFFIXES
from malgraph.core.code import Analysis


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--limit", type=int, default=None, help="at most this many archives")
    args = parser.parse_args()
    paths = sorted(p for p in args.folder.rglob("*") if p.name.endswith(ARCHIVE_SUFFIXES))
    archives = [(p.name, p.read_bytes()) for p in paths[: args.limit]]
    if not archives:
        sys.exit(f"{args.folder}: no archives")

    def run(memo: RecentScans | None) -> tuple[float, list[Analysis]]:
        start = time.process_time()
        analyses = [analyze_archive(data, name, memo=memo) for name, data in archives]
        return time.process_time() - start, analyses

    plain, expected = run(None)
    memo = RecentScans()
    cold, first = run(memo)
    cold_hits, cold_asked = memo.hits, memo.asked
    warm, second = run(memo)
    print(f"{len(archives)} archives, load average {os.getloadavg()[0]:.2f}")
    print(f"{'pass':<28}{'cpu s':>8}{'x no memo':>11}{'files recalled':>18}")
    print(f"{'no memo':<28}{plain:>8.2f}{1:>11.2f}{'-':>18}")
    rows = (
        ("memo, first pass", cold, cold_hits, cold_asked),
        ("memo, second pass (warm)", warm, memo.hits - cold_hits, memo.asked - cold_asked),
    )
    for label, seconds, hits, asked in rows:
        share = f"{hits}/{asked} ({100 * hits / max(asked, 1):.0f}%)"
        print(f"{label:<28}{seconds:>8.2f}{seconds / plain:>11.2f}{share:>18}")
    print(f"memo held {len(memo)} scans, {memo.held_bytes / 2**20:.1f} MiB by their weight")
    print(f"analyses equal in all three passes: {expected == first == second}")


if __name__ == "__main__":
    main()
