"""Language detection, the scan_code entry point, and the helpers the scanners share."""

from __future__ import annotations

import re

import pytest

from malgraph.analysis import scanning
from malgraph.analysis.languages import UnsupportedLanguage, scan_code
from malgraph.analysis.scanning import (
    CodeScan,
    credential_stores,
    startup_location,
    words_pattern,
)
from malgraph.core.errors import MalgraphError
from malgraph.core.languages import language_of


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("setup.py", "python"),
        ("pkg/gui.pyw", "python"),
        ("stubs/x.pyi", "python"),
        ("SETUP.PY", "python"),
        ("package/index.js", "javascript"),
        ("lib/x.mjs", "javascript"),
        ("lib/x.cjs", "javascript"),
        ("src/App.jsx", "javascript"),
        ("src/a.ts", "javascript"),
        ("src/a.d.ts", "javascript"),
        ("src/App.tsx", "javascript"),
        ("lib/evil.rb", "ruby"),
        ("evil.gemspec", "ruby"),
        ("tasks/build.rake", "ruby"),
        ("Rakefile", "ruby"),
        ("gem/Gemfile", "ruby"),
        ("outer.tgz!/package/install.js", "javascript"),
        ("package.json", None),
        ("README.md", None),
        ("Makefile", None),
        (".js", None),  # a dotfile, not a script
        ("js", None),
    ],
)
def test_language_of(path: str, language: str | None) -> None:
    assert language_of(path) == language


def test_scan_code_dispatches_by_language() -> None:
    assert scan_code("a.py", "import os\nos.system('id')\n", "python").findings[0].api == (
        "os.system"
    )
    assert scan_code("a.js", "eval(x)\n", "javascript").findings[0].api == "eval"
    assert scan_code("a.rb", "system('id')\n", "ruby").findings[0].api == "system"


def test_unknown_language_is_a_callers_mistake() -> None:
    with pytest.raises(UnsupportedLanguage, match="language_of") as raised:
        scan_code("a.c", "int main() {}", "c")
    assert isinstance(raised.value, MalgraphError)


def test_files_over_the_cap_are_not_scanned() -> None:
    result = scan_code("big.js", "eval(x);" * 200, "javascript", max_chars=1000)
    assert result == CodeScan((), (), ("big.js: 1,600 characters, over the scan cap, not scanned",))


def test_credential_and_startup_strings_match_windows_paths_too() -> None:
    assert credential_stores("C:\\Users\\x\\.aws\\credentials") == [".aws/credentials"]
    assert credential_stores("~/.ssh/id_ed25519") == [".ssh/", "id_ed25519"]
    assert credential_stores("Discord/Local Storage/leveldb") == [
        "discord",
        "Local Storage/leveldb",
    ]
    assert credential_stores("cookies are tasty") == []  # the browser file is `Cookies`
    assert startup_location("Software\\Microsoft\\Windows\\CurrentVersion\\RunOnce") == (
        "CurrentVersion\\Run"
    )
    assert startup_location("~/.config/autostart/x.desktop") == ".config/autostart"
    assert startup_location("/etc/profile.d/x.sh") is None


def test_words_pattern_matches_exactly_the_words() -> None:
    words = ["os", "open", "openssl", "exec", "execfile", "eval", "a"]
    pattern = re.compile(rf"\b{words_pattern(words)}\b")
    for word in words:
        assert pattern.fullmatch(word), word
    for other in ("o", "opens", "execf", "ev", "b", "", "osx"):
        assert not pattern.fullmatch(other), other
    text = "import os; openssl = exec(x) or evaluate(a)"
    assert [m.group() for m in pattern.finditer(text)] == ["os", "openssl", "exec", "a"]


def test_a_parse_over_its_work_budget_is_abandoned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scanning, "PARSE_BUDGET_STEPS", 0)
    monkeypatch.setattr(scanning, "PARSE_BUDGET_STEPS_PER_KB", 0)
    text = "eval(x);\n" * 3000
    result = scan_code("slow.js", text, "javascript")
    assert result.findings == ()
    assert result.problems == (
        "slow.js: javascript parse abandoned over its work budget (27,000 bytes)",
    )
    # Python falls back to tree-sitter only for broken files: the same cap applies there.
    broken = scan_code("old.py", 'print "x"\nimport os\n' * 2000, "python")
    assert len(broken.problems) == 2 and "abandoned" in broken.problems[1]
