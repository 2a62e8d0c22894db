"""Benchmark: `malgraph serve` under concurrent requests on loopback, p50 and p95 latency per
page kind, against the store of the ingest benchmark's 200,000-record tree.

    python benchmarks/serve.py [--records 200000] [--workdir DIR] [--store FILE]
                               [--clients 8] [--requests 300]

Builds the tree and the store as benchmarks/ingest_osv.py does (unless --store names one),
starts `malgraph serve` in its own process, then sends each page kind's requests from
--clients threads at once (httpx, keep-alive) and prints the latencies. Search queries are
prefixes of stored names (3 to 8 characters) and the same with one typo; package pages and
graphs are of names drawn from the store. Target (issue 19): p95 under 150 ms for package
and search pages.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.ingest_osv import make_tree
from malgraph.core.kinds import SearchKind
from malgraph.store.read.readonly import open_readonly
from malgraph.store.read.web import search_entries
from malgraph.web.background import free_port

TARGET_MS = 150


def build_store(work: Path, records: int) -> Path:
    store = work / "bench.db"
    if store.exists():
        return store
    tree = work / f"tree-{records}"
    if not tree.exists():
        print(f"building {records} records under {tree} ...", flush=True)
        make_tree(tree, records)
    print("ingesting ...", flush=True)
    cmd = [sys.executable, "-m", "malgraph", "--db", str(store), "ingest", "osv", str(tree)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return store


def typo(text: str, rng: random.Random) -> str:
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def workload(store: Path, n: int, seed: int = 19) -> dict[str, list[str]]:
    """Per page kind, the paths to request."""
    rng = random.Random(seed)
    packages = [e.key for e in search_entries(open_readonly(store)) if e.kind is SearchKind.PACKAGE]
    names = sorted(set(packages))
    picked = [rng.choice(names) for _ in range(n)]
    paths = [
        f"/{quote(eco)}/{quote(name, safe='@')}"
        for eco, _, name in (k.partition("/") for k in picked)
    ]
    prefixes = [name.partition("/")[2][: rng.randint(3, 8)] for name in picked]
    return {
        "overview": ["/"] * max(10, n // 10),
        "search page": [f"/search?q={quote(p)}" for p in prefixes],
        "search api": [f"/api/search?q={quote(p)}" for p in prefixes],
        "search api, one typo": [f"/api/search?q={quote(typo(p, rng))}" for p in prefixes],
        "package page": [f"/package{p}" for p in paths],
        "package api": [f"/api/package{p}" for p in paths],
        "graph api (depth 2)": [f"/api/graph{p}?depth=2" for p in paths],
    }


def start_server(store: Path, port: int) -> tuple[subprocess.Popen[bytes], float]:
    cmd = [sys.executable, "-m", "malgraph", "--db", str(store), "serve", "--port", str(port)]
    began = time.perf_counter()
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/search?q=a", timeout=1).raise_for_status()
            return server, time.perf_counter() - began
        except httpx.TransportError:
            if server.poll() is not None or time.perf_counter() - began > 600:
                raise RuntimeError("the server did not start") from None
            time.sleep(0.2)


def measure(base: str, paths: list[str], clients: int) -> list[float]:
    """Milliseconds per request, with `clients` threads sending at once."""

    def run(chunk: list[str]) -> list[float]:
        took = []
        with httpx.Client(base_url=base, timeout=30) as client:
            for path in chunk:
                start = time.perf_counter()
                client.get(path).raise_for_status()
                took.append((time.perf_counter() - start) * 1000)
        return took

    chunks = [paths[i::clients] for i in range(clients)]
    with ThreadPoolExecutor(clients) as pool:
        return [t for result in pool.map(run, chunks) for t in result]


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def report(kind: str, took: list[float], row: Callable[..., None]) -> dict[str, float]:
    figures = {
        "requests": len(took),
        "p50_ms": round(statistics.median(took), 1),
        "p95_ms": round(percentile(took, 95), 1),
        "max_ms": round(max(took), 1),
    }
    row(kind, figures)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="malgraph-bench-"))
    store = args.store or build_store(work, args.records)
    port = free_port()
    server, startup = start_server(store, port)
    base = f"http://127.0.0.1:{port}"
    results: dict[str, object] = {"store": str(store), "clients": args.clients}
    results["startup_s"] = round(startup, 1)

    def row(kind: str, figures: dict[str, float]) -> None:
        print(
            f"{kind:24} {figures['requests']:5} requests  p50 {figures['p50_ms']:7.1f} ms"
            f"  p95 {figures['p95_ms']:7.1f} ms  max {figures['max_ms']:7.1f} ms",
            flush=True,
        )

    try:
        for kind, paths in workload(store, args.requests).items():
            measure(base, paths[: args.clients * 2], args.clients)  # warm up
            results[kind] = report(kind, measure(base, paths, args.clients), row)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(json.dumps(results, indent=2))
    pages = [v for k, v in results.items() if k.startswith(("search", "package"))]
    met = all(isinstance(v, dict) and v["p95_ms"] < TARGET_MS for v in pages)
    print("targets met" if met else "TARGETS MISSED")


if __name__ == "__main__":
    main()
