"""The busiest week: largest 7-day sums before each cut-off, fed in pieces."""

import numpy as np

from fraudgraph.gnn.peaks import PeakWeek


def _brute(day, node, amount, n, limit):
    out = np.zeros(n)
    for v in range(n):
        for first in range(day.min() - 6, limit):
            inside = (node == v) & (day >= first) & (day < min(first + 7, limit))
            out[v] = max(out[v], amount[inside].sum())
    return out


def test_peaks_match_a_brute_force_however_the_rows_are_cut():
    rng = np.random.default_rng(3)
    day = np.sort(rng.integers(100, 160, 600))
    node = rng.integers(0, 5, 600)
    amount = rng.uniform(0, 100, 600).round(2)
    limits = [120, 140, 160]
    whole = PeakWeek(5, 1, limits)
    whole.add(day, node, np.zeros(600, np.int64), amount)
    pieces = PeakWeek(5, 1, limits)
    for lo, hi in [(0, 7), (7, 250), (250, 251), (251, 600)]:  # cuts inside a day too
        pieces.add(day[lo:hi], node[lo:hi], np.zeros(hi - lo, np.int64), amount[lo:hi])
    a, b = whole.peaks(), pieces.peaks()
    for s, limit in enumerate(limits):
        assert np.allclose(a[s, :, 0], _brute(day, node, amount, 5, limit))
        assert np.allclose(b[s, :, 0], a[s, :, 0])
    assert (a[0] <= a[1]).all() and (a[1] <= a[2]).all()


def test_a_quiet_gap_empties_the_week():
    peak = PeakWeek(1, 2, [200])
    peak.add(np.array([100, 100, 103]), np.zeros(3, np.int64), np.array([0, 1, 0]), np.array([5.0, 7.0, 1.0]))
    peak.add(np.array([120]), np.zeros(1, np.int64), np.array([0]), np.array([2.0]))
    assert peak.peaks()[0, 0].tolist() == [6.0, 7.0]
