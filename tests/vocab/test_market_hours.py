"""Market hours (fraudgraph/vocab/market_hours.py): one definition for the markets stream and the insider injector."""

import doctest

import numpy as np
import pandas as pd

from fraudgraph.timeline import clock
from fraudgraph.timeline.families import markets
from fraudgraph.vocab import market_hours as mh


def _times(seed=0, n=20_000):
    rng = np.random.default_rng(seed)
    start = int(pd.Timestamp("2024-12-20").timestamp())
    return np.sort(start + rng.integers(0, 120 * mh.DAY, n))


def test_weekdays_and_session_match_the_calendar():
    t = _times()
    when = pd.DatetimeIndex(t.astype("datetime64[s]"))
    assert (mh.weekday(t) == when.day_of_week).all()
    of_day = when.hour * 3600 + when.minute * 60 + when.second
    expected = (when.day_of_week < 5) & (of_day >= 14 * 3600 + 1800) & (of_day < 21 * 3600)
    assert (mh.in_session(t) == expected).all()
    published = (when.day_of_week < 5) & (of_day >= 11 * 3600) & (of_day < 23 * 3600)
    assert (mh.in_announcement_hours(t) == published).all()


def test_session_time_counts_only_open_seconds_and_maps_back():
    t = _times(1)
    s = mh.session_seconds(t)
    assert (np.diff(s) >= 0).all()
    inside = mh.in_session(t)
    assert (mh.from_session_seconds(s[inside]) == t[inside]).all()
    # every session second maps to a time in a session, one week holds five sessions
    back = mh.from_session_seconds(s)
    assert mh.in_session(back).all() and (back >= t).all()
    assert (mh.session_seconds(t + 7 * mh.DAY) - s == 5 * mh.SESSION_LENGTH).all()


def test_next_and_last_in_session():
    t = _times(2)
    nxt, last = mh.next_in_session(t), mh.last_in_session(t)
    assert mh.in_session(nxt).all() and mh.in_session(last).all()
    assert (last <= t).all() and (t <= nxt).all()
    inside = mh.in_session(t)
    assert (nxt[inside] == t[inside]).all() and (last[inside] == t[inside]).all()
    # out of session: nothing in session lies strictly between the last and the next session second
    out = ~inside
    assert (mh.session_seconds(nxt[out]) - mh.session_seconds(last[out]) == 1).all()


def test_announcement_times_follow_the_slots():
    rng = np.random.default_rng(3)
    monday = int(pd.Timestamp("2025-01-06").timestamp())
    t = np.array([mh.announcement_time(rng, monday) for _ in range(4000)])
    assert mh.in_announcement_hours(t).all() and (t // mh.DAY == monday // mh.DAY).all()
    hours = (t - monday) / mh.HOUR
    shares = [np.mean(hours < 14.5), np.mean((hours >= 14.5) & (hours < 21)), np.mean(hours >= 21)]
    assert np.allclose(shares, mh.ANNOUNCE_SLOT_SHARES, atol=0.03)


def test_markets_stream_and_clock_use_the_same_hours():
    assert markets.SESSION_OPEN == mh.SESSION_OPEN
    assert markets.ANNOUNCE_SLOTS is mh.ANNOUNCE_SLOTS and markets.ANNOUNCE_SLOT_CDF is mh.ANNOUNCE_SLOT_CDF
    # the market hour profile trades only in the hours the session touches, on trading days only
    busy = np.flatnonzero(clock.HOURS["market"] > 0)
    assert busy.min() == mh.SESSION_OPEN // mh.HOUR and busy.max() == mh.SESSION_CLOSE // mh.HOUR - 1
    assert (np.flatnonzero(clock.WEEKDAYS["market"] > 0) == np.arange(mh.TRADING_DAYS_PER_WEEK)).all()


def test_doctest_examples():
    assert doctest.testmod(mh).failed == 0
