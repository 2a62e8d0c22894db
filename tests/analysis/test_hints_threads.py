"""A hint scanner shared by threads (a Dask worker runs several tasks at once in one process):
concurrent scans neither fail on Hyperscan's scratch nor mix up one another's hits."""

from __future__ import annotations

import base64
import hashlib
import threading

from malgraph.analysis import hints, javascript_code, python_code
from malgraph.analysis.hints import Hints, HintScanner

THREADS = 4
SCANS = 60


def _text(seed: int) -> str:
    """A file with trigger words, fragments, IoC hints and an encoded run, long enough that
    scans overlap in time; each seed gives other hits at other offsets."""
    payload = base64.b64encode(hashlib.sha512(str(seed).encode()).digest() * 8).decode()
    line = f"x{seed} = eval(exec('http://h{seed}.example.com/p')) # base64 {payload}\n"
    return ("pad = 1\n" * (seed % 7)) + line * (200 + seed)


def _scan_all(scanner: HintScanner, texts: list[str]) -> list[Hints]:
    return [scanner.scan(text) for text in texts]


def test_threads_sharing_a_scanner_find_what_a_serial_scan_finds() -> None:
    scanners = (hints.COMMON, python_code.HINTS, javascript_code.HINTS)
    texts = [_text(seed) for seed in range(SCANS)]
    expected = {id(scanner): _scan_all(scanner, texts) for scanner in scanners}
    found: dict[tuple[int, int], list[Hints]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def work(thread: int) -> None:
        start.wait()
        try:
            for scanner in scanners:
                # each thread walks the texts from another place, so scans differ at once
                shifted = texts[thread * 7 :] + texts[: thread * 7]
                hits = _scan_all(scanner, shifted)
                found[(thread, id(scanner))] = hits[-thread * 7 :] + hits[: -thread * 7]
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert len(found) == THREADS * len(scanners)
    for (_thread, scanner_id), hits in found.items():
        assert hits == expected[scanner_id]
    assert any(h.words for h in expected[id(python_code.HINTS)])
    assert all(h.encoded_run for h in expected[id(hints.COMMON)])
