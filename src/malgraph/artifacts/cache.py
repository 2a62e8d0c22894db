"""The content-addressed cache of package archives beside the store: each archive once, by sha256.

Archives are hostile but inert here: they are stored as they came (never unpacked), read-only
and without execute bits.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def cache_for(store_path: Path) -> Cache:
    """The cache that belongs to a store: `malgraph.db` keeps its code in `malgraph.db.code/`."""
    return Cache(store_path.with_name(store_path.name + ".code"))


class Cache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put(self, data: bytes) -> str:
        """Store `data` (once) and return its sha256. Written to a temporary name first and
        renamed, so a killed run never leaves a partial archive under a valid name."""
        sha256 = hashlib.sha256(data).hexdigest()
        final = self.path(sha256)
        if final.is_file():
            return sha256
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=final.parent, prefix=".partial-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.chmod(temporary, 0o444)
            os.replace(temporary, final)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return sha256
