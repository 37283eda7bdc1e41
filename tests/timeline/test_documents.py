"""The documents family: invoices and bills of lading of SUPPLIES shipments, invoice payments, falsified documents."""

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import fraudgraph
from fraudgraph import schema
from fraudgraph.timeline import clock
from fraudgraph.timeline.families import documents as docs
from fraudgraph.vocab.trade import PORTS

SUPPLIES = ("Company", "SUPPLIES", "Company")
DOC_TYPES = ("invoice-issued", "bill-of-lading-issued", "invoice-paid")


def _stream(ds, streams):
    windows = list(ds.timeline(streams=streams).windows())
    events = pa.concat_tables([w.events for w in windows]).to_pandas()
    truth = pa.concat_tables([w.truth for w in windows]).to_pandas()
    events["body"] = events["payload"].map(json.loads)
    return events, truth


def _payloads(events, event_type):
    rows = events[events["event_type"] == event_type]
    return pd.DataFrame(list(rows["body"]), index=rows.index).assign(
        event_id=rows["event_id"], correlation_id=rows["correlation_id"], timestamp=rows["timestamp"])


@pytest.fixture(scope="module")
def streamed(small_dataset):
    return _stream(small_dataset, ["transactions", "documents"])


@pytest.fixture(scope="module")
def tbml():
    """Trade-based laundering of every variant with its decoys, over 120 days so most invoices are paid."""
    s = fraudgraph.Scenario.from_preset("default").override({
        "persons.count": 2500, "days": 120, "fraud.person_share": 0.0,
        "fraud.patterns": {"trade_based_laundering": {"count": 10, "phantom_share": 0.3,
                                                      "multiple_invoicing_share": 0.3}}})
    ds = fraudgraph.generate(s, seed=21)
    events, truth = _stream(ds, ["transactions", "documents"])
    return ds, events, truth


def test_family_declares_its_types_and_kinds():
    assert {t for t, et in schema.EVENT_TYPES.items() if et.family == "documents"} == set(docs.Documents.event_types)
    assert set(docs.SCRIPTED) == {"shipment", "invoice", "reinvoice", "bill_of_lading", "invoice_payment"}
    assert all(schema.SCHEDULE_KINDS[k].family == "documents" for k in docs.SCRIPTED)


def test_every_supplies_edge_ships_at_its_rate(small_dataset, streamed):
    events, truth = streamed
    ds = small_dataset
    inv = _payloads(events, "invoice-issued")
    legit = inv[~inv["event_id"].isin(truth["event_id"])]
    sup = ds.graph.edges[SUPPLIES]
    scripted = ds.truth.schedule
    scripted = set(zip(scripted["src"], scripted["dst"]))
    standing = sup[[(s, d) not in scripted for s, d in zip(sup["src"], sup["dst"])]]
    start = pd.Timestamp(ds.scenario.start_date)
    ctx = ds.timeline(streams=["documents"]).ctx
    weekday = sum(clock.weekday_factor(ctx.day(i), "office") for i in range(ctx.days))
    since_days = ((standing["since"] - start).dt.total_seconds() / 86_400).clip(lower=0)
    active = np.clip(ds.scenario.days - since_days, 0, None) / ds.scenario.days
    expected = float((standing["monthly_count"] / 30.44 * active).sum() * weekday)
    assert len(legit) == pytest.approx(expected, rel=0.15)
    # each shipment's invoice names an edge that exists, from supplier to buyer
    pairs = set(zip(sup["src"], sup["dst"]))
    assert all(p in pairs for p in zip(legit["supplier_id"], legit["buyer_id"]))
    per_edge = legit.groupby(["supplier_id", "buyer_id"]).size()
    assert per_edge.max() > 1 and len(per_edge) > 0.3 * len(standing)


def test_invoice_bill_and_payment_are_linked(streamed):
    events, truth = streamed
    inv, bol = _payloads(events, "invoice-issued"), _payloads(events, "bill-of-lading-issued")
    paid = _payloads(events, "invoice-paid")
    legit_inv = inv[~inv["event_id"].isin(truth["event_id"])]
    legit_bol = bol[~bol["event_id"].isin(truth["event_id"])]
    # an ordinary shipment: one invoice and one bill of lading naming it, same goods and quantity, bill after invoice
    joined = legit_inv.merge(legit_bol, on="shipment_id", suffixes=("_inv", "_bol"))
    assert len(joined) >= 0.9 * len(legit_bol) and joined["shipment_id"].is_unique
    assert (joined["goods_inv"] == joined["goods_bol"]).all() and (joined["quantity_inv"] == joined["quantity_bol"]).all()
    assert (joined["supplier_id"] == joined["shipper_id"]).all() and (joined["buyer_id"] == joined["consignee_id"]).all()
    assert (joined["timestamp_bol"] >= joined["timestamp_inv"]).all()
    assert (joined["port_of_loading"] != joined["port_of_discharge"]).all()
    assert set(joined["port_of_loading"]) <= {p[0] for p in PORTS}
    # declared values follow the invoice with ordinary margins
    ratio = joined["invoice_amount"].astype(float) / joined["declared_value"].astype(float)
    assert 0.85 < ratio.median() < 1.2
    # unit price times quantity is the invoice
    amount = legit_inv["unit_price"].astype(float) * legit_inv["quantity"]
    assert np.allclose(amount, legit_inv["invoice_amount"].astype(float), rtol=0.01, atol=0.01 * legit_inv["quantity"])
    # every payment names an invoice and shares its correlation id with the transaction that moved the money
    assert len(paid) > 20 and paid["invoice_id"].isin(inv["invoice_id"]).all() and paid["invoice_id"].is_unique
    tx = _payloads(events, "transaction-initiated").set_index("correlation_id")
    moved = tx.loc[paid["correlation_id"]]
    assert (moved["account_id"].to_numpy() == paid["account_id"].to_numpy()).all()
    assert np.allclose(moved["amount"].astype(float), paid["amount_paid"].astype(float))
    billed = inv.set_index("invoice_id").loc[paid["invoice_id"]]
    share = paid["amount_paid"].astype(float).to_numpy() / billed["invoice_amount"].astype(float).to_numpy()
    legit = ~paid["event_id"].isin(truth["event_id"]).to_numpy()
    assert ((share[legit] > 0.98) & (share[legit] <= 1.0 + 1e-9)).all()
    # a scheme's payment settles the unpaid invoice closest to it: twin invoices may swap
    assert ((share > 0.95) & (share < 1.05)).all()
    assert (paid["timestamp"].to_numpy() > billed["timestamp"].to_numpy()).all()


def _naive(stamps: pd.Series) -> pd.Series:
    return pd.to_datetime(stamps, utc=True).dt.tz_localize(None)


def test_documents_settings_are_the_scenarios():
    s = fraudgraph.Scenario.from_preset("default").override({
        "persons.count": 800, "days": 60, "fraud.person_share": 0.0,
        "events.documents": {"payment_terms_days": [10], "lading_hours_max": 6.0, "pay_within_min": 0.5,
                             "pay_within_max": 0.5, "paid_share_min": 0.9}})
    events, _ = _stream(fraudgraph.generate(s, seed=3), ["transactions", "documents"])
    inv, bol = _payloads(events, "invoice-issued"), _payloads(events, "bill-of-lading-issued")
    paid = _payloads(events, "invoice-paid")
    at = {name: _naive(frame["timestamp"]) for name, frame in (("inv", inv), ("bol", bol))}
    assert len(inv) > 50 and len(paid) > 20
    days_due = (pd.to_datetime(inv["due_date"]) - at["inv"].dt.normalize()).dt.days
    assert set(days_due) == {10}
    lag = (at["bol"].to_numpy() - at["inv"].set_axis(inv["shipment_id"]).loc[bol["shipment_id"]].to_numpy())
    assert (lag <= np.timedelta64(6, "h")).all() and (lag >= np.timedelta64(1, "h")).all()
    billed = inv.set_index("invoice_id").loc[paid["invoice_id"]]
    waited = _naive(paid["timestamp"]).to_numpy() - _naive(billed["timestamp"]).to_numpy()
    assert (abs(waited - np.timedelta64(5, "D")) < np.timedelta64(2, "h")).all()   # half of ten days, then settling
    share = paid["amount_paid"].astype(float).to_numpy() / billed["invoice_amount"].astype(float).to_numpy()
    assert share.min() < 0.95 and share.min() >= 0.9 - 1e-9


def test_documents_take_over_the_supplier_payments(small_dataset, streamed):
    """With documents running, every completed payment between a standing supplier pair is an invoice's."""
    events, truth = streamed
    ds = small_dataset
    tr = ds.graph.edges[("Account", "TRANSFERS_TO", "Account")]
    supplier = tr[tr["kind"] == "supplier"]
    pairs = set(zip(supplier["src"], supplier["dst"]))
    tx = _payloads(events, "transaction-initiated")
    on_pair = np.array([p in pairs for p in zip(tx["account_id"], tx["counterparty_account_id"])], dtype=bool)
    on_pairs = tx[on_pair & ~tx["event_id"].isin(truth["event_id"]).to_numpy()]
    done = set(events.loc[events["event_type"] == "transaction-completed", "correlation_id"])
    paid = set(events.loc[events["event_type"] == "invoice-paid", "correlation_id"])
    completed = on_pairs[on_pairs["correlation_id"].isin(done)]
    assert len(completed) > 20
    assert completed["correlation_id"].isin(paid).mean() > 0.97  # the rest: mistyped recipients and bursts
    # without the documents family, the transactions family walks those edges itself
    alone, _ = _stream(ds, ["transactions"])
    assert "invoice-paid" not in set(alone["event_type"])
    tx_alone = _payloads(alone, "transaction-initiated")
    walked = tx_alone[[p in pairs for p in zip(tx_alone["account_id"], tx_alone["counterparty_account_id"])]]
    assert len(walked) > 0.5 * len(on_pairs)


def test_scripted_documents_are_falsified_per_variant(tbml):
    ds, events, truth = tbml
    patterns = ds.truth.patterns.set_index("pattern_id")
    inv, bol = _payloads(events, "invoice-issued"), _payloads(events, "bill-of-lading-issued")
    paid = _payloads(events, "invoice-paid")
    pid = truth.set_index("event_id")["pattern_id"]
    inv["pattern"], bol["pattern"], paid["pattern"] = (inv["event_id"].map(pid), bol["event_id"].map(pid),
                                                       paid["event_id"].map(pid))
    seen = set()
    for pattern_id, mine in inv[inv["pattern"].notna()].groupby("pattern"):
        variant = patterns.loc[pattern_id, "variant"]
        seen.add(variant)
        bills = bol[bol["pattern"] == pattern_id]
        per_shipment = mine.groupby("shipment_id").agg(n=("invoice_id", "size"), quantity=("quantity", "sum"),
                                                       amount=("invoice_amount", lambda a: a.astype(float).sum()))
        covered = per_shipment.index.isin(bills["shipment_id"])
        assert bills["shipment_id"].isin(mine["shipment_id"]).all()  # no bill without its invoice
        if variant == "phantom_shipment":
            assert (~covered).any() and covered.any()  # invoices for goods that never ship, among real shipments
            assert (per_shipment["n"] == 1).all()
        elif variant == "multiple_invoicing":
            twice = per_shipment[per_shipment["n"] >= 2]
            assert len(twice) and covered.all()
            shipped = bills.set_index("shipment_id").loc[twice.index, "quantity"]
            assert (twice["quantity"] == 2 * shipped).all()  # each invoice for the whole shipment
        elif variant == "consolidated":
            split = per_shipment[per_shipment["n"] >= 2]
            assert len(split)
            on_bill = bills.set_index("shipment_id")["quantity"]
            known = split.index.isin(on_bill.index)
            assert (split.loc[known, "quantity"] == on_bill.loc[split.index[known]]).all()  # parts of one bill
        elif variant == "advance_invoice":
            late = bills.merge(mine, on="shipment_id", suffixes=("_bol", "_inv"))
            gap = pd.to_datetime(late["timestamp_bol"]) - pd.to_datetime(late["timestamp_inv"])
            assert (gap > pd.Timedelta(days=6)).any()
            assert (per_shipment["n"] == 1).all()
        else:  # priced: one invoice and one bill per shipment, the invoice far from or near the declared value
            assert (per_shipment["n"] == 1).all() and covered.all()
            pair = mine.merge(bills, on="shipment_id", suffixes=("_inv", "_bol"))
            ratio = (pair["invoice_amount"].astype(float) / pair["declared_value"].astype(float)).median()
            if variant == "over_invoicing":
                assert ratio > 1.15
            elif variant == "under_invoicing":
                assert ratio < 0.8
        # every invoice of an instance is paid by the buyer, at most once
        mine_paid = paid[paid["pattern"] == pattern_id]
        assert mine_paid["invoice_id"].is_unique and mine_paid["invoice_id"].isin(mine["invoice_id"]).all()
        assert set(mine_paid["supplier_id"]) <= set(mine["supplier_id"])
    assert {"phantom_shipment", "multiple_invoicing"} <= seen
    assert seen & {"over_invoicing", "under_invoicing"}
    assert seen & {"advance_invoice", "consolidated", "high_markup", "discount"}


def test_the_falsification_stays_out_of_the_payloads(tbml):
    ds, events, truth = tbml
    fraud_ids = set(truth.loc[truth["is_fraud"], "event_id"])
    for event_type in DOC_TYPES:
        rows = events[events["event_type"] == event_type]
        keys = {tuple(b) for b in rows["body"]}
        assert len(keys) == 1, event_type  # the same fields on every event, fraud or not
        fraud = rows[rows["event_id"].isin(fraud_ids)]
        assert len(fraud), event_type
        text = " ".join(fraud["payload"])
        for word in ("phantom", "multiple", "over_invoicing", "under_invoicing", "advance", "consolidated",
                     "fraud", "laundering"):
            assert word not in text
    labels = truth[truth["event_type"].isin(DOC_TYPES)]
    assert set(labels.loc[labels["is_fraud"], "fraud_type"]) == {"trade_based_laundering"}
    assert (~labels["is_fraud"]).any()  # decoys' documents are in the truth too, as not fraud


def test_same_seed_same_documents(small_dataset, streamed):
    events, _ = streamed
    again, _ = _stream(small_dataset, ["transactions", "documents"])
    mine = events[events["event_type"].isin(DOC_TYPES)]
    theirs = again[again["event_type"].isin(DOC_TYPES)]
    assert mine["payload"].tolist() == theirs["payload"].tolist()
    assert mine["event_id"].tolist() == theirs["event_id"].tolist()
