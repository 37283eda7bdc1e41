"""The issue's checks at the size it names: 20,000 persons over 90 days, read back from Parquet.

Reads only the envelope columns it needs, part by part, so the test's memory
stays small although the run writes millions of events.
"""

import io
import json
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson
import pyarrow.parquet as pq
import pytest

import fraudgraph
from fraudgraph import schema
from fraudgraph.timeline import envelope as env

_ID = re.compile(r'"((?:per|dev|ip|acc|com|cir)_[0-9a-f]{8,16})"')


def _fields(payloads: pa.ChunkedArray, names: list[str]) -> pa.Table:
    """Parse JSON payloads with Arrow's reader and keep ``names``."""
    text = "\n".join(payloads.to_pylist()).encode()
    return pajson.read_json(io.BytesIO(text)).select(names) if text else pa.table({n: [] for n in names})


@pytest.fixture(scope="module")
def at_scale(tmp_path_factory):
    root = tmp_path_factory.mktemp("scale")
    ds = fraudgraph.generate("default", seed=21, persons=20_000, days=90)
    out = ds.write(root / "ds", formats=["parquet"]).path
    parts = sorted((out / "events").glob("part-*.parquet"))
    counts, initiated, completed, returned, sampled = [], [], [], [], []
    last_key = None
    ordered = True
    for path in parts:
        table = pq.read_table(path, columns=["event_id", "event_type", "timestamp", "payload"])
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
        counts.append(pa.table({"event_type": table["event_type"], "date": date, "hour": hour}).group_by(
            ["event_type", "date", "hour"]).aggregate([([], "count_all")]).to_pandas())
        kind = table["event_type"]
        initiated.append(_fields(table.filter(pc.equal(kind, "transaction-initiated"))["payload"],
                                 ["transaction_id", "account_id"]).to_pandas())
        completed.append(_fields(table.filter(pc.equal(kind, "transaction-completed"))["payload"],
                                 ["transaction_id", "balance_after", "completed_at"]).to_pandas())
        returned.append(_fields(table.filter(pc.equal(kind, "transaction-returned"))["payload"],
                                ["transaction_id", "return_code"]).to_pandas())
        sampled += table["payload"].take(pa.array(np.arange(0, table.num_rows, 97))).to_pylist()
    counts = pd.concat(counts).groupby(["event_type", "date", "hour"], as_index=False)["count_all"].sum()
    counts["hour"] = counts["hour"].astype(int)
    counts["date"] = pd.to_datetime(counts["date"])
    manifest = json.loads((out / "manifest.json").read_text())
    money = pd.concat(completed).merge(pd.concat(initiated), on="transaction_id", how="left")
    money = money.merge(pd.concat(returned), on="transaction_id", how="left")
    return SimpleNamespace(ds=ds, out=out, root=root, counts=counts, ordered=ordered, manifest=manifest,
                           parts=len(parts), money=money, sampled=sampled)


def test_every_event_type_appears_in_global_order(at_scale):
    counts, manifest = at_scale.counts, at_scale.manifest
    assert at_scale.ordered, "timestamps (then ids) decrease somewhere in file order"
    assert set(counts["event_type"]) == set(schema.EVENT_TYPES)
    assert counts.groupby("event_type")["count_all"].sum().to_dict() == manifest["counts"]["events"]
    assert at_scale.parts >= 5  # millions of events, bounded parts
    assert sum(manifest["counts"]["events"].values()) > 5_000_000


def test_hour_of_day_has_lunch_and_evening_peaks_and_quiet_nights(at_scale):
    counts = at_scale.counts

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
    counts = at_scale.counts
    daily = counts[counts["event_type"] == "transaction-initiated"].groupby("date")["count_all"].sum()
    payday = daily.index.day.isin([1, 15, 16])
    assert daily[payday].mean() > 1.1 * daily[~payday & (daily.index.day < 28)].mean()
    trades = counts[counts["event_type"] == "trade-executed"]
    assert len(trades) and (trades["date"].dt.day_of_week < 5).all()
    assert trades["hour"].between(14, 20).all()


def test_remittance_seasons_are_visible(at_scale):
    counts = at_scale.counts
    daily = counts[counts["event_type"] == "remittance-initiated"].groupby("date")["count_all"].sum()
    holidays = daily[(daily.index.month == 1) & (daily.index.day <= 7)].mean()
    carnival = daily[(daily.index.month == 2) & daily.index.day.isin(range(10, 21))].mean()
    ordinary = daily[((daily.index.month == 1) & (daily.index.day >= 10)) | ((daily.index.month == 3) & (daily.index.day <= 25))].mean()
    assert holidays > 2.0 * ordinary
    assert carnival > 1.5 * ordinary


def test_every_id_in_a_payload_exists_in_the_graph(at_scale):
    known = set()
    for frame in at_scale.ds.graph.nodes.values():
        known.update(frame["id"].astype(str))
    found = {i for payload in at_scale.sampled for i in _ID.findall(payload)}
    assert len(at_scale.sampled) > 50_000 and len(found) > 10_000
    unknown = found - known
    assert not unknown, f"{len(unknown)} ids not in the graph, e.g. {sorted(unknown)[:3]}"


def test_balances_never_go_below_their_limit(at_scale):
    money = at_scale.money.dropna(subset=["balance_after"])
    accounts = at_scale.ds.graph.nodes["Account"].set_index("id")
    assert money["account_id"].notna().all() and len(money) > 500_000
    limit = accounts.loc[money["account_id"], "credit_limit"].to_numpy()
    opening = accounts.loc[money["account_id"], "opening_balance"].to_numpy()
    is_card = accounts.loc[money["account_id"], "account_type"].to_numpy() == "credit_card"
    floor = np.minimum(-limit, np.where(is_card, -opening, opening))
    within = money["balance_after"].astype(float).to_numpy() >= floor - 0.01
    # only a biller's pulled debit may overdraw, and then it comes back for funds (if the span lasts that long)
    done = pd.to_datetime(money["completed_at"]).dt.tz_localize(None)
    in_time = (done < pd.Timestamp(at_scale.ds.scenario.end_date) - pd.Timedelta(days=8)).to_numpy()
    assert (money["return_code"].to_numpy()[~within & in_time] == "R01").all() and (~within).any()


def test_pattern_schedules_show_up_as_events(at_scale):
    ds, out = at_scale.ds, at_scale.out
    truth = pd.concat([pq.read_table(p, columns=["event_type", "pattern_id"]).to_pandas()
                       for p in sorted((out / "truth" / "events").glob("*.parquet"))])
    scripted = ds.truth.schedule
    money = scripted[scripted["kind"].isin(["transfer", "card_payment", "refund", "cash_deposit", "bill_payment"])
                     & (scripted["time"] < pd.Timestamp(ds.scenario.end_date))]
    expected = money.groupby("pattern_id").size()
    seen = truth[truth["event_type"] == "transaction-initiated"].groupby("pattern_id").size()
    assert len(expected) > 20
    assert (seen.reindex(expected.index).fillna(0) >= expected).all()


def test_same_bytes_with_another_window(at_scale):
    ds = at_scale.ds
    ds.scenario.events.window_days = 5
    try:
        again = ds.write(at_scale.root / "again", formats=["parquet"]).path
    finally:
        ds.scenario.events.window_days = 1
    for folder in ("events", "truth/events", "features/transactions"):
        first = sorted((at_scale.out / folder).glob("part-*.parquet"))
        assert [p.name for p in first] == [p.name for p in sorted((again / folder).glob("part-*.parquet"))]
        assert all(p.read_bytes() == (again / folder / p.name).read_bytes() for p in first)
