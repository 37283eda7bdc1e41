"""The issue's checks at the size it names: 20,000 persons over 90 days, read back from Parquet.

Reads only the envelope columns it needs, part by part, so the test's memory
stays small although the run writes millions of events.
"""

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import fraudgraph
from fraudgraph import schema
from fraudgraph.timeline import envelope as env


@pytest.fixture(scope="module")
def at_scale(tmp_path_factory):
    out = tmp_path_factory.mktemp("scale") / "ds"
    ds = fraudgraph.generate("default", seed=21, persons=20_000, days=90)
    ds.write(out, formats=["parquet"])
    parts = sorted((out / "events").glob("part-*.parquet"))
    counts = []
    last_key = None
    ordered = True
    for path in parts:
        table = pq.read_table(path, columns=["event_id", "event_type", "timestamp"])
        seconds = pc.strptime(table["timestamp"], "%Y-%m-%dT%H:%M:%SZ", "s").cast(pa.int64()).to_numpy()
        hi, lo = env.uuid_sort_keys(table["event_id"].combine_chunks())
        if last_key is not None:
            seconds, hi, lo = np.r_[last_key[0], seconds], np.r_[last_key[1], hi], np.r_[last_key[2], lo]
        later = (seconds[1:] > seconds[:-1]) | ((seconds[1:] == seconds[:-1])
                                                & ((hi[1:] > hi[:-1]) | ((hi[1:] == hi[:-1]) & (lo[1:] > lo[:-1]))))
        ordered &= bool(later.all())
        last_key = (seconds[-1], hi[-1], lo[-1])
        hour = pc.utf8_slice_codeunits(table["timestamp"], 11, 13)
        date = pc.utf8_slice_codeunits(table["timestamp"], 0, 10)
        frame = pa.table({"event_type": table["event_type"], "date": date, "hour": hour}).group_by(
            ["event_type", "date", "hour"]).aggregate([([], "count_all")]).to_pandas()
        counts.append(frame)
    counts = pd.concat(counts).groupby(["event_type", "date", "hour"], as_index=False)["count_all"].sum()
    counts["hour"] = counts["hour"].astype(int)
    counts["date"] = pd.to_datetime(counts["date"])
    manifest = json.loads((out / "manifest.json").read_text())
    return ds, counts, ordered, manifest, len(parts)


def test_every_event_type_appears_in_global_order(at_scale):
    _, counts, ordered, manifest, parts = at_scale
    assert ordered, "timestamps (then ids) decrease somewhere in file order"
    assert set(counts["event_type"]) == set(schema.EVENT_TYPES)
    assert counts.groupby("event_type")["count_all"].sum().to_dict() == manifest["counts"]["events"]
    assert parts >= 5  # millions of events, bounded parts
    assert sum(manifest["counts"]["events"].values()) > 5_000_000


def test_hour_of_day_has_lunch_and_evening_peaks_and_quiet_nights(at_scale):
    _, counts, *_ = at_scale

    def shares(event_type):
        by_hour = counts[counts["event_type"] == event_type].groupby("hour")["count_all"].sum()
        return by_hour / by_hour.sum()

    tx = shares("transaction-initiated")
    assert tx.loc[12] > 1.2 * tx.loc[9:10].mean()            # lunch
    assert tx.loc[18:20].mean() > 1.1 * tx.loc[14:16].mean()  # evening
    assert tx.loc[0:2].mean() < 0.4 * tx.loc[18:20].mean()    # night (payroll batches run from 4 am)
    for event_type in ("login-attempt", "communication-sent"):
        people = shares(event_type)
        assert people.loc[0:5].sum() < 0.07
        assert people.loc[18:20].mean() > 8 * people.loc[2:4].mean()


def test_paydays_weekends_and_market_hours_show_in_counts_by_date(at_scale):
    _, counts, *_ = at_scale
    daily = counts[counts["event_type"] == "transaction-initiated"].groupby("date")["count_all"].sum()
    payday = daily.index.day.isin([1, 15, 16])
    assert daily[payday].mean() > 1.1 * daily[~payday & (daily.index.day < 28)].mean()
    trades = counts[counts["event_type"] == "trade-executed"]
    assert len(trades) and (trades["date"].dt.day_of_week < 5).all()
    assert trades["hour"].between(14, 20).all()


def test_remittance_seasons_are_visible(at_scale):
    _, counts, *_ = at_scale
    daily = counts[counts["event_type"] == "remittance-initiated"].groupby("date")["count_all"].sum()
    holidays = daily[(daily.index.month == 1) & (daily.index.day <= 7)].mean()
    carnival = daily[(daily.index.month == 2) & daily.index.day.isin(range(10, 21))].mean()
    ordinary = daily[((daily.index.month == 1) & (daily.index.day >= 10)) | ((daily.index.month == 3) & (daily.index.day <= 25))].mean()
    assert holidays > 2.0 * ordinary
    assert carnival > 1.5 * ordinary
