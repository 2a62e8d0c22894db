"""`malgraph check` end to end on every kind of project file: one project folder holding a
lockfile or manifest of each format, each naming one claimed package-version beside clean
ones, checked against a store of npm, PyPI and RubyGems claims."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.check.corpus import package_lock
from tests.cli.calls import call
from tests.conftest import osv, write_json

CLAIMS = [
    ("npm", "mgtest-lockjs", "1.0.0"),
    ("npm", "mgtest-yarn", "2.1.0"),
    ("npm", "@mgtest/pnpm", "3.0.0"),
    ("npm", "mgtest-sbom", "0.9.0"),
    ("PyPI", "mgtest-req", "1.0"),  # written Mgtest_Req in the project: one name by PEP 503
    ("PyPI", "mgtest-poetry", "2.0.0"),
    ("PyPI", "mgtest-uv", "0.3.0"),
    ("PyPI", "mgtest-pipfile", "1.1.0"),
    ("RubyGems", "mgtest-gem", "0.1.0"),
]

FILES: dict[str, str] = {
    "web/yarn.lock": """# yarn lockfile v1


left-pad@^1.3.0:
  version "1.3.0"
  resolved "https://registry.yarnpkg.com/left-pad/-/left-pad-1.3.0.tgz#5b8a3a7765dfe001261dde915589e782f8c94d1e"

mgtest-yarn@^2.0.0:
  version "2.1.0"
  resolved "https://registry.yarnpkg.com/mgtest-yarn/-/mgtest-yarn-2.1.0.tgz"
""",
    "ui/pnpm-lock.yaml": """lockfileVersion: '9.0'

importers:
  .:
    dependencies:
      '@mgtest/pnpm':
        specifier: ^3.0.0
        version: 3.0.0
      left-pad:
        specifier: ^1.3.0
        version: 1.3.0

packages:
  '@mgtest/pnpm@3.0.0':
    resolution: {integrity: sha512-AAAA}
  left-pad@1.3.0:
    resolution: {integrity: sha512-BBBB}

snapshots:
  '@mgtest/pnpm@3.0.0':
    dependencies:
      left-pad: 1.3.0
  left-pad@1.3.0: {}
""",
    "api/requirements.txt": """# pip-compile output
requests==2.32.3 \\
    --hash=sha256:70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6
Mgtest_Req==1.0 ; python_version >= "3.8" \\
    --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000
""",
    "worker/poetry.lock": """[[package]]
name = "mgtest-poetry"
version = "2.0.0"
description = ""
optional = false
python-versions = "*"
files = []

[[package]]
name = "idna"
version = "3.7"
description = ""
optional = false
python-versions = ">=3.5"
files = []

[metadata]
lock-version = "2.0"
python-versions = "^3.11"
content-hash = "abc"
""",
    "tool/uv.lock": """version = 1
requires-python = ">=3.11"

[[package]]
name = "tool"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "mgtest-uv" }]

[[package]]
name = "mgtest-uv"
version = "0.3.0"
source = { registry = "https://pypi.org/simple" }
""",
    "svc/Pipfile.lock": json.dumps(
        {
            "_meta": {"hash": {"sha256": "x"}, "pipfile-spec": 6},
            "default": {"mgtest-pipfile": {"version": "==1.1.0"}, "six": {"version": "==1.16.0"}},
            "develop": {},
        }
    ),
    "rb/Gemfile.lock": """GEM
  remote: https://rubygems.org/
  specs:
    mgtest-gem (0.1.0)
      rake (>= 12)
    rake (13.2.1)

PLATFORMS
  ruby

DEPENDENCIES
  mgtest-gem

BUNDLED WITH
   2.5.9
""",
    "dist/bom.json": json.dumps(
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.5",
            "components": [
                {
                    "type": "library",
                    "name": "mgtest-sbom",
                    "version": "0.9.0",
                    "purl": "pkg:npm/mgtest-sbom@0.9.0",
                },
                {
                    "type": "library",
                    "name": "left-pad",
                    "version": "1.3.0",
                    "purl": "pkg:npm/left-pad@1.3.0",
                },
            ],
        }
    ),
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("formats")
    for number, (ecosystem, name, version) in enumerate(CLAIMS):
        write_json(
            root / "osv" / f"{number}.json",
            osv(f"MAL-F-{number}", name, ecosystem=ecosystem, versions=[version]),
        )
    db = root / "formats.db"
    code, _, err = call("--db", str(db), "ingest", "osv", str(root / "osv"))
    assert code == 0, err
    return db


def _project(root: Path) -> Path:
    for place, text in FILES.items():
        (root / place).parent.mkdir(parents=True, exist_ok=True)
        (root / place).write_text(text)
    write_json(
        root / "package-lock.json", package_lock({"mgtest-lockjs": "1.0.0", "left-pad": "1.3.0"})
    )
    return root


def test_every_format_names_its_claimed_package(store: Path, tmp_path: Path) -> None:
    project = _project(tmp_path / "project")
    code, out, err = call("--db", str(store), "check", "--format", "json", str(project))
    document: dict[str, Any] = json.loads(out)
    assert code == 1, err
    assert document["problems"] == []
    found = {
        (f["ecosystem"], f["name"].lower().replace("_", "-"), f["version"]): Path(f["file"])
        .relative_to(project)
        .as_posix()
        for f in document["findings"]
        if f["kind"] == "malicious-version"
    }
    assert set(found) == set(CLAIMS)
    assert found["npm", "mgtest-yarn", "2.1.0"] == "web/yarn.lock"
    assert found["npm", "@mgtest/pnpm", "3.0.0"] == "ui/pnpm-lock.yaml"
    assert found["PyPI", "mgtest-req", "1.0"] == "api/requirements.txt"
    assert found["RubyGems", "mgtest-gem", "0.1.0"] == "rb/Gemfile.lock"
    assert found["npm", "mgtest-sbom", "0.9.0"] == "dist/bom.json"
    assert {f["name"] for f in document["findings"]}.isdisjoint(
        {"left-pad", "requests", "idna", "six", "rake"}
    )


def test_the_same_project_without_the_claimed_packages_is_clean(
    store: Path, tmp_path: Path
) -> None:
    project = _project(tmp_path / "project")
    for path in project.rglob("*"):
        if path.is_file():
            text = path.read_text()
            for _, name, _ in CLAIMS:
                text = text.replace(name, "cleanpkg").replace("Mgtest_Req", "cleanpkg")
            path.write_text(text)
    code, out, _ = call("--db", str(store), "check", "--format", "json", str(project))
    assert (code, json.loads(out)["findings"]) == (0, [])
