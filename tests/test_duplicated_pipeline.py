"""The duplicated relation kept by the pipeline: edges made batch by batch, as claims come
in, are those made from scratch from every stored claim."""

from __future__ import annotations

import hashlib
from pathlib import Path

from malgraph.core.model import Document
from malgraph.pipeline.duplicated import relink, write_batch
from malgraph.sources.base import claim
from malgraph.store import Store
from malgraph.store.rows import document_rows
from malgraph.store.writer import Accepted, Writer


def document(source: str, *packages: tuple[str, str]) -> Accepted:
    records = tuple(claim(source, "npm", name, versions=(v,) if v else ()) for name, v in packages)
    sha = hashlib.sha256(repr((source, packages)).encode()).hexdigest()
    doc = Document(f"/in/{source}", sha, source, f"{source}/list", "2024-01-01T00:00:00Z", records)
    return Accepted(document_rows(doc), f"/in/{source}")


def edges(store: Store) -> list[tuple[object, ...]]:
    return store.db.execute(
        "SELECT kind, src_id, dst_id, evidence, confidence FROM edges ORDER BY src_id, dst_id"
    ).fetchall()


def test_edges_made_batch_by_batch_are_those_made_from_scratch(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        writer = Writer(store.db)
        batches = [
            [document("alpha", ("evil", "1.0"), ("bad", ""))],
            # evil is stored: its claims are read back; worse is new: its claims are in memory.
            [
                document("beta", ("evil", "1.0"), ("worse", "2.0")),
                document("gamma", ("worse", "2.0")),
            ],
            [document("delta", ("bad", "3.0"), ("evil", "9.9"))],
        ]
        for batch in batches:
            with store.transaction():
                write_batch(writer, batch)
        made = edges(store)
        with store.transaction():
            relink(store.db, [p for (p,) in store.db.execute("SELECT id FROM packages")])
        assert edges(store) == made
    kinds = [kind for kind, *_ in made]
    # evil: alpha and beta at 1.0 (delta's 9.9 meets neither); worse: beta and gamma; bad:
    # alpha, naming no version, and delta.
    assert kinds.count("duplicated") == 2 and kinds.count("duplicated_package") == 1
