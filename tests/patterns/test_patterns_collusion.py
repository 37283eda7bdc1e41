"""Collusion (patterns/collusion.py): rigged savings circles, merchants cycling sales and refunds, and decoys."""

import json

import numpy as np
import pandas as pd
import pytest

import fraudgraph

MEMBER_OF = ("Person", "MEMBER_OF", "Circle")
ORGANIZES = ("Person", "ORGANIZES", "Circle")
PAYS = ("Account", "PAYS", "Company")
TRANSFERS = ("Account", "TRANSFERS_TO", "Account")
KNOWS = ("Person", "KNOWS", "Person")
P_OWNS = ("Person", "OWNS", "Account")


def scenario():
    return fraudgraph.Scenario.from_preset("default").override({
        "persons.count": 4000, "days": 90, "companies.listed_share": 0.2, "fraud.person_share": 0.0,
        "fraud.patterns": {"collusion": {"count": 8}}})


@pytest.fixture(scope="module")
def ds():
    return fraudgraph.generate(scenario(), seed=5)


@pytest.fixture(scope="module")
def patterns(ds):
    p = ds.truth.patterns
    assert set(p["typology"]) == {"collusion"}
    return p.assign(members=p["members"].map(json.loads), parameters=p["parameters"].map(json.loads))


def of(patterns, variant, fraud):
    return patterns[(patterns["variant"] == variant) & (patterns["is_fraud"] == fraud)]


def test_both_variants_and_decoys(patterns):
    assert patterns["is_fraud"].sum() >= 3
    assert (~patterns["is_fraud"]).sum() >= 1
    assert len(of(patterns, "circle", True)) >= 1 and len(of(patterns, "merchant", True)) >= 1
    assert len(of(patterns, "circle", False)) >= 1 and len(of(patterns, "merchant", False)) >= 1


def test_colluders_hold_the_earliest_positions(ds, patterns):
    member = ds.graph.edges[MEMBER_OF].set_index(["src", "dst"])["position"]
    organizer = ds.graph.edges[ORGANIZES].set_index("dst")["src"]
    for _, p in of(patterns, "circle", True).iterrows():
        cid = p["parameters"]["circle"]
        colluders = [m[1] for m in p["members"] if m[2] in ("organizer", "early_recipient")]
        victims = [m[1] for m in p["members"] if m[2] == "victim"]
        assert organizer.loc[cid] in colluders and len(colluders) >= 2 and victims
        positions = sorted(member.loc[(c, cid)] for c in colluders)
        assert positions == list(range(1, len(colluders) + 1))
        assert min(member.loc[(v, cid)] for v in victims) == len(colluders) + 1


def test_colluders_stop_contributing_after_their_payout(ds, patterns):
    sched = ds.truth.schedule
    for _, p in of(patterns, "circle", True).iterrows():
        s = sched[sched["pattern_id"] == p["pattern_id"]]
        colluders = [m[1] for m in p["members"] if m[2] in ("organizer", "early_recipient")]
        paid = s[(s["kind"] == "circle_payout") & (s["detail"] == "payout")]
        assert set(colluders) <= set(paid["src"])  # every colluder collected a pot
        for c in colluders:
            t_pay = paid.loc[paid["src"] == c, "time"].min()
            contributed = s[(s["kind"] == "circle_contribution") & (s["src"] == c)]
            assert len(contributed) >= 1
            assert (contributed["time"] < t_pay).all()
            after = s[(s["src"] == c) & (s["time"] > t_pay)]
            assert set(after["kind"]) <= {"circle_member_dropped", "circle_contribution_missed"}
        # the pots they took were paid in by the others (the first payouts go to the colluders)
        first = paid.sort_values("time")["src"].iloc[: len(colluders)]
        assert set(first) == set(colluders)
        quits = s[s["kind"].isin(["circle_member_dropped", "circle_contribution_missed"])]
        assert set(quits["src"]) <= set(colluders)


def test_honest_circles_have_late_payers_and_keep_paying_out(ds, patterns):
    sched = ds.truth.schedule
    late = 0
    for _, p in of(patterns, "circle", False).iterrows():
        s = sched[sched["pattern_id"] == p["pattern_id"]]
        late += int((s["detail"] == "late").sum())
        drops = s[s["kind"] == "circle_member_dropped"]
        assert set(drops["detail"]) <= {"hardship"} and len(drops) <= 1
        for who in drops["src"]:  # a member who leaves gets their money back, and never took a pot
            assert not ((s["kind"] == "circle_payout") & (s["src"] == who) & (s["detail"] == "payout")).any()
    assert late >= 1


def test_merchant_collusion_cycles_purchases_and_refunds(ds, patterns):
    g = ds.graph
    companies = g.nodes["Company"].set_index("id")
    pays = set(zip(g.edges[PAYS]["src"], g.edges[PAYS]["dst"]))
    sched = ds.truth.schedule
    for _, p in of(patterns, "merchant", True).iterrows():
        merchant = p["parameters"]["merchant"]
        assert companies.loc[merchant, "is_merchant"]
        customers = [m[1] for m in p["members"] if m[2] == "colluding_customer"]
        assert 2 <= len(customers) <= 10
        s = sched[sched["pattern_id"] == p["pattern_id"]]
        buys, refunds = s[s["kind"] == "card_payment"], s[s["kind"] == "refund"]
        assert len(buys) >= len(customers) and len(refunds) >= 1
        assert (buys["edge_type"] == "Account_PAYS_Company").all() and (refunds["edge_type"] == "Account_PAYS_Company").all()
        assert set(buys["dst"]) == {merchant} and (refunds["detail"] == "refund").all()
        assert all(pair in pays for pair in zip(buys["src"], buys["dst"]))
        assert set(refunds["src"]) <= set(buys["src"])
        for acc, r in refunds.groupby("src"):  # a refund follows a purchase of the same amount
            b = buys[buys["src"] == acc]
            assert set(np.round(r["amount"], 2)) <= set(np.round(b["amount"], 2))
            assert r["time"].min() > b["time"].min()
        assert refunds["amount"].sum() / buys["amount"].sum() > 0.2


def test_kickbacks_are_p2p_between_acquaintances(ds, patterns):
    g = ds.graph
    knows = g.edges[KNOWS]
    ties = set(zip(knows["src"], knows["dst"])) | set(zip(knows["dst"], knows["src"]))
    owns = g.edges[P_OWNS]
    owner = owns[owns["role"] == "primary"].set_index("dst")["src"]
    transfers = g.edges[TRANSFERS].set_index(["src", "dst"])["kind"]
    kickbacks = ds.truth.schedule[ds.truth.schedule["detail"] == "kickback"]
    for src, dst in set(zip(kickbacks["src"], kickbacks["dst"])):
        assert transfers.loc[(src, dst)] == "p2p"
        assert (owner.loc[src], owner.loc[dst]) in ties


def test_legitimate_world_invariants_still_hold(ds):
    g = ds.graph
    cfg = ds.scenario.circles
    persons = g.nodes["Person"].set_index("id")
    circles = g.nodes["Circle"].set_index("id")
    m = g.edges[MEMBER_OF]
    for cid, pos in m.groupby("dst")["position"]:
        assert sorted(pos) == list(range(1, len(pos) + 1)), cid
    size = m.groupby("dst").size()
    assert size.between(cfg.min_members, cfg.max_members).all()
    assert (m.assign(city=persons.loc[m["src"], "city"].to_numpy()).groupby("dst")["city"].nunique() == 1).all()
    org = g.edges[ORGANIZES]
    joined = m.set_index(["src", "dst"])["joined_at"]
    assert (joined.loc[list(zip(org["src"], org["dst"]))].to_numpy() == circles.loc[org["dst"], "created_at"].to_numpy()).all()
    assert (org["since"].to_numpy() == circles.loc[org["dst"], "created_at"].to_numpy()).all()
    assert (m["joined_at"].to_numpy() >= circles.loc[m["dst"], "created_at"].to_numpy()).all()
    assert (m["joined_at"].to_numpy() >= persons.loc[m["src"], "created_at"].to_numpy()).all()
    pending = circles["status"] == "pending"
    assert (pending == (circles["start_date"] > pd.Timestamp(ds.scenario.start_date))).all()
    assert (circles["start_date"] >= circles["created_at"].dt.normalize()).all()
    assert len(circles) == round(ds.scenario.persons.count * cfg.participation / ((cfg.min_members + cfg.max_members) / 2))
    pays = g.edges[PAYS]
    assert g.nodes["Company"].set_index("id").loc[pays["dst"], "is_merchant"].all()
    types = g.nodes["Account"].set_index("id").loc[pays["src"], "account_type"]
    assert ((pays["channel"] == "wallet").to_numpy() == (types == "wallet").to_numpy()).all()
    assert not pays.duplicated(["src", "dst"]).any()


def test_truth_consistent_with_graph(ds):
    g = ds.graph
    for label, rows in ds.truth.node_labels.groupby("label"):
        assert set(rows["id"]) <= set(g.nodes[label]["id"]), label
    stems = {"_".join(k): k for k in g.edges}
    for stem, rows in ds.truth.edge_labels.groupby("edge_type"):
        table = g.edges[stems[stem]]
        assert set(zip(rows["src"], rows["dst"])) <= set(zip(table["src"], table["dst"])), stem
    assert g.validate(raise_on_error=False) == []


def test_tiny_circles_fall_back_to_merchant_collusion():
    s = fraudgraph.Scenario.from_preset("default").override({
        "persons.count": 1500, "days": 90, "circles.min_members": 2, "circles.max_members": 2, "circles.participation": 0.1,
        "fraud.person_share": 0.0, "fraud.patterns": {"collusion": {"count": 3, "circle_share": 1.0}}})
    small = fraudgraph.generate(s, seed=4)
    p = small.truth.patterns
    assert set(p.loc[p["is_fraud"], "variant"]) == {"merchant"}  # no circle has room for victims
    assert small.graph.edges[MEMBER_OF].groupby("dst").size().eq(2).all()


def test_deterministic(ds):
    again = fraudgraph.generate(scenario(), seed=5)
    pd.testing.assert_frame_equal(ds.truth.patterns, again.truth.patterns)
    pd.testing.assert_frame_equal(ds.truth.schedule, again.truth.schedule)
    pd.testing.assert_frame_equal(ds.graph.edges[MEMBER_OF], again.graph.edges[MEMBER_OF])
