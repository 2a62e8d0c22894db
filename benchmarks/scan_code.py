"""Benchmark: per-file static scanning (scan_code + normalised_tokens + obfuscation_signs).

    python benchmarks/scan_code.py [--kb 25] [--repeat 20] [FILE ...]

Times, on one core, each step on generated code of the given size (the function templates of
benchmarks/analyze_packages.py for Python and JavaScript, a similar one for Ruby) and on any
files given. The budget for the three together is ~3 ms per 25 KB file (issue 4: >= 200
packages/s on 2 cores, archives and manifests included).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from malgraph.analysis.languages import scan_code
from malgraph.analysis.obfuscation import obfuscation_signs
from malgraph.analysis.tokens import normalised_tokens
from malgraph.core.code import token_digest
from malgraph.core.languages import language_of

TEMPLATES = {
    "python": (
        """
def {f}({a}, {b}):
    import {mod}
    if {a} > {n}:
        return {mod}.{m}('{s}', {b})
    for i in range(len({a})):
        {b}.append({a}[i] * {n})  # {s}
    return {b}
""",
        ("os", "sys", "json", "socket", "subprocess", "base64", "requests", "shutil"),
    ),
    "javascript": (
        """
function {f}({a}, {b}) {{
  const {c} = require('{mod}');
  if ({a} > {n}) {{ return {c}.{m}('{s}', {b}); }}
  for (let i = 0; i < {a}.length; i++) {{ {b}.push({a}[i] * {n}); }}
  return {b}; // {s}
}}
""",
        ("fs", "os", "path", "https", "child_process", "crypto", "dns", "zlib"),
    ),
    "ruby": (
        """
require '{mod}'
def {f}({a}, {b})
  return {mod}.{m}('{s}', {b}) if {a} > {n}
  {a}.each_with_index {{ |x, i| {b} << x * {n} }}  # {s}
  {b}
end
""",
        ("json", "net/http", "base64", "open3", "fileutils", "digest", "zlib", "yaml"),
    ),
}
PATHS = {"python": "pkg/__init__.py", "javascript": "package/index.js", "ruby": "lib/pkg.rb"}


def generated(language: str, size: int, seed: int = 7) -> str:
    rng = random.Random(seed)

    def word() -> str:
        return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 10)))

    template, modules = TEMPLATES[language]
    parts: list[str] = []
    while sum(map(len, parts)) < size:
        names = {k: word() for k in ("f", "a", "b", "c", "m")}
        parts.append(
            template.format(**names, mod=rng.choice(modules), s=word() * 3, n=rng.randint(0, 999))
        )
    return "".join(parts)


def best_ms(step: Callable[[], object], repeat: int) -> float:
    """The best of `repeat` runs: the machine is shared, the minimum is the cost."""
    step()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def measure(label: str, path: str, text: str, language: str, repeat: int) -> None:
    scan = best_ms(lambda: scan_code(path, text, language), repeat)
    tokens = best_ms(lambda: token_digest(normalised_tokens(text, language)), repeat)
    signs = best_ms(lambda: obfuscation_signs(path, text), repeat)
    total = scan + tokens + signs
    kb = len(text.encode()) / 1024
    print(
        f"{label:34} {kb:6.1f} KB  scan {scan:6.2f}  tokens {tokens:5.2f}  "
        f"obfuscation {signs:4.2f}  total {total:6.2f} ms  ({total / kb:.3f} ms/KB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kb", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args()
    for language in TEMPLATES:
        text = generated(language, args.kb * 1024)
        measure(f"generated {language}", PATHS[language], text, language, args.repeat)
    for file in args.files:
        language = language_of(file.name)
        if language is None:
            print(f"{file}: not a code file")
            continue
        text = file.read_text("utf-8", "replace")
        measure(str(file)[-34:], file.name, text, language, args.repeat)


if __name__ == "__main__":
    main()
