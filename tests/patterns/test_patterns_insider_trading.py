"""Insider trading (patterns/insider_trading.py): tips from insiders, trades ahead of announcements, and decoys."""

import json

import pandas as pd
import pytest

import fraudgraph

WORKS_AT = ("Person", "WORKS_AT", "Company")
KNOWS = ("Person", "KNOWS", "Person")
TRADES = ("Account", "TRADES", "Company")
P_OWNS = ("Person", "OWNS", "Account")


def scenario():
    return fraudgraph.Scenario.from_preset("default").override({
        "persons.count": 4000, "companies.listed_share": 0.2, "fraud.person_share": 0.0,
        "fraud.patterns": {"insider_trading": {"count": 4}}})


@pytest.fixture(scope="module")
def ds():
    return fraudgraph.generate(scenario(), seed=5)


@pytest.fixture(scope="module")
def patterns(ds):
    p = ds.truth.patterns
    assert set(p["typology"]) == {"insider_trading"}
    return p.assign(members=p["members"].map(json.loads), parameters=p["parameters"].map(json.loads))


def role_of(members, role):
    return [m[1] for m in members if m[2] == role]


def test_fraud_instances_and_decoys(patterns):
    assert patterns["is_fraud"].sum() >= 3
    assert (~patterns["is_fraud"]).sum() >= 1


def test_insider_works_at_listed_company_and_knows_the_tippee(ds, patterns):
    g = ds.graph
    works = g.edges[WORKS_AT].set_index("src")
    knows = g.edges[KNOWS]
    ties = dict(zip(zip(knows["src"], knows["dst"]), knows["kind"])) | dict(zip(zip(knows["dst"], knows["src"]), knows["kind"]))
    companies = g.nodes["Company"].set_index("id")
    for _, p in patterns[patterns["is_fraud"]].iterrows():
        [insider], [tippee], [company] = (role_of(p["members"], r) for r in ("insider", "tippee", "issuer"))
        assert works.loc[insider, "dst"] == company
        assert works.loc[insider, "role"] in {"officer", "director", "employee"}
        assert tippee not in works.index or works.loc[tippee, "dst"] != company  # an outsider
        assert ties[(insider, tippee)] in {"friend", "family"}
        assert companies.loc[company, "is_listed"] and companies.loc[company, "ticker"] == p["parameters"]["ticker"]


def test_tippee_account_trades_the_ticker_before_and_after_the_announcement(ds, patterns):
    g = ds.graph
    accounts = g.nodes["Account"].set_index("id")
    owns = g.edges[P_OWNS]
    primary = owns[owns["role"] == "primary"].set_index("dst")["src"]
    trades = set(zip(g.edges[TRADES]["src"], g.edges[TRADES]["dst"]))
    sched = ds.truth.schedule
    for _, p in patterns[patterns["is_fraud"]].iterrows():
        [insider], [tippee], [account], [company] = (
            role_of(p["members"], r) for r in ("insider", "tippee", "tippee_account", "issuer"))
        assert accounts.loc[account, "account_type"] == "brokerage"
        assert primary.loc[account] == tippee
        assert (account, company) in trades
        s = sched[sched["pattern_id"] == p["pattern_id"]]
        ann = s[s["kind"] == "company_announcement"]
        assert len(ann) == 1 and ann["src"].iloc[0] == company and pd.isna(ann["dst"].iloc[0])
        t_ann = ann["time"].iloc[0]
        assert t_ann == pd.Timestamp(p["parameters"]["announcement_at"], unit="s")
        tips = s[s["kind"] == "communication"]
        buys = s[(s["kind"] == "trade") & (s["detail"] == "buy")]
        sells = s[(s["kind"] == "trade") & (s["detail"] == "sell")]
        assert len(tips) >= 1 and len(buys) >= 1 and len(sells) >= 1
        assert set(tips["src"]) == {insider} and set(tips["dst"]) == {tippee}
        assert (buys["edge_type"] == "Account_TRADES_Company").all()
        assert set(buys["src"]) == set(sells["src"]) == {account} and set(buys["dst"]) == {company}
        assert tips["time"].max() < buys["time"].min()
        assert buys["time"].max() < t_ann < sells["time"].min()
        assert buys["quantity"].sum() == sells["quantity"].sum() > 0
        # profit: sold dearer than bought
        assert sells["amount"].sum() / sells["quantity"].sum() > buys["amount"].sum() / buys["quantity"].sum()


def test_truth_edges_name_the_tip_and_the_trades(patterns, ds):
    labels = ds.truth.edge_labels
    fraud = labels[labels["is_fraud"]]
    assert {"insider_employment", "tip_channel", "insider_trades"} <= set(fraud["role"])
    per = fraud.groupby("pattern_id")["edge_type"].apply(set)
    assert all(v == {"Person_WORKS_AT_Company", "Person_KNOWS_Person", "Account_TRADES_Company"} for v in per)


def test_decoys_are_traders_without_a_tip(ds, patterns):
    g = ds.graph
    works = g.edges[WORKS_AT]
    knows = g.edges[KNOWS]
    sched = ds.truth.schedule
    decoys = patterns[~patterns["is_fraud"]]
    assert set(decoys["variant"]) <= {"outside_trader", "friend_investor"}
    for _, p in decoys.iterrows():
        [company] = role_of(p["members"], "issuer")
        assert len(role_of(p["members"], "trader_account")) == 1
        s = sched[sched["pattern_id"] == p["pattern_id"]]
        assert (s["kind"] == "trade").any()
        assert not (s["detail"] == "tip").any()
        if p["variant"] == "outside_trader":
            [trader] = role_of(p["members"], "trader")
            staff = set(works.loc[works["dst"] == company, "src"])
            friends = set(knows.loc[knows["src"] == trader, "dst"]) | set(knows.loc[knows["dst"] == trader, "src"])
            assert not friends & staff  # no tie to anyone at the company
            assert trader not in staff


def test_truth_consistent_with_graph(ds):
    g = ds.graph
    for label, rows in ds.truth.node_labels.groupby("label"):
        assert set(rows["id"]) <= set(g.nodes[label]["id"]), label
    stems = {"_".join(k): k for k in g.edges}
    for stem, rows in ds.truth.edge_labels.groupby("edge_type"):
        table = g.edges[stems[stem]]
        assert set(zip(rows["src"], rows["dst"])) <= set(zip(table["src"], table["dst"])), stem


def test_graph_valid_and_invariants_hold(ds):
    g = ds.graph
    assert g.validate(raise_on_error=False) == []
    accounts = g.nodes["Account"].set_index("id")
    trades = g.edges[TRADES]
    assert (accounts.loc[trades["src"], "account_type"] == "brokerage").all()
    assert g.nodes["Company"].set_index("id").loc[trades["dst"], "is_listed"].all()
    assert g.edges[WORKS_AT]["src"].is_unique
    created = g.nodes["Account"].set_index("id")["opened_at"]
    assert (trades["since"].to_numpy() >= created.loc[trades["src"]].to_numpy()).all()
    assert (trades["since"] < pd.Timestamp(ds.scenario.end_date)).all()


def test_deterministic(ds):
    again = fraudgraph.generate(scenario(), seed=5)
    pd.testing.assert_frame_equal(ds.truth.patterns, again.truth.patterns)
    pd.testing.assert_frame_equal(ds.truth.schedule, again.truth.schedule)
