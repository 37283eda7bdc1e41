"""Trading partners of the trade typologies: ordinary companies, their accounts and officers, their supplies."""

from __future__ import annotations

import numpy as np
import pandas as pd
from fraudgraph.patterns.kit.edges import Links
from fraudgraph.patterns.kit.keys import WORKS_AT
from fraudgraph.patterns.kit.recruiting import eligible
from fraudgraph.patterns.kit.toolkit import Toolkit

from fraudgraph import schema
from fraudgraph.units import DAY, YEAR, to_datetime
from fraudgraph.vocab.industries import INDUSTRY_DATA, SUFFIXES, SURNAMES

SUPPLIES = ("Company", "SUPPLIES", "Company")
SUPPLIES_STEM = schema.stem(*SUPPLIES)


class TradePartners:
    """Ordinary companies with a business account, their officers, and the trade amounts of the legitimate world.

    Parameters
    ----------
    graph : PropertyGraph
        The graph the typology injects into.
    kit : Toolkit
        The toolkit of the call; the SUPPLIES and TRANSFERS_TO edges queued on :attr:`edges` go through it.
    industry_weight : dict
        How likely a company of each industry is to be picked (industries not listed weigh 0.5).
    """

    def __init__(self, graph, kit: Toolkit, industry_weight: dict[str, float]):
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
        self.weight = self.pool["industry"].map(industry_weight).fillna(0.5).to_numpy(dtype=float)
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
        """The company's business account (the first by id)."""
        return self._account[company]

    def controller(self, company: str):
        """An officer or director of ``company`` not recruited elsewhere, or None."""
        for p in self._bosses.get(company, ()):
            if p not in self.kit.ctx.used_persons:
                return p
        return None

    def donor_value(self, rng) -> float:
        """The declared goods value of a random legitimate supply (4,000 in a world without any)."""
        return float(self._values[int(rng.integers(0, self._values.size))])

    def new_shells(self, rng, n: int, *, industries: tuple[str, ...] | None = None, institution=None) -> list[str]:
        """``n`` small companies drawn like legitimate ones, each with a business account.

        They trade goods (import/export, transport) unless ``industries`` names others to draw from
        evenly; ``institution`` (one, or one per company) holds their accounts (else drawn like any account).
        """
        donors = self.graph.nodes["Company"]
        donor = donors.iloc[rng.integers(0, len(donors), n)]
        start = self.kit.ctx.start
        incorporated = start - (60 * YEAR * rng.random(n) ** 2).astype(np.int64) - YEAR // 2
        if industries is None:
            industry = np.where(rng.random(n) < 0.7, "import_export", "transport").astype(object)
        else:
            industry = np.asarray(industries, dtype=object)[rng.integers(0, len(industries), n)]
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
        accounts = self.kit.new_accounts(ids, "business", np.minimum(opened, start - DAY), institution=institution)
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


#: Days from an advance invoice to its bill of lading, and from a consolidated shipment's first order to its bill.
ADVANCE_DAYS = (7.0, 42.0)
CONSOLIDATION_DAYS = (1.0, 10.0)


def shipment_documents(rng: np.random.Generator, documents: str, ship_t, per_invoice, units, declared, end: int,
                       target: float | None = None, share: tuple[float, float] = (0.3, 0.7)) -> pd.DataFrame:
    """The documents of a link's shipments, one row per scheduled document (kind, time, amount, quantity).

    A share of the shipments is documented as ``documents`` says; the rest ship with their invoice.
    For phantom and multiple invoicing the share is the fewest shipments whose invoices reach
    ``target`` times the declared goods value; for the honest ones (advance invoices, consolidated
    shipments) it is drawn from ``share``.

    Parameters
    ----------
    rng : numpy.random.Generator
    documents : str
        ``priced`` (each shipment with its invoice), ``phantom``, ``multiple``, ``advance`` or ``consolidated``.
    ship_t, per_invoice, units, declared : ndarray
        Each shipment's time, invoiced amount, units and declared goods value.
    end : int
        The span's end: later documents are left out. A further invoice or order of a shipment
    comes before the link's next shipment, so the documents family pairs it with the right one.
    The frame's ``attrs["shipped"]`` marks the shipments whose goods really move.
    """
    n = len(ship_t)
    kind = np.full(n, "shipment", dtype=object)
    rows = [pd.DataFrame({"time": ship_t, "kind": kind, "amount": per_invoice, "quantity": units})]
    shipped = np.ones(n, bool)
    if documents != "priced":
        most = n - 1 if documents == "phantom" else n
        order = rng.permutation(n)
        if target is None:
            k = int(np.clip(np.ceil(rng.uniform(*share) * n), 1, most))
        else:
            k = _reaching(documents, per_invoice[order], declared, target, most)
        picked = np.sort(order[:k])
        gap = np.r_[np.diff(ship_t), 20 * DAY][picked]
        soon = ship_t[picked] + (gap * rng.uniform(0.1, 0.9, len(picked))).astype(np.int64)
        if documents in ("phantom", "advance"):
            kind[picked] = "invoice"
            shipped[picked] = documents == "advance"
            if documents == "advance":
                lag = np.sort(ship_t[picked] + (rng.uniform(*ADVANCE_DAYS, len(picked)) * DAY).astype(np.int64))
                rows.append(pd.DataFrame({"time": lag, "kind": "bill_of_lading", "amount": declared[picked],
                                          "quantity": units[picked]}))
        elif documents == "multiple":
            again = np.round(per_invoice[picked] * np.exp(np.abs(rng.normal(0, 0.02, len(picked)))), 2)
            rows.append(pd.DataFrame({"time": soon, "kind": "reinvoice", "amount": again, "quantity": units[picked]}))
        else:  # consolidated: two orders, one bill of lading
            part = rng.uniform(0.3, 0.7, len(picked))
            first = np.maximum(1, np.round(units[picked] * part))
            kind[picked] = "invoice"
            rows[0].loc[picked, "amount"] = np.round(per_invoice[picked] * first / units[picked], 2)
            rows[0].loc[picked, "quantity"] = first
            rest = units[picked] - first
            keep = rest >= 1
            rows.append(pd.DataFrame({"time": soon[keep], "kind": "reinvoice",
                                      "amount": np.round(per_invoice[picked] * rest / units[picked], 2)[keep],
                                      "quantity": rest[keep]}))
            lag = np.sort(np.maximum(soon, ship_t[picked]) + (rng.uniform(*CONSOLIDATION_DAYS, len(picked)) * DAY).astype(np.int64))
            rows.append(pd.DataFrame({"time": lag, "kind": "bill_of_lading", "amount": declared[picked],
                                      "quantity": units[picked]}))
        rows[0]["kind"] = kind
    out = pd.concat(rows, ignore_index=True)
    out = out[out["time"].to_numpy() < end].sort_values("time", kind="stable").reset_index(drop=True)
    out.attrs["shipped"] = shipped
    return out


def _reaching(documents: str, invoices: np.ndarray, declared: np.ndarray, target: float, most: int) -> int:
    """How many of the shipments (``invoices`` in the order they are picked) must be phantom, or invoiced twice,
    for the link's invoices to reach ``target`` times the declared value of the goods that ship."""
    total, goods = invoices.sum(), declared.sum()
    for k in range(1, most + 1):
        if documents == "phantom":
            # declared values of the real shipments: what the picked invoices leave out, at fair prices
            reached = total / max(goods - invoices[:k].sum(), 1e-9)
        else:
            reached = (total + invoices[:k].sum()) / goods
        if reached >= target:
            return k
    return most
