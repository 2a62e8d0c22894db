"""A tiny embedding backend for the tests of the model tier: a hashed bag of tokens. It knows
nothing of order, so it calls a reshuffled copy identical, which no other tier would."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

DIMENSIONS = 64


class BagOfTokens:
    name = "bag-of-tokens"

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in text.split():
                out[row, hashlib.blake2b(token.encode(), digest_size=2).digest()[0] % 64] += 1
        return out


class Constant:
    """Calls everything the same: every pair is a model neighbour."""

    name = "constant"

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return np.ones((len(texts), 4), dtype=np.float32)
