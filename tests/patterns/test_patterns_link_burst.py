"""link_burst: many bank links within a day, then money drained or kited through them; decoys that link as many
accounts over a week; the links as events and as the bank_connections features (patterns/link_burst.py)."""

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from fraudgraph.patterns.link_burst import DECOY_VARIANTS, VARIANTS

import fraudgraph
from fraudgraph.errors import ConfigError

TRANSFERS, OWNS = ("Account", "TRANSFERS_TO", "Account"), ("Person", "OWNS", "Account")
HOUR, DAY = 3600, 86_400


def _generate(seed=5, count=8, days=60, **settings):
    scenario = fraudgraph.Scenario.from_preset("default").override({
        "persons.count": 2000, "days": days, "fraud.person_share": 0.0,
        "fraud.patterns": {"link_burst": {"count": count, **settings}}})
    return fraudgraph.generate(scenario, seed=seed)


@pytest.fixture(scope="module")
def ds():
    return _generate()


@pytest.fixture(scope="module")
def streams(ds):
    """The identity and transactions streams (events with labels, features), concatenated."""
    windows = list(ds.events(streams=["identity", "transactions"], labels_on_events=True))
    events = pa.concat_tables([w.events for w in windows]).to_pandas()
    features = pa.concat_tables([w.features for w in windows]).to_pandas()
    events["t"], features["t"] = _seconds(events["timestamp"]), _seconds(features["timestamp"])
    return events, features


def _seconds(values) -> np.ndarray:
    return pd.to_datetime(pd.Series(values).str.rstrip("Z")).to_numpy("datetime64[s]").astype(np.int64)


def _instances(ds, fraud=True):
    p = ds.truth.patterns
    p = p[(p["typology"] == "link_burst") & (p["is_fraud"] == fraud)]
    s = ds.truth.schedule
    for _, row in p.iterrows():
        members = json.loads(row["members"])
        holder = next(m[1] for m in members if m[0] == "Person")
        account = next(m[1] for m in members if m[2] in ("linking_account", "customer_account"))
        linked = [m[1] for m in members if m[2] == "linked_account"]
        steps = s[s["pattern_id"] == row["pattern_id"]].assign(t=lambda f: _seconds(f["time"].astype(str)))
        yield row, json.loads(row["parameters"]), steps, holder, account, linked


def _busiest_day(times) -> int:
    """The most links any 24 hours hold (counted from each link on)."""
    times = np.sort(np.asarray(times))
    return int((np.searchsorted(times, times + DAY, "right") - np.arange(times.size)).max())


def test_fraud_and_decoys_of_every_variant(ds):
    fraud = [row["variant"] for row, *_ in _instances(ds)]
    decoys = [row["variant"] for row, *_ in _instances(ds, fraud=False)]
    assert len(fraud) >= 6 and set(fraud) == set(VARIANTS)
    assert len(decoys) >= 4 and set(decoys) == set(DECOY_VARIANTS)


def test_five_to_fifteen_new_accounts_linked_within_a_day(ds):
    g = ds.graph
    accounts = g.nodes["Account"].set_index("id")
    owns, tr = g.edges[OWNS], g.edges[TRANSFERS]
    for row, params, steps, holder, account, linked in _instances(ds):
        links = steps[steps["kind"] == "bank_link"]
        assert 5 <= len(links) == len(linked) == params["links"] <= 15
        assert (links["src"] == account).all() and set(links["dst"]) == set(linked)
        assert links["t"].max() - links["t"].min() <= 24 * HOUR
        assert accounts.at[account, "account_type"] == "checking"
        # accounts at other banks, in the holder's name, each opened before its link
        assert set(owns.loc[owns["dst"].isin(linked), "src"]) == {holder}
        opened = steps[steps["kind"] == "account_open"].set_index("dst")["t"]
        assert (opened.loc[links["dst"]].to_numpy() <= links["t"].to_numpy()).all()
        edges = tr[(tr["src"] == account) & tr["dst"].isin(linked)]
        assert len(edges) == len(linked) and (edges["kind"] == "own_accounts").all()


def test_money_leaves_over_the_new_links_within_days(ds):
    for row, params, steps, holder, account, linked in _instances(ds):
        money = steps[steps["kind"] == "transfer"]
        last_link = steps.loc[steps["kind"] == "bank_link", "t"].max()
        assert (money["t"] > last_link).all() and money["t"].min() - last_link <= 6 * DAY
        out = money[money["src"] == account]
        assert len(out) and set(out["dst"]) <= set(linked) and (out["amount"] > 0).all()
        if row["variant"] == "drain":
            assert (money["src"] == account).all() and len(set(out["dst"])) >= 2
        else:  # kite: pulled in from some links, pushed out to others hours later, round after round
            pulled = money[money["dst"] == account]
            assert len(pulled) >= params["rounds"] and set(pulled["src"]) <= set(linked)
            assert pulled["t"].min() < out["t"].min() and out["t"].max() > pulled["t"].max()
            assert out["amount"].sum() == pytest.approx(pulled["amount"].sum(), rel=0.05)
        # made in sessions of the holder's own device
        logins = steps[steps["kind"] == "login"]
        assert len(logins) and (logins["src"] == holder).all() and logins["t"].min() <= steps["t"][steps["kind"] == "bank_link"].min()


def test_decoys_link_as_many_accounts_over_a_week_and_move_ordinary_money(ds):
    sched = ds.truth.schedule
    p = ds.truth.patterns
    fraud_amounts = sched[sched["pattern_id"].isin(p.loc[p["is_fraud"], "pattern_id"]) & (sched["kind"] == "transfer")]
    decoy_amounts = []
    for row, params, steps, holder, account, linked in _instances(ds, fraud=False):
        links = steps[steps["kind"] == "bank_link"]
        assert 5 <= len(links) == len(linked) <= 15 and params["decoy_of"] == "link_burst"
        assert links["t"].max() - links["t"].min() > 24 * HOUR and _busiest_day(links["t"]) < len(links)
        money = steps[steps["kind"] == "transfer"]
        assert len(money) and set(money["src"]) | set(money["dst"]) <= set(linked) | {account}
        if row["variant"] == "moving_banks":
            assert (money["src"] == account).all()
        else:
            assert (money["dst"] == account).any()
        decoy_amounts.append(money["amount"])
    assert pd.concat(decoy_amounts).median() < fraud_amounts["amount"].median()


def test_links_become_events_once_each(ds, streams):
    events, _ = streams
    links = events[events["event_type"] == "bank-link-added"]
    payload = links["payload"].map(json.loads)
    for row, params, steps, holder, account, linked in list(_instances(ds)) + list(_instances(ds, fraud=False)):
        mine = links[links["pattern_id"] == row["pattern_id"]]
        got = payload[mine.index]
        assert len(mine) == len(linked), row["variant"]  # money pulled back over a link is no new link
        assert sorted(got.map(lambda p: p["linked_account_id"])) == sorted(linked)
        assert (got.map(lambda p: p["account_id"]) == account).all() and (got.map(lambda p: p["user_id"]) == holder).all()
        assert sorted(mine["t"]) == sorted(steps.loc[steps["kind"] == "bank_link", "t"])
        assert (mine["is_fraud"] == row["is_fraud"]).all()


def test_bank_connections_count_the_actors_links_before_each_payment(ds, streams):
    events, features = streams
    links = events[events["event_type"] == "bank-link-added"]
    users = links["payload"].map(lambda p: json.loads(p)["user_id"]).to_numpy()
    by_user = pd.Series(links["t"].to_numpy(), index=users).groupby(level=0).apply(lambda s: np.sort(s.to_numpy()))
    assert features["bank_connections_24h"].notna().all() and (features["bank_connections_24h"] >= 0).all()
    assert (features["bank_connections_7d"] >= features["bank_connections_24h"]).all()
    rows = features[features["user_id"].isin(by_user.index)]
    sample = pd.concat([rows, features.sample(300, random_state=0)])
    for _, row in sample.iterrows():
        times = by_user.get(row["user_id"], np.zeros(0, np.int64))
        t = row["t"]
        assert row["bank_connections_24h"] == ((times >= t - DAY) & (times < t)).sum()
        assert row["bank_connections_7d"] == ((times >= t - 7 * DAY) & (times < t)).sum()
    # the burst shows: payments of fraud holders within a day of their last link see five or more
    for row, params, steps, holder, account, linked in _instances(ds):
        last = steps.loc[steps["kind"] == "bank_link", "t"].max()
        after = features[(features["user_id"] == holder) & (features["t"] > last) & (features["t"] <= last + HOUR)]
        assert (after["bank_connections_24h"] >= 5).all()


def test_without_the_identity_stream_the_bank_connections_are_unknown(ds):
    window = next(iter(ds.events(streams=["transactions"])))
    f = window.features
    assert f.num_rows and f["bank_connections_24h"].null_count == f.num_rows == f["bank_connections_7d"].null_count


def test_truth_is_consistent_with_the_graph(ds):
    g = ds.graph
    assert g.validate(raise_on_error=False) == []
    for label, rows in ds.truth.node_labels.groupby("label"):
        assert set(rows["id"]) <= set(g.nodes[label]["id"]), label
    stems = {f"{s}_{r}_{d}": (s, r, d) for s, r, d in g.edges}
    for stem, rows in ds.truth.edge_labels.groupby("edge_type"):
        table = g.edges[stems[stem]]
        assert set(rows["src"] + "|" + rows["dst"]) <= set(table["src"] + "|" + table["dst"]), stem


def test_settings_shape_the_burst():
    ds = _generate(seed=2, count=4, min_links=6, max_links=7, max_burst_hours=3.0, kite_share=0.0)
    rows = list(_instances(ds))
    assert rows and {row["variant"] for row, *_ in rows} == {"drain"}
    for row, params, steps, *_ in rows:
        links = steps.loc[steps["kind"] == "bank_link", "t"]
        assert 6 <= len(links) <= 7 and links.max() - links.min() <= 3 * HOUR


def test_a_short_span_holds_the_instances_it_has_room_for():
    ds = _generate(seed=3, count=10, days=7)
    p = ds.truth.patterns
    assert p["is_fraud"].sum() >= 1 and (~p["is_fraud"]).sum() >= 1
    end = pd.Timestamp(ds.scenario.end_date)
    assert (ds.truth.schedule["time"] < end).all() and ds.graph.validate(raise_on_error=False) == []


def test_deterministic(ds):
    again = _generate()
    pd.testing.assert_frame_equal(ds.truth.patterns, again.truth.patterns)
    pd.testing.assert_frame_equal(ds.truth.schedule, again.truth.schedule)


def test_bad_settings_are_rejected():
    with pytest.raises(ConfigError, match="fraud.patterns.link_burst.max_links"):
        fraudgraph.pipeline.prepare({"fraud": {"patterns": {"link_burst": {"min_links": 9, "max_links": 5}}}})
    with pytest.raises(ConfigError, match="fraud.patterns.link_burst.max_burst_hours"):
        fraudgraph.pipeline.prepare({"fraud": {"patterns": {"link_burst": {"max_burst_hours": 30}}}})
