import numpy as np
import pyarrow as pa

from fraudgraph.timeline.engine import _order, _release
from fraudgraph.timeline.frames import ID_KEYS as _KEYS


def _keys(rng, n):
    return rng.integers(0, 2**63, n, dtype=np.uint64) * np.uint64(2), rng.integers(0, 2**63, n, dtype=np.uint64)


def test_order_equals_the_three_key_sort():
    rng = np.random.default_rng(4)
    for n in (0, 1, 2, 50_000):
        time = rng.integers(1_700_000_000, 1_700_000_000 + 30 * 86_400, n)
        hi, lo = _keys(rng, n)
        assert np.array_equal(_order(time, hi, lo), np.lexsort((lo, hi, time)))


def test_order_breaks_ties_in_the_combined_key_exactly():
    rng = np.random.default_rng(5)
    n = 20_000
    time = np.repeat(rng.integers(1_700_000_000, 1_700_003_600, n // 10), 10)
    hi, lo = _keys(rng, n)
    hi[::7] = hi[0]  # same top bits: the combined key ties, the low key decides
    assert np.array_equal(_order(time, hi, lo), np.lexsort((lo, hi, time)))


def test_order_handles_spans_beyond_the_combined_key():
    rng = np.random.default_rng(6)
    time = rng.integers(0, 2**40, 5_000)
    hi, lo = _keys(rng, 5_000)
    assert np.array_equal(_order(time, hi, lo), np.lexsort((lo, hi, time)))


def test_release_splits_sorted_rows_at_the_horizon():
    rng = np.random.default_rng(7)
    n = 1_000
    time = rng.integers(0, 200, n)
    hi, lo = _keys(rng, n)
    table = pa.table({"time": time, "row": np.arange(n), _KEYS[0]: hi, _KEYS[1]: lo})
    ready, rest = _release(table, 150)
    order = np.lexsort((lo, hi, time))
    assert ready["row"].to_pylist() + rest["row"].to_pylist() == order.tolist()
    assert max(ready["time"].to_pylist()) < 150 <= min(rest["time"].to_pylist())
