"""Logins and card payments follow the persons' trips (fraudgraph/timeline/trips.py)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.json as pa_json
import pytest

import fraudgraph

#: Addresses whose location is a network's exit, not the person's: their jumps need no trip.
EGRESS_KINDS = ("vpn", "hosting", "corporate")


@pytest.fixture(scope="module")
def stream(small_dataset):
    """Sessions and transactions of ``small_dataset`` with their event truth."""
    windows = list(small_dataset.timeline(streams=["sessions", "transactions"]).windows())
    events = pa.concat_tables([w.events for w in windows]).to_pandas()
    truth = pa.concat_tables([w.truth for w in windows]).to_pandas()
    # event truth is sparse (fraud persons, pattern events, accidents): an event without a row is legitimate
    out = events.merge(truth[["event_id", "is_fraud", "pattern_id"]], on="event_id", how="left")
    return out.assign(is_fraud=out["is_fraud"].fillna(False).astype(bool))


def _of(stream, event_type) -> pd.DataFrame:
    rows = stream[stream["event_type"] == event_type].reset_index(drop=True)
    fields = pa_json.read_json(io.BytesIO("\n".join(rows["payload"]).encode())).flatten().to_pandas()
    seconds = pd.to_datetime(rows["timestamp"].astype(str)).astype("datetime64[s, UTC]").astype(np.int64)
    return pd.concat([rows, fields], axis=1).assign(t=seconds.to_numpy())


@pytest.fixture(scope="module")
def trips(small_dataset):
    t = small_dataset.truth.trips
    sec = {c: t[c].to_numpy(dtype="datetime64[s]").astype(np.int64) for c in ("departs_at", "arrives_at", "leaves_at", "returns_at")}
    return t.assign(**sec)


@pytest.fixture(scope="module")
def located(stream, small_dataset):
    """Every login (session start) and card payment with a location, by person and time."""
    ips = small_dataset.graph.nodes["IP"]
    kind_by_id, kind_by_address = ips.set_index("id")["kind"], ips.set_index("address")["kind"]
    s = _of(stream, "session-started")
    s = s.assign(person=s["user_id"], kind=s["ip_id"].map(kind_by_id), source="login")
    x = _of(stream, "transaction-initiated")
    x = x[x["type"] == "card_payment"]
    x = x.assign(person=x["user_id"], kind=x["ip_address"].map(kind_by_address), source="card")
    cols = ["person", "t", "geo_location.country", "geo_location.city", "ip_address", "kind", "is_fraud", "pattern_id", "source"]
    rows = pd.concat([s[cols], x[cols]], ignore_index=True).dropna(subset=["person", "geo_location.country"])
    rows = rows.rename(columns={"geo_location.country": "country", "geo_location.city": "city"})
    return rows.sort_values(["person", "t"], kind="stable").reset_index(drop=True)


def _within_trip(person, times, trips, lo="departs_at", hi="returns_at") -> np.ndarray:
    """Whether each (person, time) falls inside one of the person's trips, between the ``lo`` and ``hi`` times."""
    q = pd.DataFrame({"person_id": np.asarray(person, dtype=object), "t": np.asarray(times, dtype=np.int64)})
    q = q.reset_index(names="row")
    m = q.merge(trips[["person_id", lo, hi]], on="person_id", how="left")
    inside = (m["t"] >= m[lo]) & (m["t"] < m[hi])
    return inside.groupby(m["row"]).any().reindex(range(len(q)), fill_value=False).to_numpy()


def test_trips_explain_every_legitimate_country_jump(located, trips):
    rows = located
    prev = rows.shift()
    jump = (rows["person"] == prev["person"]) & (rows["country"] != prev["country"])
    legit = jump & ~rows["is_fraud"].astype(bool) & ~prev["is_fraud"].fillna(False).astype(bool)
    legit &= ~rows["kind"].isin(EGRESS_KINDS) & ~prev["kind"].isin(EGRESS_KINDS)
    j = rows[legit]
    explained = (_within_trip(j["person"], j["t"], trips)
                 | _within_trip(j["person"], prev.loc[legit, "t"].to_numpy(np.int64), trips))
    assert len(j) >= 5
    assert explained.all(), j[~explained].head()


def test_at_the_destination_logins_and_card_payments_are_there(located, trips):
    stay = located.assign(row=np.arange(len(located))).merge(
        trips[["person_id", "arrives_at", "leaves_at", "destination_city", "destination_country"]],
        left_on="person", right_on="person_id")
    stay = stay[(stay["t"] >= stay["arrives_at"]) & (stay["t"] < stay["leaves_at"]) & stay["pattern_id"].isna()]
    assert stay["row"].is_unique and len(stay) > 50
    assert set(stay["source"]) == {"login", "card"}
    there = (stay["city"] == stay["destination_city"]) & (stay["country"] == stay["destination_country"])
    assert there.all(), stay[~there].head()
    in_store = stay[stay["ip_address"].isna()]
    assert len(in_store) > 0        # no device, no address: located where the payer is


def test_travel_addresses_only_during_a_stay_and_nobody_logs_in_on_the_way(located, trips, small_dataset):
    travel = located[located["kind"].isin(["public_wifi", "mobile"])]
    uses = small_dataset.graph.edges[("Person", "USES_IP", "IP")]
    ips = small_dataset.graph.nodes["IP"].set_index("id")
    travel_addresses = set(ips.loc[uses.loc[uses["context"] == "travel", "dst"], "address"])
    at = travel[travel["ip_address"].isin(travel_addresses)]
    assert len(at) > 50
    assert _within_trip(at["person"], at["t"], trips, "arrives_at", "leaves_at").all()
    logins = located[(located["source"] == "login") & located["pattern_id"].isna()]
    on_the_way = (_within_trip(logins["person"], logins["t"], trips, "departs_at", "arrives_at")
                  | _within_trip(logins["person"], logins["t"], trips, "leaves_at", "returns_at"))
    assert not on_the_way.any()


def test_impossible_travel_is_left_to_jumps_no_trip_explains(stream, trips, small_dataset):
    ok = _of(stream, "login-success")
    flagged = ok[ok["impossible_travel"]]
    assert flagged["is_fraud"].astype(bool).sum() >= 3           # the fraud typologies' remote logins still show
    ips = small_dataset.graph.nodes["IP"]
    uses = small_dataset.graph.edges[("Person", "USES_IP", "IP")]
    travel = set(uses.loc[uses["context"] == "travel", "dst"])
    assert not flagged["ip_id"].isin(travel).any()
    legit = flagged[~flagged["is_fraud"].astype(bool)]
    kinds = legit["ip_id"].map(ips.set_index("id")["kind"])
    during = _within_trip(legit["user_id"], legit["t"], trips)
    assert not (during & ~kinds.isin(EGRESS_KINDS).to_numpy()).any()
    # a trip abroad with logins on both sides is a long, fast jump, but never an impossible one
    # (a VPN's or an employer's exit during the trip may still look impossible, as it does at home)
    moved = ok[(ok["travel.distance_km"].fillna(0) > 1000) & ~ok["ip_id"].map(ips.set_index("id")["kind"]).isin(EGRESS_KINDS)]
    moved = moved[_within_trip(moved["user_id"], moved["t"], trips) & ~moved["is_fraud"].astype(bool)]
    assert len(moved) > 0 and not moved["impossible_travel"].any()


def test_same_seed_same_trips():
    a = fraudgraph.generate("demo", seed=4, persons=400, days=30).truth.trips
    b = fraudgraph.generate("demo", seed=4, persons=400, days=30).truth.trips
    c = fraudgraph.generate("demo", seed=5, persons=400, days=30).truth.trips
    pd.testing.assert_frame_equal(a, b)
    assert len(a) > 0 and not a["trip_id"].isin(c["trip_id"]).any()
