"""The contract every event family implements.

A family walks some edges (or node lifetimes) one simulated day at a time:

1. ``plan(day)`` decides what happens that day and returns a :class:`DayPlan`:
   events that need no money, and candidate payments for the ledger;
2. the engine runs all families' payments through one ledger, in time order;
3. ``settle(plan, outcome)`` turns the ledger's verdicts into the family's own
   events (a contribution that bounced is a missed contribution).

Families keep state between days (circle rotations, exchange rates, price
paths) and must draw randomness only from the generator they are handed, so a
day's events do not depend on how days are batched or written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from fraudgraph.timeline.frames import payments as empty_payments
from fraudgraph.units import DAY


@dataclass
class Day:
    """One simulated UTC day."""

    index: int              # 0 = the scenario's start date
    start: int              # epoch seconds of 00:00:00
    date: np.datetime64     # calendar day

    @property
    def end(self) -> int:
        return self.start + DAY

    @property
    def weekday(self) -> int:
        return int((self.date.astype("datetime64[D]").astype(np.int64) + 3) % 7)  # 0 = Monday

    @property
    def day_of_month(self) -> int:
        return int((self.date.astype("datetime64[D]") - self.date.astype("datetime64[M]")).astype(int)) + 1

    @property
    def month(self) -> int:
        return int(self.date.astype("datetime64[M]").astype(int) % 12) + 1


@dataclass
class DayPlan:
    """What a family decided for one day."""

    events: list[pa.Table] = field(default_factory=list)
    payments: pd.DataFrame = field(default_factory=empty_payments)
    state: Any = None


@dataclass
class Outcome:
    """The ledger's verdict on a family's payments, row for row."""

    ok: np.ndarray            # bool
    reason: np.ndarray        # object: None or an error code
    balance_after: np.ndarray  # float: source balance after the debit (NaN when external)
    amount: np.ndarray | None = None  # float: what each payment moved, where the ledger set it (sweeps); else as asked

    def take(self, rows) -> "Outcome":
        """The verdicts of ``rows`` (a slice, positions or a mask) only."""
        return Outcome(ok=self.ok[rows], reason=self.reason[rows], balance_after=self.balance_after[rows],
                       amount=None if self.amount is None else self.amount[rows])


class Family:
    """Base class of event families (see the module docstring).

    Attributes
    ----------
    name : str
        Stream name used by ``--streams``.
    event_types : tuple of str
        Every event type the family can emit (checked against the schema).
    """

    name: str = ""
    event_types: tuple[str, ...] = ()

    def __init__(self, context):
        self.ctx = context

    def plan(self, day: Day, rng: np.random.Generator) -> DayPlan:
        return DayPlan()

    def settle(self, day: Day, plan: DayPlan, outcome: Outcome, rng: np.random.Generator) -> list[pa.Table]:
        return []
