"""What any analysis of these archives pays before it finds anything: the steps the features
malgraph stores cannot do without, each timed on its own, against the read floor.

    python benchmarks/analysis_floor.py ARCHIVE_OR_FOLDER ... [--json OUT]

The steps, each in this process and in CPU seconds, over every archive:
- read: `read_archive` as `analyze` reads (the read floor, 1.0x);
- hash: sha256 of every member (the file list and the memo are keyed by it);
- Python verdict: `symtable` of every Python file analyze would scan: CPython's cheapest parse
  that says whether the file is Python (it builds no Python objects, unlike `ast.parse`, shown
  beside it as what a walk of the tree costs on top);
- JavaScript and Ruby parse: tree-sitter, with the scanners' own grammars, no query;
- tokens: the normalised token stream of every scanned file (the similar relation's input);
- start-up: `malgraph analyze` on an empty store, once per run (interpreter and imports).
The sum of these is a floor of this design: an analysis that parses every code file and
tokenises it cannot cost less, whatever its walks and searches cost. Beside it, what
`analyze_archive` costs now, per archive in this process with no memo (p50, p99, total).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import hashlib
import json
import resource
import subprocess
import symtable
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import tree_sitter_javascript
import tree_sitter_ruby
from tree_sitter import Language, Parser

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from malgraph.analysis.analyze import (
    DEFAULT_LIMITS,
    MAX_SCANNED_BYTES,
    SAMPLE_PASSWORD,
    analyze_archive,
)
from malgraph.analysis.file_scan import dialect_of
from malgraph.analysis.tokens import normalised_tokens
from malgraph.artifacts.archives import ArchiveError, Member, read_archive
from malgraph.artifacts.local import local_archives
from malgraph.core.kinds import ScanDialect

STEPS = ("read", "hash", "python verdict", "javascript parse", "ruby parse", "tokens")
TOKEN_LANGUAGE = {
    ScanDialect.PYTHON: "python",
    ScanDialect.JAVASCRIPT: "javascript",
    ScanDialect.TYPESCRIPT: "javascript",
    ScanDialect.RUBY: "ruby",
}


def archives(places: list[Path]) -> list[Path]:
    found: list[Path] = []
    for place in places:
        found += [a.path for a in local_archives(place)] if place.is_dir() else [place]
    return sorted(found)


def scanned(member: Member) -> ScanDialect | None:
    """The dialect analyze scans the member in; None when it only hashes it."""
    if len(member.data) > MAX_SCANNED_BYTES or b"\x00" in member.data[:1024]:
        return None
    return dialect_of(member.path)


def timed(step: Callable[..., object], *args: object) -> float:
    """CPU seconds of step(*args); a file the parser refuses has cost what it cost."""
    start = time.process_time()
    with contextlib.suppress(SyntaxError, ValueError, RecursionError, MemoryError):
        step(*args)
    return time.process_time() - start


class Floor:
    """CPU seconds per step and per archive."""

    def __init__(self) -> None:
        self.steps = dict.fromkeys((*STEPS, "python tree (ast.parse)"), 0.0)
        self.per_archive: list[float] = []  # the floor steps' sum, per archive
        self.analysis: list[float] = []  # analyze_archive, per archive
        javascript = Parser(Language(tree_sitter_javascript.language()))
        ruby = Parser(Language(tree_sitter_ruby.language()))
        self.parsers = {
            ScanDialect.JAVASCRIPT: ("javascript parse", javascript),
            ScanDialect.TYPESCRIPT: ("javascript parse", javascript),
            ScanDialect.RUBY: ("ruby parse", ruby),
        }

    def add(self, path: Path) -> None:
        data = path.read_bytes()
        spent: dict[str, float] = dict.fromkeys(STEPS, 0.0)
        members: list[Member] = []

        def read() -> None:
            contents = read_archive(
                data, path.name, password=SAMPLE_PASSWORD, limits=DEFAULT_LIMITS
            )
            members.extend(contents.members)

        try:
            spent["read"] = timed(read)
        except ArchiveError:
            return
        for member in members:
            spent["hash"] += timed(hashlib.sha256, member.data)
            dialect = scanned(member)
            if dialect is None or dialect is ScanDialect.SCRIPT:
                continue
            text = member.data.decode("utf-8", errors="replace")
            if dialect is ScanDialect.PYTHON:
                spent["python verdict"] += timed(symtable.symtable, text, "f", "exec")
                self.steps["python tree (ast.parse)"] += timed(ast.parse, text)
            else:
                step, parser = self.parsers[dialect]
                spent[step] += timed(parser.parse, member.data)
            language = TOKEN_LANGUAGE[dialect]
            spent["tokens"] += timed(normalised_tokens, text, language)
        for step, seconds in spent.items():
            self.steps[step] += seconds
        self.per_archive.append(sum(spent.values()))
        self.analysis.append(timed(analyze_archive, data, path.name))


def start_up_cpu() -> float:
    """CPU seconds of `malgraph analyze` on a store with nothing to analyse, in a child."""
    with tempfile.TemporaryDirectory() as folder:
        listing = Path(folder) / "none.csv"
        listing.write_text("ecosystem,name,version\n")
        malgraph = [sys.executable, "-m", "malgraph", "--db", str(Path(folder) / "empty.db")]
        subprocess.run([*malgraph, "ingest", "list", str(listing)], capture_output=True, check=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([*malgraph, "analyze"], capture_output=True, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def measure(paths: list[Path]) -> dict[str, object]:
    floor = Floor()
    for path in paths:
        floor.add(path)
    read = floor.steps["read"] or 1e-9
    design = sum(floor.steps[step] for step in STEPS)
    start_up = start_up_cpu()
    return {
        "archives": len(floor.per_archive),
        "steps_cpu_s": {step: round(seconds, 3) for step, seconds in floor.steps.items()},
        "start_up_cpu_s": round(start_up, 3),
        "design_floor_cpu_s": round(design, 3),
        "design_floor_x_read": round(design / read, 2),
        "design_floor_with_start_up_x_read": round((design + start_up) / read, 2),
        "design_floor_ms": {
            "p50": round(1000 * percentile(floor.per_archive, 0.5), 2),
            "p99": round(1000 * percentile(floor.per_archive, 0.99), 2),
        },
        "analysis_cpu_s": round(sum(floor.analysis), 3),
        "analysis_x_read": round(sum(floor.analysis) / read, 2),
        "analysis_ms": {
            "p50": round(1000 * percentile(floor.analysis, 0.5), 2),
            "p99": round(1000 * percentile(floor.analysis, 0.99), 2),
        },
    }


def show(result: dict[str, object]) -> None:
    steps = result["steps_cpu_s"]
    assert isinstance(steps, dict)
    read = steps["read"] or 1e-9
    print(f"design floor over {result['archives']} archives (CPU, one process):")
    for step, seconds in steps.items():
        print(f"  {step:<26}{seconds:>8.3f} s  {seconds / read:>6.2f}x read")
    print(f"  {'start-up (once)':<26}{result['start_up_cpu_s']:>8.3f} s")
    print(
        f"design floor: {result['design_floor_cpu_s']} s = {result['design_floor_x_read']}x read,"
        f" {result['design_floor_with_start_up_x_read']}x with start-up;"
        f" per archive {result['design_floor_ms']}"
    )
    print(
        f"analyze_archive now: {result['analysis_cpu_s']} s = {result['analysis_x_read']}x read;"
        f" per archive {result['analysis_ms']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("places", type=Path, nargs="+", help="archives or folders of them")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args()
    result = measure(archives(args.places))
    show(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
