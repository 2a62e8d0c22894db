"""Files scanned apart from their paths and memoised by content: a scan placed at a path reads
as the scanners label it there, and analyses made with a memo equal those made without."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from malgraph.analysis.analyze import analyze_archive
from malgraph.analysis.file_memo import RecentScans
from malgraph.analysis.file_scan import (
    dialect_of,
    placed,
    scan_file,
    settled,
)
from malgraph.analysis.hints import code_iocs
from malgraph.analysis.languages import find_hints, scan_code
from malgraph.analysis.obfuscation import obfuscation_signs
from malgraph.analysis.scanning import over_budget_problem
from malgraph.core.file_scans import FileScan, FileScanKey
from malgraph.core.kinds import CodeLanguage, ScanDialect
from tests.analysis.sharing_corpus import (
    BROKEN_PY,
    HOOK,
    RUBY,
    TYPED,
    VENDORED,
    sharing_corpus,
)
from tests.inert_packages import tar_gz

FILES = [
    ("pkg/vendor/lib/core.py", VENDORED, CodeLanguage.PYTHON),
    ("deep/er/core.py", VENDORED, CodeLanguage.PYTHON),
    ("pkg/lib/broken.py", BROKEN_PY, CodeLanguage.PYTHON),
    ("pkg/src/typed.ts", TYPED, CodeLanguage.JAVASCRIPT),
    ("pkg/src/Typed.TSX", TYPED, CodeLanguage.JAVASCRIPT),
    ("pkg/dist/typed.js", TYPED, CodeLanguage.JAVASCRIPT),
    ("pkg/lib/tasks.rb", RUBY, CodeLanguage.RUBY),
    ("Rakefile", RUBY, CodeLanguage.RUBY),
]


@pytest.mark.parametrize(("path", "data", "language"), FILES)
def test_a_placed_scan_is_what_the_scanners_say_of_the_file_at_that_path(
    path: str, data: bytes, language: CodeLanguage
) -> None:
    scan = placed(scan_file(data, _dialect(path)), path)
    text = data.decode()
    direct = scan_code(path, text, language)
    assert scan.imports == direct.imports
    assert scan.findings == direct.findings
    assert scan.problems == direct.problems
    assert scan.iocs == tuple(code_iocs(path, find_hints(text, language)))
    assert scan.obfuscation == tuple(obfuscation_signs(path, text))
    assert scan.findings or scan.problems  # the samples are not empty-handed


def _dialect(path: str) -> ScanDialect:
    dialect = dialect_of(path)
    assert dialect is not None, path
    return dialect


def test_the_samples_exercise_every_label_a_scan_carries() -> None:
    scans = [placed(scan_file(data, _dialect(path)), path) for path, data, _ in FILES]
    assert all(s.imports for s in scans[:2])
    assert scans[0].obfuscation and scans[0].iocs
    assert scans[2].problems == (
        "pkg/lib/broken.py: python syntax error at line 1, read with tree-sitter",
    )
    # The same bytes: TypeScript's annotations are expected, JavaScript's are a syntax error.
    assert scans[3].problems == scans[4].problems == ()
    assert scans[5].problems and scans[5].problems[0].startswith("pkg/dist/typed.js: ")


def test_the_dialect_is_the_language_with_typescript_and_scripts_apart() -> None:
    assert dialect_of("a/b.py") is ScanDialect.PYTHON
    assert dialect_of("a/b.mjs") is ScanDialect.JAVASCRIPT
    assert dialect_of("a/b.d.ts") is dialect_of("B.TSX") is ScanDialect.TYPESCRIPT
    assert dialect_of("Gemfile") is ScanDialect.RUBY
    assert dialect_of("install.sh") is ScanDialect.SCRIPT
    assert dialect_of("README.md") is dialect_of("package.json") is None
    script = placed(scan_file(HOOK, ScanDialect.SCRIPT), "x/hook.sh")
    assert script.iocs == tuple(code_iocs("x/hook.sh", find_hints(HOOK.decode(), None)))
    assert (script.stream, script.normalised_sha256, script.imports) == ("", None, ())


def test_analyses_made_with_a_memo_equal_those_made_without() -> None:
    memo = RecentScans()
    for name, archive in sharing_corpus(6):
        fresh = analyze_archive(archive, name)
        assert fresh.features is not None and fresh.features.findings
        assert analyze_archive(archive, name, memo=memo) == fresh
    # Asked once an archive a content: the even archives hold 5 (the vendored file twice),
    # the odd ones 7. All but index.js are shared: __init__.py, core.py and hook.sh by all,
    # typed.js by the even archives, typed.ts, broken.py and tasks.rb by the odd ones.
    assert memo.asked == 3 * 5 + 3 * 7
    assert memo.hits == 0 + 3 + 4 + 6 + 4 + 6


def test_the_memo_is_bounded_and_keeps_what_was_used_last() -> None:
    scans = {
        FileScanKey(hashlib.sha256(bytes([i])).hexdigest(), ScanDialect.PYTHON): FileScan(
            (), (), (), (), (), "x " * 1000, None, 1000
        )
        for i in range(10)
    }
    weight = next(iter(scans.values())).weight()
    memo = RecentScans(max_bytes=weight * 4)
    keys = list(scans)
    for key in keys[:4]:
        memo.remember(key, scans[key])
    assert memo.recall([keys[0]]) == {keys[0]: scans[keys[0]]}  # now the last used
    memo.remember(keys[4], scans[keys[4]])
    assert len(memo) == 4 and memo.held_bytes <= memo.max_bytes
    assert set(memo.recall(keys[:5])) == {keys[0], keys[2], keys[3], keys[4]}
    heavy = replace(scans[keys[5]], stream="y " * (weight * 2))
    memo.remember(keys[5], heavy)  # over a quarter of the bound: not kept at all
    assert keys[5] not in memo.recall([keys[5]]) and len(memo) == 4


def test_a_scan_cut_short_by_its_work_budget_is_settled() -> None:
    # Budgets count work, not time: the same bytes are cut at the same point on every run.
    reason = over_budget_problem("<file>", "javascript", TYPED).removeprefix("<file>: ")
    assert settled(FileScan((), (), (), (), (reason,), "", None, 0))


def test_a_scan_that_depended_on_more_than_the_bytes_is_used_but_never_memoised() -> None:
    gave_up = FileScan((), (), (), (), ("scanner gave up (RecursionError: deep)",), "", None, 0)
    assert not settled(gave_up)
    deep = scan_file(b"eval(" + b"-" * 10_000 + b"x)\n", ScanDialect.PYTHON)  # past ast's depth
    # (Then read with tree-sitter, whose parse may also run over its budget on a busy machine.)
    assert deep.problems[0] == "python nested too deeply for ast, read with tree-sitter"
    assert not settled(deep)
    memo = RecentScans()
    archive = tar_gz({"p/deep.py": b"eval(" + b"-" * 10_000 + b"x)\n", "p/hook.sh": HOOK})
    analysis = analyze_archive(archive, "p.tgz", memo=memo)
    assert analysis.features is not None
    assert analysis.features.problems[0] == (
        "p/deep.py: python nested too deeply for ast, read with tree-sitter"
    )
    assert len(memo) == 1  # hook.sh alone
    assert settled(scan_file(TYPED, ScanDialect.JAVASCRIPT))
    assert settled(scan_file(BROKEN_PY, ScanDialect.PYTHON))
