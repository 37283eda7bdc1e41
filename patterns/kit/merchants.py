"""Ordinary merchants and their customers: who to pick, what they typically charge, who pays them from which account."""

from __future__ import annotations

import numpy as np
import pandas as pd
from fraudgraph.patterns.kit.edges import Links
from fraudgraph.patterns.kit.instances import Draft
from fraudgraph.patterns.kit.keys import OWNS, PAYS, PAYS_STEM, WORKS_AT
from fraudgraph.patterns.kit.timing import monthly_rate
from fraudgraph.patterns.kit.toolkit import Toolkit

from fraudgraph.graph import isin
from fraudgraph.units import DAY
from fraudgraph.vocab.industries import INDUSTRY_SPEND


class Merchants:
    """Ordinary merchants (not marketplace hubs), their customers' typical spend, staff and spending accounts.

    Parameters
    ----------
    graph : PropertyGraph
        The graph the merchants, their ``PAYS`` customers and ``WORKS_AT`` staff are read from.
    kit : Toolkit
        The call's toolkit (context with what is already recruited, recruiting).
    links : Links
        The call's edge batcher, which receives the ``PAYS`` edges of :meth:`link_pays`.
    """

    def __init__(self, graph, kit: Toolkit, links: Links):
        self.graph, self.kit, self.links = graph, kit, links
        companies = graph.nodes["Company"]
        pays = graph.edges[PAYS]
        customers = pays["dst"].value_counts()
        merchants = companies[companies["is_merchant"].to_numpy()].copy()
        merchants["customers"] = merchants["id"].map(customers).fillna(0).to_numpy()
        if len(merchants):
            cut = max(float(merchants["customers"].quantile(0.9)), 1.0)
            merchants = merchants[(merchants["customers"] <= cut) & (merchants["customers"] >= 1)]
        self.pool = merchants.reset_index(drop=True)
        self._typical = pays.groupby("dst")["typical_amount"].median().to_dict()
        self._industry = dict(zip(companies["id"], companies["industry"]))
        self._city = dict(zip(companies["id"], companies["city"]))
        works = graph.edges[WORKS_AT]
        persons = kit.persons()
        hub_cut = max(float(persons["knows_degree"].quantile(0.9)), 1.0)
        ordinary = set(persons.loc[persons["knows_degree"] <= hub_cut, "id"].tolist())
        rank = np.array([{"officer": 0, "director": 1}.get(r, 2) for r in works["role"].tolist()])
        keep = np.array([p in ordinary for p in works["src"].tolist()], dtype=bool)
        staff = works.assign(rank=rank)[keep].sort_values(["dst", "rank", "src"])
        self._staff: dict[str, list[str]] = {}
        for c, p in zip(staff["dst"].tolist(), staff["src"].tolist()):
            self._staff.setdefault(c, []).append(p)
        accounts = graph.nodes["Account"]
        self._account_type = dict(zip(accounts["id"].tolist(), accounts["account_type"].tolist()))
        self._owned: pd.DataFrame | None = None
        self._ordinary = ordinary
        self._pays = pays[["src", "dst"]]
        self._owner: dict[str, str] | None = None

    def pick(self, rng, prefer=()):
        """A free ordinary merchant, marked used.

        Parameters
        ----------
        rng : numpy.random.Generator
            The call's generator.
        prefer : sequence of str, optional
            Industries weighted up (four times as likely).

        Returns
        -------
        str or None
            The merchant's company id, or None when every merchant is taken.
        """
        if self.pool.empty:
            return None
        used = self.kit.ctx.used_companies
        w = np.array([0.0 if c in used else 1.0 for c in self.pool["id"]])
        if prefer:
            w *= np.where(self.pool["industry"].isin(list(prefer)).to_numpy(), 4.0, 1.0)
        if w.sum() == 0:
            return None
        cid = self.pool["id"].iloc[int(rng.choice(len(self.pool), p=w / w.sum()))]
        self.kit.ctx.used_companies.add(cid)
        return cid

    def pick_with_customers(self, rng, prefer, counts: tuple[int, int], regulars: tuple[float, float], fewest: int):
        """A free merchant (see :meth:`pick`) and some customers (see :meth:`customers`).

        ``counts`` bounds the customers wanted, ``regulars`` the share of them who already shop
        there (both drawn uniformly); returns ``(merchant, customers, accounts)``, or None when no
        merchant is free or fewer than ``fewest`` customers could be found.
        """
        merchant = self.pick(rng, prefer=prefer)
        if merchant is None:
            return None
        k = int(rng.integers(counts[0], counts[1] + 1))
        customers, accounts = self.customers(rng, merchant, k, regulars=rng.uniform(*regulars))
        if len(customers) < fewest:
            return None
        return merchant, customers, accounts

    def typical(self, merchant: str, rng) -> float:
        """The median typical purchase at ``merchant`` (drawn around its industry's when nobody pays it yet)."""
        t = self._typical.get(merchant)
        if t is None:
            median = INDUSTRY_SPEND.get(self._industry.get(merchant), (60, 1))[0]
            t = median * float(np.exp(rng.normal(0, 0.3)))
        return float(t)

    def customers(self, rng, merchant: str, k: int, regulars: float):
        """``k`` ordinary persons with a spending account each, marked used.

        Parameters
        ----------
        rng : numpy.random.Generator
            The call's generator.
        merchant : str
            The merchant's company id.
        k : int
            Customers wanted (fewer when too few persons can be recruited).
        regulars : float
            About this share already shop at the merchant; the others are recruited, local to
            the merchant when possible.

        Returns
        -------
        tuple of (list of str, list of str)
            The customers and, for each, the account they pay from.
        """
        kit = self.kit
        used = kit.ctx.used_persons
        known = [(p, a) for p, a in self._regulars(merchant)
                 if p in self._ordinary and p not in used and a not in kit.ctx.used_accounts]
        known = [known[i] for i in rng.permutation(len(known))]
        chosen, seen = [], set()
        for p, a in known:
            if len(chosen) >= round(k * regulars):
                break
            if p not in seen:
                chosen.append((p, a))
                seen.add(p)
        used.update(seen)
        city = self._city.get(merchant)
        people = list(kit.recruit_persons(k - len(chosen), city=city))
        if len(people) < k - len(chosen):
            people += list(kit.recruit_persons(k - len(chosen) - len(people)))
        accounts = self.account_of(people, ("credit_card", "checking", "wallet"))
        chosen += [(p, a) for p, a in zip(people, accounts) if a is not None]
        kit.ctx.used_accounts.update(a for _, a in chosen)
        return [p for p, _ in chosen], [a for _, a in chosen]

    def _regulars(self, merchant: str) -> list[tuple[str, str]]:
        """(person, account) pairs of those who already pay ``merchant`` from an account they hold."""
        if self._owner is None:
            owns = self.graph.edges[OWNS]
            owns = owns[owns["role"].to_numpy() == "primary"]
            self._owner = dict(zip(owns["dst"].tolist(), owns["src"].tolist()))
        accounts = sorted(self._pays.loc[(self._pays["dst"] == merchant).to_numpy(), "src"].tolist())
        return [(self._owner[a], a) for a in accounts if a in self._owner]

    def insider(self, merchant: str):
        """The first free member of the merchant's staff (officers, then directors, then the others), or None."""
        for p in self._staff.get(merchant, ()):
            if p not in self.kit.ctx.used_persons:
                return p
        return None

    def link_pays(self, account: str, merchant: str, amounts: np.ndarray, times: np.ndarray, ctx) -> None:
        """Queue the ``PAYS`` edge of purchases ``amounts`` made at ``times`` (sorted) from ``account``."""
        channel = "wallet" if self._account_type.get(account) == "wallet" else "card"
        self.links.queue(PAYS, account, merchant, channel=channel, typical_amount=max(float(np.median(amounts)), 1.0),
                         monthly_count=monthly_rate(len(amounts), ctx), since=int(times[0]))

    def purchases(self, draft: Draft, account: str, merchant: str, window: tuple[int, int], base: float, *,
                  sigma: float, refund_rate: float, refund_days: tuple[float, float], pace: float = 1.0,
                  partial: float = 0.0, role: str) -> tuple[float, float]:
        """3-10 purchases from ``account`` at ``merchant``, some of them returned; the ``PAYS`` edge is queued.

        Parameters
        ----------
        draft : Draft
            The instance the purchases and refunds are scheduled in, and the ``PAYS`` edge recorded with ``role``.
        account, merchant : str
            Who pays whom.
        window : tuple of int
            The purchases fall in [start, end) (epoch seconds), along the scenario's drift.
        base : float
            Typical amount; each purchase is it times a lognormal factor of spread ``sigma``.
        sigma : float
            Spread of the amounts.
        refund_rate : float
            Chance that a purchase is returned (refunds past the span are dropped).
        refund_days : tuple of float
            A refund comes this many days (uniform) after its purchase, times ``pace``.
        pace : float, default 1.0
            Scales the refund delays.
        partial : float, default 0.0
            Chance that a return refunds only 30-90% of the purchase.
        role : str
            The ``PAYS`` edge's role in ``draft``.

        Returns
        -------
        tuple of float
            Amounts purchased and refunded.
        """
        rng, ctx = self.kit.rng, self.kit.ctx
        start, end = window
        n = int(rng.integers(3, 11))
        t = np.sort(start + (self.kit.fraction(start, end, n) * (end - start)).astype(np.int64))
        amt = np.round(base * np.exp(rng.normal(0, sigma, n)), 2)
        self.link_pays(account, merchant, amt, t, ctx)
        refunded = rng.random(n) < refund_rate
        t_ref = t + (rng.uniform(*refund_days, n) * DAY * pace).astype(np.int64)
        refunded &= t_ref < ctx.end - 60
        back = np.where(rng.random(n) < partial, np.round(amt * rng.uniform(0.3, 0.9, n), 2), amt) if partial else amt
        draft.schedule(t, "card_payment", PAYS_STEM, account, merchant, amt, detail="purchase")
        draft.schedule(t_ref[refunded], "refund", PAYS_STEM, account, merchant, back[refunded], detail="refund")
        draft.edge(PAYS, account, merchant, role)
        return float(amt.sum()), float(back[refunded].sum())

    def account_of(self, persons, types) -> list:
        """For each person, their first account (by id) of the first type in ``types`` that they hold, or None."""
        if self._owned is None:
            owns = self.graph.edges[OWNS]
            owns = owns[owns["role"].to_numpy() == "primary"]
            self._owned = pd.DataFrame({"src": owns["src"], "dst": owns["dst"],
                                        "type": [self._account_type[a] for a in owns["dst"].tolist()]})
        mine = self._owned[np.asarray(isin(self._owned["src"], pd.Series(list(persons), dtype="str")), dtype=bool)]
        holdings: dict[str, dict[str, str]] = {}
        for p, a, t in sorted(zip(mine["src"].tolist(), mine["dst"].tolist(), mine["type"].tolist())):
            holdings.setdefault(p, {}).setdefault(t, a)
        held = [holdings.get(p, {}) for p in persons]
        return [next((h[t] for t in types if t in h), None) for h in held]
