"""Opening the store for a command: the schema is the store's to upgrade; what an upgrade
changes in the graph (claims that now count for another source) is settled here."""

from __future__ import annotations

from pathlib import Path

from malgraph.core.source_names import SourceNames
from malgraph.pipeline.duplicated import repoint
from malgraph.store import Store
from malgraph.store.read.labels import stored_table


def open_store(path: Path | str, *, create: bool = True) -> Store:
    """The store at `path` (see Store); an older store's sources become labels of the
    reporters they name now, with the duplicated edges that follows."""
    store = Store(path, create=create)
    if store.upgraded_from is not None:
        try:
            with store.transaction():
                repoint(store.db, SourceNames(stored_table(store.db)))
        except BaseException:
            store.close()
            raise
    return store
