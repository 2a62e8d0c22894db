"""Benchmark: the search for hints in code (trigger words, credential fragments, IoC hints, long
encoded runs) by the regex passes of the scanners against one multi-pattern pass.

    python benchmarks/scan_engines.py [--repeat 5]

Files of the real registries' shapes, made here or read from this environment (inert text, never
run): a copy of an installed library (every .py file of the largest installed package under
400 KB), a setup.py that is mostly one base64 literal (3 MB), a minified JavaScript bundle (the
report's vendored cytoscape.min.js) and a small Python file. For each file kind it prints the
time of each engine (best of --repeat, one core) and its ratio to the present passes, and checks
that every engine finds the same hint lines. Engines:

- passes: what the scanners do today, one regex pass a kind of hint (trigger words, lower-cased
  credential fragments, the two IoC hint patterns, the encoded-run pre-check).
- combined-re: one `re` alternation for the case-sensitive hints, plus the lower-cased fragment
  pass (`re` has no cheap case-insensitive alternation).
- hyperscan: one Hyperscan database for all hints (fragments caseless), a Python callback a match.
- aho-corasick: pyahocorasick for the literal hints (word boundaries checked per match, fragments
  in lower-cased text), one combined `re` for the dotted IoC hints and encoded runs.

The tokeniser is timed too, for scale: it stays its own pass (it needs the text of each token).
"""

from __future__ import annotations

import argparse
import base64
import random
import re
import sys
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path

import ahocorasick

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from malgraph.analysis import hints, obfuscation, python_code, scanning
from malgraph.analysis.scanning import words_pattern
from malgraph.analysis.tokens import normalised_tokens

REPO = Path(__file__).resolve().parent.parent
Lines = tuple[frozenset[int], frozenset[int], bool]  # trigger lines, IoC hint lines, long run
# The separate passes as the scanners made them before the one-pass scan (Python's trigger words).
TRIGGER = re.compile(rf"\b{words_pattern(python_code._WORDS)}\b")
DOT_HINT = re.compile(hints.DOT_HINT)
WORD_HINT = re.compile("|".join(hints.WORD_HINTS))


def library_files() -> list[str]:
    """The .py files of the largest installed package under 400 KB (a typosquat's vendored
    copy)."""
    site = Path(sysconfig.get_paths()["purelib"])
    best: tuple[int, list[Path]] = (0, [])
    for package in sorted(p for p in site.iterdir() if p.is_dir() and (p / "__init__.py").exists()):
        files = sorted(package.rglob("*.py"))
        size = sum(f.stat().st_size for f in files)
        if best[0] < size < 400_000:
            best = (size, files)
    return [f.read_text("utf-8", "replace") for f in best[1]]


def payload_setup(size: int = 3 * 2**20) -> str:
    blob = base64.b64encode(random.Random(20).randbytes(size * 3 // 4)).decode()
    return (
        "import base64, zlib\nfrom setuptools import setup\n"
        f"PAYLOAD = '{blob}'\n"
        "exec(zlib.decompress(base64.b64decode(PAYLOAD)))\n"
        "setup(name='x', version='1.0')\n"
    )


def small_python() -> str:
    return (REPO / "src/malgraph/analysis/languages.py").read_text()


def _lines_of(text: str, offsets: list[int]) -> frozenset[int]:
    found = set()
    line, last = 1, 0
    for at in sorted(offsets):
        line += text.count("\n", last, at)
        last = at
        found.add(line)
    return frozenset(found)


def passes(text: str) -> Lines:
    trigger = [m.start() for m in TRIGGER.finditer(text)]
    trigger += [m.start() for m in scanning.FRAGMENTS.finditer(text.lower())]
    hints = [m.start() for p in (DOT_HINT, WORD_HINT) for m in p.finditer(text)]
    data = text.encode()
    run = data.translate(obfuscation._RUN_MAP).find(obfuscation._RUN) >= 0
    return _lines_of(text, trigger), _lines_of(text, hints), run


_COMBINED = re.compile(
    rf"(?P<t>{TRIGGER.pattern})|(?P<h>{DOT_HINT.pattern}"
    rf"|{WORD_HINT.pattern})|(?P<r>[A-Za-z0-9+/_-]{{{obfuscation.ENCODED_MIN_CHARS}}})"
)


def combined_re(text: str) -> Lines:
    trigger, hints, run = [], [], False
    for m in _COMBINED.finditer(text):
        kind = m.lastgroup
        if kind == "t":
            trigger.append(m.start())
        elif kind == "h":
            hints.append(m.start())
        else:
            run = True
    trigger += [m.start() for m in scanning.FRAGMENTS.finditer(text.lower())]
    return _lines_of(text, trigger), _lines_of(text, hints), run


def hyperscan_pass(text: str) -> Lines:
    """The scanners' own one-pass search (hints.HintScanner, Python's trigger words)."""
    found = python_code.HINTS.scan(text)
    trigger = sorted([w[0] for w in found.words] + [f[0] for f in found.fragments])
    return (
        _byte_lines(found.data, trigger),
        _byte_lines(found.data, list(found.ioc_hints)),
        found.encoded_run,
    )


def _byte_lines(data: bytes, offsets: list[int]) -> frozenset[int]:
    found = set()
    line, last = 1, 0
    for at in sorted(offsets):
        line += data.count(b"\n", last, at)
        last = at
        found.add(line)
    return frozenset(found)


def _automaton(words: list[str]) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for word in words:
        automaton.add_word(word, word)
    automaton.make_automaton()
    return automaton


_AC_WORDS = _automaton(list(python_code._WORDS))
_AC_FRAGMENTS = _automaton(list(scanning.STRING_FRAGMENTS))
_AC_HINTS = _automaton(["://", "[.]", "(.)", "[dot]", "[:", "discord", "hooks.slack", "telegram"])
_AC_REST = re.compile(
    rf"(?P<h>{DOT_HINT.pattern}|h[xX]{{2}}ps?)"
    rf"|(?P<r>[A-Za-z0-9+/_-]{{{obfuscation.ENCODED_MIN_CHARS}}})"
)


def _is_word(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before == "_" or after.isalnum() or after == "_")


def aho_corasick(text: str) -> Lines:
    trigger = [
        end - len(w) + 1
        for end, w in _AC_WORDS.iter(text)
        if _is_word(text, end - len(w) + 1, end + 1)
    ]
    trigger += [end for end, _ in _AC_FRAGMENTS.iter(text.lower())]
    hints = [end for end, _ in _AC_HINTS.iter(text)]
    run = False
    for m in _AC_REST.finditer(text):
        if m.lastgroup == "h":
            hints.append(m.start())
        else:
            run = True
    return _lines_of(text, trigger), _lines_of(text, hints), run


ENGINES: dict[str, Callable[[str], Lines]] = {
    "passes": passes,
    "combined-re": combined_re,
    "hyperscan": hyperscan_pass,
    "aho-corasick": aho_corasick,
}


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(files: list[str], language: str, repeat: int) -> None:
    results = {name: [engine(f) for f in files] for name, engine in ENGINES.items()}
    for name, found in results.items():
        if found != results["passes"]:
            print(f"  {name}: DIFFERENT hint lines")
    base = best(lambda: [passes(f) for f in files], repeat)
    for name, engine in ENGINES.items():
        seconds = best(lambda engine=engine: [engine(f) for f in files], repeat)  # type: ignore[misc]
        print(f"  {name:13} {seconds * 1000:8.2f} ms  {seconds / base:5.2f}x of passes")
    lexing = best(lambda: [normalised_tokens(f, language) for f in files], repeat)
    print(f"  {'tokeniser':13} {lexing * 1000:8.2f} ms  {lexing / base:5.2f}x of passes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    bundle = (REPO / "src/malgraph/web/static/vendor/cytoscape.min.js").read_text()
    kinds = {
        "library copy": (library_files(), "python"),
        "payload setup.py": ([payload_setup()], "python"),
        "minified bundle": ([bundle], "javascript"),
        "small file": ([small_python()], "python"),
    }
    for kind, (files, language) in kinds.items():
        size = sum(len(f) for f in files)
        print(f"{kind}: {len(files)} files, {size / 1024:,.0f} KB")
        measure(files, language, args.repeat)


if __name__ == "__main__":
    main()
