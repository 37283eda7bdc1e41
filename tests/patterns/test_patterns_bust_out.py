"""bust_out: ordinary history, a burst near the credit limit, then nothing; decoys; truth (patterns/bust_out.py)."""

import json

import numpy as np
import pandas as pd
import pytest
from fraudgraph.patterns.bust_out import DECOY_VARIANTS, VARIANTS

import fraudgraph
from fraudgraph.errors import ConfigError

DAY = np.timedelta64(1, "D")
PAYS = ("Account", "PAYS", "Company")


def _generate(seed=5, count=12, **settings):
    scenario = fraudgraph.Scenario.from_preset("default").override({
        "persons.count": 3000, "days": 90, "fraud.person_share": 0.0,
        "fraud.patterns": {"bust_out": {"count": count, **settings}}})
    return fraudgraph.generate(scenario, seed=seed)


@pytest.fixture(scope="module")
def ds():
    return _generate()


def _instances(ds, fraud=True):
    p = ds.truth.patterns
    p = p[(p["typology"] == "bust_out") & (p["is_fraud"] == fraud)]
    s = ds.truth.schedule
    for _, row in p.iterrows():
        members = json.loads(row["members"])
        card = next(m[1] for m in members if m[2] in ("bust_out_card", "card_account"))
        yield row, json.loads(row["parameters"]), s[s["pattern_id"] == row["pattern_id"]], card


def test_both_variants_appear(ds):
    variants = [row["variant"] for row, _, _, _ in _instances(ds)]
    assert len(variants) >= 11
    assert set(variants) == set(VARIANTS)


def test_history_then_a_burst_near_the_limit(ds):
    accounts = ds.graph.nodes["Account"].set_index("id")
    for row, params, s, card in _instances(ds):
        assert accounts.loc[card, "account_type"] == "credit_card"
        limit = accounts.loc[card, "credit_limit"]
        payments = s[(s["src"] == card) & (s["kind"] != "account_dark")]
        assert (payments["kind"] == "card_payment").all()
        history, burst = payments[payments["detail"] == "history"], payments[payments["detail"] == "burst"]
        assert len(history) >= 3 and len(burst) >= 4
        assert history["time"].max() < burst["time"].min()  # the history comes first
        assert burst["time"].max() - burst["time"].min() <= 5 * DAY
        assert 0.85 * limit - 1 <= burst["amount"].sum() <= 1.10 * limit + 1
        monthly = history["amount"].sum() / max(params["history_days"] / 30, 0.5)
        assert burst["amount"].sum() >= 5 * monthly  # far above its average
        assert burst["time"].min() - history["time"].min() >= 20 * DAY
        assert burst["dst"].nunique() >= 2
        assert params["burst_total"] == pytest.approx(burst["amount"].sum(), abs=0.02)


def test_the_card_goes_dark_after_the_burst(ds):
    sched = ds.truth.schedule
    for _, params, s, card in _instances(ds):
        last = s.loc[s["detail"] == "burst", "time"].max()
        dark = s[s["kind"] == "account_dark"]
        assert dark["src"].tolist() == [card] and dark["edge_type"].isna().all()
        assert int(dark["time"].iloc[0].timestamp()) == params["dark_from"] == int(last.timestamp()) + 1
        assert not ((sched["src"] == card) & (sched["time"] > last) & (sched["kind"] != "account_dark")).any()


def test_payments_go_to_merchants_on_card_edges(ds):
    graph = ds.graph
    merchants = graph.nodes["Company"].set_index("id")["is_merchant"]
    pays = graph.edges[PAYS].set_index(["src", "dst"])
    for _, _, s, card in _instances(ds):
        rows = s[s["edge_type"] == "Account_PAYS_Company"]
        assert merchants.loc[rows["dst"]].all()
        for (src, dst), ev in rows.groupby(["src", "dst"]):
            edge = pays.loc[(src, dst)]
            assert edge["channel"] == "card"
            assert edge["since"] <= ev["time"].min()


def test_synthetic_identities_are_onboarded_and_funded(ds):
    graph = ds.graph
    persons = graph.nodes["Person"].set_index("id")
    knows = graph.edges[("Person", "KNOWS", "Person")]
    ties = set(zip(knows["src"], knows["dst"])) | set(zip(knows["dst"], knows["src"]))
    accounts = graph.nodes["Account"].set_index("id")
    found = 0
    for row, _, s, card in _instances(ds):
        if row["variant"] != "synthetic_identity":
            continue
        members = {m[2]: m[1] for m in json.loads(row["members"])}
        identity, controller = members["synthetic_identity"], members["controller"]
        assert persons.loc[identity, "created_at"] >= pd.Timestamp(ds.scenario.start_date)
        assert accounts.loc[card, "opened_at"] < s.loc[s["detail"] == "history", "time"].min()
        funding = s[s["detail"] == "funding"]
        assert len(funding) >= 1 and (funding["dst"] == members["synthetic_checking"]).all()
        assert (controller, identity) in ties
        found += 1
    assert found >= 1


def test_decoys_spend_big_once_and_carry_on(ds):
    decoys = list(_instances(ds, fraud=False))
    assert len(decoys) >= 1
    assert {row["variant"] for row, _, _, _ in decoys} <= set(DECOY_VARIANTS)
    accounts = ds.graph.nodes["Account"].set_index("id")
    for _, _, s, card in decoys:
        big = s[s["detail"] == "large_purchase"]
        after = s[(s["detail"] == "history") & (s["time"] > big["time"].max())]
        assert len(big) >= 1 and len(after) >= 1
        assert big["amount"].sum() <= 0.95 * accounts.loc[card, "credit_limit"] + 1


def test_truth_is_consistent_with_the_graph(ds):
    graph = ds.graph
    assert graph.validate(raise_on_error=False) == []
    for label, ids in ds.truth.node_labels.groupby("label")["id"]:
        assert set(ids) <= set(graph.nodes[label]["id"]), label
    for stem, rows in ds.truth.edge_labels.groupby("edge_type"):
        key = next(k for k in graph.edges if "_".join(k) == stem)
        pairs = set(zip(graph.edges[key]["src"], graph.edges[key]["dst"]))
        assert set(zip(rows["src"], rows["dst"])) <= pairs, stem
    sched = ds.truth.schedule
    assert sched["time"].between(pd.Timestamp(ds.scenario.start_date), pd.Timestamp(ds.scenario.end_date), inclusive="left").all()


def test_deterministic(ds):
    again = _generate()
    pd.testing.assert_frame_equal(ds.truth.patterns, again.truth.patterns)
    pd.testing.assert_frame_equal(ds.truth.schedule, again.truth.schedule)


def test_bad_settings_are_rejected():
    with pytest.raises(ConfigError, match="fraud.patterns.bust_out.max_burst_days"):
        fraudgraph.pipeline.prepare({"fraud": {"patterns": {"bust_out": {"min_burst_days": 9, "max_burst_days": 2}}}})
