"""Documents: the invoices and bills of lading of SUPPLIES shipments, and the payment of each invoice.

Legitimate processes
--------------------
- every SUPPLIES edge ships at its ``monthly_count`` (Poisson per day, office
  weekdays), drawn as one process over all edges as the transactions family
  walks its edges; each shipment has an invoice from the supplier
  (``invoice-issued``: quantity, unit price, amount, currency, due date) and,
  hours to a few days later, a bill of lading from the carrier
  (``bill-of-lading-issued``: quantity, declared value, the edge's ports,
  carrier and vessel), both naming the shipment;
- invoices follow the edge's ``invoice_amount`` and declared values its
  ``goods_value``, each shipment with its own spread; quantities come from the
  goods' reference unit price (:data:`fraudgraph.vocab.trade.UNIT_PRICE`) with
  the spread real prices have, so a unit price alone says little;
- the buyer's operating account pays each invoice within its payment terms
  (0.985-1x of it: bank charges, early-payment discounts; the terms, the bill's
  delay and these shares are ``events.documents``): a payment for the
  ledger, rendered by the transactions family, and once it settles
  ``invoice-paid`` with the same correlation id. While this family runs, the
  transactions family leaves the standing supplier transfers to it.

Scripted rows
-------------
The patterns' rows on a SUPPLIES edge (kinds ``shipment``, ``invoice``,
``reinvoice``, ``bill_of_lading``) and the payments on the matching
TRANSFERS_TO edge (``invoice_payment``) are taken in time order, per instance
and edge: a ``shipment`` is an invoice with its bill of lading; an ``invoice``
opens a shipment that no bill covers yet (a phantom shipment, or goods invoiced
in advance); a ``reinvoice`` invoices the latest shipment again (multiple
invoicing, or one order of a consolidated shipment); a ``bill_of_lading``
covers the oldest shipment still without one; an ``invoice_payment`` pays the
unpaid invoice closest to its amount. Which of these is falsified is in the
instance's truth only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from fraudgraph import schema
from fraudgraph.timeline import clock
from fraudgraph.timeline import envelope as env
from fraudgraph.timeline.family import Day, DayPlan, Family, Outcome
from fraudgraph.timeline.frames import events as make_events
from fraudgraph.timeline.frames import payments as make_payments
from fraudgraph.units import DAY, HOUR, to_seconds
from fraudgraph.vocab.trade import (
    CARRIERS,
    NUMERALS,
    PORT_WEIGHT,
    PORTS,
    UNIT_PRICE,
    VESSELS,
)

SUPPLIES = ("Company", "SUPPLIES", "Company")
SUPPLIES_STEM = schema.stem(*SUPPLIES)
#: Scheduled kinds this family renders.
SCRIPTED = schema.schedule_kinds("documents")
#: Reference unit price of each of :data:`fraudgraph.schema.GOODS`, by position.
GOODS_PRICE = np.array([UNIT_PRICE[g] for g in schema.GOODS])
#: Log-normal spreads of one shipment: invoice around the edge's, declared value around the invoice's share,
#: and a unit's market price around the reference.
INVOICE_SIGMA, VALUE_SIGMA, PRICE_SIGMA = 0.15, 0.05, 0.2
_PORT_P = np.asarray(PORT_WEIGHT) / np.sum(PORT_WEIGHT)
_VESSEL_NAMES = np.array([f"{v} {n}" for v in VESSELS for n in NUMERALS], dtype=object)


@dataclass
class _Docs:
    """Invoices or bills of a day, column by column (companies by position; ids and texts as object arrays)."""

    time: list = field(default_factory=list)
    doc_id: list = field(default_factory=list)
    shipment: list = field(default_factory=list)
    seller: list = field(default_factory=list)
    buyer: list = field(default_factory=list)
    goods: list = field(default_factory=list)
    quantity: list = field(default_factory=list)
    amount: list = field(default_factory=list)
    lane: list = field(default_factory=list)
    corr: list = field(default_factory=list)
    pattern: list = field(default_factory=list)

    def add(self, **columns) -> None:
        for name, value in columns.items():
            getattr(self, name).append(np.atleast_1d(np.asarray(value, dtype=object if name in _TEXT else None)))

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: (np.concatenate(parts) if parts else np.zeros(0, dtype=object if name in _TEXT else np.int64))
                for name, parts in self.__dict__.items()}


_TEXT = ("doc_id", "shipment", "goods", "pattern")


class Documents(Family):
    """Trade documents of the SUPPLIES edges and the invoices' payments (see the module docstring)."""

    name = "documents"
    event_types = ("invoice-issued", "bill-of-lading-issued", "invoice-paid")

    def __init__(self, context):
        super().__init__(context)
        world = context.world
        rng = context.seeds.rng("timeline", "documents", "setup")
        sup = world.graph.edges[SUPPLIES]
        n = len(sup)
        # each relationship's trade lane: ports, carrier, vessel and payment terms
        load = rng.choice(len(PORTS), n, p=_PORT_P)
        other = rng.choice(len(PORTS), n, p=_PORT_P)
        self.port_from = np.array([p[0] for p in PORTS], dtype=object)[load]
        self.port_to = np.array([p[0] for p in PORTS], dtype=object)[np.where(other == load, (other + 1) % len(PORTS), other)]
        self.carrier = np.array(CARRIERS, dtype=object)[rng.integers(0, len(CARRIERS), n)]
        self.vessel = _VESSEL_NAMES[rng.integers(0, len(_VESSEL_NAMES), n)]
        self.cfg = cfg = context.config.documents
        self.terms = np.asarray(cfg.payment_terms_days, dtype=np.int64)[rng.integers(0, len(cfg.payment_terms_days), n)]
        self.lanes = pd.Index((sup["src"].astype(str) + "|" + sup["dst"].astype(str)).to_numpy())
        seller, buyer = world.pos("Company", sup["src"]), world.pos("Company", sup["dst"])
        pairs = context.scripted_pairs(SUPPLIES_STEM)
        scripted = self.lanes.isin(pairs["src"].astype(str) + "|" + pairs["dst"].astype(str)) if len(pairs) else np.zeros(n, bool)
        keep = np.flatnonzero(~scripted & (seller >= 0) & (buyer >= 0))
        invoice = sup["invoice_amount"].to_numpy(dtype=np.float64)[keep]
        self.walk = {
            "lane": keep, "seller": seller[keep], "buyer": buyer[keep],
            "goods": pd.Index(schema.GOODS).get_indexer(sup["goods"].to_numpy(dtype=object)[keep]),
            "invoice": invoice,
            "ratio": invoice / np.maximum(sup["goods_value"].to_numpy(dtype=np.float64)[keep], 0.01),
            "since": to_seconds(sup["since"])[keep],
            "cum_rate": np.cumsum(sup["monthly_count"].to_numpy(dtype=np.float64)[keep] / 30.44),
        }
        # invoices awaiting their payment, and per (instance, seller, buyer) the scripted shipments and invoices
        self.due = pd.DataFrame({"time": np.zeros(0, np.int64), "src": np.zeros(0, np.int64),
                                 "dst": np.zeros(0, np.int64), "amount": np.zeros(0), "invoice": np.zeros(0, object),
                                 "seller": np.zeros(0, np.int64), "buyer": np.zeros(0, np.int64)})
        self.open: dict[tuple, list[list]] = {}
        self.unpaid: dict[tuple, list[tuple]] = {}
        self.counter = 0

    def _corrs(self, n: int) -> np.ndarray:
        out = np.arange(self.counter, self.counter + n, dtype=np.int64)
        self.counter += n
        return out

    # -- the day ------------------------------------------------------------------------
    def plan(self, day: Day, rng: np.random.Generator) -> DayPlan:
        """The day's invoices and bills of lading, and the payments of invoices falling due."""
        walk_rng, script_rng, pay_rng = rng.spawn(3)
        invoices, bills = _Docs(), _Docs()
        self._walk(day, walk_rng, invoices, bills)
        pay = self._scripted(day, script_rng, invoices, bills)
        inv, bol = invoices.arrays(), bills.arrays()
        self._owe(pay_rng, inv)
        pay = pd.concat([self._falling_due(day), pay], ignore_index=True)
        world = self.ctx.world
        user = world.account_holder[np.maximum(pay["src"].to_numpy(), 0)]
        payments = make_payments(
            len(pay), time=pay["time"].to_numpy(), src=pay["src"].to_numpy(), dst=pay["dst"].to_numpy(),
            amount=pay["amount"].to_numpy(), tx_type="bank_transfer", user=user,
            device=np.where(user >= 0, world.primary_device[np.maximum(user, 0)], -1),
            ip=np.where(user >= 0, world.home_ip[np.maximum(user, 0)], -1),
            corr=self._corrs(len(pay)), pattern_id=pay["pattern"].to_numpy(dtype=object))
        events = [t for t in (self._invoice_events(inv), self._bill_events(bol)) if t is not None]
        return DayPlan(events=events, payments=payments, state=pay)

    def settle(self, day: Day, plan: DayPlan, outcome: Outcome, rng: np.random.Generator) -> list[pa.Table]:
        """``invoice-paid`` for every payment the ledger settled, with the payment's correlation."""
        ok = np.flatnonzero(np.asarray(outcome.ok, dtype=bool))
        if len(ok) == 0:
            return []
        world = self.ctx.world
        pay, payments = plan.state.iloc[ok], plan.payments.iloc[ok]
        time = payments["time"].to_numpy() + rng.integers(60, 2 * HOUR, len(ok))
        amount = payments["amount"].to_numpy()
        payload = env.json_object([
            ("invoice_id", env.text(pa.array(pay["invoice"].to_numpy(dtype=object), pa.large_string()), safe=True)),
            ("supplier_id", env.text(world.take("Company", pay["seller"].to_numpy()), safe=True)),
            ("buyer_id", env.text(world.take("Company", pay["buyer"].to_numpy()), safe=True)),
            ("account_id", env.text(world.take("Account", payments["src"].to_numpy()), safe=True)),
            ("amount_paid", env.money(amount)),
            ("currency", env.text(self._currency(pay["buyer"].to_numpy()), safe=True)),
            ("paid_at", env.text(env.iso_seconds(payments["time"].to_numpy()), safe=True)),
        ])
        pattern = pa.array(payments["pattern_id"].to_numpy(dtype=object), pa.large_string())
        return [make_events("invoice-paid", time, payments["corr"].to_numpy(), payload, pattern_id=pattern)]

    # -- legitimate shipments -----------------------------------------------------------
    def _walk(self, day: Day, rng: np.random.Generator, invoices: _Docs, bills: _Docs) -> None:
        """The standing edges' shipments of the day: one Poisson process over all edges (see the transactions
        family's ``_pick_edges``), thinned to edges already trading."""
        w = self.walk
        cum = w["cum_rate"]
        total = float(cum[-1]) if cum.size else 0.0
        scale = clock.weekday_factor(day, "office")
        if total <= 0:
            return
        rows = np.sort(np.minimum(np.searchsorted(cum, rng.random(rng.poisson(total * scale)) * total, side="right"),
                                  cum.size - 1))
        rows = rows[w["since"][rows] < day.end]
        n = len(rows)
        if n == 0:
            return
        time = np.maximum(clock.times_in_day(rng, day, n, "office"), w["since"][rows])
        amount = np.round(w["invoice"][rows] * np.exp(rng.normal(0, INVOICE_SIGMA, n)), 2)
        value = np.round(amount / w["ratio"][rows] * np.exp(rng.normal(0, VALUE_SIGMA, n)), 2)
        goods = w["goods"][rows]
        quantity = np.maximum(1, np.round(value / (GOODS_PRICE[goods] * np.exp(rng.normal(0, PRICE_SIGMA, n))))).astype(np.int64)
        shipment = env.uuids(rng, n).to_numpy(zero_copy_only=False)
        corr = self._corrs(n)
        common = dict(shipment=shipment, seller=w["seller"][rows], buyer=w["buyer"][rows],
                      goods=np.array(schema.GOODS, dtype=object)[goods], quantity=quantity, lane=w["lane"][rows],
                      corr=corr, pattern=np.full(n, None, dtype=object))
        invoices.add(time=time, doc_id=env.uuids(rng, n).to_numpy(zero_copy_only=False), amount=amount, **common)
        lading = time + (rng.uniform(1, self.cfg.lading_hours_max, n) * HOUR).astype(np.int64)
        bills.add(time=lading, doc_id=env.uuids(rng, n).to_numpy(zero_copy_only=False), amount=value, **common)

    def _owe(self, rng: np.random.Generator, inv: dict) -> None:
        """Queue the payment of each new unscripted invoice whose companies both bank here."""
        world = self.ctx.world
        legit = pd.isna(inv["pattern"]).astype(bool)
        src = world.company_account[inv["buyer"].astype(np.int64)] if len(legit) else np.zeros(0, np.int64)
        dst = world.company_account[inv["seller"].astype(np.int64)] if len(legit) else np.zeros(0, np.int64)
        keep = np.flatnonzero(legit & (src >= 0) & (dst >= 0) & (src != dst))
        if len(keep) == 0:
            return
        terms = self.terms[inv["lane"][keep].astype(np.int64)]
        time = inv["time"][keep].astype(np.int64) + (terms * rng.uniform(self.cfg.pay_within_min, self.cfg.pay_within_max, len(keep)) * DAY).astype(np.int64)
        amount = np.round(inv["amount"][keep].astype(np.float64) * rng.uniform(self.cfg.paid_share_min, 1.0, len(keep)), 2)
        new = pd.DataFrame({"time": time, "src": src[keep], "dst": dst[keep], "amount": amount,
                            "invoice": inv["doc_id"][keep], "seller": inv["seller"][keep].astype(np.int64),
                            "buyer": inv["buyer"][keep].astype(np.int64)})
        self.due = pd.concat([self.due, new], ignore_index=True)

    def _falling_due(self, day: Day) -> pd.DataFrame:
        """Queued payments of ``day`` (their invoices are at least a day old)."""
        due = self.due["time"].to_numpy() < day.end
        out = self.due[due].sort_values("time", kind="stable").reset_index(drop=True)
        self.due = self.due[~due].reset_index(drop=True)
        return out.assign(pattern=pd.Series([None] * len(out), dtype=object))

    # -- scripted documents -------------------------------------------------------------
    def _scripted(self, day: Day, rng: np.random.Generator, invoices: _Docs, bills: _Docs) -> pd.DataFrame:
        """The patterns' documents and invoice payments of the day, row by row in time order (few rows)."""
        ctx, world = self.ctx, self.ctx.world
        rows = ctx.scripted(day, SCRIPTED)
        paying = _payments()
        if rows.empty:
            return paying
        n = len(rows)
        ids = env.uuids(rng, 2 * n).to_numpy(zero_copy_only=False)
        noise = np.exp(rng.normal(0, PRICE_SIGMA, n))
        lading = (rng.uniform(1, self.cfg.lading_hours_max, n) * HOUR).astype(np.int64)
        corr = self._corrs(n)
        kind = rows["kind"].to_numpy(dtype=object)
        src, dst = rows["src"].to_numpy(dtype=object), rows["dst"].to_numpy(dtype=object)
        is_pay = kind == "invoice_payment"
        # a payment names the accounts (buyer -> seller), a document the companies (seller -> buyer)
        pay_src, pay_dst = world.pos("Account", np.where(is_pay, src, "")), world.pos("Account", np.where(is_pay, dst, ""))
        owner = np.r_[world.account_company, -1]
        seller = np.where(is_pay, owner[pay_dst], world.pos("Company", np.where(is_pay, "", src)))
        buyer = np.where(is_pay, owner[pay_src], world.pos("Company", np.where(is_pay, "", dst)))
        ends = [pd.Series(world.take("Company", c).to_numpy(zero_copy_only=False), dtype=object).fillna("")
                for c in (seller, buyer)]
        lane = np.maximum(self.lanes.get_indexer((ends[0] + "|" + ends[1]).to_numpy()), 0)
        time = rows["t"].to_numpy(dtype=np.int64)
        amount = rows["amount"].to_numpy(dtype=np.float64)
        quantity = np.maximum(1, np.nan_to_num(rows["quantity"].to_numpy(dtype=np.float64), nan=1.0)).astype(np.int64)
        goods = rows["detail"].to_numpy(dtype=object)
        pattern = rows["pattern_id"].to_numpy(dtype=object)
        pays = []
        for i in range(n):
            key = (pattern[i], int(seller[i]), int(buyer[i]))
            opened, unpaid = self.open.setdefault(key, []), self.unpaid.setdefault(key, [])
            doc = dict(seller=seller[i], buyer=buyer[i], goods=goods[i], quantity=quantity[i], lane=lane[i],
                       pattern=pattern[i])
            if kind[i] == "invoice_payment":
                if not unpaid:
                    continue
                pick = int(np.argmin([abs(u[1] - amount[i]) for u in unpaid]))
                invoice_id = unpaid.pop(pick)[0]
                pays.append((time[i], pay_src[i], pay_dst[i], amount[i], invoice_id, seller[i], buyer[i], pattern[i]))
            elif kind[i] == "bill_of_lading":
                waiting = next((s for s in opened if not s[1]), None)
                if waiting is None:
                    waiting = [ids[2 * i + 1], False, corr[i]]
                    opened.append(waiting)
                waiting[1] = True
                bills.add(time=time[i], doc_id=ids[2 * i], shipment=waiting[0], amount=amount[i], corr=waiting[2], **doc)
            else:
                if kind[i] == "reinvoice" and opened:
                    shipment = opened[-1]
                else:
                    shipment = [ids[2 * i + 1], kind[i] == "shipment", corr[i]]
                    opened.append(shipment)
                invoices.add(time=time[i], doc_id=ids[2 * i], shipment=shipment[0], amount=amount[i], corr=corr[i], **doc)
                unpaid.append((ids[2 * i], amount[i]))
                if kind[i] == "shipment":
                    value = round(float(quantity[i] * UNIT_PRICE.get(goods[i], 1.0) * noise[i]), 2)
                    bills.add(time=time[i] + lading[i], doc_id=ids[2 * i + 1], shipment=shipment[0], amount=value,
                              corr=corr[i], **doc)
        if not pays:
            return paying
        return pd.DataFrame(pays, columns=list(paying.columns)).astype(paying.dtypes.to_dict())

    def _currency(self, companies: np.ndarray) -> pa.Array:
        """Currency of each company's operating account (USD when it has none here)."""
        world = self.ctx.world
        acc = world.company_account[np.asarray(companies, dtype=np.int64)]
        cur = world.account_currency.take(pa.array(np.maximum(acc, 0))) if world.n["Account"] else pa.nulls(len(acc), pa.large_string())
        return pa.array(np.where(acc >= 0, cur.to_numpy(zero_copy_only=False), "USD").astype(object), pa.large_string())

    # -- events -------------------------------------------------------------------------
    def _invoice_events(self, inv: dict) -> pa.Table | None:
        n = len(inv["time"])
        if n == 0:
            return None
        world = self.ctx.world
        time = inv["time"].astype(np.int64)
        amount = inv["amount"].astype(np.float64)
        quantity = inv["quantity"].astype(np.int64)
        terms = self.terms[inv["lane"].astype(np.int64)]
        payload = env.json_object([
            ("invoice_id", env.text(_text(inv["doc_id"]), safe=True)),
            ("shipment_id", env.text(_text(inv["shipment"]), safe=True)),
            ("supplier_id", env.text(world.take("Company", inv["seller"].astype(np.int64)), safe=True)),
            ("buyer_id", env.text(world.take("Company", inv["buyer"].astype(np.int64)), safe=True)),
            ("goods", env.text(_text(inv["goods"]), safe=True)),
            ("quantity", env.number(pa.array(quantity))),
            ("unit_price", env.money(amount / quantity)),
            ("invoice_amount", env.money(amount)),
            ("currency", env.text(self._currency(inv["buyer"]), safe=True)),
            ("issued_at", env.text(env.iso_seconds(time), safe=True)),
            ("due_date", env.text(env.iso_dates(time + terms * DAY), safe=True)),
        ])
        return make_events("invoice-issued", time, inv["corr"].astype(np.int64), payload,
                           pattern_id=_text(inv["pattern"]))

    def _bill_events(self, bol: dict) -> pa.Table | None:
        n = len(bol["time"])
        if n == 0:
            return None
        world = self.ctx.world
        time = bol["time"].astype(np.int64)
        lane = bol["lane"].astype(np.int64)
        payload = env.json_object([
            ("bill_id", env.text(_text(bol["doc_id"]), safe=True)),
            ("shipment_id", env.text(_text(bol["shipment"]), safe=True)),
            ("shipper_id", env.text(world.take("Company", bol["seller"].astype(np.int64)), safe=True)),
            ("consignee_id", env.text(world.take("Company", bol["buyer"].astype(np.int64)), safe=True)),
            ("goods", env.text(_text(bol["goods"]), safe=True)),
            ("quantity", env.number(pa.array(bol["quantity"].astype(np.int64)))),
            ("declared_value", env.money(bol["amount"].astype(np.float64))),
            ("currency", env.text(self._currency(bol["buyer"]), safe=True)),
            ("port_of_loading", env.text(_text(self.port_from[lane]), safe=True)),
            ("port_of_discharge", env.text(_text(self.port_to[lane]), safe=True)),
            ("carrier", env.text(_text(self.carrier[lane]), safe=True)),
            ("vessel", env.text(_text(self.vessel[lane]), safe=True)),
            ("issued_at", env.text(env.iso_seconds(time), safe=True)),
        ])
        return make_events("bill-of-lading-issued", time, bol["corr"].astype(np.int64), payload,
                           pattern_id=_text(bol["pattern"]))


def _payments() -> pd.DataFrame:
    """An empty frame of payments to make: time, accounts, amount, invoice, companies, instance."""
    return pd.DataFrame({"time": np.zeros(0, np.int64), "src": np.zeros(0, np.int64), "dst": np.zeros(0, np.int64),
                         "amount": np.zeros(0), "invoice": np.zeros(0, object), "seller": np.zeros(0, np.int64),
                         "buyer": np.zeros(0, np.int64), "pattern": np.zeros(0, object)})


def _text(values) -> pa.Array:
    return pa.array(np.asarray(values, dtype=object), pa.large_string(), from_pandas=True)
