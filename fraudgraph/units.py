"""Time units and conversions, defined once for every stage.

Times inside fraudgraph are int64 seconds since the Unix epoch (UTC); tables
hold them as ``datetime64[s]``. The units are exact integers so that adding
them to times keeps int64 arithmetic.

>>> import datetime as dt
>>> from fraudgraph.units import DAY, epoch_seconds, to_datetime, to_seconds
>>> start = epoch_seconds(dt.date(2025, 1, 1))
>>> start, str(to_datetime([start + DAY])[0])
(1735689600, '2025-01-02T00:00:00')
>>> int(to_seconds(to_datetime([start]))[0]) == start
True
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

MINUTE = 60
HOUR = 3_600
DAY = 86_400
WEEK = 7 * DAY
#: The month of schedules and rates ("per month"): thirty days.
MONTH = 30 * DAY
#: The Julian year of ages and histories: 365.25 days.
YEAR = 31_557_600


def epoch_seconds(day: dt.date) -> int:
    """Seconds since the epoch at midnight UTC starting ``day``."""
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def to_datetime(seconds) -> np.ndarray:
    """Epoch seconds as ``datetime64[s]`` (what the tables hold)."""
    return np.asarray(seconds, dtype=np.int64).astype("datetime64[s]")


def to_seconds(values) -> np.ndarray:
    """Datetimes (a column, an array or a list) as int64 epoch seconds."""
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype="datetime64[s]").astype(np.int64)
    return np.asarray(pd.Series(values).to_numpy(dtype="datetime64[s]")).astype(np.int64)
