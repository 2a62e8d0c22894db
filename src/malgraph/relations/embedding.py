"""The optional model tier of the similar relation: code embeddings from a backend the user
installed, off by default. Nothing is ever downloaded: a backend is local code or a model
folder given by path, loaded with the hubs switched off.

A backend embeds each package's own normalised token stream (the store keeps no source text,
and that stream is what the other tiers compare too); edges join each package-version to its
nearest neighbours by cosine similarity above a threshold. Model edges are evidence for an
analyst, never family links: their score has no explanation a reviewer could check.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from malgraph.core.errors import InputError
from malgraph.core.kinds import SimilarTier
from malgraph.core.relations import CodeItem
from malgraph.relations.similar import SimilarEdge, own_tokens

DEFAULT_THRESHOLD = 0.95
NEIGHBOURS = 5
BLOCK = 1024  # rows per similarity block: memory stays O(BLOCK x n)


class EmbeddingError(InputError):
    """The embedding backend the user named cannot be loaded or returned something unusable."""


class EmbeddingBackend(Protocol):
    name: str

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One vector per text, all of one length."""
        ...


class SentenceTransformerBackend:
    """A sentence-transformers model in a local folder (e.g. one installed with a package)."""

    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise EmbeddingError(f"{folder}: no model folder there (nothing is downloaded)")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a missing file fails, never fetches
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            module = importlib.import_module("sentence_transformers")
        except ImportError as exc:
            raise EmbeddingError("install sentence-transformers to use a model folder") from exc
        self.model = module.SentenceTransformer(str(folder), local_files_only=True)
        self.name = f"sentence-transformers:{folder.name}"

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        vectors = self.model.encode(list(texts), batch_size=32, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


def load_backend(spec: str) -> EmbeddingBackend:
    """`PATH` (a sentence-transformers model folder) or `module:Class` (a backend of your own,
    constructed without arguments)."""
    if ":" in spec and not Path(spec).exists():
        module_name, _, attribute = spec.partition(":")
        try:
            backend: Any = getattr(importlib.import_module(module_name), attribute)()
        except (ImportError, AttributeError) as exc:
            raise EmbeddingError(f"cannot load embedding backend {spec!r}: {exc}") from exc
        return backend  # type: ignore[no-any-return]
    return SentenceTransformerBackend(Path(spec))


def model_edges(
    items: Iterable[CodeItem],
    backend: EmbeddingBackend,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    neighbours: int = NEIGHBOURS,
) -> list[SimilarEdge]:
    """Each item's nearest `neighbours` by cosine similarity, kept at or above `threshold`."""
    keys, texts = [], []
    for item in items:
        tokens = own_tokens(item)
        if tokens:
            keys.append(item.key)
            texts.append(" ".join(tokens))
    if len(keys) < 2:
        return []
    vectors = backend.embed(texts)
    if vectors.ndim != 2 or vectors.shape[0] != len(keys):
        raise EmbeddingError(f"{backend.name} returned {vectors.shape} for {len(keys)} texts")
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.where(norms == 0, 1, norms)
    best: dict[tuple[int, int], float] = {}
    for start in range(0, len(keys), BLOCK):
        scores = unit[start : start + BLOCK] @ unit.T
        for row, i in enumerate(range(start, min(start + BLOCK, len(keys)))):
            scores[row, i] = -1.0  # not itself
            order = np.argsort(-scores[row], kind="stable")[:neighbours]
            for j in order:
                score = float(scores[row, j])
                if score >= threshold:
                    pair = (min(keys[i], keys[j]), max(keys[i], keys[j]))
                    best[pair] = max(best.get(pair, -1.0), round(score, 6))
    return [
        SimilarEdge(a, b, SimilarTier.MODEL, score, {"model": backend.name, "cosine": score})
        for (a, b), score in sorted(best.items())
    ]
