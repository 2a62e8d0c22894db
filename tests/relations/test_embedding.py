"""The optional model tier, with stand-in backends written for the test: off by default,
never downloads, adds evidence edges but never family links."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from malgraph.cli import app, explore  # noqa: F401  (importing registers the commands)
from malgraph.core.relations import CodeItem
from malgraph.relations.embedding import EmbeddingError, load_backend, model_edges
from malgraph.relations.similar import similar_edges
from malgraph.store import Store
from tests.relations.code_samples import OTHER_FUNCTIONS, SEED_FUNCTIONS, program
from tests.relations.stand_in_backend import BagOfTokens
from tests.relations.test_similar_store import _add

runner = CliRunner()


def _item(key: int, tokens: list[str]) -> CodeItem:
    return CodeItem(key, f"archive{key}", (), " ".join(tokens))


def test_model_edges_find_what_the_tiers_cannot_and_only_above_the_threshold() -> None:
    rng = random.Random(3)
    words = [f"w{i}" for i in range(40)]
    base = [rng.choice(words) for _ in range(400)]
    shuffled = base[:]
    rng.shuffle(shuffled)  # the same bag of tokens, no shingle in common to speak of
    other = [f"z{rng.randrange(500)}" for _ in range(400)]
    items = [_item(1, base), _item(2, shuffled), _item(3, other)]
    assert similar_edges(items) == []  # no tier sees the reshuffled copy
    [edge] = model_edges(items, BagOfTokens(), threshold=0.9)
    assert (edge.a, edge.b, edge.tier) == (1, 2, "model") and edge.score == pytest.approx(1.0)
    assert edge.evidence == {"model": "bag-of-tokens", "cosine": edge.score}
    assert model_edges(items, BagOfTokens(), threshold=1.01) == []
    assert len(model_edges(items, BagOfTokens(), threshold=-1.0, neighbours=1)) <= 3


def test_a_model_folder_that_is_not_there_fails_without_fetching(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingError, match="nothing is downloaded"):
        load_backend(str(tmp_path / "no-such-model"))
    with pytest.raises(EmbeddingError, match="cannot load embedding backend"):
        load_backend("tests.relations.stand_in_backend:Missing")


def test_relate_with_a_model_adds_evidence_edges_but_no_families(
    store: Store, tmp_path: Path
) -> None:
    _add(store, tmp_path, {"alpha": program(SEED_FUNCTIONS), "other": program(OTHER_FUNCTIONS)})
    db = ["--db", str(store.path)]
    plain = runner.invoke(app, [*db, "relate", "--kinds", "similar"])
    assert "0 families" in plain.output
    spec = "tests.relations.stand_in_backend:Constant"
    with_model = runner.invoke(app, [*db, "relate", "--kinds", "similar", "--model", spec])
    assert with_model.exit_code == 0, with_model.output
    assert "1 model" in with_model.output and "0 families" in with_model.output
    [(tier, score)] = store.db.execute(
        "SELECT json_extract(evidence, '$.tier'), confidence FROM edges WHERE kind = 'similar'"
    )
    assert tier == "model" and score == 1.0
