"""64-bit keys of UUID strings, memory-light sorted key sets, and the search for duplicates.

A key folds the UUID's two 64-bit halves into one ``uint64``; equal keys are
only candidate duplicates, confirmed on the id strings (see :mod:`fraudgraph.checks`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudgraph.checks.problems import Problems
from fraudgraph.checks.readers import key_column
from fraudgraph.timeline.envelope import uuid_sort_keys

#: Most duplicated event ids listed one by one.
MAX_DUPLICATES_LISTED = 20

#: A canonical UUID: lowercase hex, hyphenated.
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def folded_keys(ids: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """64-bit keys of the canonical UUIDs among ``ids``.

    Parameters
    ----------
    ids : pyarrow.Array
        Strings.

    Returns
    -------
    keys : numpy.ndarray of uint64
        One key per canonical (lowercase, hyphenated) UUID, in order: the
        128-bit value's high half, mixed, XOR its low half.
    canonical : numpy.ndarray of bool
        Which of ``ids`` are canonical UUIDs (and so have a key).

    Examples
    --------
    >>> import pyarrow as pa
    >>> keys, ok = folded_keys(pa.array(["0d184cbe-7293-4dd7-8d58-c8c3f3317753", "x"]))
    >>> len(keys), ok.tolist()
    (1, [True, False])
    """
    ids = ids.cast(pa.large_string())
    canonical = pc.match_substring_regex(ids, UUID_PATTERN).fill_null(False).to_numpy(zero_copy_only=False)
    return canonical_keys(ids, canonical)


def canonical_keys(ids: pa.Array, canonical: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`folded_keys` for ``ids`` whose canonical ones are already known (``canonical``)."""
    good = ids.filter(pa.array(canonical))
    n = len(good)
    if n == 0:
        return np.zeros(0, np.uint64), canonical
    hi, lo = uuid_sort_keys(good)
    return _mix(hi) ^ lo, canonical


def _mix(x: np.ndarray) -> np.ndarray:
    """The SplitMix64 finaliser: a bijection of uint64 that spreads every input bit."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


class Keys:
    """A growable uint64 array (keys gathered part by part, sorted once at the end)."""

    def __init__(self, capacity: int = 0):
        self.data = np.empty(max(int(capacity), 1024), np.uint64)
        self.size = 0

    def add(self, keys: np.ndarray) -> None:
        need = self.size + len(keys)
        if need > len(self.data):
            grown = np.empty(max(need, 2 * len(self.data)), np.uint64)
            grown[: self.size] = self.data[: self.size]
            self.data = grown
        self.data[self.size: need] = keys
        self.size = need

    def sorted(self, unique: bool = False) -> np.ndarray:
        keys = self.data[: self.size]
        keys.sort()
        return np.unique(keys) if unique else keys


def contains(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Which of ``keys`` are in ``sorted_keys``, by binary search."""
    if sorted_keys.size == 0:
        return np.zeros(len(keys), bool)
    at = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
    return sorted_keys[at] == keys


def report_duplicates(sorted_keys: np.ndarray, references: list[tuple[Path, str, str]], problems: Problems) -> None:
    """Report event ids that occur more than once; equal keys are confirmed on the id strings."""
    if sorted_keys.size < 2:
        return
    candidates = np.unique(sorted_keys[1:][sorted_keys[1:] == sorted_keys[:-1]])
    if candidates.size == 0:
        return
    listed, rest = candidates[:MAX_DUPLICATES_LISTED], candidates.size - MAX_DUPLICATES_LISTED
    seen: dict[str, list[str]] = {}
    for file, fmt, rel in references:
        ids = key_column(file, fmt, "event_id")
        keys, canonical = folded_keys(ids)
        rows = np.flatnonzero(canonical)[np.isin(keys, listed)]
        for row, value in zip(rows, ids.take(pa.array(rows)).to_pylist()):
            seen.setdefault(value, []).append(f"{rel} row {row + 1:,}")
    for value, places in seen.items():
        if len(places) > 1:
            problems.add(places[0].split(" row ")[0], f"duplicate {value}", 1,
                         f"event_id {value!r} is not unique: {', '.join(places)}")
    if rest > 0:
        problems.add("events/part-*", "more duplicates", 1, f"{rest:,} more event ids occur more than once")
