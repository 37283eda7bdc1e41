"""When things happen: hour-of-day, weekday and day-of-month profiles, seasons and drift.

Profiles are relative weights; :func:`times_in_day` draws seconds within a day
from an hour profile, shifted per person (early birds and night owls) so that
people differ.
"""

from __future__ import annotations

import numpy as np

from fraudgraph.timeline.family import Day
from fraudgraph.units import DAY, HOUR


def _profile(weights) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    return w / w.sum()


#: Relative activity per hour (UTC is treated as local time; the world is one time zone).
HOURS = {
    # card and wallet purchases: quiet nights, lunch and evening peaks
    "purchase": _profile([0.4, 0.25, 0.15, 0.1, 0.1, 0.2, 0.6, 1.2, 1.8, 2.2, 2.6, 3.2, 4.6, 4.4, 3.2, 2.9,
                          3.0, 3.6, 4.4, 4.6, 3.9, 2.8, 1.6, 0.8]),
    # person-initiated transfers and app sessions: daytime and evening
    "personal": _profile([0.5, 0.3, 0.2, 0.15, 0.15, 0.3, 0.8, 1.6, 2.2, 2.4, 2.4, 2.5, 3.0, 2.9, 2.5, 2.4,
                          2.6, 3.0, 3.4, 3.8, 3.9, 3.4, 2.2, 1.1]),
    # batch jobs of banks and employers: early morning
    "batch": _profile([0.3, 0.5, 1.0, 2.0, 3.5, 4.0, 3.5, 2.0, 1.0, 0.6, 0.4, 0.3, 0.3, 0.3, 0.3, 0.3,
                       0.3, 0.3, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2]),
    # business hours
    "office": _profile([0.05, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 1.0, 2.5, 3.5, 3.6, 3.2, 2.4, 3.2, 3.5, 3.3,
                        2.8, 1.8, 0.8, 0.4, 0.2, 0.1, 0.05, 0.05]),
    # exchange trading session (14:30-21:00 UTC)
    "market": _profile([0] * 14 + [1.5, 1.2, 1.0, 1.0, 1.0, 1.1, 1.6] + [0] * 3),
}
_CDF = {name: np.cumsum(p) for name, p in HOURS.items()}

#: Relative activity by weekday (Monday first).
WEEKDAYS = {
    "purchase": np.array([0.9, 0.9, 0.95, 1.0, 1.15, 1.25, 0.95]),
    "personal": np.array([1.0, 1.0, 1.0, 1.0, 1.05, 1.0, 0.95]),
    "office": np.array([1.1, 1.1, 1.1, 1.1, 1.1, 0.3, 0.2]),
    "market": np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0]),
}


def weekday_factor(day: Day, kind: str) -> float:
    """Relative activity of ``kind`` on this weekday."""
    return float(WEEKDAYS.get(kind, WEEKDAYS["personal"])[day.weekday])


def payday_factor(day: Day) -> float:
    """Spending bump around the 1st and the 15th (paydays) and at month end (bills)."""
    dom = day.day_of_month
    if dom in (1, 2, 15, 16):
        return 1.3
    if dom >= 28:
        return 1.1
    return 1.0


def is_payday(day: Day) -> bool:
    """Semi-monthly outside income (benefits, pensions, side jobs) arrives on the 1st and the 15th."""
    return day.day_of_month in (1, 15)


#: Pay periods per month of the three payroll cycles: monthly, every other Friday, every Friday.
PAY_CYCLES = (1.0, 26 / 12, 52 / 12)


def payroll_due(day: Day, per_month: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """Which payroll edges pay on ``day``, given each one's pay periods per month.

    Weekly payrolls pay every Friday, biweekly ones on the Fridays of weeks of their ``phase`` (0
    or 1, one per employer, counted from the epoch so that it does not depend on the start date),
    monthly ones on the 1st, or on the Friday before when the 1st falls on a weekend.
    """
    per_month = np.asarray(per_month, dtype=np.float64)
    cycle = np.searchsorted(np.array([1.5, 3.2]), per_month, side="right")  # 0 monthly, 1 biweekly, 2 weekly
    friday = day.weekday == 4
    days_to_first = int((day.date.astype("datetime64[M]") + 1 - day.date.astype("datetime64[D]")).astype(int))
    monthly = (day.day_of_month == 1 and day.weekday < 5) or (friday and days_to_first in (1, 2))
    week_parity = int(day.date.astype("datetime64[D]").astype(np.int64) // 7) % 2
    return np.where(cycle == 0, monthly, friday & ((cycle == 2) | (np.asarray(phase) == week_parity)))


def times_in_day(rng: np.random.Generator, day: Day, n: int, profile: str,
                 shift_hours: np.ndarray | float = 0.0) -> np.ndarray:
    """``n`` epoch-second times within ``day`` drawn from an hour profile.

    Parameters
    ----------
    shift_hours : float or array
        Per-row shift of the profile (a person's chronotype); times wrap
        within the same day so every event stays on the day that planned it.
    """
    hours = np.searchsorted(_CDF[profile], rng.random(n) * _CDF[profile][-1], side="right")
    hours = np.minimum(hours, 23)
    secs = hours * HOUR + rng.random(n) * HOUR + np.asarray(shift_hours) * HOUR
    return day.start + (np.floor(secs).astype(np.int64) % DAY)


def off_hours(times: np.ndarray) -> np.ndarray:
    """Whether each time falls between 00:00 and 05:59."""
    return (np.asarray(times) % DAY) < 6 * HOUR


#: Remittance seasons (month, first day, last day, multiplier); later rows win on overlap.
REMITTANCE_SEASONS = (
    (6, 1, 30, 0.8), (7, 1, 31, 0.8),          # summer lull
    (9, 1, 30, 1.3),                            # back to school
    (4, 1, 15, 1.5),                            # Easter, family support
    (2, 10, 20, 1.8),                           # carnival
    (12, 15, 31, 2.5), (1, 1, 7, 2.5),          # holidays
)


def remittance_season(day: Day) -> float:
    """Volume multiplier of remittances on ``day`` (1.0 outside the seasons)."""
    factor = 1.0
    for month, first, last, mult in REMITTANCE_SEASONS:
        if day.month == month and first <= day.day_of_month <= last:
            factor = mult
    return factor


def drift_factor(day: Day, days: int, strength: float, direction: int) -> float:
    """Multiplier that moves linearly from 1 to ``1 + direction * strength`` over the span."""
    progress = day.index / max(days - 1, 1)
    return max(0.0, 1.0 + direction * strength * progress)
