"""TimelineContext: what every family reads (world, scenario, truth, personas, scripts)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fraudgraph.config import Scenario
from fraudgraph.seeding import SeedTree
from fraudgraph.timeline.family import Day
from fraudgraph.timeline.trips import Trips
from fraudgraph.timeline.world import TimelineWorld
from fraudgraph.truth import Truth
from fraudgraph.units import DAY, to_seconds


class TimelineContext:
    """Shared, read-only inputs of the event families.

    Attributes
    ----------
    world : TimelineWorld
    scenario : Scenario
    truth : Truth
    activity : ndarray
        Per-person activity multiplier (mean 1, gamma-distributed): people differ.
    chronotype : ndarray
        Per-person shift of daily rhythms in hours (early birds < 0 < night owls).
    schedule : DataFrame
        The patterns' scripted events, time-sorted, with integer ``t``.
    trips : Trips
        Where each person is (at home, on the way, or staying at a trip's destination).
    incoming_payroll : DataFrame or None
        Salaries paid in from accounts outside this world (see :class:`~fraudgraph.timeline.Timeline`).
    streams : tuple of str
        The families producing events in this run (a family may hand work to another that runs).
    """

    def __init__(self, world: TimelineWorld, scenario: Scenario, truth: Truth, seeds: SeedTree, incoming_payroll=None,
                 streams=None):
        self.world = world
        self.streams = tuple(scenario.events.streams if streams is None else streams)
        self.incoming_payroll = incoming_payroll
        self.scenario = scenario
        self.config = scenario.events
        self.truth = truth
        self.seeds = seeds
        self.days = scenario.days
        rng = seeds.rng("timeline", "personas")
        n = world.n["Person"]
        self.activity = rng.gamma(2.0, 0.5, n)
        self.chronotype = np.clip(rng.normal(0.0, 1.2, n), -4.0, 4.0)
        schedule = truth.schedule.copy()
        schedule["t"] = to_seconds(schedule["time"]) if len(schedule) else np.zeros(0, np.int64)
        schedule = schedule.sort_values(["t", "pattern_id", "step"], kind="stable").reset_index(drop=True)
        self.schedule = schedule
        self._sched_t = schedule["t"].to_numpy(dtype=np.int64)
        patterns = truth.patterns
        self.pattern_is_fraud = dict(zip(patterns["pattern_id"], patterns["is_fraud"].astype(bool)))
        self.pattern_typology = dict(zip(patterns["pattern_id"], patterns["typology"]))
        self._lifecycle(truth.lifecycle)
        self.dark_after = self._dark_accounts()
        # a churned person's accounts make no payments from their churn on
        holder = world.account_holder
        has = holder >= 0
        self.dark_after[has] = np.minimum(self.dark_after[has], self.churn_at[holder[has]])
        self.trips = Trips(world, truth.trips)
        self._pattern_ids = pa.array(patterns["pattern_id"].astype(str).tolist(), pa.large_string())
        self._pattern_fraud = pa.array(patterns["is_fraud"].astype(bool).to_numpy())
        self._pattern_type = pa.array(patterns["typology"].astype(str).tolist(), pa.large_string())

    def pattern_labels(self, pattern_id: pa.Array) -> tuple[pa.Array, pa.Array]:
        """``is_fraud`` and ``fraud_type`` (null unless fraud) for a column of pattern ids (decoys are not fraud)."""
        index = pc.index_in(pattern_id, value_set=self._pattern_ids)
        is_fraud = self._pattern_fraud.take(index).fill_null(False)
        fraud_type = pc.if_else(is_fraud, self._pattern_type.take(index), pa.scalar(None, pa.large_string()))
        return is_fraud, fraud_type

    def day(self, index: int) -> Day:
        start = self.world.start + index * DAY
        return Day(index=index, start=start, date=np.datetime64(start, "s").astype("datetime64[D]"))

    def scripted(self, day: Day, kinds: tuple[str, ...]) -> pd.DataFrame:
        """Schedule rows of ``kinds`` that fall on ``day``."""
        lo, hi = np.searchsorted(self._sched_t, [day.start, day.end])
        rows = self.schedule.iloc[lo:hi]
        return rows[rows["kind"].isin(kinds)]

    def scripted_pairs(self, edge_type: str) -> pd.DataFrame:
        """(src, dst) pairs of ``edge_type`` with scripted activity, with the window it covers."""
        rows = self.schedule[self.schedule["edge_type"] == edge_type]
        return rows.groupby(["src", "dst"], as_index=False).agg(first=("t", "min"), last=("t", "max"))

    def _lifecycle(self, table: pd.DataFrame) -> None:
        """Each person's phase start times as int64 seconds (int64 max: not within the span), from truth."""
        never = np.iinfo(np.int64).max
        n = self.world.n["Person"]
        self.cooling_from, self.at_risk_from, self.churn_at = (np.full(n, never, np.int64) for _ in range(3))
        self.new_until = np.full(n, np.iinfo(np.int64).min, np.int64)
        self.closes_accounts = np.zeros(n, bool)
        self._gone_ids, self._gone_at = pa.array([], pa.large_string()), pa.array([], pa.int64())
        if table is None or table.empty:
            return
        pos = self.world.pos("Person", table["person_id"].to_numpy(dtype=object))
        ok = pos >= 0
        for target, column in ((self.cooling_from, "cooling_from"), (self.at_risk_from, "at_risk_from"),
                               (self.churn_at, "churned_at"), (self.new_until, "engaged_from")):
            values = table[column]
            seconds = np.where(values.notna().to_numpy(), to_seconds(values.fillna(pd.Timestamp(0))), never)
            target[pos[ok]] = seconds[ok]
        self.closes_accounts[pos[ok]] = table["closes_accounts"].to_numpy(bool)[ok]
        gone = np.flatnonzero(self.churn_at < never)
        self._gone_ids = self.world.take("Person", gone)
        self._gone_at = pa.array(self.churn_at[gone])

    @property
    def closures(self) -> pd.DataFrame:
        """Every open account of the customers who leave within the span and close their accounts, in time order:
        ``time`` (a minute before its holder's churn, their last act), ``account``, ``person``. An account the bank
        has already closed or frozen is not the customer's to close."""
        if not hasattr(self, "_closures"):
            w = self.world
            holder = w.account_holder
            h = np.maximum(holder, 0)
            open_ = np.isin(w.account_status, ["active", "dormant"])
            closing = np.flatnonzero((holder >= 0) & open_ & self.closes_accounts[h] & (self.churn_at[h] < w.end))
            person = holder[closing]
            time = np.maximum(self.churn_at[person] - 60, w.account_opened[closing])
            keep = time >= w.start
            frame = pd.DataFrame({"time": time[keep], "account": closing[keep], "person": person[keep]})
            self._closures = frame.sort_values(["time", "account"], kind="stable").reset_index(drop=True)
        return self._closures

    def engagement(self, day: Day, persons: np.ndarray) -> np.ndarray:
        """Activity multiplier of ``persons`` (positions; -1 for none, which stays at 1) on ``day`` by their phase:
        new 1.2, engaged 1, cooling and at risk as ``lifecycle`` says, churned 0."""
        cfg = self.scenario.lifecycle
        p = np.maximum(persons, 0)
        t = day.start
        factor = np.select([self.churn_at[p] <= t, self.at_risk_from[p] <= t, self.cooling_from[p] <= t,
                            self.new_until[p] > t], [0.0, cfg.at_risk_activity, cfg.cooling_activity, 1.2], 1.0)
        return np.where(persons >= 0, factor, 1.0)

    def departed(self, persons: np.ndarray, times: np.ndarray) -> np.ndarray:
        """Whether each (person position, time) falls at or after that person's churn."""
        p = np.maximum(persons, 0)
        return (persons >= 0) & (times >= self.churn_at[p])

    def after_churn(self, person_ids: pa.Array, times: np.ndarray) -> np.ndarray:
        """Whether each event (its ``person`` id, its time) comes from a person after their churn."""
        if not len(self._gone_ids) or not len(person_ids):
            return np.zeros(len(person_ids), bool)
        index = pc.index_in(person_ids, value_set=self._gone_ids)
        at = self._gone_at.take(index).fill_null(np.iinfo(np.int64).max).to_numpy()
        return times >= at

    def _dark_accounts(self) -> np.ndarray:
        """Time after which an account makes no payments (``account_dark`` rows: bust-out cards), else int64 max."""
        out = np.full(self.world.n["Account"], np.iinfo(np.int64).max, dtype=np.int64)
        rows = self.schedule[self.schedule["kind"] == "account_dark"]
        acc = self.world.pos("Account", rows["src"].to_numpy(dtype=object))
        keep = acc >= 0
        np.minimum.at(out, acc[keep], rows["t"].to_numpy(dtype=np.int64)[keep])
        return out
