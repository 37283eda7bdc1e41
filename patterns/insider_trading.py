"""Insider trading: an insider tips an outside friend, who trades the ticker ahead of a material announcement.

Fraud: an officer, director or employee of a listed company (``WORKS_AT``) talks to
a friend or relative (``KNOWS``, schedule kind ``communication``) a few days before
the company announces good news (node event ``company_announcement`` on the
Company). The tippee's brokerage account (their own, or one opened for the
occasion) ``TRADES`` the company: buys between the tip and the announcement,
sells after it at the higher price.
Decoys: traders who are not insiders. Either an ordinary brokerage client with no
tie to anyone at the company who happens to buy the same ticker before the same
kind of announcement and sell after it, or an insider's friend who invests in the
insider's company on a steady schedule that has nothing to do with announcements.
Timing and accounts give nothing away: announcements come out on weekdays in the
hours ordinary ones do, every trade falls in the exchange session
(:mod:`fraudgraph.vocab.market_hours`, the definition the ``markets`` stream uses), and
traders trade from active brokerage accounts opened before their first order.
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
    KNOWS,
    WORKS_AT,
    Links,
    Toolkit,
    blend,
    drifted,
    eligible,
    monthly_rate,
)
from pydantic import Field

from fraudgraph import schema
from fraudgraph.graph import isin
from fraudgraph.units import DAY, HOUR
from fraudgraph.vocab import market_hours as mh

TRADES = ("Account", "TRADES", "Company")
TRADES_STEM = schema.stem("Account", "TRADES", "Company")
KNOWS_STEM = schema.stem("Person", "KNOWS", "Person")
#: Least exchange-session time (seconds) that the buys before an announcement, or the sales after it, spread over.
MIN_SESSION_ROOM = HOUR

#: Material good news and the typical share-price jump it causes (low, high).
NEWS = {
    "earnings_beat": (0.05, 0.18),
    "guidance_raise": (0.04, 0.15),
    "merger": (0.15, 0.40),
    "acquisition_offer": (0.20, 0.45),
    "contract_win": (0.05, 0.20),
}
#: Weight of each WORKS_AT role when choosing the insider (officers and directors know most).
ROLE_WEIGHT = {"officer": 10.0, "director": 10.0, "employee": 1.0}


class InsiderTradingConfig(InjectorConfig):
    min_lead_days: float = Field(1.0, gt=0.0, le=60.0, description="Fewest days between the tip and the announcement.")
    max_lead_days: float = Field(14.0, gt=0.0, le=120.0, description="Most days between the tip and the announcement.")
    min_buys: int = Field(1, ge=1, le=50, description="Fewest buy orders between the tip and the announcement.")
    max_buys: int = Field(4, ge=1, le=50, description="Most buy orders between the tip and the announcement.")
    new_account_prob: float = Field(0.3, ge=0.0, le=1.0,
                                    description="Chance that a tippee without a brokerage account opens one to trade on the tip "
                                                "(otherwise a friend who already trades is tipped).")


class InsiderTrading(Injector):
    name = "insider_trading"
    config_model = InsiderTradingConfig
    persons_per_instance = 2.0

    def __init__(self):
        # announcements made by the fraud instances, reused by the "outside trader" decoys
        self._announcements: list[tuple[str, int, str, float, float]] = []

    # -- fraud ------------------------------------------------------------------------------
    def inject(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        world = _World(graph, kit)
        if world.staff.empty:
            return []
        out = []
        for _ in range(count):
            inst = self._one_fraud(world, kit, rng, config, ctx)
            if inst is not None:
                out.append(inst)
        world.edges.flush()
        return out

    def _one_fraud(self, world: _World, kit: Toolkit, rng, config, ctx):
        t_ann = _announcement_time(rng, ctx)
        if t_ann is None:
            return None
        lo, hi = config.min_lead_days, config.max_lead_days
        spread = 0.3 + 0.7 * ctx.knobs.timing_spread
        lead = (lo + rng.random() * (hi - lo) * spread) * DAY
        t_tip = int(t_ann - lead)
        insider, company = world.pick_insider(rng, before=t_tip - 30 * DAY)
        if insider is None:
            return None
        # the tippee: a friend or relative outside the company, preferably one who already trades
        friends = world.friends_of(insider, exclude_company=company, before=t_tip - 7 * DAY)
        holders = [f for f in friends if world.brokerage(f, before=t_tip - 7 * DAY) is not None]
        new_tie = False
        if holders:
            tippee = holders[int(rng.integers(0, len(holders)))]
        elif friends and rng.random() < config.new_account_prob:
            tippee = friends[int(rng.integers(0, len(friends)))]
        else:
            tippee = world.pick_trader(rng, exclude_company=company, before=t_tip - 30 * DAY, stranger_to=insider)
            new_tie = True
        if tippee is None:
            return None
        t_tips = np.sort(t_tip - (rng.random(int(rng.integers(1, 3))) * 2 * DAY).astype(np.int64))
        first_buy_at = t_tips[-1] + int(rng.uniform(0.05, 1.0) * DAY)
        account = world.brokerage(tippee, before=t_tip - 7 * DAY)
        opened = account is None  # then an account is opened right after the tip
        opened_at = t_tips[-1] + int(rng.uniform(0.02, 0.5) * DAY) if opened else kit.created("Account")[account]
        first_buy_at = max(first_buy_at, opened_at + HOUR)
        # the buys fall in market hours before the announcement: where no session lies in between
        # (a tip on a Friday night for news on Monday morning), the tip and what follows come earlier
        buy_from, buy_to = _buy_window(first_buy_at, t_ann)
        shift = first_buy_at - buy_from
        t_tip, t_tips, lead = t_tip - shift, t_tips - shift, lead + shift
        if opened:
            opened_at -= shift
        n_sells = int(rng.integers(1, 3))
        sell_t = _sell_times(rng, t_ann, int(rng.uniform(0.5, 10) * DAY * spread), n_sells, ctx.end - 60)
        if sell_t is None or opened_at + HOUR > buy_from:
            return None
        kit.ctx.used_persons.update([insider, tippee])
        kit.ctx.used_companies.add(company)
        if new_tie:  # they know each other (family or friends) from well before the tip
            kind = "family" if rng.random() < 0.3 else "friend"
            since = t_tip - int(rng.uniform(60, 1500) * DAY)
            world.edges.queue(KNOWS, insider, tippee, kind=kind, since=since)
        if opened:
            account = kit.new_accounts([tippee], "brokerage", [opened_at])[0]
            world.holdings[tippee] = account
        kit.ctx.used_accounts.add(account)
        typical = world.typical_quantity(account, company, rng)
        loud = typical * rng.uniform(8, 30)
        quiet = typical * rng.uniform(1.0, 2.0)
        total = max(2, round(float(blend(loud, quiet, ctx.knobs.amount_blending))))
        news = _pick_news(rng)
        price, jump = world.price(company, rng), rng.uniform(*NEWS[news])
        n_buys = int(rng.integers(config.min_buys, config.max_buys + 1))
        buy_t = _buy_times(kit, buy_from, buy_to, n_buys)
        total = max(total, n_buys)
        buy_q = _split(rng, total, n_buys)
        sell_q = _split(rng, total, n_sells)
        buy_px = np.round(price * (1 + rng.normal(0, 0.01, n_buys)), 2)
        sell_px = np.round(price * (1 + jump) * (1 + rng.normal(0, 0.01, n_sells)), 2)
        new_edge = world.queue_trades(account, company, typical, monthly_count=monthly_rate(n_buys + n_sells, ctx),
                                      typical_quantity=int(max(1, np.median(np.r_[buy_q, sell_q]))), since=int(buy_t[0]))
        self._announcements.append((company, int(t_ann), news, float(price), float(jump)))
        rows = ScheduleRows()
        rows.add(t_tips, "communication", KNOWS_STEM, insider, tippee, detail="tip")
        rows.add([t_ann], "company_announcement", "", company, "", detail=news)
        rows.add(buy_t, "trade", TRADES_STEM, account, company, np.round(buy_q * buy_px, 2), buy_q, "buy")
        rows.add(sell_t, "trade", TRADES_STEM, account, company, np.round(sell_q * sell_px, 2), sell_q, "sell")
        schedule = rows.frame()
        a, b = sorted((insider, tippee))
        profit = float(np.sum(sell_q * sell_px) - np.sum(buy_q * buy_px))
        return PatternInstance(
            typology=self.name, is_fraud=True, start=int(t_tips[0]), end=int(sell_t.max()) + 1,
            members=[("Person", insider, "insider"), ("Person", tippee, "tippee"),
                     ("Account", account, "tippee_account"), ("Company", company, "issuer")],
            edges=[(WORKS_AT, insider, company, "insider_employment"), (KNOWS, a, b, "tip_channel"),
                   (TRADES, account, company, "insider_trades")],
            schedule=schedule,
            parameters={"company": company, "ticker": world.ticker(company), "insider_role": world.role(insider),
                        "news": news, "announcement_at": int(t_ann), "lead_days": round(lead / DAY, 2),
                        "shares": int(total), "price_before": float(price), "price_jump": round(float(jump), 4),
                        "profit": round(profit, 2), "new_tie": bool(new_tie), "new_account": bool(opened),
                        "new_trades_edge": bool(new_edge)},
        )

    # -- decoys -------------------------------------------------------------------------------
    def inject_decoys(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        world = _World(graph, kit)
        if world.listed.empty:
            return []
        out = []
        for _ in range(count):
            inst = self._friend_investor(world, kit, rng, ctx) if rng.random() < 0.4 else None
            if inst is None:
                inst = self._outside_trader(world, kit, rng, config, ctx)
            if inst is not None:
                out.append(inst)
        world.edges.flush()
        return out

    def _outside_trader(self, world: _World, kit: Toolkit, rng, config, ctx):
        """A client with no tie to the company buys before good news and sells after it, as momentum traders do."""
        if self._announcements and rng.random() < 0.7:
            company, t_ann, news, price, jump = self._announcements[int(rng.integers(0, len(self._announcements)))]
        else:
            company = world.listed["id"].to_numpy()[int(rng.integers(0, len(world.listed)))]
            t_ann, news = _announcement_time(rng, ctx), _pick_news(rng)
            if t_ann is None:
                return None
            price, jump = world.price(company, rng), rng.uniform(*NEWS[news])
        lo, hi = config.min_lead_days, config.max_lead_days
        first_buy_at = int(t_ann - (lo + rng.random() * (hi - lo) * (0.3 + 0.7 * ctx.knobs.timing_spread)) * DAY)
        trader = world.pick_trader(rng, exclude_company=company, before=first_buy_at - 30 * DAY, unconnected=True)
        if trader is None:
            return None
        account = world.brokerage(trader)
        opened_at = kit.created("Account")[account]
        buy_from, buy_to = _buy_window(max(first_buy_at, opened_at + HOUR), t_ann)  # in market hours, before the news
        n_buys, n_sells = int(rng.integers(1, 4)), int(rng.integers(1, 3))
        sell_t = _sell_times(rng, t_ann, int(rng.uniform(0.5, 20) * DAY), n_sells, ctx.end - 60)
        if sell_t is None or opened_at + HOUR > buy_from:
            return None
        kit.ctx.used_persons.add(trader)
        kit.ctx.used_accounts.add(account)
        typical = world.typical_quantity(account, company, rng)
        total = max(2, round(typical * rng.uniform(1.0, 6.0)))
        total = max(total, n_buys)
        buy_t = _buy_times(kit, buy_from, buy_to, n_buys)
        buy_q, sell_q = _split(rng, total, n_buys), _split(rng, total, n_sells)
        buy_px = np.round(price * (1 + rng.normal(0, 0.01, n_buys)), 2)
        sell_px = np.round(price * (1 + jump) * (1 + rng.normal(0, 0.01, n_sells)), 2)
        world.queue_trades(account, company, typical, monthly_count=monthly_rate(n_buys + n_sells, ctx),
                           typical_quantity=int(max(1, np.median(np.r_[buy_q, sell_q]))), since=int(buy_t[0]))
        rows = ScheduleRows()
        rows.add([t_ann], "company_announcement", "", company, "", detail=news)
        rows.add(buy_t, "trade", TRADES_STEM, account, company, np.round(buy_q * buy_px, 2), buy_q, "buy")
        rows.add(sell_t, "trade", TRADES_STEM, account, company, np.round(sell_q * sell_px, 2), sell_q, "sell")
        schedule = rows.frame()
        return PatternInstance(
            typology=self.name, is_fraud=False, start=int(buy_t[0]), end=int(sell_t.max()) + 1,
            members=[("Person", trader, "trader"), ("Account", account, "trader_account"), ("Company", company, "issuer")],
            edges=[(TRADES, account, company, "trades")],
            schedule=schedule, variant="outside_trader",
            parameters={"company": company, "ticker": world.ticker(company), "news": news, "announcement_at": int(t_ann),
                        "shares": int(total), "price_before": float(price), "price_jump": round(float(jump), 4),
                        "decoy_of": self.name},
        )

    def _friend_investor(self, world: _World, kit: Toolkit, rng, ctx):
        """An insider's friend who buys the insider's company on a steady plan, unrelated to any announcement."""
        insider, company = world.pick_insider(rng, before=ctx.start - 30 * DAY)
        if insider is None:
            return None
        friends = world.friends_of(insider, exclude_company=company, before=ctx.start - 30 * DAY)
        holders = [f for f in friends if world.brokerage(f) is not None]
        if not holders:
            return None
        friend = holders[int(rng.integers(0, len(holders)))]
        account = world.brokerage(friend)
        kit.ctx.used_persons.update([insider, friend])
        kit.ctx.used_accounts.add(account)
        typical = world.typical_quantity(account, company, rng)
        # a monthly savings plan with the odd sale, spread over the whole span; each order executes in the
        # session of its plan day (of the next trading day when that is a weekend)
        months = max(1, int((ctx.end - ctx.start) // (30 * DAY)))
        day = int(rng.integers(1, 28))
        plan = ctx.start + np.arange(months) * 30 * DAY + day * DAY
        buy_t = mh.from_session_seconds(mh.session_seconds(plan) + (rng.random(months) * mh.SESSION_LENGTH).astype(np.int64))
        buy_t = buy_t[(buy_t < ctx.end - 60) & (buy_t > kit.created("Account")[account])]
        if buy_t.size == 0:
            return None
        buy_q = np.maximum(1, np.round(typical * rng.uniform(0.6, 1.4, buy_t.size)))
        n_sells = int(rng.integers(0, 2))
        sell_t = np.sort(_in_session(ctx.start, ctx.end - 60, kit.fraction(ctx.start, ctx.end - 60, n_sells)))
        sell_t = sell_t[sell_t > buy_t[0]]
        sell_q = np.maximum(1, np.round(buy_q[: sell_t.size] * rng.uniform(0.3, 1.0, sell_t.size)))
        price = world.price(company, rng)
        drift = lambda t: price * (1 + 0.0004 * (t - ctx.start) / DAY + rng.normal(0, 0.02, np.size(t)))
        world.queue_trades(account, company, typical, monthly_count=monthly_rate(buy_t.size + sell_t.size, ctx),
                           typical_quantity=int(max(1, np.median(buy_q))), since=int(buy_t[0]))
        a, b = sorted((insider, friend))
        chats = np.sort(ctx.start + (kit.fraction(ctx.start, ctx.end - 60, int(rng.integers(1, 4)))
                                     * (ctx.end - ctx.start - 60)).astype(np.int64))
        rows = ScheduleRows()
        rows.add(chats, "communication", KNOWS_STEM, insider, friend, detail="social")
        rows.add(buy_t, "trade", TRADES_STEM, account, company, np.round(buy_q * drift(buy_t), 2), buy_q, "buy")
        rows.add(sell_t, "trade", TRADES_STEM, account, company, np.round(sell_q * drift(sell_t), 2), sell_q, "sell")
        schedule = rows.frame()
        times = np.r_[buy_t, sell_t, chats]
        return PatternInstance(
            typology=self.name, is_fraud=False, start=int(times.min()), end=int(times.max()) + 1,
            members=[("Person", insider, "employee_friend"), ("Person", friend, "trader"),
                     ("Account", account, "trader_account"), ("Company", company, "issuer")],
            edges=[(WORKS_AT, insider, company, "employment"), (KNOWS, a, b, "friendship"), (TRADES, account, company, "trades")],
            schedule=schedule, variant="friend_investor",
            parameters={"company": company, "ticker": world.ticker(company), "plan": "monthly",
                        "buys": int(buy_t.size), "sells": int(sell_t.size), "decoy_of": self.name},
        )


class _World:
    """What the insider injector looks up, built once per call: listed companies, their staff, ties, holdings."""

    def __init__(self, graph, kit: Toolkit):
        self.kit = kit
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
        self.holdings = _brokerage_holdings(graph)
        # friends and relatives of the possible insiders (coworkers are colleagues, not tippees)
        knows = graph.edges[KNOWS]
        both = pd.DataFrame({"a": pd.concat([knows["src"], knows["dst"]], ignore_index=True),
                             "b": pd.concat([knows["dst"], knows["src"]], ignore_index=True),
                             "kind": pd.concat([knows["kind"], knows["kind"]], ignore_index=True)})
        employer_listed = dict(zip(staff["src"].tolist(), staff["dst"].tolist()))
        both["c"] = [employer_listed.get(a) for a in both["a"].tolist()]
        both = both[both["c"].notna().to_numpy()]
        # everyone who knows someone working at each listed company (outside traders must not)
        self._tied: dict[str, set[str]] = {}
        for c, b in zip(both["c"].tolist(), both["b"].tolist()):
            self._tied.setdefault(c, set()).add(b)
        # friends and relatives of the possible insiders (coworkers are colleagues, not tippees)
        close = both[(both["kind"] != "coworker").to_numpy() & np.asarray(isin(both["a"], self.staff["src"]), dtype=bool)]
        self._ties: dict[str, list[str]] = {}
        for a, b in zip(close["a"].tolist(), close["b"].tolist()):
            self._ties.setdefault(a, []).append(b)
        trades = graph.edges[TRADES]
        self._typical = dict(zip((trades["src"] + "|" + trades["dst"]).tolist(), trades["typical_quantity"].tolist()))
        self._typical_pool = trades["typical_quantity"].to_numpy()
        self._prices: dict[str, float] = {}
        self.edges = Links(kit)  # added in one batch per type at the end of the call
        self._traders = sorted(p for p in self.holdings if p in self.ordinary)
        self._trader_created = None

    def ticker(self, company: str) -> str:
        return self._ticker.get(company)

    def role(self, person: str) -> str:
        return self._role.get(person, "")

    def brokerage(self, person: str, before: int | None = None):
        """The person's brokerage account (with ``before``: only one opened by then), or None."""
        account = self.holdings.get(person)
        if account is None or before is None or self.kit.created("Account")[account] < before:
            return account
        return None

    def pick_insider(self, rng, before: int):
        """An ordinary, not yet recruited member of a listed company's staff (officers and directors favoured)."""
        staff = self.staff
        if staff.empty:
            return None, None
        if self._staff_created is None:
            created = self.kit.created("Person")
            self._staff_created = np.array([created[p] for p in self._staff_ids], dtype=np.int64)
            self._staff_weight = staff["role"].map(ROLE_WEIGHT).to_numpy(dtype=float)
        ok = self._staff_created < before
        ok &= eligible(rng, self._staff_ids, self.kit.ctx.used_persons, self.kit.ctx.knobs.member_overlap)
        if not ok.any():
            return None, None
        w = self._staff_weight * ok
        i = int(rng.choice(len(staff), p=w / w.sum()))
        return self._staff_ids[i], staff["dst"].iloc[i]

    def friends_of(self, person: str, exclude_company: str, before: int) -> list[str]:
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
        used = self.kit.ctx.used_persons
        early = self._trader_created < before
        pool = [p for p, ok in zip(self._traders, early) if ok and p not in used and self.employer.get(p) != exclude_company]
        if unconnected and pool:
            tied = self._tied.get(exclude_company, set())
            pool = [p for p in pool if p not in tied]
        if stranger_to is not None and pool:
            ties = self.kit.pairs(KNOWS)
            pool = [p for p in pool if "|".join(sorted((p, stranger_to))) not in ties]
        if not pool:
            return None
        return pool[int(rng.integers(0, len(pool)))]

    def typical_quantity(self, account: str, company: str, rng) -> float:
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

    def price(self, company: str, rng) -> float:
        if company not in self._prices:
            self._prices[company] = float(np.round(np.exp(rng.normal(np.log(40.0), 0.8)), 2))
        return self._prices[company]


def _brokerage_holdings(graph) -> dict[str, str]:
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


def _announcement_time(rng, ctx) -> int | None:
    """A time for an announcement that leaves room for the tip before it and the sales after it.

    It falls on a weekday, in the hours when listed companies publish news
    (:data:`fraudgraph.vocab.market_hours.ANNOUNCE_SLOTS`), as ordinary announcements do; None
    where the span holds no such day.
    """
    span = ctx.end - ctx.start
    lo = ctx.start + min(20 * DAY, span // 3)
    hi = ctx.end - min(12 * DAY, span // 4)
    days = np.arange(lo // DAY, max(hi, lo + 1) // DAY + 1) * DAY
    days = days[mh.is_trading_day(days) & (days >= ctx.start) & (days + 24 * HOUR <= ctx.end)]
    if days.size == 0:
        return None
    u = drifted(rng.random(), lo, lo + max(hi - lo, 1), ctx)
    return mh.announcement_time(rng, int(days[min(int(u * days.size), days.size - 1)]))


def _buy_window(first_buy_at: int, t_ann: int) -> tuple[int, int]:
    """From when to when the buys before an announcement at ``t_ann`` go: ``first_buy_at`` to an hour before it.

    Where that holds less than :data:`MIN_SESSION_ROOM` of exchange session, the window
    starts earlier, with that much session in it (the caller moves what leads up to it).
    """
    end = int(t_ann - HOUR)
    last = int(mh.session_seconds(end))
    if last - int(mh.session_seconds(first_buy_at)) < MIN_SESSION_ROOM:
        first_buy_at = int(mh.from_session_seconds(last - MIN_SESSION_ROOM))
    return int(first_buy_at), end


def _in_session(lo: int, hi: int, fractions) -> np.ndarray:
    """Times in market hours at ``fractions`` (in [0, 1)) of the session time between ``lo`` and ``hi``.

    They lie in ``[lo, hi)`` when some session lies in between, in the order of the fractions.
    """
    s_lo, s_hi = mh.session_seconds(lo), mh.session_seconds(hi)
    return mh.from_session_seconds(s_lo + (np.asarray(fractions) * (s_hi - s_lo)).astype(np.int64))


def _buy_times(kit: Toolkit, lo: int, hi: int, n: int) -> np.ndarray:
    """``n`` buy times in market hours in ``[lo, hi)``, sorted, the first within the window's first session hour."""
    f = np.sort(kit.fraction(lo, hi, n))
    room = int(mh.session_seconds(hi) - mh.session_seconds(lo))
    f[0] *= min(1.0, HOUR / max(room, 1))  # the tippee acts on the tip at the first chance
    return _in_session(lo, hi, f)


def _sell_times(rng, t_ann: int, span: int, n: int, end: int) -> np.ndarray | None:
    """``n`` sale times in market hours, sorted, from an hour after the announcement over ``span`` seconds.

    The window holds at least :data:`MIN_SESSION_ROOM` of session and ends before ``end``;
    None where the simulated span ends too soon for that.
    """
    lo = int(t_ann + HOUR)
    hi = min(lo + int(span), int(end))
    if mh.session_seconds(hi) - mh.session_seconds(lo) < MIN_SESSION_ROOM:
        hi = int(mh.from_session_seconds(mh.session_seconds(lo) + MIN_SESSION_ROOM))
        if hi > end:
            return None
    return _in_session(lo, hi, np.sort(rng.random(n)))


def _pick_news(rng) -> str:
    names = list(NEWS)
    return names[int(rng.integers(0, len(names)))]


def _split(rng, total: int, parts: int) -> np.ndarray:
    """``total`` shares split into ``parts`` positive integer orders (as even as the draw makes them)."""
    parts = max(1, min(parts, int(total)))
    w = rng.dirichlet(np.full(parts, 3.0))
    q = np.floor(w * (total - parts)).astype(np.int64) + 1
    q[-1] += total - q.sum()
    return q.astype(float)
