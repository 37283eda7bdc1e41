"""When scripted trades happen: announcements in the hours companies publish news, orders in the exchange session.

Every time here follows :mod:`fraudgraph.vocab.market_hours`, the definition the
``markets`` stream uses, so scripted trades keep the hours ordinary ones keep.
"""

from __future__ import annotations

import numpy as np
from fraudgraph.patterns.base import (
    InjectionContext,
)
from fraudgraph.patterns.kit.timing import drifted
from fraudgraph.patterns.kit.toolkit import Toolkit

from fraudgraph.units import DAY, HOUR
from fraudgraph.vocab import market_hours as mh

#: Least exchange-session time (seconds) that the buys before an announcement, or the sales after it, spread over.
MIN_SESSION_ROOM = HOUR


def announcement_time(rng: np.random.Generator, ctx: InjectionContext) -> int | None:
    """A time for an announcement that leaves room for the tip before it and the sales after it.

    It falls on a weekday, in the hours when listed companies publish news
    (:data:`fraudgraph.vocab.market_hours.ANNOUNCE_SLOTS`), as ordinary announcements do; None
    where the span holds no such day.
    """
    span = ctx.end - ctx.start
    lo = ctx.start + min(20 * DAY, span // 3)
    hi = ctx.end - min(12 * DAY, span // 4)
    days = np.arange(lo // DAY, max(hi, lo + 1) // DAY + 1) * DAY
    days = days[mh.is_trading_day(days) & (days >= ctx.start) & (days + 24 * HOUR <= ctx.end)]
    if days.size == 0:
        return None
    u = drifted(rng.random(), lo, lo + max(hi - lo, 1), ctx)
    return mh.announcement_time(rng, int(days[min(int(u * days.size), days.size - 1)]))


def buy_window(first_buy_at: int, t_ann: int) -> tuple[int, int]:
    """From when to when the buys before an announcement at ``t_ann`` go: ``first_buy_at`` to an hour before it.

    Where that holds less than :data:`MIN_SESSION_ROOM` of exchange session, the window
    starts earlier, with that much session in it (the caller moves what leads up to it).
    """
    end = int(t_ann - HOUR)
    last = int(mh.session_seconds(end))
    if last - int(mh.session_seconds(first_buy_at)) < MIN_SESSION_ROOM:
        first_buy_at = int(mh.from_session_seconds(last - MIN_SESSION_ROOM))
    return int(first_buy_at), end


def in_session(lo: int, hi: int, fractions) -> np.ndarray:
    """Times in market hours at ``fractions`` (in [0, 1)) of the session time between ``lo`` and ``hi``.

    They lie in ``[lo, hi)`` when some session lies in between, in the order of the fractions.
    """
    s_lo, s_hi = mh.session_seconds(lo), mh.session_seconds(hi)
    return mh.from_session_seconds(s_lo + (np.asarray(fractions) * (s_hi - s_lo)).astype(np.int64))


def buy_times(kit: Toolkit, lo: int, hi: int, n: int) -> np.ndarray:
    """``n`` buy times in market hours in ``[lo, hi)``, sorted, the first within the window's first session hour."""
    f = np.sort(kit.fraction(lo, hi, n))
    room = int(mh.session_seconds(hi) - mh.session_seconds(lo))
    f[0] *= min(1.0, HOUR / max(room, 1))  # the tippee acts on the tip at the first chance
    return in_session(lo, hi, f)


def sell_times(rng: np.random.Generator, t_ann: int, span: int, n: int, end: int) -> np.ndarray | None:
    """``n`` sale times in market hours, sorted, from an hour after the announcement over ``span`` seconds.

    The window holds at least :data:`MIN_SESSION_ROOM` of session and ends before ``end``;
    None where the simulated span ends too soon for that.
    """
    lo = int(t_ann + HOUR)
    hi = min(lo + int(span), int(end))
    if mh.session_seconds(hi) - mh.session_seconds(lo) < MIN_SESSION_ROOM:
        hi = int(mh.from_session_seconds(mh.session_seconds(lo) + MIN_SESSION_ROOM))
        if hi > end:
            return None
    return in_session(lo, hi, np.sort(rng.random(n)))


def monthly_plan(rng: np.random.Generator, ctx: InjectionContext) -> np.ndarray:
    """Orders of a monthly savings plan over the whole span, one a month on a drawn day of the month.

    Each executes at a random moment of the session of its plan day (of the next trading
    day when that is a weekend).
    """
    months = max(1, int((ctx.end - ctx.start) // (30 * DAY)))
    day = int(rng.integers(1, 28))
    plan = ctx.start + np.arange(months) * 30 * DAY + day * DAY
    return mh.from_session_seconds(mh.session_seconds(plan) + (rng.random(months) * mh.SESSION_LENGTH).astype(np.int64))
