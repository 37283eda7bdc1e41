"""The busiest week of each node's past: the largest sum of an activity over 7 consecutive days.

Counts over the last days before a cut-off miss what happened months before it:
a card maxed out in spring, a mule account that passed money on for a fortnight.
:class:`PeakWeek` keeps, for each node and activity, the largest rolling 7-day
sum seen before each cut-off, fed one day of activity at a time and in time
order. Only the days of the rolling window are held (sparse), so memory grows
with the nodes, not with the span.
"""

from __future__ import annotations

from collections import deque

import numpy as np

DAYS = 7


class PeakWeek:
    """Largest 7-day sums of ``k`` activities of ``n`` nodes before each of the cut-off days.

    Parameters
    ----------
    n, k : int
        Nodes and activities.
    limit_days : sequence of int
        The cut-offs, as whole days since the epoch: a day counts for a cut-off if it ends by it.
    """

    def __init__(self, n: int, k: int, limit_days):
        self.n, self.k = n, k
        self.limit_days = np.asarray(limit_days, dtype=np.int64)
        self.peak = np.zeros((len(self.limit_days), n, k))
        self.rolling = np.zeros(n * k)
        self.window: deque = deque()          # (day, flat cells, sums) of the days in ``rolling``
        self.day: int | None = None
        self.open: list[tuple[np.ndarray, np.ndarray]] = []

    def add(self, day: np.ndarray, node: np.ndarray, column: np.ndarray, amount: np.ndarray) -> None:
        """Add activity rows (day since the epoch, node index, activity column, amount), in time order
        with the rows of earlier calls (the rows of one call may span several days)."""
        order = np.argsort(day, kind="stable")
        day, cell, amount = day[order], (node * self.k + column)[order], amount[order]
        bounds = np.flatnonzero(np.r_[True, day[1:] != day[:-1], True])
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            if self.day is not None and day[lo] != self.day:
                self._close()
            self.day = int(day[lo])
            self.open.append((cell[lo:hi], amount[lo:hi]))

    def peaks(self) -> np.ndarray:
        """``(cut-offs, n, k)``: the largest 7-day sums so far (the day still open included)."""
        if self.open:
            self._close()
        return self.peak.reshape(len(self.limit_days), self.n, self.k)

    def _close(self) -> None:
        cells = np.concatenate([c for c, _ in self.open])
        amounts = np.concatenate([a for _, a in self.open])
        cells, inverse = np.unique(cells, return_inverse=True)
        sums = np.bincount(inverse, weights=amounts, minlength=len(cells))
        while self.window and self.window[0][0] <= self.day - DAYS:
            _, old, values = self.window.popleft()
            self.rolling[old] -= values
        self.rolling[cells] += sums
        self.window.append((self.day, cells, sums))
        flat = self.peak.reshape(len(self.limit_days), -1)
        for s in np.flatnonzero(self.day < self.limit_days):
            flat[s, cells] = np.maximum(flat[s, cells], self.rolling[cells])
        self.open = []
