"""The MinHash sketches of every analysed archive in the store, as one matrix, for comparing
one archive's code with all of them (the similar relation's near-duplicate tier, its
parameters unchanged).

`analyze` stores each archive's sketch with its analysis, and `relate` those of analyses made
before sketches were stored. An archive without a stored sketch is sketched here, in memory,
every check (nothing is written: `check` only reads the store); the caller says how many, as
running `malgraph relate` stores them."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from malgraph.core.derived_rows import CodeSketchRow
from malgraph.relations.minhash import U16
from malgraph.relations.similar import (
    DEFAULT_PERMUTATIONS,
    SKETCH_METHOD,
    default_sketcher,
    item_sketch,
)
from malgraph.store.read.check import stored_sketches as read_sketches
from malgraph.store.read.relations import archive_item

_POSITION = np.dtype("<u2")  # as item_sketch writes a sketch's bytes


@dataclass(frozen=True)
class StoredSketches:
    """Row i: archive `keys[i]` (sha256), the digest of its own token stream, and its sketch
    (`sketched[i]` False when the stream is too short to sketch or compare). `unstored`
    archives had no stored sketch and were sketched in memory."""

    keys: tuple[str, ...]
    digests: tuple[str, ...]
    matrix: U16
    sketched: npt.NDArray[np.bool_]
    unstored: int


def stored_sketches(db: sqlite3.Connection) -> StoredSketches:
    """The sketch of every analysed archive of the store: as stored, else sketched now."""
    rows, missing = read_sketches(db, SKETCH_METHOD)
    if missing:
        sketcher = default_sketcher()
        for sha256 in missing:
            item = archive_item(db, sha256)
            if item is not None:
                rows.append(item_sketch(item, sketcher))
    rows.sort(key=lambda row: row.sha256)
    return StoredSketches(
        tuple(row.sha256 for row in rows),
        tuple(row.stream_sha256 for row in rows),
        _matrix(rows),
        np.array([row.sketch is not None for row in rows], dtype=bool),
        len(missing),
    )


def _matrix(rows: list[CodeSketchRow]) -> U16:
    """One row a sketch (zeros where there is none), from the bytes in one pass."""
    empty = bytes(DEFAULT_PERMUTATIONS * _POSITION.itemsize)
    data = b"".join(empty if row.sketch is None else row.sketch for row in rows)
    matrix = np.frombuffer(data, dtype=_POSITION).reshape(len(rows), DEFAULT_PERMUTATIONS)
    return matrix.astype(np.uint16)
