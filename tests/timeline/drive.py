"""Driving one family through the days outside the engine, for the family tests."""

import json

import numpy as np
import pandas as pd
import pyarrow as pa

from fraudgraph.seeding import SeedTree
from fraudgraph.timeline.family import Outcome


def drive(family, ctx, seed, days=None, ledger=None):
    """Plan and settle ``family`` day by day; every payment succeeds unless ``ledger`` books them.

    Returns the events (payloads parsed into ``data``), the payments with their
    ``ok`` and ``day``, and the family (for its state).
    """
    seeds = SeedTree(seed)
    tables, pays = [], []
    for index in range(days or ctx.days):
        day = ctx.day(index)
        plan = family.plan(day, seeds.rng("timeline", family.name, index))
        n = len(plan.payments)
        if ledger is None:
            outcome = Outcome(ok=np.ones(n, bool), reason=np.full(n, None, object), balance_after=np.full(n, np.nan))
        else:
            outcome = ledger.apply(plan.payments)
        pays.append(plan.payments.assign(ok=outcome.ok, day=index))
        tables += plan.events + family.settle(day, plan, outcome, seeds.rng("timeline", family.name, index, "settle"))
    events = pa.concat_tables(tables).to_pandas()
    events["data"] = [json.loads(p) for p in events["payload"]]
    return events, pd.concat(pays, ignore_index=True), family
