"""Trade-based money laundering: companies falsify the invoices and shipping documents of the goods they trade.

Fraud: 2-4 companies in a chain (a *front*, zero or more *shells*, a *beneficiary*),
mostly small traders (import/export, transport, manufacturing). Each link is a
``SUPPLIES`` edge (seller -> buyer) and a ``TRANSFERS_TO`` of kind ``supplier``
(buyer's business account -> seller's) that pays each invoice, not the goods.
The documents family renders every invoice and bill of lading; the variant
says which of them lie:

* ``over_invoicing``: the beneficiary sells to the front at 1.5-4x the goods'
  value, so the front's payments carry extra money up the chain;
* ``under_invoicing``: the front ships goods worth 1.7-4x the invoice, so value
  leaves as goods the beneficiary resells at market price;
* ``phantom_shipment``: fairly priced invoices, some of them for goods that
  never ship (an invoice, its payment, and no bill of lading);
* ``multiple_invoicing``: fairly priced shipments, some of them invoiced and
  paid twice (two invoices naming one shipment and its one bill of lading).

For these two, each link draws an over-invoicing ratio (blended alike) and
falsifies as few shipments as make its invoices reach that multiple of the
goods that really ship.

On the edge, ``invoice_amount`` is the typical invoice and ``goods_value`` the
declared goods per invoice, so phantom and multiple invoices also show as
invoices above the goods' value.

Schedules: on the SUPPLIES edges ``shipment`` (an invoice with its bill of
lading: amount = invoiced, quantity = units, detail = goods), ``invoice`` (an
invoice no bill covers yet), ``reinvoice`` (a further invoice of the latest
shipment) and ``bill_of_lading`` (amount = declared value); on the TRANSFERS_TO
edges ``invoice_payment``, one per invoice.
Decoys: legitimate trade with a high markup (branded electronics, medical and
vehicle parts, invoice 1.2-1.6x the declared value) or with clearance and volume
discounts (0.62-0.85x), paid in full, between the same kind of companies; as
many of them as the fraud is phantom or multiple also carry its document trait
honestly: goods invoiced in advance (``advance_invoice``: the bill of lading
follows 1-6 weeks later, possibly after the span) or several orders shipped
together (``consolidated``: two invoices for parts of one bill of lading).
The variant and each link's ``documents`` are in the instance's truth only.
"""

from __future__ import annotations

import numpy as np
from fraudgraph.patterns.base import (
    Injector,
    InjectorConfig,
)
from fraudgraph.patterns.kit import (
    TRANSFERS,
    TRANSFERS_STEM,
    WORKS_AT,
    Draft,
    Toolkit,
    blend,
    monthly_rate,
)
from fraudgraph.patterns.kit.trade_partners import (
    SUPPLIES,
    SUPPLIES_STEM,
    TradePartners,
    shipment_documents,
)
from pydantic import Field

from fraudgraph import schema
from fraudgraph.units import DAY
from fraudgraph.vocab.trade import UNIT_PRICE

#: How likely a company of each industry is to be picked (traders first), for fraud and decoys alike.
INDUSTRY_WEIGHT = {"import_export": 8.0, "transport": 3.0, "manufacturing": 3.0, "retail": 2.0, "technology": 1.5,
                   "construction": 1.5, "grocery": 1.0, "healthcare": 1.0}
#: The documents of each variant's links, and of each decoy variant's (the honest twin of a document trait).
DOCUMENTS = {"over_invoicing": "priced", "under_invoicing": "priced", "phantom_shipment": "phantom",
             "multiple_invoicing": "multiple", "high_markup": "priced", "discount": "priced",
             "advance_invoice": "advance", "consolidated": "consolidated"}
#: Goods that legitimately carry a high markup (brands, certification, after-sales service).
MARKUP_GOODS = ("electronics", "medical_supplies", "vehicles_parts", "machinery")
#: Invoice / goods-value bands of the legitimate look-alikes.
MARKUP_BAND = (1.2, 1.6)
DISCOUNT_BAND = (0.62, 0.85)


class TradeLaunderingConfig(InjectorConfig):
    min_companies: int = Field(2, ge=2, le=10, description="Fewest companies in a laundering chain.")
    max_companies: int = Field(4, ge=2, le=10, description="Most companies in a laundering chain.")
    over_invoicing_share: float = Field(0.6, ge=0.0, le=1.0, description="Share of instances that over-invoice (the rest under-invoice).")
    over_ratio_min: float = Field(1.5, gt=1.0, le=20.0, description="Smallest invoice / goods-value ratio when over-invoicing.")
    over_ratio_max: float = Field(4.0, gt=1.0, le=20.0, description="Largest invoice / goods-value ratio when over-invoicing.")
    under_ratio_min: float = Field(0.25, gt=0.0, lt=1.0, description="Smallest invoice / goods-value ratio when under-invoicing.")
    under_ratio_max: float = Field(0.6, gt=0.0, lt=1.0, description="Largest invoice / goods-value ratio when under-invoicing.")
    phantom_share: float = Field(0.15, ge=0.0, le=1.0, description="Share of instances that invoice phantom shipments.")
    multiple_invoicing_share: float = Field(0.15, ge=0.0, le=1.0, description="Share of instances that invoice shipments more than once (taken after phantom_share; the rest mis-price).")
    min_document_share: float = Field(0.3, ge=0.0, le=1.0, description="Fewest of a decoy link's shipments invoiced in advance or consolidated (fraud: as many phantom or twice-invoiced as its over-invoicing ratio asks).")
    max_document_share: float = Field(0.7, ge=0.0, le=1.0, description="Most of a decoy link's shipments invoiced in advance or consolidated.")
    min_shipments: int = Field(2, ge=1, le=100, description="Fewest shipments on each link.")
    max_shipments: int = Field(8, ge=1, le=100, description="Most shipments on each link.")
    new_companies: bool = Field(True, description="Create shell companies when too few ordinary ones are free.")


class TradeBasedLaundering(Injector):
    name = "trade_based_laundering"
    config_model = TradeLaunderingConfig
    persons_per_instance = 2.0

    def inject(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        world = TradePartners(graph, kit, INDUSTRY_WEIGHT)
        out = []
        for _ in range(count):
            k = int(rng.integers(config.min_companies, config.max_companies + 1))
            companies = world.pick(rng, k)
            if len(companies) < k and config.new_companies:
                companies += world.new_shells(rng, k - len(companies))
            if len(companies) < 2:
                break
            k = len(companies)
            u = rng.random()
            over = rng.random() < config.over_invoicing_share
            b = ctx.knobs.amount_blending
            # log-ratio from its mild end to its extreme one; blending leans to the mild end
            mild, extreme = ((config.over_ratio_min, config.over_ratio_max) if over
                             else (config.under_ratio_max, config.under_ratio_min))
            lo, hi = np.log(mild), np.log(extreme)
            ratios = np.exp(lo + (hi - lo) * rng.random(k - 1) ** (1 + 2 * b))
            ratios = blended_ratio(ratios, b)
            roles = ["front"] + ["shell"] * (k - 2) + ["beneficiary"]
            variant = "over_invoicing" if over else "under_invoicing"
            if u < config.phantom_share + config.multiple_invoicing_share:
                # fair prices, false documents, as many invoices per shipped goods as over-invoicing would charge;
                # the money moves up the chain as with over-invoicing
                variant = "phantom_shipment" if u < config.phantom_share else "multiple_invoicing"
                lo, hi = np.log(config.over_ratio_min), np.log(config.over_ratio_max)
                ratios = blended_ratio(np.exp(lo + (hi - lo) * rng.random(k - 1) ** (1 + 2 * b)), b)
                over = True
            out.append(self._chain(world, kit, rng, config, ctx, companies, roles, ratios, over, variant,
                                   is_fraud=True))
        world.flush()
        return out

    def inject_decoys(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        world = TradePartners(graph, kit, INDUSTRY_WEIGHT)
        out = []
        for _ in range(count):
            k = int(rng.integers(config.min_companies, config.max_companies + 1))
            companies = world.pick(rng, k)
            if len(companies) < 2:
                break
            k = len(companies)
            u = rng.random()
            markup = rng.random() < config.over_invoicing_share
            band = MARKUP_BAND if markup else DISCOUNT_BAND
            ratios = np.exp(rng.uniform(np.log(band[0]), np.log(band[1]), k - 1))
            variant = "high_markup" if markup else "discount"
            if u < config.phantom_share + config.multiple_invoicing_share:
                variant = "advance_invoice" if u < config.phantom_share else "consolidated"
            inst = self._chain(world, kit, rng, config, ctx, companies, ["trader"] * k, ratios, markup,
                               variant, is_fraud=False, goods_pool=MARKUP_GOODS if markup else None)
            inst.parameters["decoy_of"] = self.name
            out.append(inst)
        world.flush()
        return out

    def _chain(self, world: TradePartners, kit: Toolkit, rng, config, ctx, companies, roles, ratios, forward_pay: bool,
               variant: str, *, is_fraud: bool, goods_pool=None):
        """Companies ``c0 .. ck`` trading along a chain; payments move from c0 towards ck when ``forward_pay``."""
        accounts = [world.account(c) for c in companies]
        window = kit.window(rng.uniform(30, 150))
        goods_pool = goods_pool or schema.GOODS
        draft = Draft(self.name, is_fraud, variant=variant)
        links = []
        for i in range(len(companies) - 1):
            # forward_pay: c(i+1) sells to c(i) and c(i) pays; otherwise c(i) sells to c(i+1) and c(i+1) pays
            seller, buyer = (i + 1, i) if forward_pay else (i, i + 1)
            links.append(_supply(world, kit, rng, config, ctx, draft, (companies[seller], accounts[seller]),
                                 (companies[buyer], accounts[buyer]), float(ratios[i]), window, goods_pool,
                                 DOCUMENTS[variant]))
        for c, r in zip(companies, roles):
            draft.member("Company", c, r)
        for a, r in zip(accounts, roles):
            draft.member("Account", a, f"{r}_account")
        for c in companies:
            boss = world.controller(c)
            if boss is not None:
                draft.member("Person", boss, "controller" if is_fraud else "officer")
                draft.edge(WORKS_AT, boss, c, "control" if is_fraud else "employment")
                kit.ctx.used_persons.add(boss)
        kit.ctx.used_companies.update(companies)
        kit.ctx.used_accounts.update(accounts)
        draft.parameters = {"companies": len(companies), "links": links,
                            "new_companies": [c for c in companies if c in world.created_here]}
        return draft.build()


def _supply(world: TradePartners, kit: Toolkit, rng, config, ctx, draft: Draft, seller: tuple[str, str],
            buyer: tuple[str, str], ratio: float, window: tuple[int, int], goods_pool, documents: str) -> dict:
    """Shipments ``seller -> buyer`` invoiced at ``ratio`` times the goods' value, each invoice paid by the buyer.

    ``seller`` and ``buyer`` are ``(company, account)``; ``documents`` (see :data:`DOCUMENTS`) says how
    the shipments are documented. Returns the link as the instance's parameters describe it.
    """
    (s_co, s_acc), (b_co, b_acc) = seller, buyer
    target = None
    if documents in ("phantom", "multiple"):
        # fairly priced goods; ``ratio`` is what the false invoices add up to per declared value
        target, ratio = ratio, 1.0
    goods = goods_pool[int(rng.integers(0, len(goods_pool)))]
    quiet = world.donor_value(rng)
    loud = float(np.exp(rng.normal(np.log(30_000.0), 0.6)))
    value = round(blend(loud, quiet, ctx.knobs.amount_blending) if draft.is_fraud else quiet, 2)
    invoice = round(value * ratio, 2)
    n = int(rng.integers(config.min_shipments, config.max_shipments + 1))
    if documents != "priced":
        n = max(n, 2)
    ship_t = np.sort(kit.times(n, *window))
    per_invoice = np.round(invoice * np.exp(rng.normal(0, 0.08, n)), 2)
    units = np.maximum(1, np.round(per_invoice / ratio / UNIT_PRICE[goods]))
    declared = np.round(per_invoice / ratio, 2)
    docs = shipment_documents(rng, documents, ship_t, per_invoice, units, declared, ctx.end, target,
                              share=(config.min_document_share, config.max_document_share))
    inv = docs[docs["kind"] != "bill_of_lading"]
    spread = 0.3 + 0.7 * ctx.knobs.timing_spread
    inv_t = inv["time"].to_numpy(np.int64)
    pay_t = inv_t + (rng.uniform(3, 30, len(inv)) * DAY * spread).astype(np.int64)
    pay_t = np.maximum(np.minimum(pay_t, ctx.end - 60), inv_t)
    paid = np.round(inv["amount"].to_numpy() * rng.uniform(0.985, 1.0, len(inv)), 2)
    shipped = declared[docs.attrs["shipped"]].sum()
    edge_ratio = float(inv["amount"].sum() / shipped)
    rate = monthly_rate(n, ctx)
    world.edges.queue(SUPPLIES, s_co, b_co, goods=goods, invoice_amount=round(float(inv["amount"].mean()), 2),
                      goods_value=round(float(shipped / len(inv)), 2), monthly_count=rate, since=int(ship_t[0]))
    world.edges.queue(TRANSFERS, b_acc, s_acc, kind="supplier", typical_amount=float(np.median(paid)),
                      monthly_count=rate, since=int(pay_t.min()))
    draft.schedule(docs["time"].to_numpy(np.int64), docs["kind"].to_numpy(object), SUPPLIES_STEM, s_co, b_co,
                   docs["amount"].to_numpy(float), docs["quantity"].to_numpy(float), goods)
    draft.schedule(pay_t, "invoice_payment", TRANSFERS_STEM, b_acc, s_acc, paid, detail="invoice_payment")
    draft.edge(SUPPLIES, s_co, b_co, "mis_invoiced_supply" if draft.is_fraud else "supply")
    draft.edge(TRANSFERS, b_acc, s_acc, "trade_payment")
    return {"seller": s_co, "buyer": b_co, "goods": goods, "ratio": round(edge_ratio, 4), "invoice": invoice,
            "goods_value": value, "shipments": n, "documents": documents, "invoices": len(inv),
            "bills_of_lading": int((docs["kind"].isin(["shipment", "bill_of_lading"])).sum()),
            "value_moved": round(float(inv["amount"].sum() - shipped), 2)}


def blended_ratio(ratios, blending: float):
    """Pull invoice/goods ratios toward legitimate pricing (1.0) in log space as blending grows.

    The configured bounds describe an unblended scheme; sophisticated launderers keep prices
    within plausible bands, so at medium blending a 1.5x over-invoice becomes about 1.29x and
    at high blending about 1.17x, which the legitimate spread of unit prices partly covers.
    """
    return np.exp(np.log(np.asarray(ratios, dtype=float)) * (1.0 - 0.75 * blending))
