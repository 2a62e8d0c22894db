"""Stores with archives to analyse for the Dask tests and benchmark: the bundled sample, and a
corpus of small generated inert packages (Python and npm, a few code templates varied by
name, so that some are near copies and most differ). Nothing here is ever run."""

from __future__ import annotations

import shutil
from pathlib import Path

from malgraph.artifacts.cache import cache_for
from malgraph.cli.ingest import sample_inputs
from malgraph.pipeline.fetch_code import register_local
from malgraph.pipeline.ingest import ingest
from malgraph.store import Store
from tests.conftest import osv, write_json
from tests.inert_packages import npm_package, sdist, tar_gz

TEMPLATES = (
    "import base64, os\nexec(base64.b64decode({blob!r}))\n",
    "import urllib.request\nurllib.request.urlopen('https://{name}.example.invalid/c')\n",
    "def {name}_add(a, b):\n    return a + b\n\ndef {name}_mul(a, b):\n    return a * b\n",
    "import subprocess\nsubprocess.Popen(['sh', '-c', 'echo {name}'])\n",
)


def _python_package(name: str, index: int) -> bytes:
    template = TEMPLATES[index % len(TEMPLATES)]
    body = template.format(name=name, blob=f"print({index})")
    extra = "".join(f"value_{k} = {index * k}\n" for k in range(index % 7))
    return tar_gz({f"{name}-1.0/{name}/__init__.py": (body + extra).encode()})


def generated_corpus(folder: Path, count: int) -> tuple[Path, Path]:
    """`count` OSV records and their archives: (feed folder, archives folder)."""
    feed, archives = folder / "osv", folder / "archives"
    archives.mkdir(parents=True)
    for index in range(count):
        name = f"gen{index:05d}"
        if index % 5 == 0:
            ecosystem, data = "npm", npm_package(name, "1.0.0")
            file, version = f"{name}-1.0.0.tgz", "1.0.0"
        elif index % 11 == 0:
            ecosystem, data = "PyPI", sdist(name, "1.0")
            file, version = f"{name}-1.0.tar.gz", "1.0"
        else:
            ecosystem, data = "PyPI", _python_package(name, index)
            file, version = f"{name}-1.0.tar.gz", "1.0"
        doc = osv(f"MAL-{name}", name, ecosystem=ecosystem, versions=[version])
        write_json(feed / f"{name}.json", doc)
        (archives / file).write_bytes(data)
    return feed, archives


def corpus_store(path: Path, count: int) -> Path:
    """A store at `path` holding the generated corpus, its archives in the cache, unanalysed."""
    feed, archives = generated_corpus(path.parent / "inputs", count)
    path.parent.mkdir(parents=True, exist_ok=True)
    with Store(path) as store:
        assert ingest(store, "osv", [str(feed)]).ok
        register_local(store, cache_for(store.path), archives)
    return path


def sample_store(path: Path) -> Path:
    """A store at `path` built from the bundled sample, unanalysed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with Store(path) as store:
        for kind, paths in sample_inputs():
            ingest(store, kind, paths)
    return path


def copy_store(path: Path, to: Path) -> Path:
    """The store and its code cache, copied (a closed store is one file)."""
    to.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, to)
    code = cache_for(path).root
    if code.is_dir():
        shutil.copytree(code, cache_for(to).root)
    return to
