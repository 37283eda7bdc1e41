"""The stock market of the trading typologies: listed companies, their staff and ties, brokerage clients, prices."""

from __future__ import annotations

import numpy as np
import pandas as pd
from fraudgraph.patterns.kit.edges import Links
from fraudgraph.patterns.kit.instances import Draft
from fraudgraph.patterns.kit.keys import KNOWS, WORKS_AT
from fraudgraph.patterns.kit.recruiting import eligible
from fraudgraph.patterns.kit.timing import monthly_rate
from fraudgraph.patterns.kit.toolkit import Toolkit
from fraudgraph.patterns.kit.trading_times import buy_times

from fraudgraph import schema
from fraudgraph.graph import isin

TRADES = ("Account", "TRADES", "Company")
TRADES_STEM = schema.stem(*TRADES)


class Market:
    """What a trading typology looks up, built once per injector call: listed companies, staff, ties, holdings.

    Parameters
    ----------
    graph : PropertyGraph
        The graph the typology injects into.
    kit : Toolkit
        The toolkit of the call; the TRADES and KNOWS edges queued on :attr:`edges` go through it.
    role_weight : dict
        Weight of each ``WORKS_AT`` role when an insider is picked (roles not listed weigh nothing).
    """

    def __init__(self, graph, kit: Toolkit, role_weight: dict[str, float]):
        self.kit = kit
        self._role_weight = role_weight
        companies = graph.nodes["Company"]
        self.listed = companies[companies["is_listed"].to_numpy() & companies["ticker"].notna().to_numpy()]
        listed_ids = self.listed["id"].tolist()
        self._ticker = dict(zip(listed_ids, self.listed["ticker"].tolist()))
        works = graph.edges[WORKS_AT]
        w_src, w_dst = works["src"].tolist(), works["dst"].tolist()
        self.employer = dict(zip(w_src, w_dst))
        self._role = dict(zip(w_src, works["role"].tolist()))
        persons = kit.persons()
        hub_cut = max(float(persons["knows_degree"].quantile(0.9)), 1.0)
        self.ordinary = set(persons.loc[persons["knows_degree"] <= hub_cut, "id"].tolist())
        at_listed = np.asarray(isin(works["dst"], pd.Series(listed_ids, dtype="str")), dtype=bool)
        staff = works[at_listed]
        ordinary_staff = np.asarray(isin(staff["src"], pd.Series(sorted(self.ordinary), dtype="str")), dtype=bool)
        self.staff = staff[ordinary_staff].sort_values("src").reset_index(drop=True)
        self._staff_ids = self.staff["src"].tolist()
        self._staff_created = self._staff_weight = None
        self.holdings = brokerage_holdings(graph)
        self._tied, self._ties = self._acquaintances(graph, staff)
        trades = graph.edges[TRADES]
        self._typical = dict(zip((trades["src"] + "|" + trades["dst"]).tolist(), trades["typical_quantity"].tolist()))
        self._typical_pool = trades["typical_quantity"].to_numpy()
        self._prices: dict[str, float] = {}
        self.edges = Links(kit)  # added in one batch per type at the end of the call
        self._traders = sorted(p for p in self.holdings if p in self.ordinary)
        self._trader_created = None

    def _acquaintances(self, graph, staff: pd.DataFrame) -> tuple[dict[str, set[str]], dict[str, list[str]]]:
        """Who knows someone at each listed company, and the friends and relatives of each possible insider."""
        knows = graph.edges[KNOWS]
        both = pd.DataFrame({"a": pd.concat([knows["src"], knows["dst"]], ignore_index=True),
                             "b": pd.concat([knows["dst"], knows["src"]], ignore_index=True),
                             "kind": pd.concat([knows["kind"], knows["kind"]], ignore_index=True)})
        employer_listed = dict(zip(staff["src"].tolist(), staff["dst"].tolist()))
        both = both[np.asarray(isin(both["a"], staff["src"]), dtype=bool)]
        both["c"] = [employer_listed[a] for a in both["a"].tolist()]
        tied: dict[str, set[str]] = {}  # outside traders must not be among them
        for c, b in zip(both["c"].tolist(), both["b"].tolist()):
            tied.setdefault(c, set()).add(b)
        # coworkers are colleagues, not tippees
        close = both[(both["kind"] != "coworker").to_numpy() & np.asarray(isin(both["a"], self.staff["src"]), dtype=bool)]
        ties: dict[str, list[str]] = {}
        for a, b in zip(close["a"].tolist(), close["b"].tolist()):
            ties.setdefault(a, []).append(b)
        return tied, ties

    def ticker(self, company: str) -> str:
        """The company's ticker (None if it is not listed)."""
        return self._ticker.get(company)

    def role(self, person: str) -> str:
        """The person's ``WORKS_AT`` role ("" if they work nowhere)."""
        return self._role.get(person, "")

    def brokerage(self, person: str, before: int | None = None):
        """The person's brokerage account (with ``before``: only one opened by then), or None."""
        account = self.holdings.get(person)
        if account is None or before is None or self.kit.created("Account")[account] < before:
            return account
        return None

    def open_brokerage(self, person: str, at: int) -> str:
        """A brokerage account opened for ``person`` at ``at`` (from now on their :meth:`brokerage`)."""
        account = self.kit.new_accounts([person], "brokerage", [at])[0]
        self.holdings[person] = account
        return account

    def pick_insider(self, rng, before: int):
        """An ordinary, not yet recruited member of a listed company's staff, a person since before ``before``.

        Returns
        -------
        tuple
            ``(person, company)``, or ``(None, None)`` when nobody fits.
        """
        staff = self.staff
        if staff.empty:
            return None, None
        if self._staff_created is None:
            created = self.kit.created("Person")
            self._staff_created = np.array([created[p] for p in self._staff_ids], dtype=np.int64)
            self._staff_weight = staff["role"].map(self._role_weight).to_numpy(dtype=float)
        ok = self._staff_created < before
        ok &= eligible(rng, self._staff_ids, self.kit.ctx.used_persons, self.kit.ctx.knobs.member_overlap)
        if not ok.any():
            return None, None
        w = self._staff_weight * ok
        i = int(rng.choice(len(staff), p=w / w.sum()))
        return self._staff_ids[i], staff["dst"].iloc[i]

    def friends_of(self, person: str, exclude_company: str, before: int) -> list[str]:
        """Ordinary, not yet recruited friends and relatives of ``person``, persons since before ``before``,
        who do not work at ``exclude_company``."""
        created = self.kit.created("Person")
        used = self.kit.ctx.used_persons
        return [f for f in self._ties.get(person, ())
                if self.employer.get(f) != exclude_company and created[f] < before and f not in used and f in self.ordinary]

    def pick_trader(self, rng, exclude_company: str, before: int, unconnected: bool = False, stranger_to: str | None = None):
        """An ordinary brokerage client outside ``exclude_company``, a client (and a person) since before ``before``
        (with ``unconnected``: knowing nobody there; with ``stranger_to``: not yet tied to that person)."""
        if self._trader_created is None:
            created, opened = self.kit.created("Person"), self.kit.created("Account")
            self._trader_created = np.array([max(created[p], opened[self.holdings[p]]) for p in self._traders],
                                            dtype=np.int64)
            self._trader_ids = pd.Series(self._traders, dtype="str")
            self._trader_employer = np.array([self.employer.get(p) for p in self._traders], dtype=object)
        used = self.kit.ctx.used_persons
        ok = (self._trader_created < before) & (self._trader_employer != exclude_company)
        if used:
            ok &= ~np.asarray(isin(self._trader_ids, pd.Series(list(used), dtype="str")), dtype=bool)
        pool = np.asarray(self._traders, dtype=object)[ok].tolist()
        if unconnected and pool:
            tied = self._tied.get(exclude_company, set())
            pool = [p for p in pool if p not in tied]
        if stranger_to is not None and pool:
            # a KNOWS row holds a pair once, as (smaller id, larger id)
            starts, receives = self.kit.ties().sides(stranger_to, len(self.kit.graph.edges[KNOWS]))
            known = {p for p in starts if p > stranger_to} | {p for p in receives if p < stranger_to}
            pool = [p for p in pool if p not in known]
        if not pool:
            return None
        return pool[int(rng.integers(0, len(pool)))]

    def pick_tippee(self, rng, insider: str, company: str, before: int, client_before: int, new_account_prob: float):
        """Whom ``insider`` tips: a friend or relative outside ``company``, preferably one who already trades.

        Friends and their accounts count from before ``before``. Where none trades, a friend is
        tipped with probability ``new_account_prob`` (they then open an account); otherwise a
        client since before ``client_before`` who does not know the insider yet (the two are
        then to become friends or family).

        Returns
        -------
        tuple
            ``(person or None, whether the two still have to be tied)``.
        """
        friends = self.friends_of(insider, exclude_company=company, before=before)
        holders = [f for f in friends if self.brokerage(f, before=before) is not None]
        if holders:
            return holders[int(rng.integers(0, len(holders)))], False
        if friends and rng.random() < new_account_prob:
            return friends[int(rng.integers(0, len(friends)))], False
        return self.pick_trader(rng, exclude_company=company, before=client_before, stranger_to=insider), True

    def typical_quantity(self, account: str, company: str, rng) -> float:
        """How many shares ``account`` usually trades of ``company`` (else those of a random TRADES edge)."""
        q = self._typical.get(f"{account}|{company}")
        if q is None:
            q = self._typical_pool[int(rng.integers(0, self._typical_pool.size))] if self._typical_pool.size else 40
        return float(q)

    def queue_trades(self, account: str, company: str, typical: float, **props) -> bool:
        """Queue a TRADES edge (kept as it is if the account already trades the company); True if it is new."""
        key = f"{account}|{company}"
        new = key not in self._typical
        self._typical.setdefault(key, typical)
        if new:
            self.edges.queue(TRADES, account, company, **props)
        return new

    def round_trip(self, rng, draft: Draft, account: str, company: str, typical: float, total: int, price: float,
                   jump: float, window: tuple[int, int], n_buys: int, sell_t: np.ndarray):
        """``total`` shares bought in ``n_buys`` orders in ``window`` and sold at ``sell_t`` after a price ``jump``.

        The orders (about ``price``, then ``price * (1 + jump)``) are scheduled on ``draft``
        and the TRADES edge is queued with ``typical`` as the account's usual quantity.

        Returns
        -------
        tuple
            The shares traded (at least one per buy), the profit, and whether the TRADES edge is new.
        """
        buy_t = buy_times(self.kit, *window, n_buys)
        total = max(total, n_buys)
        buy_q, sell_q = split_shares(rng, total, n_buys), split_shares(rng, total, sell_t.size)
        buy_px = np.round(price * (1 + rng.normal(0, 0.01, n_buys)), 2)
        sell_px = np.round(price * (1 + jump) * (1 + rng.normal(0, 0.01, sell_t.size)), 2)
        rate = monthly_rate(n_buys + sell_t.size, self.kit.ctx)
        new_edge = self.queue_trades(account, company, typical, monthly_count=rate,
                                     typical_quantity=int(max(1, np.median(np.r_[buy_q, sell_q]))), since=int(buy_t[0]))
        draft.schedule(buy_t, "trade", TRADES_STEM, account, company, np.round(buy_q * buy_px, 2), buy_q, "buy")
        draft.schedule(sell_t, "trade", TRADES_STEM, account, company, np.round(sell_q * sell_px, 2), sell_q, "sell")
        return total, float(np.sum(sell_q * sell_px) - np.sum(buy_q * buy_px)), new_edge

    def price(self, company: str, rng) -> float:
        """The company's share price, drawn (log-normal about 40) the first time it is asked for."""
        if company not in self._prices:
            self._prices[company] = float(np.round(np.exp(rng.normal(np.log(40.0), 0.8)), 2))
        return self._prices[company]


def brokerage_holdings(graph) -> dict[str, str]:
    """``{person: brokerage account}`` (the first by id of each primary holder), among active accounts.

    Frozen and closed accounts refuse payments, so their trades would not settle, and dormant
    ones do not trade in everyday life either: a scripted trade on any of them would stand out.
    """
    acc = graph.nodes["Account"]
    usable = (acc["account_type"].to_numpy() == "brokerage") & (acc["status"].to_numpy() == "active")
    brokerage = acc.loc[usable, "id"]
    owns = graph.edges[("Person", "OWNS", "Account")]
    owns = owns[(owns["role"].to_numpy() == "primary") & np.asarray(isin(owns["dst"], brokerage), dtype=bool)]
    owns = owns.sort_values(["src", "dst"]).drop_duplicates("src")
    return dict(zip(owns["src"].tolist(), owns["dst"].tolist()))


def split_shares(rng, total: int, parts: int) -> np.ndarray:
    """``total`` shares split into ``parts`` positive integer orders (as even as the draw makes them)."""
    parts = max(1, min(parts, int(total)))
    w = rng.dirichlet(np.full(parts, 3.0))
    q = np.floor(w * (total - parts)).astype(np.int64) + 1
    q[-1] += total - q.sum()
    return q.astype(float)
