"""Amounts: between a typology's loud value and a legitimate one.

``blend`` interpolates in log space (a characteristic amount moved toward one ordinary amount);
``blend_with_pool`` interpolates linearly toward draws from a pool of ordinary amounts.
"""

from __future__ import annotations

import numpy as np
from fraudgraph.patterns.kit.keys import TRANSFERS

from fraudgraph.graph import PropertyGraph


def blend(loud, quiet, blending: float):
    """Move a typology's characteristic amount toward a legitimate one, in log space.

    ``blending`` 0 keeps ``loud``; 1 gives ``quiet``; in between the amount is the
    geometric interpolation, so half-blended kiting of 6,000 against a legitimate
    45 becomes about 520 rather than 3,000 (linear blending would still stand out).
    """
    loud = np.maximum(np.asarray(loud, dtype=float), 0.01)
    quiet = np.maximum(np.asarray(quiet, dtype=float), 0.01)
    return np.exp((1.0 - blending) * np.log(loud) + blending * np.log(quiet))


def blend_with_pool(rng: np.random.Generator, loud, quiet_pool: np.ndarray, blending: float) -> np.ndarray:
    """Amounts between ``loud`` (fraud-looking) and draws from ``quiet_pool`` (legitimate), by the blending knob."""
    loud = np.atleast_1d(np.asarray(loud, dtype=float))
    quiet = quiet_pool[rng.integers(0, quiet_pool.size, loud.size)] if quiet_pool.size else loud
    return np.maximum(np.round((1 - blending) * loud + blending * quiet, 2), 1.0)


def loud_amounts(rng: np.random.Generator, pool: np.ndarray, n: int, low: float = 1.0, high: float = 3.0) -> np.ndarray:
    """Round amounts from ``low`` to ``high`` times the 99th percentile of ``pool``: high, but not absurd."""
    top = float(np.quantile(pool, 0.99)) if pool.size else 1_000.0
    return np.round(top * rng.uniform(low, high, n), -1)


def typical_transfers(graph: PropertyGraph, kind: str) -> np.ndarray:
    """Typical amounts of the legitimate transfers of ``kind`` (of every kind where there is none), to blend toward."""
    t = graph.edges[TRANSFERS]
    values = t.loc[(t["kind"] == kind).to_numpy(), "typical_amount"].to_numpy(dtype=float)
    return values if values.size else t["typical_amount"].to_numpy(dtype=float)
