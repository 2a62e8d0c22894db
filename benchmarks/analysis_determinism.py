"""Is the analysis of an archive the same every time? Every archive analysed again in this
process, in a fresh process, and in a fresh process that is stopped and resumed over and over
(as a busy machine deschedules it); each result serialised the same way and compared.

    python benchmarks/analysis_determinism.py ARCHIVE_OR_FOLDER ... [--json OUT]

What differs is listed by field, with the values only one side has. It also measures how much
of its work budget each tree-sitter parse used (`scanning.parse` wrapped for the run): the
budget counts the parser's work, not time, so a parse over it is cut the same way on any
machine at any load; the shares show how near the corpus's files come to it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tree_sitter import Parser

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from malgraph.analysis import scanning
from malgraph.analysis.analyze import analyze_archive
from malgraph.core.code import Analysis

# A preempted run: this long running, then this long stopped, in turn.
RUNNING_SECONDS = 0.1
STOPPED_SECONDS = 0.25
SHOWN = 10


def canonical(analysis: Analysis) -> str:
    """One text for one analysis: keys sorted, tuples as lists, enums as their values."""
    return json.dumps(dataclasses.asdict(analysis), sort_keys=True, default=str)


def analyse_all(paths: list[Path]) -> dict[str, str]:
    return {str(p): canonical(analyze_archive(p.read_bytes(), p.name)) for p in paths}


def in_fresh_process(paths: list[Path], work: Path, preempted: bool) -> dict[str, str]:
    """The same analyses from a new interpreter (its own hash seed); when `preempted`, stopped
    and resumed by this process for as long as it runs."""
    with tempfile.TemporaryDirectory(dir=work) as folder:
        listing, out = Path(folder) / "paths.txt", Path(folder) / "analyses.jsonl"
        listing.write_text("".join(f"{p}\n" for p in paths))
        command = [sys.executable, __file__, "--write", str(out), "--from-list", str(listing)]
        env = {**os.environ, "PYTHONHASHSEED": "random"}
        proc = subprocess.Popen(command, env=env)
        try:
            while preempted and proc.poll() is None:
                time.sleep(RUNNING_SECONDS)
                proc.send_signal(signal.SIGSTOP)
                time.sleep(STOPPED_SECONDS)
                proc.send_signal(signal.SIGCONT)
            status = proc.wait()
        finally:
            if proc.poll() is None:  # interrupted: never leave a stopped child behind
                proc.send_signal(signal.SIGCONT)
                proc.kill()
                proc.wait()
        if status != 0:
            raise SystemExit(f"analysis in a fresh process failed: {command}")
        with out.open() as lines:
            return dict(json.loads(line) for line in lines)


def differences(first: str, second: str) -> dict[str, object]:
    """Each field (features' fields one by one) whose values differ, with a few items that
    only one side has."""
    a, b = json.loads(first), json.loads(second)
    fa, fb = a.pop("features") or {}, b.pop("features") or {}
    found: dict[str, object] = {}
    for key in sorted(set(a) | set(b) | {f"features.{k}" for k in set(fa) | set(fb)}):
        left, right = (
            (fa.get(key[9:]), fb.get(key[9:])) if key.startswith("features.") else (a[key], b[key])
        )
        if left != right:
            found[key] = _what_differs(left, right)
    return found


def _what_differs(left: Any, right: Any) -> object:
    if isinstance(left, list) and isinstance(right, list):
        only_left = [x for x in left if x not in right][:3]
        only_right = [x for x in right if x not in left][:3]
        return {"first_only": _short(only_left), "second_only": _short(only_right)}
    if isinstance(left, str) and isinstance(right, str) and len(left) + len(right) > 400:
        at = next((i for i, (x, y) in enumerate(zip(left, right, strict=False)) if x != y), None)
        return {"lengths": [len(left), len(right)], "first_difference_at": at}
    return {"first": _short(left), "second": _short(right)}


def _short(value: object) -> str:
    text = json.dumps(value)
    return text if len(text) <= 300 else text[:300] + "..."


def compare(first: dict[str, str], second: dict[str, str]) -> dict[str, object]:
    differing = sorted(p for p in first if first[p] != second.get(p))
    return {
        "differing": len(differing),
        "examples": [
            {"archive": Path(p).name, "fields": differences(first[p], second[p])}
            for p in differing[:SHOWN]
        ],
    }


@contextmanager
def parse_margins() -> Iterator[list[tuple[float, int]]]:
    """While open, every tree-sitter parse records (share of its work budget used, source
    bytes), counted by a second parse of the same bytes."""
    original = scanning.parse
    seen: list[tuple[float, int]] = []

    def measured(language: Any, source: bytes) -> Any:
        used = [0]

        def count(_offset: int, has_error: bool) -> bool:  # weighed as scanning.parse weighs
            used[0] += scanning.PARSE_ERROR_WEIGHT if has_error else 1
            return False

        Parser(language).parse(lambda at, _point: source[at : at + 1024], progress_callback=count)
        seen.append((used[0] / scanning.parse_budget(source), len(source)))
        return original(language, source)

    patched = _modules_using(original)
    for module in patched:
        module.parse = measured
    try:
        yield seen
    finally:
        for module in patched:
            module.parse = original


def _modules_using(function: Callable[..., Any]) -> list[Any]:
    return [
        module
        for name, module in list(sys.modules.items())
        if name.startswith("malgraph.") and getattr(module, "parse", None) is function
    ]


def determinism(paths: list[Path], work: Path) -> dict[str, object]:
    with parse_margins() as margins:
        first = analyse_all(paths)
    runs = {
        "again in this process": analyse_all(paths),
        "in a fresh process": in_fresh_process(paths, work, preempted=False),
        "in a fresh process, preempted": in_fresh_process(paths, work, preempted=True),
    }
    used = sorted(margins, reverse=True)
    return {
        "archives": len(paths),
        "runs": {label: compare(first, run) for label, run in runs.items()},
        "parses": len(used),
        "largest_budget_shares": [
            {"share": round(share, 3), "bytes": size} for share, size in used[:5]
        ],
        "preempted_as": f"running {RUNNING_SECONDS} s, stopped {STOPPED_SECONDS} s, in turn",
    }


def show_determinism(result: object) -> None:
    assert isinstance(result, dict)
    print(f"determinism over {result['archives']} archives (against a first run here):")
    for label, run in result["runs"].items():
        print(f"  {label}: {run['differing']} differ")
        for example in run["examples"]:
            print(f"    {example['archive']}:")
            for field, detail in example["fields"].items():
                print(f"      {field}: {json.dumps(detail)[:400]}")
    shares = ", ".join(
        f"{100 * row['share']:.1f}% ({row['bytes']:,} B)" for row in result["largest_budget_shares"]
    )
    print(f"  {result['parses']} tree-sitter parses; largest shares of the budget: {shares}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", type=Path, nargs="*", help="archives, or folders of them")
    parser.add_argument("--from-list", type=Path, help="a file naming one archive a line")
    parser.add_argument("--write", type=Path, help="only analyse, one JSON line an archive")
    parser.add_argument("--json", type=Path, help="write the comparison here")
    args = parser.parse_args()
    paths = (
        [Path(line) for line in args.from_list.read_text().split("\n") if line]
        if (args.from_list)
        else []
    )
    for path in args.paths:
        paths += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    if args.write:
        with args.write.open("w") as out:
            for path in paths:
                analysis = canonical(analyze_archive(path.read_bytes(), path.name))
                out.write(json.dumps([str(path), analysis]) + "\n")
        return
    result = determinism(paths, Path(tempfile.gettempdir()))
    show_determinism(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
