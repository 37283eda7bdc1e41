"""Ground truth of events, kept out of the public stream (keyed by event id).

A row is written for every event that belongs to a pattern instance (fraud or
decoy), carries an accident, or concerns a fraud-labelled person. For each such
person the evaluation metadata a leakage-free split needs:

- ``fraud_started_at``: the start of the person's earliest fraud instance;
- ``fraud_confirmed_at``: when operations confirmed it (null if never within the span);
- ``is_pre_fraud``: the event happened before ``fraud_started_at``;
- ``days_to_fraud``: days from the event to ``fraud_started_at`` (negative after it);
- ``is_train_eligible``: the person's label is known by the end of the span, so the event
  can be used for training without teaching the model that undetected fraud is legitimate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fraudgraph.timeline import envelope as env
from fraudgraph.timeline.frames import ID_KEYS, with_id_keys
from fraudgraph.units import DAY, to_seconds

SCHEMA = pa.schema([
    ("event_id", pa.large_string()),
    ("time", pa.int64()),
    ("event_type", pa.large_string()),
    ("person_id", pa.large_string()),
    ("is_fraud", pa.bool_()),
    ("fraud_type", pa.large_string()),
    ("pattern_id", pa.large_string()),
    ("is_accident_burst", pa.bool_()),
    ("is_high_amount_accident", pa.bool_()),
    ("is_mistyped_recipient", pa.bool_()),
    ("original_recipient", pa.large_string()),
    ("fraud_started_at", pa.int64()),
    ("fraud_confirmed_at", pa.int64()),
    ("is_pre_fraud", pa.bool_()),
    ("days_to_fraud", pa.float64()),
    ("is_train_eligible", pa.bool_()),
])


def fraud_persons(truth) -> pd.DataFrame:
    """One row per person in a fraud instance: earliest start, confirmation (NaT if unconfirmed), typology."""
    nl = truth.node_labels
    nl = nl[(nl["label"] == "Person") & nl["is_fraud"].astype(bool)]
    pat = truth.patterns.set_index("pattern_id")
    if nl.empty:
        return pd.DataFrame({"person_id": pd.Series([], dtype=str), "started": np.zeros(0, np.int64),
                             "confirmed": np.zeros(0, np.int64), "fraud_type": pd.Series([], dtype=str)})
    rows = nl.join(pat[["start", "fraud_confirmed_at"]], on="pattern_id")
    rows["started"] = to_seconds(rows["start"])
    conf = rows["fraud_confirmed_at"]
    rows["confirmed"] = np.where(conf.isna(), np.iinfo(np.int64).max,
                                 conf.fillna(pd.Timestamp(0)).to_numpy(dtype="datetime64[s]").astype(np.int64))
    rows = rows.sort_values(["id", "started", "pattern_id"])
    agg = rows.groupby("id", sort=True).agg(started=("started", "min"), confirmed=("confirmed", "min"),
                                            fraud_type=("fraud_type", "first")).reset_index()
    return agg.rename(columns={"id": "person_id"})


class EventTruth:
    """Builds truth rows for released events."""

    def __init__(self, ctx):
        self.ctx = ctx
        fp = fraud_persons(ctx.truth)
        self.person_ids = pa.array(fp["person_id"].astype(str).tolist(), pa.large_string())
        # one padding slot at the end, so lookups of absent persons (-1) stay in bounds
        self.started = np.r_[fp["started"].to_numpy(dtype=np.int64), 0]
        self.confirmed = np.r_[fp["confirmed"].to_numpy(dtype=np.int64), 0]

    def rows(self, ready: pa.Table) -> pa.Table:
        """Truth rows of the events in ``ready`` that need one, with the event keys for ordering.

        ``ready`` holds internal event columns (see :mod:`~fraudgraph.timeline.frames`)
        with the event id as :data:`~fraudgraph.timeline.frames.ID_KEYS`.
        """
        if ready.num_rows == 0:
            return with_id_keys(SCHEMA.empty_table(), np.zeros(0, np.uint64), np.zeros(0, np.uint64))
        pidx = pc.index_in(ready["person"].combine_chunks(), value_set=self.person_ids).fill_null(-1).to_numpy(zero_copy_only=False)
        keep = (pidx >= 0) | pc.is_valid(ready["pattern_id"]).to_numpy(zero_copy_only=False) \
            | pc.is_valid(ready["accident"]).to_numpy(zero_copy_only=False)
        idx = np.flatnonzero(keep)
        sub = ready.select(["time", "event_type", "person", "pattern_id", "accident", "original_recipient", *ID_KEYS]).take(pa.array(idx))
        pidx = pidx[idx]
        time = sub["time"].to_numpy()
        is_fraud, fraud_type = self.ctx.pattern_labels(sub["pattern_id"])
        known = pidx >= 0
        started = np.where(known, self.started[pidx], 0)
        confirmed = np.where(known, self.confirmed[pidx], 0)
        unconfirmed = confirmed == np.iinfo(np.int64).max
        mask = ~known
        accident = sub["accident"]
        eligible = np.where(known, ~unconfirmed & (confirmed <= self.ctx.world.end), True)
        hi, lo = sub[ID_KEYS[0]].to_numpy(), sub[ID_KEYS[1]].to_numpy()
        rows = pa.table({
            "event_id": env.uuid_text(hi, lo),
            "time": pa.array(time),
            "event_type": sub["event_type"],
            "person_id": sub["person"],
            "is_fraud": is_fraud,
            "fraud_type": fraud_type,
            "pattern_id": sub["pattern_id"],
            "is_accident_burst": pc.equal(accident, "burst").fill_null(False),
            "is_high_amount_accident": pc.equal(accident, "high_amount").fill_null(False),
            "is_mistyped_recipient": pc.equal(accident, "mistyped_recipient").fill_null(False),
            "original_recipient": sub["original_recipient"],
            "fraud_started_at": pa.array(started, mask=mask),
            "fraud_confirmed_at": pa.array(confirmed, mask=mask | unconfirmed),
            "is_pre_fraud": pa.array(time < started, mask=mask),
            "days_to_fraud": pa.array((started - time) / DAY, mask=mask),
            "is_train_eligible": pa.array(eligible),
        }, schema=SCHEMA)
        return with_id_keys(rows, hi, lo)
