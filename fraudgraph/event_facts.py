"""Events that are complete the moment they happen, as graph elements: the same in both event modes.

A transaction or a login waits for its outcome (:mod:`fraudgraph.event_graph`); these do not::

    (:Person)-[:MESSAGED {communication_id, at, channel, relation}]->(:Person)
    (:Account)-[:TRADED {trade_id, at, side, quantity, price, notional, currency}]->(:Company)
    (:Company)-[:ANNOUNCED]->(:Announcement {id, at, news_type, headline, expected_price_impact})
    (:Person)-[:CONTRIBUTED {event_id, at, cycle, amount, currency, on_time, days_late}]->(:Circle)
    (:Person)-[:MISSED {event_id, at, cycle, amount, currency, reason}]->(:Circle)
    (:Person)-[:DROPPED_OUT {event_id, at, cycle, position, reason}]->(:Circle)
    (:Circle)-[:PAID_OUT {event_id, at, cycle, amount, currency, contributions}]->(:Person)
    (:Person)-[:CHANGED_IDENTITY {event_id, at, field}]->(:Device)
    (:Account)-[:LINKED {event_id, at, linked_institution, same_owner, link_method}]->(:Account)
    (:Account)-[:RETURNED {transaction_id, at, return_code, return_reason, amount, currency}]->(:Account)
    (:Company)-[:INVOICED {invoice_id, at, shipment_id, goods, quantity, unit_price, invoice_amount, currency,
                           due_date}]->(:Company)
    (:Company)-[:SHIPPED {bill_id, at, shipment_id, goods, quantity, declared_value, currency, port_of_loading,
                          port_of_discharge, carrier, vessel}]->(:Company)
    (:Account)-[:PAID_INVOICE {event_id, at, invoice_id, amount_paid, currency}]->(:Company)

``at`` is the event's timestamp; unless blind, ``is_fraud`` from the event truth is
on each. They are what the investigation pack (:mod:`fraudgraph.queries`) needs
beyond money and sessions: who talked to whom before a trade, who was paid out of
a circle in which order, which device changed a profile, which invoices no bill of lading covers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fraudgraph.event_payloads import iso_times, payload_fields
from fraudgraph.graphdb import NodeSet, RelSet
from fraudgraph.schema import Property

_P = Property


@dataclass(frozen=True)
class Fact:
    """One event type as one relationship triple: payload field of each end, key and property fields."""

    event_type: str
    src: str
    type: str
    dst: str
    src_field: str
    dst_field: str
    key: str
    properties: tuple[Property, ...]


def _key(name: str, what: str) -> Property:
    return _P(name, "string", what)


AT = _P("at", "datetime", "When it happened.")
EVENT_ID = _key("event_id", "The event's id in the event streams.")
AMOUNT, CURRENCY = _P("amount", "float", "Amount."), _P("currency", "string", "ISO 4217 code.")
CYCLE = _P("cycle", "int", "The circle's contribution cycle.", nullable=True)
GOODS, QUANTITY = _P("goods", "string", "What is shipped."), _P("quantity", "int", "Units.")

FACTS = (
    Fact("communication-sent", "Person", "MESSAGED", "Person", "sender_id", "recipient_id", "communication_id",
         (_key("communication_id", "The communication's id."), AT, _P("channel", "string", "message, call, email."),
          _P("relation", "string", "How the two know each other.", nullable=True))),
    Fact("trade-executed", "Account", "TRADED", "Company", "account_id", "company_id", "trade_id",
         (_key("trade_id", "The trade's id."), AT, _P("side", "string", "buy or sell."),
          _P("quantity", "int", "Shares."), _P("price", "float", "Price per share."),
          _P("notional", "float", "Quantity times price."), CURRENCY)),
    Fact("circle-contribution-received", "Person", "CONTRIBUTED", "Circle", "member_id", "circle_id", "event_id",
         (EVENT_ID, AT, CYCLE, AMOUNT, CURRENCY, _P("on_time", "bool", "Paid by the due date.", nullable=True),
          _P("days_late", "int", "Days after the due date.", nullable=True))),
    Fact("circle-contribution-missed", "Person", "MISSED", "Circle", "member_id", "circle_id", "event_id",
         (EVENT_ID, AT, CYCLE, AMOUNT, CURRENCY, _P("reason", "string", "Why.", nullable=True))),
    Fact("circle-member-dropped", "Person", "DROPPED_OUT", "Circle", "member_id", "circle_id", "event_id",
         (EVENT_ID, AT, CYCLE, _P("position", "int", "Place in the rotation.", nullable=True),
          _P("reason", "string", "Why.", nullable=True))),
    Fact("circle-payout-executed", "Circle", "PAID_OUT", "Person", "circle_id", "recipient_id", "event_id",
         (EVENT_ID, AT, CYCLE, AMOUNT, CURRENCY,
          _P("contributions", "int", "Contributions the pot held.", nullable=True))),
    Fact("identity-changed", "Person", "CHANGED_IDENTITY", "Device", "user_id", "device_id", "event_id",
         (EVENT_ID, AT, _P("field", "string", "email, phone or address."))),
    Fact("bank-link-added", "Account", "LINKED", "Account", "account_id", "linked_account_id", "event_id",
         (EVENT_ID, AT, _P("linked_institution", "string", "The linked account's bank.", nullable=True),
          _P("same_owner", "bool", "Whether the owner says it is theirs.", nullable=True),
          _P("link_method", "string", "How it was verified.", nullable=True))),
    Fact("transaction-returned", "Account", "RETURNED", "Account", "account_id", "counterparty_account_id",
         "transaction_id",
         (_key("transaction_id", "The returned payment's transaction id."), AT,
          _P("return_code", "string", "Nacha return reason code (R01 insufficient funds, ...)."),
          _P("return_reason", "string", "What the code means."), AMOUNT, CURRENCY)),
    Fact("invoice-issued", "Company", "INVOICED", "Company", "supplier_id", "buyer_id", "invoice_id",
         (_key("invoice_id", "The invoice's id."), AT, _P("shipment_id", "string", "The shipment it invoices."),
          GOODS, QUANTITY, _P("unit_price", "float", "Invoiced price per unit."),
          _P("invoice_amount", "float", "Invoiced amount."), CURRENCY,
          _P("due_date", "string", "Day the payment is due (ISO 8601).", nullable=True))),
    Fact("bill-of-lading-issued", "Company", "SHIPPED", "Company", "shipper_id", "consignee_id", "bill_id",
         (_key("bill_id", "The bill of lading's id."), AT, _P("shipment_id", "string", "The shipment it covers."),
          GOODS, QUANTITY, _P("declared_value", "float", "Declared value of the goods."), CURRENCY,
          _P("port_of_loading", "string", "UN/LOCODE.", nullable=True),
          _P("port_of_discharge", "string", "UN/LOCODE.", nullable=True),
          _P("carrier", "string", "Ocean carrier.", nullable=True), _P("vessel", "string", "Vessel.", nullable=True))),
    Fact("invoice-paid", "Account", "PAID_INVOICE", "Company", "account_id", "supplier_id", "event_id",
         (EVENT_ID, AT, _P("invoice_id", "string", "The invoice paid."), _P("amount_paid", "float", "Amount paid."),
          CURRENCY)),
)
ANNOUNCEMENT = "Announcement"
ANNOUNCEMENT_PROPERTIES = (AT, _P("news_type", "string", "earnings_beat, guidance_cut, ..."),
                           _P("headline", "string", "The headline."),
                           _P("expected_price_impact", "float", "Relative price move the news causes."))
_FRAUD = _P("is_fraud", "bool", "Ground truth of the event (absent in a blind load).")


def fact_sets(blind: bool) -> tuple[tuple[NodeSet, ...], tuple[RelSet, ...]]:
    """Every set these events can produce, with no rows (see :func:`fraudgraph.event_graph.event_sets`)."""
    fraud = () if blind else (_FRAUD,)
    props = ANNOUNCEMENT_PROPERTIES + fraud
    nodes = (NodeSet(ANNOUNCEMENT, props, pd.DataFrame(columns=["id"] + [p.name for p in props])),)
    rels = tuple(RelSet(f.src, f.type, f.dst, f.properties + fraud,
                        pd.DataFrame(columns=["src", "dst"] + [p.name for p in f.properties + fraud]), f.key)
                 for f in FACTS)
    return nodes, rels + (RelSet("Company", "ANNOUNCED", ANNOUNCEMENT, (), pd.DataFrame(columns=["src", "dst"])),)


def facts(events: pa.Table, fraud: pd.Index | None) -> tuple[list[NodeSet], list[RelSet]]:
    """The elements of one batch's complete-on-arrival events, in stream order (``fraud``: fraud event ids,
    ``None`` when blind)."""
    rels = []
    for fact in FACTS:
        fields = [fact.src_field, fact.dst_field] + [p.name for p in fact.properties if p.name not in ("event_id", "at")]
        rows = payload_fields(events, fact.event_type, list(dict.fromkeys(fields)))
        if not len(rows):
            continue
        rows = rows.assign(at=_timestamps(events, fact.event_type))
        rows = rows[rows[fact.src_field].notna() & rows[fact.dst_field].notna()]
        frame = pd.DataFrame({"src": rows[fact.src_field].to_numpy(object), "dst": rows[fact.dst_field].to_numpy(object)})
        for p in fact.properties:
            frame[p.name] = iso_times(rows["at"]) if p.name == "at" else _typed(rows[p.name], p.dtype)
        rels.append(_flagged(RelSet(fact.src, fact.type, fact.dst, fact.properties, frame, fact.key), rows, fraud))
    nodes = []
    news = payload_fields(events, "company-announcement", ["announcement_id", "company_id", "news_type", "headline",
                                                           "expected_price_impact"])
    if len(news):
        frame = pd.DataFrame({"id": news["announcement_id"].to_numpy(object),
                              "at": iso_times(_timestamps(events, "company-announcement")),
                              "news_type": news["news_type"].to_numpy(object),
                              "headline": news["headline"].to_numpy(object),
                              "expected_price_impact": _typed(news["expected_price_impact"], "float")})
        node = NodeSet(ANNOUNCEMENT, ANNOUNCEMENT_PROPERTIES, frame)
        if fraud is not None:
            frame["is_fraud"] = news["event_id"].isin(fraud).to_numpy()
            node = NodeSet(ANNOUNCEMENT, ANNOUNCEMENT_PROPERTIES + (_FRAUD,), frame)
        nodes.append(node)
        rels.append(RelSet("Company", "ANNOUNCED", ANNOUNCEMENT, (), pd.DataFrame(
            {"src": news["company_id"].to_numpy(object), "dst": news["announcement_id"].to_numpy(object)})))
    return nodes, rels


def _flagged(rels: RelSet, rows: pd.DataFrame, fraud: pd.Index | None) -> RelSet:
    if fraud is None:
        return rels
    frame = rels.frame.assign(is_fraud=rows["event_id"].isin(fraud).to_numpy())
    return RelSet(rels.src, rels.type, rels.dst, rels.properties + (_FRAUD,), frame, rels.key)


def _timestamps(events: pa.Table, kind: str) -> np.ndarray:
    return events.filter(pc.equal(events.column("event_type"), kind)).column("timestamp").to_numpy(
        zero_copy_only=False)


def _typed(values: pd.Series, dtype: str):
    """Payload text as the property's type (amounts travel as decimal strings); text and flags as objects with
    ``None`` for missing."""
    if dtype == "float":
        return pd.to_numeric(values).astype(float).to_numpy()
    if dtype == "int":
        return pd.array(pd.to_numeric(values), dtype="Int64")
    return values.astype(object).where(values.notna(), None).to_numpy(object)
