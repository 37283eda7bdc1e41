"""Payroll pays each employee on their own cycle: monthly, every other Friday or every Friday."""
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from fraudgraph.timeline import clock
from fraudgraph.timeline.family import Day

CYCLES = np.array(clock.PAY_CYCLES)


def _day(date: str) -> Day:
    d = np.datetime64(date, "D")
    return Day(index=0, start=int(d.astype("datetime64[s]").astype(np.int64)), date=d)


def _due_days(start: str, days: int, per_month: float, phase: int) -> list[np.datetime64]:
    first = np.datetime64(start, "D")
    return [first + i for i in range(days)
            if clock.payroll_due(_day(str(first + i)), np.array([per_month]), np.array([phase]))[0]]


def test_weekly_pays_every_friday_and_biweekly_every_other():
    weekly = _due_days("2025-01-01", 365, CYCLES[2], 0)
    assert len(weekly) == 52 and all(_day(str(d)).weekday == 4 for d in weekly)
    for phase in (0, 1):
        biweekly = _due_days("2025-01-01", 365, CYCLES[1], phase)
        assert len(biweekly) in (26, 27)
        assert set(np.diff(biweekly).astype(int)) == {14}
    assert set(_due_days("2025-01-01", 365, CYCLES[1], 0)).isdisjoint(_due_days("2025-01-01", 365, CYCLES[1], 1))


def test_monthly_pays_on_the_first_or_the_friday_before_a_weekend_first():
    monthly = _due_days("2025-01-01", 365, CYCLES[0], 0)
    assert len(monthly) == 12 and len({(d + 2).astype("datetime64[M]") for d in monthly}) == 12  # one a month
    for d in monthly:
        day = _day(str(d))
        assert day.weekday < 5
        assert day.day_of_month == 1 or (day.weekday == 4 and day.day_of_month >= 27)
    assert np.datetime64("2025-01-31") in monthly   # 1 February 2025 is a Saturday
    assert np.datetime64("2025-10-01") in monthly


def test_the_cycle_does_not_depend_on_the_start_date():
    a = _due_days("2025-01-01", 120, CYCLES[1], 1)
    b = _due_days("2025-02-10", 80, CYCLES[1], 1)
    assert [d for d in a if d >= np.datetime64("2025-02-10")] == b


@pytest.fixture(scope="module")
def payroll(small_dataset, tx_windows):
    events = tx_windows[0].filter(pa.compute.equal(tx_windows[0]["event_type"], "transaction-initiated"))
    pays = pd.DataFrame([json.loads(p) for p in events["payload"].to_pylist()])
    pays["day"] = pd.to_datetime(events["timestamp"].to_pylist()).tz_localize(None).normalize()
    pays = pays[pays["type"] == "payroll"]
    edges = small_dataset.graph.edges[("Account", "TRANSFERS_TO", "Account")]
    edges = edges[edges["kind"] == "payroll"]
    return pays.merge(edges, left_on=["account_id", "counterparty_account_id"], right_on=["src", "dst"])


def test_each_salary_follows_its_edges_cycle(payroll, small_dataset):
    assert len(payroll) > 500
    cycle = np.searchsorted([1.5, 3.2], payroll["monthly_count"].to_numpy(), side="right")
    assert set(cycle) == {0, 1, 2}
    weekday = payroll["day"].dt.day_of_week.to_numpy()
    assert (weekday[cycle > 0] == 4).all()
    assert ((payroll["day"].dt.day.to_numpy()[cycle == 0] == 1) | (weekday[cycle == 0] == 4)).all()
    # every employee of an employer on a two-week cycle is paid on the same Fridays
    biweekly = payroll[cycle == 1]
    assert (biweekly.groupby("account_id")["day"].nunique() <= 3).all()   # 40 days: at most three paydays
    days = biweekly.groupby("counterparty_account_id")["day"].apply(lambda d: np.diff(np.sort(d.unique())))
    assert all((np.asarray(gaps, dtype="timedelta64[D]").astype(int) == 14).all() for gaps in days)


def test_a_year_of_salary_is_what_the_edge_says(payroll, small_dataset):
    """Over the window, an employee who held the job throughout receives about ``typical_amount`` times
    ``monthly_count`` per month, whatever the cycle."""
    start = pd.Timestamp(small_dataset.scenario.start_date)
    months = small_dataset.scenario.days / 30.44
    payroll = payroll.assign(paid=payroll["amount"].astype(float))
    held = payroll[pd.to_datetime(payroll["since"]).dt.tz_localize(None) < start]
    got = held.groupby(["src", "dst"]).agg(paid=("paid", "sum"), typical=("typical_amount", "first"),
                                           per_month=("monthly_count", "first"))
    ratio = got["paid"] / (got["typical"] * got["per_month"] * months)
    assert len(ratio) > 200
    assert 0.85 < ratio.median() < 1.15
    assert ratio.quantile(0.95) < 1.6          # no one is paid twice a cycle
