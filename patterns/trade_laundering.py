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
import pandas as pd
from fraudgraph.patterns.base import (
    Injector,
    InjectorConfig,
    PatternInstance,
    ScheduleRows,
)
from fraudgraph.patterns.kit import (
    TRANSFERS,
    TRANSFERS_STEM,
    WORKS_AT,
    Links,
    Toolkit,
    blend,
    eligible,
    monthly_rate,
)
from pydantic import Field

from fraudgraph import schema
from fraudgraph.units import DAY, YEAR, to_datetime
from fraudgraph.vocab.industries import INDUSTRY_DATA, SUFFIXES, SURNAMES

SUPPLIES = ("Company", "SUPPLIES", "Company")
SUPPLIES_STEM = schema.stem("Company", "SUPPLIES", "Company")

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
        world = _Companies(graph, kit)
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
            inst = self._chain(world, kit, rng, config, ctx, companies, roles, ratios, over, is_fraud=True)
            inst.variant = "over_invoicing" if over else "under_invoicing"
            out.append(inst)
        world.flush()
        return out

    def inject_decoys(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        world = _Companies(graph, kit)
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
                               is_fraud=False, goods_pool=MARKUP_GOODS if markup else None)
            inst.variant = "high_markup" if markup else "discount"
            inst.parameters["decoy_of"] = self.name
            out.append(inst)
        world.flush()
        return out

    def _chain(self, world: _Companies, kit: Toolkit, rng, config, ctx, companies, roles, ratios, forward_pay: bool,
               *, is_fraud: bool, goods_pool=None) -> PatternInstance:
        """Companies ``c0 .. ck`` trading along a chain; payments move from c0 towards ck when ``forward_pay``."""
        k = len(companies)
        accounts = [world.account(c) for c in companies]
        start, end = kit.window(rng.uniform(30, 150))
        spread = 0.3 + 0.7 * ctx.knobs.timing_spread
        goods_pool = goods_pool or schema.GOODS
        rows, edges, links = ScheduleRows(), [], []
        for i in range(k - 1):
            # forward_pay: c(i+1) sells to c(i) and c(i) pays; otherwise c(i) sells to c(i+1) and c(i+1) pays
            seller, buyer = (i + 1, i) if forward_pay else (i, i + 1)
            goods = goods_pool[int(rng.integers(0, len(goods_pool)))]
            quiet = world.donor_value(rng)
            loud = float(np.exp(rng.normal(np.log(30_000.0), 0.6)))
            value = round(blend(loud, quiet, ctx.knobs.amount_blending) if is_fraud else quiet, 2)
            ratio = float(ratios[i])
            invoice = round(value * ratio, 2)
            n = int(rng.integers(config.min_shipments, config.max_shipments + 1))
            ship_t = kit.times(n, start, end)
            per_invoice = np.round(invoice * np.exp(rng.normal(0, 0.08, n)), 2)
            units = np.maximum(1, np.round(per_invoice / ratio / UNIT_PRICE[goods]))
            pay_t = np.maximum(np.minimum(ship_t + (rng.uniform(3, 30, n) * DAY * spread).astype(np.int64), ctx.end - 60), ship_t)
            paid = np.round(per_invoice * rng.uniform(0.985, 1.0, n), 2)
            s_co, b_co, s_acc, b_acc = companies[seller], companies[buyer], accounts[seller], accounts[buyer]
            rate = monthly_rate(n, ctx)
            props = {"goods": goods, "invoice_amount": invoice, "goods_value": value, "monthly_count": rate, "since": int(ship_t[0])}
            world.edges.queue(SUPPLIES, s_co, b_co, **props)
            world.edges.queue(TRANSFERS, b_acc, s_acc, kind="supplier", typical_amount=float(np.median(paid)),
                        monthly_count=rate, since=int(pay_t[0]))
            rows.add(ship_t, "shipment", SUPPLIES_STEM, s_co, b_co, per_invoice, units, goods)
            rows.add(pay_t, "transfer", TRANSFERS_STEM, b_acc, s_acc, paid, detail="invoice_payment")
            role = "mis_invoiced_supply" if is_fraud else "supply"
            edges += [(SUPPLIES, s_co, b_co, role), (TRANSFERS, b_acc, s_acc, "trade_payment")]
            links.append({"seller": s_co, "buyer": b_co, "goods": goods, "ratio": round(ratio, 4),
                          "invoice": invoice, "goods_value": value, "shipments": n,
                          "value_moved": round(float(np.sum(per_invoice) - np.sum(per_invoice / ratio)), 2)})
        members = [("Company", c, r) for c, r in zip(companies, roles)]
        members += [("Account", a, f"{r}_account") for a, r in zip(accounts, roles)]
        for c in companies:
            boss = world.controller(c)
            if boss is not None:
                members.append(("Person", boss, "controller" if is_fraud else "officer"))
                edges.append((WORKS_AT, boss, c, "control" if is_fraud else "employment"))
                kit.ctx.used_persons.add(boss)
        kit.ctx.used_companies.update(companies)
        kit.ctx.used_accounts.update(accounts)
        schedule = rows.frame()
        return PatternInstance(
            typology=self.name, is_fraud=is_fraud, start=int(schedule["time"].min()), end=int(schedule["time"].max()) + 1,
            members=members, edges=edges, schedule=schedule,
            parameters={"companies": k, "links": links, "new_companies": [c for c in companies if c in world.created_here]},
        )


class _Companies:
    """Ordinary companies with a business account, their officers, and the trade amounts of the legitimate world."""

    def __init__(self, graph, kit: Toolkit):
        self.graph, self.kit = graph, kit
        companies = graph.nodes["Company"]
        owns = graph.edges[("Company", "OWNS", "Account")].sort_values(["src", "dst"])
        self._account = dict(owns.drop_duplicates("src")[["src", "dst"]].itertuples(index=False, name=None))
        works = graph.edges[WORKS_AT]
        staff = works["dst"].value_counts()
        sup = graph.edges[SUPPLIES]
        trade_deg = pd.concat([sup["src"], sup["dst"]]).value_counts()
        size = companies["id"].map(staff).fillna(0).to_numpy()
        deg = companies["id"].map(trade_deg).fillna(0).to_numpy()
        ok = ~companies["is_listed"].to_numpy() & np.array([c in self._account for c in companies["id"].tolist()], dtype=bool)
        if len(companies):
            ok &= (size <= max(np.quantile(size, 0.9), 1)) & (deg <= max(np.quantile(deg, 0.9), 1))
        self.pool = companies[ok].reset_index(drop=True)
        self.weight = self.pool["industry"].map(INDUSTRY_WEIGHT).fillna(0.5).to_numpy(dtype=float)
        persons = kit.persons()
        hub_cut = max(float(persons["knows_degree"].quantile(0.9)), 1.0)
        ordinary = set(persons.loc[persons["knows_degree"] <= hub_cut, "id"].tolist())
        boss = (works["role"] != "employee").to_numpy() & np.array([p in ordinary for p in works["src"].tolist()], dtype=bool)
        bosses = works[boss].sort_values(["dst", "role", "src"])
        self._bosses = {c: grp["src"].tolist() for c, grp in bosses.groupby("dst")}
        values = sup["goods_value"].to_numpy()
        self._values = values if values.size else np.array([4_000.0])
        self.created_here: set[str] = set()
        self.edges = Links(kit)  # added in one batch per type by flush

    def pick(self, rng, k: int) -> list[str]:
        """Up to ``k`` distinct free ordinary companies, traders favoured."""
        w = self.weight * eligible(rng, self.pool["id"].tolist(), self.kit.ctx.used_companies, self.kit.ctx.knobs.member_overlap)
        n = min(k, int((w > 0).sum()))
        if n == 0:
            return []
        idx = rng.choice(len(self.pool), size=n, replace=False, p=w / w.sum())
        chosen = self.pool["id"].to_numpy()[idx].tolist()
        self.kit.ctx.used_companies.update(chosen)
        return chosen

    def account(self, company: str) -> str:
        return self._account[company]

    def controller(self, company: str):
        """An officer or director of ``company`` not recruited elsewhere, or None."""
        for p in self._bosses.get(company, ()):
            if p not in self.kit.ctx.used_persons:
                return p
        return None

    def donor_value(self, rng) -> float:
        return float(self._values[int(rng.integers(0, self._values.size))])

    def new_shells(self, rng, n: int) -> list[str]:
        """``n`` small import/export companies drawn like legitimate ones, each with a business account."""
        donors = self.graph.nodes["Company"]
        donor = donors.iloc[rng.integers(0, len(donors), n)]
        start = self.kit.ctx.start
        incorporated = start - (60 * YEAR * rng.random(n) ** 2).astype(np.int64) - YEAR // 2
        industry = np.where(rng.random(n) < 0.7, "import_export", "transport").astype(object)
        noun = [INDUSTRY_DATA[i][2][int(rng.integers(0, len(INDUSTRY_DATA[i][2])))] for i in industry]
        name = [" ".join(x for x in (SURNAMES[int(rng.integers(0, len(SURNAMES)))], nn,
                                     SUFFIXES[int(rng.integers(0, len(SUFFIXES)))]) if x) for nn in noun]
        ids = np.asarray(self.graph.new_ids("Company", n, rng), dtype=object)
        self.graph.add_nodes("Company", pd.DataFrame({
            "id": ids, "name": np.array(name, dtype=object), "industry": industry,
            "country": donor["country"].to_numpy(), "city": donor["city"].to_numpy(),
            "is_listed": np.zeros(n, bool), "ticker": np.full(n, None, dtype=object),
            "is_merchant": np.zeros(n, bool), "incorporated_at": to_datetime(incorporated),
        }))
        self.kit.created("Company").update(zip(ids.tolist(), incorporated.tolist()))
        opened = np.maximum(incorporated + (rng.random(n) * 90 * DAY).astype(np.int64), incorporated)
        accounts = self.kit.new_accounts(ids, "business", np.minimum(opened, start - DAY))
        self._account.update(zip(ids.tolist(), accounts.tolist()))
        self.created_here.update(ids.tolist())
        self.kit.ctx.used_companies.update(ids.tolist())
        return ids.tolist()

    def flush(self) -> None:
        """Add the queued edges; SUPPLIES relationships that already existed now carry the scheme's invoices."""
        for key, (rows, new) in self.edges.flush().items():
            if key == SUPPLIES and not new.all():
                self._overwrite([{"src": r[0], "dst": r[1], **r[2]} for r, is_new in zip(rows, new) if not is_new])

    def _overwrite(self, updates: list[dict]) -> None:
        table = self.graph.edges[SUPPLIES]
        upd = pd.DataFrame(updates).drop_duplicates(["src", "dst"], keep="last").set_index(["src", "dst"])
        key = pd.MultiIndex.from_arrays([table["src"], table["dst"]])
        hit = key.isin(upd.index)
        rows = upd.reindex(key[hit])
        for col in ("goods", "invoice_amount", "goods_value", "monthly_count"):
            table.loc[hit, col] = rows[col].to_numpy()
        self.graph.edges[SUPPLIES] = table


def blended_ratio(ratios, blending: float):
    """Pull invoice/goods ratios toward legitimate pricing (1.0) in log space as blending grows.

    The configured bounds describe an unblended scheme; sophisticated launderers keep prices
    within plausible bands, so at medium blending a 1.5x over-invoice becomes about 1.29x and
    at high blending about 1.17x, which the legitimate spread of unit prices partly covers.
    """
    return np.exp(np.log(np.asarray(ratios, dtype=float)) * (1.0 - 0.75 * blending))
