"""Vectorised sampling helpers shared by the population builders."""

from __future__ import annotations

import numpy as np

from fraudgraph.units import DAY


def choice_from_weights(rng: np.random.Generator, weights: dict[str, float], keys: tuple[str, ...], n: int) -> np.ndarray:
    """Draw ``n`` indices into ``keys`` with probabilities from ``weights`` (missing keys weigh 0)."""
    p = np.array([float(weights.get(k, 0.0)) for k in keys])
    return rng.choice(len(keys), size=n, p=p / p.sum())


def group_index(groups: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort members by group.

    Returns
    -------
    order : numpy.ndarray
        Member indices sorted by group (stable).
    starts, sizes : numpy.ndarray
        For each group, where its members start in ``order`` and how many there are.
    """
    order = np.argsort(groups, kind="stable")
    sizes = np.bincount(groups, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return order, starts, sizes


def pick_in_groups(rng: np.random.Generator, query_groups: np.ndarray, order: np.ndarray, starts: np.ndarray,
                   sizes: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """For each query, pick one member of its group (uniformly, or by ``weights`` of the members).

    Groups without members give ``-1``.
    """
    s = starts[query_groups]
    k = sizes[query_groups]
    out = np.full(query_groups.size, -1, dtype=np.int64)
    ok = k > 0
    if weights is None:
        pos = s[ok] + (rng.random(int(ok.sum())) * k[ok]).astype(np.int64)
        out[ok] = order[np.minimum(pos, s[ok] + k[ok] - 1)]
        return out
    cum = np.concatenate([[0.0], np.cumsum(weights[order])])
    lo, hi = cum[s[ok]], cum[s[ok] + k[ok]]
    target = lo + rng.random(int(ok.sum())) * (hi - lo)
    pos = np.searchsorted(cum, target, side="right") - 1
    out[ok] = order[np.clip(pos, s[ok], s[ok] + k[ok] - 1)]
    return out


def pick_weighted(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """Draw ``n`` indices proportional to ``weights`` (with replacement), by inverse CDF."""
    cum = np.cumsum(weights, dtype=np.float64)
    return np.minimum(np.searchsorted(cum, rng.random(n) * cum[-1], side="right"), len(weights) - 1)




def later_than(rng: np.random.Generator, earliest: np.ndarray, end: int, mean_days: float) -> np.ndarray:
    """Times after ``earliest`` by an exponential delay, kept before ``end`` (and never before ``earliest``).

    A delay that would pass ``end`` is redrawn uniformly in what is left of the span, so that
    no time piles up at the last second.
    """
    earliest = np.asarray(earliest, dtype=np.int64)
    t = earliest + (rng.exponential(mean_days * DAY, size=earliest.size)).astype(np.int64)
    room = np.maximum(end - earliest, 1)
    redraw = earliest + (rng.random(earliest.size) * room).astype(np.int64)
    t = np.where(t >= end, redraw, t)
    return np.maximum(np.minimum(t, end - 1), earliest)


def rank_in_groups(rng: np.random.Generator, groups: np.ndarray) -> np.ndarray:
    """A random rank 0..k-1 for every member within its group."""
    keys = rng.random(groups.size)
    order = np.lexsort((keys, groups))
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    lengths = np.diff(np.r_[starts, groups.size])
    ranks_sorted = np.arange(groups.size) - np.repeat(starts, lengths)
    ranks = np.empty(groups.size, dtype=np.int64)
    ranks[order] = ranks_sorted
    return ranks


def pairs_within_groups(order: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every unordered pair of members within each group (for small groups such as households)."""
    group_of = np.repeat(np.arange(sizes.size), sizes)
    rank = np.arange(order.size) - np.repeat(starts, sizes)
    later = sizes[group_of] - rank - 1
    a_pos = np.repeat(np.arange(order.size), later)
    first_partner = np.repeat(np.arange(order.size) + 1, later)
    offset = np.arange(a_pos.size) - np.repeat(np.concatenate([[0], np.cumsum(later)[:-1]]), later)
    return order[a_pos], order[first_partner + offset]

