"""What the analysis of these archives pays for the steps its own design cannot skip, each
timed on its own, against the read floor.

    python benchmarks/analysis_floor.py ARCHIVE_OR_FOLDER ... [--json OUT]

The steps, in this process and in CPU seconds, each over all the members of an archive in one
bracket, with the parses limited to what the scanners parse:
- read: `read_archive` as `analyze` reads (the read floor, 1.0x);
- hash: sha256 of every member (the file list and the memo are keyed by it);
- hint search: the one Hyperscan pass per code file that tells the scanners whether to parse it
  (a file with no trigger word and no credential fragment is not parsed);
- Python parse: every setup.py's tree (`ast.parse`: the manifest reader walks it), and of the
  other files those with a hint only, their cheapest verdict (`symtable`: the same parser, no Python
  objects; parsing in pieces costs at least that);
- JavaScript and Ruby parse, of the files with a hint only: tree-sitter, no query;
- tokens: the normalised token stream of every scanned file (the similar relation's input);
- start-up: `malgraph analyze` on an empty store, once per run (interpreter and imports).
The sum is a floor of this design: the analysis cannot cost less, whatever its walks, searches,
manifest reading and glue cost. Beside it, `analyze_archive` per archive in this process with
no memo (run first on each archive, so the floor's steps get the warmer caches).
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
from typing import Any

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
from malgraph.analysis.hints import Hints
from malgraph.analysis.languages import find_hints
from malgraph.analysis.setup_facts import is_setup_py
from malgraph.analysis.tokens import normalised_tokens
from malgraph.artifacts.archives import ArchiveError, Member, read_archive
from malgraph.artifacts.local import local_archives
from malgraph.core.kinds import CodeLanguage, ScanDialect

STEPS = (
    "read",
    "hash",
    "hint search",
    "python parse",
    "javascript parse",
    "ruby parse",
    "tokens",
)
LANGUAGE = {
    ScanDialect.PYTHON: CodeLanguage.PYTHON,
    ScanDialect.JAVASCRIPT: CodeLanguage.JAVASCRIPT,
    ScanDialect.TYPESCRIPT: CodeLanguage.JAVASCRIPT,
    ScanDialect.RUBY: CodeLanguage.RUBY,
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
    """CPU seconds of step(*args)."""
    start = time.process_time()
    step(*args)
    return time.process_time() - start


class Floor:
    """CPU seconds per step and per archive."""

    def __init__(self) -> None:
        self.steps = dict.fromkeys(STEPS, 0.0)
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
        """The archive's analysis first (so that the floor's steps, not the analysis, run on
        warm caches), then each floor step over all its members in one CPU bracket."""
        data = path.read_bytes()
        self.analysis.append(timed(analyze_archive, data, path.name))
        try:
            start = time.process_time()
            members = read_archive(
                data, path.name, password=SAMPLE_PASSWORD, limits=DEFAULT_LIMITS
            ).members
            spent = dict.fromkeys(STEPS, 0.0)
            spent["read"] = time.process_time() - start
        except ArchiveError:
            return
        code = [
            (member, dialect, member.data.decode("utf-8", errors="replace"))
            for member in members
            if (dialect := scanned(member)) is not None
        ]
        spent["hash"] = timed(_each, hashlib.sha256, [(m.data,) for m in members])
        start = time.process_time()
        hinted = [(m, d, t) for m, d, t in code if _hinted(find_hints(t, LANGUAGE.get(d)))]
        spent["hint search"] = time.process_time() - start
        # a setup.py is parsed whatever it holds: the manifest reader walks its tree
        setups = [(t,) for m, d, t in code if d is ScanDialect.PYTHON and is_setup_py(m.path)]
        modules = [
            (t, "f", "exec")
            for m, d, t in hinted
            if d is ScanDialect.PYTHON and not is_setup_py(m.path)
        ]
        spent["python parse"] = timed(_each, ast.parse, setups)
        spent["python parse"] += timed(_each, symtable.symtable, modules)
        for dialect, (step, parser) in self.parsers.items():
            sources = [(m.data,) for m, d, _t in hinted if d is dialect]
            spent[step] += timed(_each, parser.parse, sources)
        tokenised = [(t, LANGUAGE[d]) for _m, d, t in code if d in LANGUAGE]
        spent["tokens"] = timed(_each, normalised_tokens, tokenised)
        for step, seconds in spent.items():
            self.steps[step] += seconds
        self.per_archive.append(sum(spent.values()))


def _each(step: Callable[..., object], calls: list[tuple[Any, ...]]) -> None:
    for args in calls:
        with contextlib.suppress(SyntaxError, ValueError, RecursionError, MemoryError):
            step(*args)  # a file the parser refuses has cost what it cost


def _hinted(hints: Hints) -> bool:
    """Whether the scanners parse the file: a trigger word or a credential fragment in it."""
    return bool(hints.words or hints.fragments)


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
        "analysis_x_design_floor": round(sum(floor.analysis) / (design or 1e-9), 2),
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
        f"analyze_archive now: {result['analysis_cpu_s']} s = {result['analysis_x_read']}x read"
        f" ({result['analysis_x_design_floor']}x the design floor);"
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
