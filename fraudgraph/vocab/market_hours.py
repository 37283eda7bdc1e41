"""When the exchange trades and when listed companies publish news: the one definition of market hours.

Times are UTC epoch seconds (the world is one time zone). The exchange trades on
weekdays from :data:`SESSION_OPEN` to :data:`SESSION_CLOSE`; companies publish on
weekdays in :data:`ANNOUNCE_SLOTS` (mostly before the open or after the close).
The ``markets`` event family draws legitimate trades and announcements within these
hours and the ``insider_trading`` injector places its scripted ones there too, so
that timing alone gives nothing away.

Session time counts only the seconds the exchange is open: :func:`session_seconds`
maps a time to the session seconds before it (since the epoch), and
:func:`from_session_seconds` maps back to a time in a session. Drawing uniformly in
session time between two times gives trades in market hours, in order.

Examples
--------
>>> from fraudgraph.vocab import market_hours as mh
>>> monday = 4 * mh.DAY                       # 1970-01-05, a Monday
>>> bool(mh.in_session(monday + 15 * mh.HOUR)), bool(mh.in_session(monday + 5 * mh.DAY + 15 * mh.HOUR))
(True, False)
>>> int(mh.next_in_session(monday + 22 * mh.HOUR) - monday) // mh.HOUR   # the next open, Tuesday 14:30
38
"""

from __future__ import annotations

import numpy as np

from fraudgraph.units import DAY, HOUR

#: The exchange session (seconds after midnight UTC): 14:30 to 21:00.
SESSION_OPEN = 14 * HOUR + HOUR // 2
SESSION_CLOSE = 21 * HOUR
SESSION_LENGTH = SESSION_CLOSE - SESSION_OPEN
#: Trading days are Monday (0) to Friday (4).
TRADING_DAYS_PER_WEEK = 5
#: When ordinary announcements come out (UTC hours): before the open, in the session, after the close.
ANNOUNCE_SLOTS = np.array([[11.0, 14.5], [14.5, 21.0], [21.0, 23.0]])
#: Share of announcements in each slot.
ANNOUNCE_SLOT_SHARES = np.array([0.55, 0.15, 0.30])
ANNOUNCE_SLOT_CDF = np.cumsum(ANNOUNCE_SLOT_SHARES)
#: 1970-01-01 was a Thursday: day numbers shifted by this count weekdays from a Monday.
_MONDAY_SHIFT = 3


def weekday(times) -> np.ndarray:
    """Day of the week of each time (0 = Monday)."""
    return (np.asarray(times, dtype=np.int64) // DAY + _MONDAY_SHIFT) % 7


def is_trading_day(times) -> np.ndarray:
    """Whether each time falls on a weekday."""
    return weekday(times) < TRADING_DAYS_PER_WEEK


def in_session(times) -> np.ndarray:
    """Whether each time falls in the exchange session of a weekday."""
    t = np.asarray(times, dtype=np.int64)
    of_day = t % DAY
    return is_trading_day(t) & (of_day >= SESSION_OPEN) & (of_day < SESSION_CLOSE)


def in_announcement_hours(times) -> np.ndarray:
    """Whether each time falls on a weekday within the hours ordinary announcements use."""
    t = np.asarray(times, dtype=np.int64)
    hours = (t % DAY) / HOUR
    return is_trading_day(t) & (hours >= ANNOUNCE_SLOTS[0, 0]) & (hours < ANNOUNCE_SLOTS[-1, 1])


def session_seconds(times) -> np.ndarray:
    """Seconds of exchange session between the epoch and each time (flat outside the sessions)."""
    t = np.asarray(times, dtype=np.int64)
    days = t // DAY + _MONDAY_SHIFT  # days since a Monday
    weekdays_before = TRADING_DAYS_PER_WEEK * (days // 7) + np.minimum(days % 7, TRADING_DAYS_PER_WEEK)
    today = np.where(days % 7 < TRADING_DAYS_PER_WEEK, np.clip(t % DAY - SESSION_OPEN, 0, SESSION_LENGTH), 0)
    return weekdays_before * SESSION_LENGTH + today


def from_session_seconds(seconds) -> np.ndarray:
    """The time in a session at which :func:`session_seconds` reaches ``seconds`` (a close maps to the next open)."""
    s = np.asarray(seconds, dtype=np.int64)
    k, into = s // SESSION_LENGTH, s % SESSION_LENGTH
    days = 7 * (k // TRADING_DAYS_PER_WEEK) + k % TRADING_DAYS_PER_WEEK
    return (days - _MONDAY_SHIFT) * DAY + SESSION_OPEN + into


def next_in_session(times) -> np.ndarray:
    """Each time if it is in a session, else the next open."""
    return from_session_seconds(session_seconds(times))


def last_in_session(times) -> np.ndarray:
    """Each time if it is in a session, else the last second of the previous session."""
    t = np.asarray(times, dtype=np.int64)
    return np.where(in_session(t), t, from_session_seconds(session_seconds(t) - 1))


def announcement_time(rng: np.random.Generator, day_start: int) -> int:
    """A time on the day starting at ``day_start`` drawn from the announcement slots (the day should be a weekday)."""
    slot = min(int(np.searchsorted(ANNOUNCE_SLOT_CDF, rng.random(), side="right")), len(ANNOUNCE_SLOTS) - 1)
    lo, hi = ANNOUNCE_SLOTS[slot]
    return int(day_start + int((lo + rng.random() * (hi - lo)) * HOUR))
