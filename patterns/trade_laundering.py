"""Trade-based money laundering: companies over- or under-invoice each other for the goods they ship.

Fraud: 2-4 companies in a chain (a *front*, zero or more *shells*, a *beneficiary*),
mostly small traders (import/export, transport, manufacturing). Each link is a
``SUPPLIES`` edge (seller -> buyer) whose invoice is far from the declared value
of the goods, and a ``TRANSFERS_TO`` of kind ``supplier`` (buyer's business account
-> seller's) that pays the invoice, not the goods:

* ``over_invoicing``: the beneficiary sells to the front at 1.5-4x the goods'
  value, so the front's payments carry extra money up the chain;
* ``under_invoicing``: the front ships goods worth 1.7-4x the invoice, so value
  leaves as goods the beneficiary resells at market price.

Schedules: ``shipment`` on the SUPPLIES edges (amount = invoiced amount, quantity =
units shipped, detail = goods) and ``transfer`` on the TRANSFERS_TO edges.
Decoys: legitimate trade with a high markup (branded electronics, medical and
vehicle parts, invoice 1.2-1.6x the declared value) or with clearance and volume
discounts (0.62-0.85x), paid in full, between the same kind of companies.
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
)
from pydantic import Field

from fraudgraph import schema
from fraudgraph.units import DAY

#: How likely a company of each industry is to be picked (traders first), for fraud and decoys alike.
INDUSTRY_WEIGHT = {"import_export": 8.0, "transport": 3.0, "manufacturing": 3.0, "retail": 2.0, "technology": 1.5,
                   "construction": 1.5, "grocery": 1.0, "healthcare": 1.0}
#: Rough price of one unit of each kind of goods (to turn a shipment's value into a quantity).
UNIT_PRICE = {"electronics": 250.0, "textiles": 12.0, "food": 3.0, "machinery": 4_000.0, "chemicals": 40.0,
              "furniture": 300.0, "vehicles_parts": 150.0, "medical_supplies": 60.0}
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
            markup = rng.random() < config.over_invoicing_share
            band = MARKUP_BAND if markup else DISCOUNT_BAND
            ratios = np.exp(rng.uniform(np.log(band[0]), np.log(band[1]), k - 1))
            inst = self._chain(world, kit, rng, config, ctx, companies, ["trader"] * k, ratios, markup,
                               "high_markup" if markup else "discount", is_fraud=False,
                               goods_pool=MARKUP_GOODS if markup else None)
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
                                 (companies[buyer], accounts[buyer]), float(ratios[i]), window, goods_pool))
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
            buyer: tuple[str, str], ratio: float, window: tuple[int, int], goods_pool) -> dict:
    """Shipments ``seller -> buyer`` invoiced at ``ratio`` times the goods' value, each paid by the buyer's account.

    ``seller`` and ``buyer`` are ``(company, account)``; returns the link as the instance's parameters describe it.
    """
    (s_co, s_acc), (b_co, b_acc) = seller, buyer
    goods = goods_pool[int(rng.integers(0, len(goods_pool)))]
    quiet = world.donor_value(rng)
    loud = float(np.exp(rng.normal(np.log(30_000.0), 0.6)))
    value = round(blend(loud, quiet, ctx.knobs.amount_blending) if draft.is_fraud else quiet, 2)
    invoice = round(value * ratio, 2)
    n = int(rng.integers(config.min_shipments, config.max_shipments + 1))
    ship_t = kit.times(n, *window)
    per_invoice = np.round(invoice * np.exp(rng.normal(0, 0.08, n)), 2)
    units = np.maximum(1, np.round(per_invoice / ratio / UNIT_PRICE[goods]))
    spread = 0.3 + 0.7 * ctx.knobs.timing_spread
    pay_t = ship_t + (rng.uniform(3, 30, n) * DAY * spread).astype(np.int64)
    pay_t = np.maximum(np.minimum(pay_t, ctx.end - 60), ship_t)
    paid = np.round(per_invoice * rng.uniform(0.985, 1.0, n), 2)
    rate = monthly_rate(n, ctx)
    world.edges.queue(SUPPLIES, s_co, b_co, goods=goods, invoice_amount=invoice, goods_value=value, monthly_count=rate,
                      since=int(ship_t[0]))
    world.edges.queue(TRANSFERS, b_acc, s_acc, kind="supplier", typical_amount=float(np.median(paid)),
                      monthly_count=rate, since=int(pay_t[0]))
    draft.schedule(ship_t, "shipment", SUPPLIES_STEM, s_co, b_co, per_invoice, units, goods)
    draft.schedule(pay_t, "transfer", TRANSFERS_STEM, b_acc, s_acc, paid, detail="invoice_payment")
    draft.edge(SUPPLIES, s_co, b_co, "mis_invoiced_supply" if draft.is_fraud else "supply")
    draft.edge(TRANSFERS, b_acc, s_acc, "trade_payment")
    return {"seller": s_co, "buyer": b_co, "goods": goods, "ratio": round(ratio, 4), "invoice": invoice,
            "goods_value": value, "shipments": n,
            "value_moved": round(float(np.sum(per_invoice) - np.sum(per_invoice / ratio)), 2)}


def blended_ratio(ratios, blending: float):
    """Pull invoice/goods ratios toward legitimate pricing (1.0) in log space as blending grows.

    The configured bounds describe an unblended scheme; sophisticated launderers keep prices
    within plausible bands, so at medium blending a 1.5x over-invoice becomes about 1.29x and
    at high blending about 1.17x, which the legitimate spread of unit prices partly covers.
    """
    return np.exp(np.log(np.asarray(ratios, dtype=float)) * (1.0 - 0.75 * blending))
