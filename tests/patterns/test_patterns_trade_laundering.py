"""Trade-based laundering (patterns/trade_laundering.py): mis-invoiced supplies, mismatched payments, decoys.

The documents these schedules become are tested with the documents family (tests/timeline/test_documents.py)."""

import json

import numpy as np
import pandas as pd
import pytest
from fraudgraph.patterns.trade_laundering import TradeLaunderingConfig, blended_ratio

import fraudgraph

SUPPLIES = ("Company", "SUPPLIES", "Company")
TRANSFERS = ("Account", "TRANSFERS_TO", "Account")
C_OWNS = ("Company", "OWNS", "Account")
#: Invoice / declared value of ordinary supplies (margins and freight), and of every legitimate one (decoys included).
ORDINARY_BAND = (0.7, 1.45)


def scenario():
    return fraudgraph.Scenario.from_preset("default").override({
        "persons.count": 4000, "days": 90, "companies.listed_share": 0.2, "fraud.person_share": 0.0,
        "fraud.patterns": {"trade_based_laundering": {"count": 5}}})


@pytest.fixture(scope="module")
def ds():
    return fraudgraph.generate(scenario(), seed=5)


@pytest.fixture(scope="module")
def patterns(ds):
    p = ds.truth.patterns
    assert set(p["typology"]) == {"trade_based_laundering"}
    return p.assign(members=p["members"].map(json.loads), parameters=p["parameters"].map(json.loads))


@pytest.fixture(scope="module")
def supplies(ds):
    s = ds.graph.edges[SUPPLIES]
    labels = ds.truth.edge_labels
    labels = labels[labels["edge_type"] == "Company_SUPPLIES_Company"]
    fraud = set(zip(labels.loc[labels["is_fraud"], "src"], labels.loc[labels["is_fraud"], "dst"]))
    decoy = set(zip(labels.loc[~labels["is_fraud"], "src"], labels.loc[~labels["is_fraud"], "dst"]))
    pair = list(zip(s["src"], s["dst"]))
    return s.assign(ratio=s["invoice_amount"] / s["goods_value"],
                    fraud=[p in fraud for p in pair], decoy=[p in decoy and p not in fraud for p in pair])


def test_fraud_instances_and_decoys(patterns):
    fraud = patterns[patterns["is_fraud"]]
    assert len(fraud) >= 3
    assert (~patterns["is_fraud"]).sum() >= 1
    assert set(fraud["variant"]) <= {"over_invoicing", "under_invoicing", "phantom_shipment", "multiple_invoicing"}
    assert set(patterns.loc[~patterns["is_fraud"], "variant"]) <= {"high_markup", "discount", "advance_invoice",
                                                                   "consolidated"}
    for members in fraud["members"]:
        companies = [m for m in members if m[0] == "Company"]
        assert 2 <= len(companies) <= 4
        roles = [m[2] for m in companies]
        assert roles[0] == "front" and roles[-1] == "beneficiary" and set(roles[1:-1]) <= {"shell"}


def test_fraud_invoices_far_from_goods_value(ds, supplies, patterns):
    # the configured bounds (1.5-4x over, 0.25-0.6x under) are pulled toward 1 by amount blending
    b = ds.scenario.fraud.knobs()["amount_blending"]
    over_lo, over_hi = blended_ratio([1.5, 4.0], b)
    under_lo, under_hi = blended_ratio([0.25, 0.6], b)
    fraud = supplies[supplies["fraud"]]
    assert len(fraud) >= 3
    outside = (fraud["ratio"] <= under_hi + 1e-6) | (fraud["ratio"] >= over_lo - 1e-6)
    assert outside.all(), fraud["ratio"].describe()
    for _, p in patterns[patterns["is_fraud"]].iterrows():
        ratios = [link["ratio"] for link in p["parameters"]["links"]]
        if p["variant"] == "over_invoicing":
            assert all(over_lo - 1e-6 <= r <= over_hi + 1e-6 for r in ratios)
        elif p["variant"] in ("phantom_shipment", "multiple_invoicing"):
            # fair prices, but invoices for goods that never ship or ship once: as far as over-invoicing goes
            assert all(r >= over_lo - 0.01 for r in ratios)
        else:
            assert all(under_lo - 1e-6 <= r <= under_hi + 1e-6 for r in ratios)


def test_low_hardness_keeps_fraud_outside_ordinary_prices():
    s = fraudgraph.Scenario.from_preset("default").override({
        "persons.count": 3000, "days": 90, "fraud.person_share": 0.0, "fraud.hardness": "low",
        "fraud.patterns": {"trade_based_laundering": {"count": 4}}})
    low = fraudgraph.generate(s, seed=5)
    sup = low.graph.edges[("Company", "SUPPLIES", "Company")]
    labels = low.truth.edge_labels
    fraud = labels[labels["is_fraud"] & (labels["edge_type"] == "Company_SUPPLIES_Company")]
    ratio = sup.merge(fraud[["src", "dst"]]).eval("invoice_amount / goods_value")
    assert len(ratio) >= 3 and not ratio.between(*ORDINARY_BAND).any()


def test_legitimate_invoices_inside_the_band(supplies):
    legit = supplies[~supplies["fraud"]]
    ordinary = legit[~legit["decoy"]]
    # legitimate unit prices spread around the reference (a tail overlaps mild fraud, as in practice)
    assert 0.9 < ordinary["ratio"].median() < 1.1
    assert ordinary["ratio"].between(*ORDINARY_BAND).mean() > 0.75
    decoys = legit[legit["decoy"]]
    assert len(decoys) >= 1
    assert (~decoys["ratio"].between(0.9, 1.15)).all()  # markups and discounts, not ordinary margins


def test_payments_follow_the_invoice_not_the_goods(ds, patterns):
    g = ds.graph
    owner = g.edges[C_OWNS].set_index("dst")["src"]
    accounts = g.nodes["Account"].set_index("id")
    transfers = g.edges[TRANSFERS].set_index(["src", "dst"])
    sched = ds.truth.schedule
    b = ds.scenario.fraud.knobs()["amount_blending"]
    under_hi, over_lo = blended_ratio([0.6, 1.5], b)
    for _, p in patterns[patterns["is_fraud"]].iterrows():
        s = sched[sched["pattern_id"] == p["pattern_id"]]
        ships = s[s["kind"].isin(["shipment", "invoice", "reinvoice"])]
        pays = s[s["kind"] == "invoice_payment"]
        assert len(ships) >= 1 and len(pays) >= 1
        assert (ships["edge_type"] == "Company_SUPPLIES_Company").all()
        assert (pays["edge_type"] == "Account_TRANSFERS_TO_Account").all()
        for link in p["parameters"]["links"]:
            lane = pays[pays["dst"].map(owner) == link["seller"]]
            assert len(lane) >= 1
            assert set(lane["src"].map(owner)) == {link["buyer"]}  # the buyer pays the seller
            for src, dst in set(zip(lane["src"], lane["dst"])):
                assert transfers.loc[(src, dst), "kind"] == "supplier"
                assert accounts.loc[src, "account_type"] == accounts.loc[dst, "account_type"] == "business"
            shipped = ships[(ships["src"] == link["seller"]) & (ships["dst"] == link["buyer"])]
            declared = shipped["amount"].sum() / link["ratio"]
            paid = lane["amount"].sum()
            assert paid == pytest.approx(shipped["amount"].sum(), rel=0.02)  # pays the invoice ...
            assert not under_hi + 0.01 < paid / declared < 0.985 * over_lo - 0.01  # ... which is far from the goods' value (less bank charges)
            assert (lane["time"].min() >= shipped["time"].min())


def test_supplier_transfers_stay_between_companies(ds):
    g = ds.graph
    t = g.edges[TRANSFERS]
    sup = t[t["kind"] == "supplier"]
    owner = g.edges[C_OWNS].set_index("dst")["src"]
    assert sup["src"].isin(owner.index).all() and sup["dst"].isin(owner.index).all()
    assert (owner.loc[sup["src"]].to_numpy() != owner.loc[sup["dst"]].to_numpy()).all()


def test_truth_consistent_with_graph(ds):
    g = ds.graph
    for label, rows in ds.truth.node_labels.groupby("label"):
        assert set(rows["id"]) <= set(g.nodes[label]["id"]), label
    stems = {"_".join(k): k for k in g.edges}
    for stem, rows in ds.truth.edge_labels.groupby("edge_type"):
        table = g.edges[stems[stem]]
        assert set(zip(rows["src"], rows["dst"])) <= set(zip(table["src"], table["dst"])), stem


def test_graph_valid_and_edges_dated_inside_the_span(ds):
    g = ds.graph
    assert g.validate(raise_on_error=False) == []
    companies = g.nodes["Company"].set_index("id")["incorporated_at"]
    s = g.edges[SUPPLIES]
    assert (s["since"].to_numpy() >= np.maximum(companies.loc[s["src"]].to_numpy(), companies.loc[s["dst"]].to_numpy())).all()
    assert (s["since"] < pd.Timestamp(ds.scenario.end_date)).all()
    assert (companies < pd.Timestamp(ds.scenario.start_date)).all()


def test_deterministic(ds):
    again = fraudgraph.generate(scenario(), seed=5)
    pd.testing.assert_frame_equal(ds.truth.patterns, again.truth.patterns)
    pd.testing.assert_frame_equal(ds.truth.schedule, again.truth.schedule)


def test_shell_companies_when_ordinary_ones_run_out():
    s = fraudgraph.Scenario.from_preset("default").override({
        "persons.count": 600, "days": 90, "fraud.person_share": 0.0, "fraud.patterns": {"trade_based_laundering": {"count": 6}}})
    small = fraudgraph.generate(s, seed=3)
    g = small.graph
    assert g.validate(raise_on_error=False) == []
    p = small.truth.patterns
    shells = {c for params in p.loc[p["is_fraud"], "parameters"].map(json.loads) for c in params["new_companies"]}
    assert p["is_fraud"].sum() == 6 and shells
    companies = g.nodes["Company"].set_index("id")
    assert set(companies.loc[sorted(shells), "industry"]) <= {"import_export", "transport"}
    assert (companies.loc[sorted(shells), "incorporated_at"] < pd.Timestamp(small.scenario.start_date)).all()
    owned = g.edges[C_OWNS]
    assert shells <= set(owned["src"])
    assert (g.nodes["Account"].set_index("id").loc[owned.loc[owned["src"].isin(shells), "dst"], "account_type"] == "business").all()


@pytest.mark.parametrize("share", [
    {"min_document_share": 0.8, "max_document_share": 0.2},
    {"phantom_share": 1.5}, {"multiple_invoicing_share": -0.1},
])
def test_document_parameters_are_checked(share):
    with pytest.raises(ValueError, match="document_share|phantom_share|multiple_invoicing_share"):
        TradeLaunderingConfig(**share)


@pytest.fixture(scope="module")
def documented():
    """Only the document variants: phantom shipments and multiple invoicing, and their decoys."""
    s = fraudgraph.Scenario.from_preset("default").override({
        "persons.count": 3000, "days": 90, "fraud.person_share": 0.0,
        "fraud.patterns": {"trade_based_laundering": {"count": 6, "phantom_share": 0.5, "multiple_invoicing_share": 0.5}}})
    ds = fraudgraph.generate(s, seed=11)
    p = ds.truth.patterns
    return ds, p.assign(parameters=p["parameters"].map(json.loads))


def test_document_variants_schedule_their_documents(documented):
    ds, patterns = documented
    sched = ds.truth.schedule
    fraud = patterns[patterns["is_fraud"]]
    assert set(fraud["variant"]) == {"phantom_shipment", "multiple_invoicing"}
    assert set(patterns.loc[~patterns["is_fraud"], "variant"]) <= {"advance_invoice", "consolidated"}
    for _, p in patterns.iterrows():
        rows = sched[sched["pattern_id"] == p["pattern_id"]]
        kinds = rows["kind"].value_counts()
        invoices = kinds.get("shipment", 0) + kinds.get("invoice", 0) + kinds.get("reinvoice", 0)
        assert kinds.get("invoice_payment", 0) == invoices  # every invoice is paid, true or false
        links = p["parameters"]["links"]
        assert {link["documents"] for link in links} == {
            {"phantom_shipment": "phantom", "multiple_invoicing": "multiple", "advance_invoice": "advance",
             "consolidated": "consolidated"}[p["variant"]]}
        if p["variant"] == "phantom_shipment":
            # some invoices open a shipment no bill of lading ever covers, at least one really ships
            assert kinds.get("invoice", 0) >= 1 and kinds.get("shipment", 0) >= 1 and "bill_of_lading" not in kinds
        elif p["variant"] == "multiple_invoicing":
            assert kinds.get("reinvoice", 0) >= 1 and set(kinds.index) <= {"shipment", "reinvoice", "invoice_payment"}
            again = rows[rows["kind"] == "reinvoice"]
            shipped = rows[rows["kind"] == "shipment"]
            # the same goods invoiced again: the quantity of a shipment, about its amount
            assert set(again["quantity"]) <= set(shipped["quantity"])
        elif p["variant"] == "advance_invoice":
            assert "reinvoice" not in kinds
        else:
            # consolidated: the orders' quantities add up to what the bill of lading carries
            bills = rows[rows["kind"] == "bill_of_lading"]
            orders = rows[rows["kind"].isin(["invoice", "reinvoice"])]
            assert len(bills) and orders["quantity"].sum() >= bills["quantity"].sum() - 1e-9


def test_document_variants_keep_the_variant_out_of_the_graph(documented):
    ds, patterns = documented
    sup = ds.graph.edges[SUPPLIES]
    for column in sup.columns:
        values = set(sup[column].astype(str))
        assert not values & {"phantom", "multiple", "advance", "consolidated", "phantom_shipment", "multiple_invoicing"}
