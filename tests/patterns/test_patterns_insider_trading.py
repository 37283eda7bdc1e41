"""Insider trading (patterns/insider_trading.py): tips from insiders, trades ahead of announcements, and decoys."""

import json

import numpy as np
import pandas as pd
import pytest

import fraudgraph
from fraudgraph.vocab import market_hours

WORKS_AT = ("Person", "WORKS_AT", "Company")
KNOWS = ("Person", "KNOWS", "Person")
TRADES = ("Account", "TRADES", "Company")
P_OWNS = ("Person", "OWNS", "Account")


def scenario():
    return fraudgraph.Scenario.from_preset("default").override({
        "persons.count": 4000, "days": 90, "companies.listed_share": 0.2, "fraud.person_share": 0.0,
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


@pytest.fixture(scope="module")
def many_idle_accounts():
    """Twelve instances in a world where a third of the accounts are dormant, frozen or closed."""
    scenario = fraudgraph.Scenario.from_preset("default").override({
        "persons.count": 4000, "days": 90, "companies.listed_share": 0.2, "fraud.person_share": 0.0,
        "accounts.status_weights": {"active": 0.65, "dormant": 0.1, "frozen": 0.1, "closed": 0.15},
        "fraud.patterns": {"insider_trading": {"count": 12}}})
    return fraudgraph.generate(scenario, seed=11)


@pytest.mark.parametrize("which", ["ds", "many_idle_accounts"])
def test_scripted_trades_in_market_hours_and_news_on_weekdays(which, request):
    ds = request.getfixturevalue(which)
    sched = ds.truth.schedule
    when = pd.DatetimeIndex(sched["time"])
    of_day = when.hour * 3600 + when.minute * 60 + when.second
    weekday = when.day_of_week < 5
    trade = (sched["kind"] == "trade").to_numpy()
    news = (sched["kind"] == "company_announcement").to_numpy()
    assert trade.sum() >= 15 and news.sum() >= 4
    # the exchange session of the markets stream: 14:30 to 21:00 UTC, Monday to Friday
    session = weekday & (of_day >= 14 * 3600 + 1800) & (of_day < 21 * 3600)
    assert session[trade].all(), sched[trade & ~session].head().to_dict("records")
    # ordinary announcements come out on weekdays between 11:00 and 23:00 UTC
    published = weekday & (of_day >= 11 * 3600) & (of_day < 23 * 3600)
    assert published[news].all(), sched[news & ~published].head().to_dict("records")
    seconds = sched["time"].to_numpy("datetime64[s]").astype(np.int64)
    assert market_hours.in_session(seconds[trade]).all() and market_hours.in_announcement_hours(seconds[news]).all()
    # nothing lands on the open second itself (a pile-up there would be a tell of its own)
    assert (of_day[trade] == 14 * 3600 + 1800).sum() <= 1


def test_fraud_still_trades_between_tip_and_news_in_the_idle_world(many_idle_accounts):
    p = many_idle_accounts.truth.patterns
    sched = many_idle_accounts.truth.schedule
    fraud = p.loc[p["is_fraud"], "pattern_id"]
    assert len(fraud) >= 10
    for pid in fraud:
        s = sched[sched["pattern_id"] == pid]
        t_ann = s.loc[s["kind"] == "company_announcement", "time"].iloc[0]
        buys = s[(s["kind"] == "trade") & (s["detail"] == "buy")]["time"]
        sells = s[(s["kind"] == "trade") & (s["detail"] == "sell")]["time"]
        tips = s[s["kind"] == "communication"]["time"]
        assert tips.max() < buys.min() and buys.max() < t_ann < sells.min()
        assert sells.max() < pd.Timestamp(many_idle_accounts.scenario.end_date)


@pytest.mark.parametrize("which", ["ds", "many_idle_accounts"])
def test_traders_use_active_accounts_opened_before_they_trade(which, request):
    ds = request.getfixturevalue(which)
    accounts = ds.graph.nodes["Account"].set_index("id")
    sched = ds.truth.schedule
    trades = sched[sched["kind"] == "trade"]
    assert len(trades) >= 15
    assert (accounts.loc[trades["src"], "status"] == "active").all(), \
        accounts.loc[trades["src"], "status"].value_counts().to_dict()
    assert (accounts.loc[trades["src"], "opened_at"].to_numpy() < trades["time"].to_numpy()).all()
    if which == "many_idle_accounts":  # the world offered plenty of idle brokerage accounts to pick from
        brokerage = accounts[accounts["account_type"] == "brokerage"]
        assert (brokerage["status"] != "active").sum() >= 20


def test_deterministic(ds):
    again = fraudgraph.generate(scenario(), seed=5)
    pd.testing.assert_frame_equal(ds.truth.patterns, again.truth.patterns)
    pd.testing.assert_frame_equal(ds.truth.schedule, again.truth.schedule)
