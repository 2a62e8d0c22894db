"""The MinHash sketches of every analysed archive in the store, for comparing one archive's
code with all of them (the similar relation's near-duplicate tier, its parameters unchanged).

The store keeps token streams, not sketches, and sketching every stream anew is the whole cost
of a check with archives; so the sketches are kept in a file beside the store
(`STORE.check-sketches.npz`), keyed by archive sha256 and analyser version, and only streams
not in it are read and sketched. The file is derived data: deleting it loses nothing, a file
that cannot be read or written is ignored, and it never holds code."""

from __future__ import annotations

import os
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from malgraph.core.code import token_digest
from malgraph.relations.minhash import U16, Sketcher
from malgraph.relations.similar import (
    DEFAULT_PERMUTATIONS,
    DEFAULT_SHINGLE,
    NORMALISED_TOKENS,
)
from malgraph.store.read.check import analysed_archives, archive_streams

SEED = 1  # as `malgraph relate`
CACHE_SUFFIX = ".check-sketches.npz"
_FORMAT = 1  # bumped when the file's layout or the sketching changes


def cache_path(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + CACHE_SUFFIX)


def sketcher() -> Sketcher:
    return Sketcher(DEFAULT_SHINGLE, DEFAULT_PERMUTATIONS, SEED)


@dataclass(frozen=True)
class StoredSketches:
    """Row i: archive `keys[i]` (sha256), the digest of its whole token stream, and its sketch
    (`sketched[i]` False when the stream is too short to sketch or compare)."""

    keys: tuple[str, ...]
    digests: tuple[str, ...]
    matrix: U16
    sketched: npt.NDArray[np.bool_]


def _tag(sha256: str, analyzer: int) -> str:
    return f"{sha256}:{analyzer}"


def _load(path: Path | None) -> dict[str, tuple[str, U16 | None]]:
    if path is None or not path.is_file():
        return {}
    try:
        with np.load(path, allow_pickle=False) as data:
            if int(data["format"]) != _FORMAT:
                return {}
            tags, digests = data["tags"].tolist(), data["digests"].tolist()
            matrix, sketched = data["matrix"], data["sketched"]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return {}
    return {
        tag: (digest, matrix[i] if sketched[i] else None)
        for i, (tag, digest) in enumerate(zip(tags, digests, strict=True))
    }


def _matrix(rows: list[U16 | None]) -> U16:
    matrix = np.zeros((len(rows), DEFAULT_PERMUTATIONS), dtype=np.uint16)
    for i, row in enumerate(rows):
        if row is not None:
            matrix[i] = row
    return matrix


def _save(path: Path, entries: dict[str, tuple[str, U16 | None]]) -> None:
    """Written beside the store and renamed over the old file; a failure leaves it be."""
    tags = sorted(entries)
    rows = [entries[t][1] for t in tags]
    matrix = _matrix(rows)
    try:
        handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "wb") as file:
            np.savez(
                file,
                format=np.array(_FORMAT),
                tags=np.array(tags, dtype=str),
                digests=np.array([entries[t][0] for t in tags], dtype=str),
                matrix=matrix,
                sketched=np.array([r is not None for r in rows], dtype=bool),
            )
        os.replace(partial, path)
    except OSError:
        return


def stream_sketch(tokens: list[str], sketch: Sketcher) -> U16 | None:
    """A stream's sketch, None when it is too short to compare (as the similar relation)."""
    return sketch.sketch(tokens) if len(tokens) >= NORMALISED_TOKENS else None


def stored_sketches(db: sqlite3.Connection, cache: Path | None) -> StoredSketches:
    """The sketch of every analysed archive of the store: from the cache file when it has
    it, else sketched now (and the file rewritten)."""
    wanted = {_tag(sha, analyzer): sha for sha, analyzer in analysed_archives(db).items()}
    kept = _load(cache)
    entries = {tag: kept[tag] for tag in wanted if tag in kept}
    missing = {wanted[tag]: tag for tag in wanted if tag not in entries}
    if missing:
        sketch = sketcher()
        for sha256, text in archive_streams(db, list(missing)):
            tokens = text.split(" ") if text else []
            entries[missing[sha256]] = (token_digest(tokens), stream_sketch(tokens, sketch))
        if cache is not None:
            _save(cache, entries)
    tags = sorted(entries)
    rows = [entries[t][1] for t in tags]
    return StoredSketches(
        tuple(wanted[t] for t in tags),
        tuple(entries[t][0] for t in tags),
        _matrix(rows),
        np.array([r is not None for r in rows], dtype=bool),
    )
