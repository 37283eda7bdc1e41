"""When scripted activity happens: the scenario's drift, times within windows, monthly rates."""

from __future__ import annotations

import numpy as np
from fraudgraph.patterns.base import (
    InjectionContext,
)
from fraudgraph.patterns.kit.view import GraphView

from fraudgraph.units import DAY


def trend(t, ctx: InjectionContext):
    """The scenario's drift factor at times ``t`` (epoch seconds): 1 at the start of the span,
    ``1 + ctx.drift`` at its end, linear in between (times outside the span take the nearer end).

    The density of injected activity is proportional to it, as the timeline's legitimate
    rates are to its per-day ``drift_factor``.
    """
    x = np.clip((np.asarray(t, dtype=float) - ctx.start) / max(ctx.end - ctx.start, 1), 0.0, 1.0)
    return 1.0 + ctx.drift * x


def drifted(u, lo, hi, ctx: InjectionContext, length=0):
    """Bend uniform draws so that the times placed with them follow the scenario's drift.

    An injector that places a time at ``lo + u * (hi - lo)``, with ``u`` uniform in
    [0, 1), spreads it evenly over [lo, hi). Passing ``u`` through this function first
    makes the density of the placed times proportional to ``1 + ctx.drift * x``, where
    ``x`` is the position in the simulated span (0 at its start, 1 at its end): the
    linear trend the timeline gives legitimate activity. Every drawn start, window and
    burst of the injectors goes through here (choices among existing dated things weigh
    them by :func:`trend`), so these two functions are where fraud drift lives.

    Parameters
    ----------
    u : float or numpy.ndarray
        Uniform draws in [0, 1).
    lo, hi : int or float
        Range (epoch seconds) over which ``u`` places the times.
    ctx : InjectionContext
        Its ``start``, ``end`` and ``drift`` (direction times strength).
    length : int or float, default 0
        Length in seconds of the episode that begins at each placed time. The trend is
        applied at the episode's midpoint, so that the activity of episodes of any length
        follows it, and times drawn (through this function) inside an episode placed by it
        follow it too.

    Returns
    -------
    float or numpy.ndarray
        Draws in [0, 1), monotone in ``u``; ``u`` itself when ``ctx.drift`` is 0, so that
        a seed gives the same dataset as without drift.

    Notes
    -----
    With ``a`` and ``b`` the trend at the first and the last midpoint (positions clipped
    to the span), the density of the result ``y`` is proportional to ``a + (b - a) y``;
    its inverse CDF, written so that nothing cancels when ``a`` is close to ``b``, is
    ``y = u (a + b) / (a + sqrt(a**2 + u (b**2 - a**2)))``.

    Examples
    --------
    >>> ctx = InjectionContext(start=0, end=90 * DAY, knobs=None, drift=1.0)
    >>> y = drifted(np.random.default_rng(0).random(100_000), 0, 90 * DAY, ctx)
    >>> round(float((y < 1 / 3).mean()), 2), round(float((y >= 2 / 3).mean()), 2)  # 7/27 and 11/27
    (0.26, 0.41)
    """
    if ctx.drift == 0:
        return u
    a, b = trend(lo + length / 2, ctx), trend(hi + length / 2, ctx)
    x = np.asarray(u, dtype=float)
    den = a + np.sqrt(a * a + x * (b * b - a * a))
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(den > 0, x * (a + b) / den, x)
    y = np.minimum(y, np.nextafter(1.0, 0.0))
    return float(y) if np.ndim(u) == 0 else y


def monthly_rate(events: int, ctx: InjectionContext) -> float:
    """Events per month averaged over the whole simulated span (what an edge's ``monthly_count`` states)."""
    months = max((ctx.end - ctx.start) / (30 * DAY), 1.0)
    return round(events / months, 3)


class Timing(GraphView):
    """Times drawn along the scenario's drift."""

    # -- time ---------------------------------------------------------------------
    def fraction(self, lo, hi, n: int | None = None, length=0):
        """``rng.random(n)`` bent by the scenario's drift for placing times (or episodes of
        ``length`` seconds) at ``lo + fraction * (hi - lo)``; see :func:`drifted`."""
        return drifted(self.rng.random(n), lo, hi, self.ctx, length)

    def pick_day(self, first: int, count: int, length=0) -> int:
        """One of ``count`` consecutive day numbers (days since the epoch) from ``first``, on which an
        episode of ``length`` seconds starts, placed along the scenario's drift (drawn with
        ``rng.integers`` when there is no drift, so that seeds keep their datasets)."""
        if not self.ctx.drift:
            return first + int(self.rng.integers(0, count))
        return first + min(int(self.fraction(first * DAY, (first + count) * DAY, length=length) * count), count - 1)

    def window(self, days: float) -> tuple[int, int]:
        """A window of ``days`` that lies inside the simulated span (shorter if the span is),
        placed along the scenario's drift."""
        span = self.ctx.end - self.ctx.start
        length = int(min(days * DAY, max(span - DAY, DAY)))
        room = max(span - length, 1)
        start = self.ctx.start + int(self.fraction(self.ctx.start, self.ctx.start + room, length=length) * room)
        return start, start + length

    def times(self, n: int, start: int, end: int, sort: bool = True) -> np.ndarray:
        """``n`` times in ``[start, end)``, spread by the timing knob (tight bursts at 0) and
        placed along the scenario's drift."""
        spread = max(self.ctx.knobs.timing_spread, 0.02)
        length = max(int((end - start) * spread), 60)
        room = max(end - start - length, 1)
        base = start + int(self.fraction(start, start + room, length=length) * room)
        t = base + (self.fraction(base, base + length, n) * length).astype(np.int64)
        return np.sort(t) if sort else t
