"""liquidity_crunch: new billers pulling more than the account has, returned for funds, then abandonment; decoys
that bounce a bill or two and recover (patterns/liquidity_crunch.py, returns in fraudgraph/timeline/returns.py)."""

import json

import pandas as pd
import pyarrow as pa
import pytest
from fraudgraph.patterns.liquidity_crunch import DECOY_VARIANTS, VARIANTS

import fraudgraph
from fraudgraph.errors import ConfigError
from fraudgraph.report import hardness_report

PAYS = ("Account", "PAYS", "Company")


def _generate(seed=5, count=14, **settings):
    scenario = fraudgraph.Scenario.from_preset("default").override({
        "persons.count": 3000, "days": 90, "fraud.person_share": 0.0, "fraud.decoy_ratio": 1.0,
        "fraud.patterns": {"liquidity_crunch": {"count": count, **settings}}})
    return fraudgraph.generate(scenario, seed=seed)


@pytest.fixture(scope="module")
def ds():
    return _generate()


@pytest.fixture(scope="module")
def money(ds):
    """The transactions stream with labels, payloads parsed, and the point-in-time features."""
    windows = list(ds.timeline(streams=["transactions"], labels_on_events=True).windows())
    events = pa.concat_tables([w.events for w in windows]).to_pandas()
    features = pa.concat_tables([w.features for w in windows]).to_pandas()
    mine = events[events["pattern_id"].isin(_patterns(ds)["pattern_id"])].copy()
    mine["p"] = mine["payload"].map(json.loads)
    return mine, features


def _patterns(ds, fraud=None):
    p = ds.truth.patterns
    p = p[p["typology"] == "liquidity_crunch"]
    return p if fraud is None else p[p["is_fraud"] == fraud]


def _instances(ds, fraud=True):
    s = ds.truth.schedule
    for _, row in _patterns(ds, fraud).iterrows():
        members = {m[2]: m[1] for m in json.loads(row["members"])}
        account = members.get("crunch_account") or members["checking_account"]
        yield row, json.loads(row["parameters"]), s[s["pattern_id"] == row["pattern_id"]], account


def test_variants_and_decoys_appear(ds):
    assert {row["variant"] for row, *_ in _instances(ds)} == set(VARIANTS)
    assert {row["variant"] for row, *_ in _instances(ds, fraud=False)} == set(DECOY_VARIANTS)
    assert len(list(_instances(ds))) >= 12


def test_new_billers_pull_more_than_the_account_has_then_it_goes_dark(ds):
    accounts = ds.graph.nodes["Account"].set_index("id")
    pays = ds.graph.edges[PAYS].set_index(["src", "dst"])
    sched = ds.truth.schedule
    for row, params, s, account in _instances(ds):
        assert accounts.loc[account, "account_type"] == "checking"
        bills = s[s["kind"] == "bill_payment"]
        assert (bills["src"] == account).all() and len(bills) == params["bills"] >= 5
        assert bills["dst"].nunique() == params["billers"] >= 2
        assert bills["amount"].sum() >= 1.6 * params["available"] - 0.05
        assert bills["amount"].sum() == pytest.approx(params["bills_total"], abs=0.05)
        for (src, dst), rows in bills.groupby(["src", "dst"]):
            assert pays.loc[(src, dst), "channel"] == "bank_transfer"   # pulled: each is a bill_payment
            assert pays.loc[(src, dst), "since"] <= rows["time"].min()
        dark = s[s["kind"] == "account_dark"]
        assert dark["src"].tolist() == [account]
        assert int(dark["time"].iloc[0].timestamp()) == params["dark_from"]
        assert not ((sched["src"] == account) & (sched["time"] > dark["time"].iloc[0])).any()


def test_bills_come_back_for_funds_after_the_balance_sinks(ds, money):
    events, features = money
    returned = events[events["event_type"] == "transaction-returned"]
    started = events[events["event_type"] == "transaction-initiated"]
    tx = {p["transaction_id"]: (pid, p["type"]) for pid, p in zip(started["pattern_id"], started["p"])}
    sank, with_returns, paid_on = 0, 0, 0
    for row, params, s, account in _instances(ds):
        mine = returned[returned["pattern_id"] == row["pattern_id"]]
        if mine.empty:
            continue
        with_returns += 1
        codes = {p["return_code"] for p in mine["p"]}
        assert codes == {"R01"}
        assert all(tx[p["transaction_id"]] == (row["pattern_id"], "bill_payment") for p in mine["p"])
        first_return = mine["timestamp"].min()
        before = features[(features["account_id"] == account) & (features["timestamp"] < first_return)]
        sank += bool((before["balance_zscore_30d"] < -2.5).any())
        paid_on += bool((started[started["pattern_id"] == row["pattern_id"]]["timestamp"] > first_return).any())
    assert with_returns >= 11
    assert paid_on >= 0.7 * with_returns, (paid_on, with_returns)  # the holder pays on after the first return
    assert sank >= 0.7 * with_returns, (sank, with_returns)


def test_decoys_bounce_a_bill_and_carry_on(ds, money):
    events, _ = money
    returned = events[events["event_type"] == "transaction-returned"]
    sched = ds.truth.schedule
    bounced = 0
    for row, params, s, account in _instances(ds, fraud=False):
        assert not (s["kind"] == "account_dark").any()
        bills = s[s["kind"] == "bill_payment"]
        assert len(bills) >= 1 and bills["amount"].sum() >= 1.2 * params["available"] - 0.05
        bounced += bool((returned["pattern_id"] == row["pattern_id"]).any())
        if row["variant"] == "bad_month" and params["helped"]:
            help_ = s[s["detail"] == "help"]
            assert (help_["dst"] == account).all() and help_["time"].min() > bills["time"].max()
    assert bounced >= 0.5 * len(list(_instances(ds, fraud=False)))
    assert not sched.empty


def test_no_single_feature_tells_a_crunch_from_a_bad_month(ds):
    report = hardness_report(ds)
    versus = report["typologies"]["liquidity_crunch"]["versus_decoy"]["person"]
    assert versus is not None and versus["auc"] <= 0.90, versus


def test_truth_is_consistent_with_the_graph(ds):
    graph = ds.graph
    assert graph.validate(raise_on_error=False) == []
    for label, ids in ds.truth.node_labels.groupby("label")["id"]:
        assert set(ids) <= set(graph.nodes[label]["id"]), label
    for stem, rows in ds.truth.edge_labels.groupby("edge_type"):
        key = next(k for k in graph.edges if "_".join(k) == stem)
        assert set(zip(rows["src"], rows["dst"])) <= set(zip(graph.edges[key]["src"], graph.edges[key]["dst"])), stem


def test_deterministic(ds):
    again = _generate()
    pd.testing.assert_frame_equal(ds.truth.patterns, again.truth.patterns)
    pd.testing.assert_frame_equal(ds.truth.schedule, again.truth.schedule)


def test_bad_settings_are_rejected():
    with pytest.raises(ConfigError, match="fraud.patterns.liquidity_crunch.max_overcommit"):
        fraudgraph.pipeline.prepare({"fraud": {"patterns": {"liquidity_crunch": {"min_overcommit": 4,
                                                                                "max_overcommit": 2}}}})
    with pytest.raises(ConfigError, match="fraud.patterns.liquidity_crunch.bnpl_share"):
        fraudgraph.pipeline.prepare({"fraud": {"patterns": {"liquidity_crunch": {"bnpl_share": 1.5}}}})
