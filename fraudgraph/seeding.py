"""The seed tree: one numpy SeedSequence per named stage, type and block.

Children are keyed by *names*, never by call order, worker or partition, so a
stage draws the same numbers however the work is split or scheduled.
"""

from __future__ import annotations

import zlib

import numpy as np


class SeedTree:
    """Derive independent, reproducible random generators from one user seed.

    Parameters
    ----------
    seed : int
        The user's seed (the root of the tree).
    shard : (int, int)
        ``(index, count)``: the tree of shard ``index`` of ``count`` (see
        :mod:`fraudgraph.shards`). Each shard draws from its own branch and
        takes the ids congruent to its index modulo ``count``; ``(0, 1)``, the
        default, is the whole world.

    Examples
    --------
    >>> from fraudgraph.seeding import SeedTree
    >>> a = SeedTree(7).rng("population", "persons").integers(0, 100, 3)
    >>> b = SeedTree(7).rng("population", "persons").integers(0, 100, 3)
    >>> bool((a == b).all())
    True
    """

    def __init__(self, seed: int, shard: tuple[int, int] = (0, 1)):
        self.seed = int(seed)
        index, count = (int(shard[0]), int(shard[1]))
        if not 0 <= index < count:
            raise ValueError(f"shard index {index} is not in [0, {count})")
        self.shard = (index, count)
        # shard k of several draws from its own branch; a lone shard is the whole world's tree
        self._branch = (zlib.crc32(b"shard"), index) if count > 1 else ()

    def sequence(self, *path: str | int) -> np.random.SeedSequence:
        """The SeedSequence at ``path`` (names or block numbers)."""
        key = self._branch + tuple(zlib.crc32(str(p).encode()) for p in path)
        return np.random.SeedSequence(entropy=self.seed, spawn_key=key)

    def rng(self, *path: str | int) -> np.random.Generator:
        """A fresh Generator for ``path``; asking twice gives two identical generators."""
        return np.random.default_rng(self.sequence(*path))
