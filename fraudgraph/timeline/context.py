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
    """

    def __init__(self, world: TimelineWorld, scenario: Scenario, truth: Truth, seeds: SeedTree, incoming_payroll=None):
        self.world = world
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
        self.dark_after = self._dark_accounts()
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

    def _dark_accounts(self) -> np.ndarray:
        """Time after which an account makes no payments (``account_dark`` rows: bust-out cards), else int64 max."""
        out = np.full(self.world.n["Account"], np.iinfo(np.int64).max, dtype=np.int64)
        rows = self.schedule[self.schedule["kind"] == "account_dark"]
        acc = self.world.pos("Account", rows["src"].to_numpy(dtype=object))
        keep = acc >= 0
        np.minimum.at(out, acc[keep], rows["t"].to_numpy(dtype=np.int64)[keep])
        return out
