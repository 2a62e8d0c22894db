"""Where the analysis of archives spends its time, by stage: cProfile over `analyze_archive` on
each archive, every function's own time given to a stage.

    python benchmarks/analysis_profile.py ARCHIVE_OR_FOLDER ... [--top 15]

A function of malgraph belongs to the stage of its module (tokens, obfuscation, IoCs,
manifests, code scan, archive reading). A function outside malgraph (the standard library,
tree-sitter, built-ins) takes the stage of its callers, shared in proportion to the time each
caller spent in it, with the kind of work it does named where that is the point: `compile`
is an ast parse, `symtable` the parser's check of a stretch left unparsed, `Parser.parse` a
tree-sitter parse, a `re.Pattern` method a regular-expression pass, hashlib hashing. The
stages add up to the whole profile. The profiler does not see the steps of an iterator
written in C: the matching done while a loop walks `finditer` counts as the loop's own time
(its stage, not "regex"); the list of functions with the most own time, printed after the
stages, shows where that is so.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from malgraph.analysis.analyze import analyze_archive

# (file, line, function name) as pstats keys them.
Func = tuple[str, int, str]

# malgraph modules -> the stage they are; the first matching suffix wins.
MODULE_STAGES = (
    ("artifacts/", "archive reading"),
    ("analysis/tokens.py", "tokens"),
    ("analysis/obfuscation.py", "obfuscation signs"),
    ("core/iocs.py", "IoC search"),
    ("analysis/hints.py", "hint search (one pass)"),
    ("analysis/file_memo.py", "file-scan memo"),
    ("analysis/file_scan.py", "placing scans"),
    ("analysis/manifests.py", "manifest reading"),
    ("analysis/manifest_types.py", "manifest reading"),
    ("_manifest.py", "manifest reading"),
    ("analysis/python_setup.py", "manifest reading"),
    ("analysis/python_code.py", "code scan"),
    ("analysis/javascript_code.py", "code scan"),
    ("analysis/ruby_code.py", "code scan"),
    ("analysis/scanning.py", "code scan"),
    ("analysis/languages.py", "code scan"),
)
# Functions of analysis/analyze.py that are a stage of their own.
ANALYZE_FUNCTIONS = {"_with_snippets": "manifest reading"}


def module_stage(func: Func) -> str | None:
    """The stage of a malgraph function, None for a function outside malgraph."""
    path, _line, name = func
    path = path.replace("\\", "/")
    if "/malgraph/" not in path:
        return None
    for suffix, stage in MODULE_STAGES:
        if suffix in path:
            return stage
    if path.endswith("analysis/analyze.py"):
        return ANALYZE_FUNCTIONS.get(name, "analyze (glue)")
    return "other malgraph"


def work_kind(func: Func) -> str | None:
    """What a function outside malgraph does, when that names the cost: None otherwise."""
    path, _line, name = func
    if name == "<built-in method builtins.compile>":
        return "ast parse"
    if "_symtable.symtable" in name or path.endswith("/symtable.py"):
        return "parser check (symtable)"  # the stretches of a file the scan leaves unparsed
    if "tree_sitter.Parser" in name:
        return "tree-sitter parse"
    if "tree_sitter.Query" in name:
        return "tree-sitter query"
    if "re.Pattern" in name or "_sre" in name or path.endswith(("/re/__init__.py", "re.py")):
        return "regex"
    if "_hashlib" in name or "hashlib" in path:
        return "hashing"
    if "zlib" in name or path.endswith(("/gzip.py", "/tarfile.py")):
        return "archive reading"
    return None


def _named(kind: str, stage: str) -> str:
    return stage if stage.startswith(f"{kind}: ") else f"{kind}: {stage}"


class Attribution:
    """Each function's own time shared out among stages (memoised; recursion is cut)."""

    def __init__(self, stats: dict[Func, Any]) -> None:
        self.stats = stats
        self.memo: dict[Func, dict[str, float]] = {}
        self.open: set[Func] = set()

    def stages(self, func: Func) -> dict[str, float]:
        """Fractions over stages, summing to 1, for time spent in `func` itself."""
        if func in self.memo:
            return self.memo[func]
        stage = module_stage(func)
        if stage is not None:
            return self.memo.setdefault(func, {stage: 1.0})
        if func in self.open:
            return {"other": 1.0}
        self.open.add(func)
        shares = self._from_callers(func)
        self.open.discard(func)
        kind = work_kind(func)
        if kind in ("ast parse", "regex"):  # named by who called: setup.py or code, which pass
            shares = {_named(kind, stage): share for stage, share in shares.items()}
        elif kind is not None:
            shares = {kind: 1.0}
        return self.memo.setdefault(func, shares)

    def _from_callers(self, func: Func) -> dict[str, float]:
        callers = self.stats[func][4]
        weights = {caller: timing[2] for caller, timing in callers.items()}
        total = sum(weights.values())
        if not callers or total <= 0:
            return {"other": 1.0}
        shares: Counter[str] = Counter()
        for caller, weight in weights.items():
            for stage, share in self.stages(caller).items():
                shares[stage] += share * weight / total
        return dict(shares)


def stage_profile(paths: list[Path]) -> dict[str, object]:
    """Seconds by stage (own time, under the profiler) over analysing every archive once."""
    datas = [(p.read_bytes(), p.name) for p in paths]
    profiler = cProfile.Profile()
    profiler.enable()
    for data, name in datas:
        analyze_archive(data, name)
    profiler.disable()
    stats: dict[Func, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    attribution = Attribution(stats)
    seconds: Counter[str] = Counter()
    for func, (_cc, _nc, own, _cum, _callers) in stats.items():
        for stage, share in attribution.stages(func).items():
            seconds[stage] += own * share
    total = sum(seconds.values())
    functions = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:TOP_FUNCTIONS]
    return {
        "total_s": round(total, 3),
        "functions": [
            {"function": _label(func), "own_s": round(row[2], 3), "calls": row[1]}
            for func, row in functions
        ],
        "stages": {
            stage: {"seconds": round(s, 3), "share": round(s / max(total, 1e-9), 3)}
            for stage, s in seconds.most_common()
        },
    }


TOP_FUNCTIONS = 15


def _label(func: Func) -> str:
    path, line, name = func
    if path == "~":
        return name
    parts = Path(path).parts
    return f"{'/'.join(parts[-2:])}:{line} {name}"


def show_profile(profile: object, top: int = 20) -> None:
    assert isinstance(profile, dict)
    print(f"time by stage under cProfile ({profile['total_s']} s in all, own time):")
    for stage, row in list(profile["stages"].items())[:top]:
        print(f"  {100 * row['share']:5.1f}%  {row['seconds']:8.3f} s  {stage}")
    print("functions with the most own time:")
    for row in profile["functions"]:
        print(f"  {row['own_s']:8.3f} s {row['calls']:>9} calls  {row['function']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", type=Path, nargs="+", help="archives, or folders of them")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    paths: list[Path] = []
    for path in args.paths:
        if path.is_dir():
            paths += sorted(
                p for p in path.rglob("*") if p.is_file() and p.name.endswith((".tgz", ".gz"))
            )
        else:
            paths.append(path)
    show_profile(stage_profile(paths), args.top)


if __name__ == "__main__":
    main()
