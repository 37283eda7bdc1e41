"""Draws the vocabulary providers share: distinct integers and slots of a finite range.

Providers draw from the generator they are given and own no random state.
"""

from __future__ import annotations

import numpy as np


def unique_integers(rng: np.random.Generator, low: int, high: int, n: int) -> np.ndarray:
    """``n`` distinct integers drawn uniformly from ``[low, high)``."""
    span = high - low
    if n > span:
        raise ValueError(f"cannot draw {n} distinct integers from a range of {span}")
    if n > span // 4:
        return low + rng.permutation(span)[:n].astype(np.int64)
    values = rng.integers(low, high, size=n, dtype=np.int64)
    while True:
        _, first = np.unique(values, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        if not dup.any():
            return values
        values[dup] = rng.integers(low, high, size=int(dup.sum()), dtype=np.int64)


def slots(rng: np.random.Generator, n: int, capacity: int) -> np.ndarray:
    """Distinct slots while the capacity lasts; beyond it, repeated shuffles of the range."""
    rounds = -(-n // capacity)
    if rounds == 0:
        return np.empty(0, dtype=np.int64)
    return np.concatenate([rng.permutation(capacity) for _ in range(rounds)])[:n]
