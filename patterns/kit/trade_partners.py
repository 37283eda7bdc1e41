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
