"""Package archives given to `malgraph check`: read in memory under the analyser's caps (never
unpacked, never run, never stored), identified by their own metadata, and compared with the
store's analysed code by the similar relation's tiers:

1. identical-archive: the same archive bytes;
2. identical-files: a shared significant code file (same bytes, not vendored);
3. identical-normalised: a shared large file, or the whole stream, once normalised;
4. near-duplicate: the MinHash estimate of the token shingles' Jaccard reaches the threshold.

The archive's own code (vendored folders cut) is compared with each stored archive's own code,
as `relate` compares streams."""

from __future__ import annotations

import hashlib
import math
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from malgraph.analysis.analyze import analyze_archive
from malgraph.analysis.archive_identity import Identity, identify
from malgraph.artifacts.layouts import read_place
from malgraph.check.sketches import StoredSketches
from malgraph.core.check import CodeMatch, VersionRef
from malgraph.core.check_inputs import InputProblem
from malgraph.core.file_scans import FileScanMemo
from malgraph.core.kinds import SimilarTier
from malgraph.core.relations import CodeItem
from malgraph.relations.similar import (
    DEFAULT_THRESHOLD,
    NORMALISED_TOKENS,
    SIGNIFICANT_TOKENS,
    analysed_item,
    default_sketcher,
    is_vendored,
    item_sketch,
)
from malgraph.store.read.check import holders, version_facts

MAX_ARCHIVE_BYTES = 256 * 2**20  # as `fetch --from` takes a local archive
SHOWN_FILES = 3  # shared file paths quoted per match


@dataclass(frozen=True)
class ArchiveCode:
    """One archive given, read: what its metadata says it is, and its code as the similar
    relation sees it."""

    file: str
    sha256: str
    identity: Identity | None
    unidentified: str | None  # why no identity, when none
    item: CodeItem


def read_archive_code(file: str, memo: FileScanMemo | None = None) -> ArchiveCode | InputProblem:
    path = Path(file)
    try:
        if path.stat().st_size > MAX_ARCHIVE_BYTES:
            return InputProblem(file, f"larger than {MAX_ARCHIVE_BYTES} bytes")
        data = path.read_bytes()
    except OSError as error:
        return InputProblem(file, f"cannot be read: {error.strerror or error}")
    analysis = analyze_archive(data, path.name, memo=memo)
    if analysis.features is None:
        return InputProblem(file, f"not a readable archive: {analysis.reason}")
    found = identify(data, path.name, read_place(path.resolve().parts, 1))
    sha256 = hashlib.sha256(data).hexdigest()
    item = analysed_item(sha256, analysis.features)
    if isinstance(found, Identity):
        return ArchiveCode(file, sha256, found, None, item)
    return ArchiveCode(file, sha256, None, found.reason, item)


class _Best:
    """Per stored package-version: the strongest tier reaching it, with its evidence."""

    def __init__(self) -> None:
        self.found: dict[int, tuple[int, float, dict[str, Any], VersionRef]] = {}

    def add(
        self, refs: Iterable[VersionRef], tier: int, score: float, evidence: dict[str, Any]
    ) -> None:
        for ref in refs:
            old = self.found.get(ref.id)
            if old is None or (tier, -score) < (old[0], -old[1]):
                copied = {k: list(v) if isinstance(v, list) else v for k, v in evidence.items()}
                self.found[ref.id] = (tier, score, copied, ref)
            elif old[0] == tier and "shared_files" in evidence and "shared_files" in old[2]:
                old[2]["shared_files"] += 1
                old[2]["files"] += evidence["files"]


def _by_files(db: sqlite3.Connection, item: CodeItem, best: _Best) -> None:
    significant: dict[str, str] = {}
    normalised: dict[str, str] = {}
    for path, sha, digest, count in item.files:
        if count < SIGNIFICANT_TOKENS or is_vendored(path):
            continue
        significant.setdefault(sha, path)
        if digest is not None and count >= NORMALISED_TOKENS:
            normalised.setdefault(digest, path)
    for tier, column, digests in ((1, "file", significant), (2, "normalised", normalised)):
        if not digests:
            continue
        for digest, refs in sorted(holders(db, column, digests).items()):
            best.add(refs, tier, 1.0, {"shared_files": 1, "files": [digests[digest]]})


def _by_stream(
    db: sqlite3.Connection, item: CodeItem, stored: StoredSketches, threshold: float, best: _Best
) -> None:
    own = item_sketch(item, default_sketcher())
    if own.sketch is None:
        return
    digest = own.stream_sha256
    sketch = np.frombuffer(own.sketch, dtype="<u2").astype(np.uint16)
    same = [key for key, d in zip(stored.keys, stored.digests, strict=True) if d == digest]
    permutations = sketch.shape[0]
    agree = np.count_nonzero(stored.matrix == sketch, axis=1)
    agree[~stored.sketched] = 0
    near = np.flatnonzero(agree >= math.ceil(threshold * permutations - 1e-9))
    scores = {stored.keys[i]: round(int(agree[i]) / permutations, 4) for i in near.tolist()}
    refs = holders(db, "archive", [*same, *scores])
    for key in same:
        best.add(refs.get(key, ()), 2, 1.0, {"stream_sha256": digest})
    for key, score in scores.items():
        best.add(refs.get(key, ()), 3, score, {"jaccard": score})


def code_matches(
    db: sqlite3.Connection,
    archive: ArchiveCode,
    stored: StoredSketches,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[CodeMatch]:
    """The stored package-versions whose code is like the archive's, each by its strongest
    tier, with whether it is malicious and its family."""
    best = _Best()
    best.add(holders(db, "archive", [archive.sha256]).get(archive.sha256, ()), 0, 1.0, {})
    _by_files(db, archive.item, best)
    _by_stream(db, archive.item, stored, threshold, best)
    facts = version_facts(db, list(best.found))
    tiers = list(SimilarTier)
    matches = []
    for version_id, (tier, score, evidence, ref) in best.found.items():
        family, claimed = facts.get(version_id, (None, False))
        shown = dict(evidence)
        if "files" in shown:
            shown["files"] = shown["files"][:SHOWN_FILES]
        matches.append(
            CodeMatch(
                ref.ecosystem, ref.name, ref.version, tiers[tier], score, family, claimed, shown
            )
        )
    return matches
