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

from typing import NamedTuple

import numpy as np
from fraudgraph.patterns.base import (
    Injector,
    InjectorConfig,
)
from fraudgraph.patterns.kit import (
    KNOWS,
    WORKS_AT,
    Draft,
    Toolkit,
    blend,
    monthly_rate,
)
from fraudgraph.patterns.kit.markets import TRADES, TRADES_STEM, Market
from fraudgraph.patterns.kit.trading_times import (
    announcement_time,
    buy_window,
    in_session,
    monthly_plan,
    sell_times,
)
from pydantic import Field

from fraudgraph import schema
from fraudgraph.units import DAY, HOUR

KNOWS_STEM = schema.stem("Person", "KNOWS", "Person")

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
        world = Market(graph, kit, ROLE_WEIGHT)
        if world.staff.empty:
            return []
        out = []
        for _ in range(count):
            inst = self._one_fraud(world, kit, rng, config, ctx)
            if inst is not None:
                out.append(inst)
        world.edges.flush()
        return out

    def _one_fraud(self, world: Market, kit: Toolkit, rng, config, ctx):
        t_ann = announcement_time(rng, ctx)
        if t_ann is None:
            return None
        lo, hi = config.min_lead_days, config.max_lead_days
        spread = 0.3 + 0.7 * ctx.knobs.timing_spread
        lead = (lo + rng.random() * (hi - lo) * spread) * DAY
        t_tip = int(t_ann - lead)
        insider, company = world.pick_insider(rng, before=t_tip - 30 * DAY)
        if insider is None:
            return None
        tippee, new_tie = world.pick_tippee(rng, insider, company, before=t_tip - 7 * DAY,
                                            client_before=t_tip - 30 * DAY, new_account_prob=config.new_account_prob)
        if tippee is None:
            return None
        tip = _tip_timeline(world, kit, rng, ctx, tippee, t_ann, t_tip, lead, spread)
        if tip is None:
            return None
        account = _enlist(world, kit, rng, tip, insider, tippee, company, new_tie)
        draft = Draft(self.name, True, start=int(tip.times[0]))
        draft.member("Person", insider, "insider")
        draft.member("Person", tippee, "tippee")
        draft.member("Account", account, "tippee_account")
        draft.member("Company", company, "issuer")
        draft.edge(WORKS_AT, insider, company, "insider_employment")
        draft.edge(KNOWS, insider, tippee, "tip_channel")
        draft.edge(TRADES, account, company, "insider_trades")
        draft.schedule(tip.times, "communication", KNOWS_STEM, insider, tippee, detail="tip")
        return self._trade_on_tip(world, kit, rng, config, ctx, draft, tip, insider, account, company, new_tie)

    def _trade_on_tip(self, world: Market, kit: Toolkit, rng, config, ctx, draft: Draft, tip: _Tip, insider: str,
                      account: str, company: str, new_tie: bool):
        """The news, and the tippee's trades on it: buys well above their usual size before it, all sold after it."""
        typical = world.typical_quantity(account, company, rng)
        loud = typical * rng.uniform(8, 30)
        quiet = typical * rng.uniform(1.0, 2.0)
        total = max(2, round(float(blend(loud, quiet, ctx.knobs.amount_blending))))
        news = list(NEWS)[int(rng.integers(0, len(NEWS)))]
        price, jump = world.price(company, rng), rng.uniform(*NEWS[news])
        n_buys = int(rng.integers(config.min_buys, config.max_buys + 1))
        draft.schedule(tip.t_ann, "company_announcement", "", company, "", detail=news)
        total, profit, new_edge = world.round_trip(rng, draft, account, company, typical, total, price, jump,
                                                   tip.window, n_buys, tip.sell_t)
        self._announcements.append((company, int(tip.t_ann), news, float(price), float(jump)))
        draft.parameters = {
            "company": company, "ticker": world.ticker(company), "insider_role": world.role(insider),
            "news": news, "announcement_at": int(tip.t_ann), "lead_days": round(tip.lead / DAY, 2),
            "shares": int(total), "price_before": float(price), "price_jump": round(float(jump), 4),
            "profit": round(profit, 2), "new_tie": bool(new_tie), "new_account": tip.account is None,
            "new_trades_edge": bool(new_edge)}
        return draft.build()

    # -- decoys -------------------------------------------------------------------------------
    def inject_decoys(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        world = Market(graph, kit, ROLE_WEIGHT)
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

    def _outside_trader(self, world: Market, kit: Toolkit, rng, config, ctx):
        """A client with no tie to the company buys before good news and sells after it, as momentum traders do."""
        if self._announcements and rng.random() < 0.7:
            company, t_ann, news, price, jump = self._announcements[int(rng.integers(0, len(self._announcements)))]
        else:
            company = world.listed["id"].to_numpy()[int(rng.integers(0, len(world.listed)))]
            t_ann, news = announcement_time(rng, ctx), list(NEWS)[int(rng.integers(0, len(NEWS)))]
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
        window = buy_window(max(first_buy_at, opened_at + HOUR), t_ann)  # in market hours, before the news
        n_buys, n_sells = int(rng.integers(1, 4)), int(rng.integers(1, 3))
        sell_t = sell_times(rng, t_ann, int(rng.uniform(0.5, 20) * DAY), n_sells, ctx.end - 60)
        if sell_t is None or opened_at + HOUR > window[0]:
            return None
        kit.ctx.used_persons.add(trader)
        kit.ctx.used_accounts.add(account)
        typical = world.typical_quantity(account, company, rng)
        total = max(2, round(typical * rng.uniform(1.0, 6.0)))
        draft = Draft(self.name, False, variant="outside_trader")
        draft.schedule(t_ann, "company_announcement", "", company, "", detail=news)
        total, _, _ = world.round_trip(rng, draft, account, company, typical, total, price, jump, window, n_buys,
                                       sell_t)
        draft.member("Person", trader, "trader")
        draft.member("Account", account, "trader_account")
        draft.member("Company", company, "issuer")
        draft.edge(TRADES, account, company, "trades")
        draft.parameters = {"company": company, "ticker": world.ticker(company), "news": news,
                            "announcement_at": int(t_ann), "shares": int(total), "price_before": float(price),
                            "price_jump": round(float(jump), 4), "decoy_of": self.name}
        return draft.build()

    def _friend_investor(self, world: Market, kit: Toolkit, rng, ctx):
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
        buy_t = monthly_plan(rng, ctx)  # a savings plan over the whole span, with the odd sale
        buy_t = buy_t[(buy_t < ctx.end - 60) & (buy_t > kit.created("Account")[account])]
        if buy_t.size == 0:
            return None
        buy_q = np.maximum(1, np.round(typical * rng.uniform(0.6, 1.4, buy_t.size)))
        n_sells = int(rng.integers(0, 2))
        sell_t = np.sort(in_session(ctx.start, ctx.end - 60, kit.fraction(ctx.start, ctx.end - 60, n_sells)))
        sell_t = sell_t[sell_t > buy_t[0]]
        sell_q = np.maximum(1, np.round(buy_q[: sell_t.size] * rng.uniform(0.3, 1.0, sell_t.size)))
        price = world.price(company, rng)
        drift = lambda t: price * (1 + 0.0004 * (t - ctx.start) / DAY + rng.normal(0, 0.02, np.size(t)))
        world.queue_trades(account, company, typical, monthly_count=monthly_rate(buy_t.size + sell_t.size, ctx),
                           typical_quantity=int(max(1, np.median(buy_q))), since=int(buy_t[0]))
        chats = np.sort(ctx.start + (kit.fraction(ctx.start, ctx.end - 60, int(rng.integers(1, 4)))
                                     * (ctx.end - ctx.start - 60)).astype(np.int64))
        draft = Draft(self.name, False, variant="friend_investor")
        draft.schedule(chats, "communication", KNOWS_STEM, insider, friend, detail="social")
        draft.schedule(buy_t, "trade", TRADES_STEM, account, company, np.round(buy_q * drift(buy_t), 2), buy_q, "buy")
        draft.schedule(sell_t, "trade", TRADES_STEM, account, company, np.round(sell_q * drift(sell_t), 2), sell_q,
                       "sell")
        draft.member("Person", insider, "employee_friend")
        draft.member("Person", friend, "trader")
        draft.member("Account", account, "trader_account")
        draft.member("Company", company, "issuer")
        draft.edge(WORKS_AT, insider, company, "employment")
        draft.edge(KNOWS, insider, friend, "friendship")
        draft.edge(TRADES, account, company, "trades")
        draft.parameters = {"company": company, "ticker": world.ticker(company), "plan": "monthly",
                            "buys": int(buy_t.size), "sells": int(sell_t.size), "decoy_of": self.name}
        return draft.build()


class _Tip(NamedTuple):
    """When a tip is given and traded on (times already moved where the buys needed an earlier session)."""

    t_ann: int
    t_tip: int
    times: np.ndarray  # of the tips
    lead: float  # seconds from the tip to the announcement
    account: str | None  # None: the tippee opens one at opened_at
    opened_at: int
    window: tuple[int, int]  # of the buys
    sell_t: np.ndarray


def _tip_timeline(world: Market, kit: Toolkit, rng, ctx, tippee: str, t_ann: int, t_tip: int, lead: float,
                  spread: float):
    """The tips ``lead`` seconds before the news, the account the tippee trades from, the buy and sale windows.

    The buys fall in market hours before the announcement: where no session lies in between
    (a tip on a Friday night for news on Monday morning), the tip and what follows come earlier.
    None where the sales find no room before the end of the span, or the account would open too late.
    """
    t_tips = np.sort(t_tip - (rng.random(int(rng.integers(1, 3))) * 2 * DAY).astype(np.int64))
    first_buy_at = t_tips[-1] + int(rng.uniform(0.05, 1.0) * DAY)
    account = world.brokerage(tippee, before=t_tip - 7 * DAY)
    opened = account is None  # then an account is opened right after the tip
    opened_at = t_tips[-1] + int(rng.uniform(0.02, 0.5) * DAY) if opened else kit.created("Account")[account]
    first_buy_at = max(first_buy_at, opened_at + HOUR)
    buy_from, buy_to = buy_window(first_buy_at, t_ann)
    shift = first_buy_at - buy_from
    if opened:
        opened_at -= shift
    n_sells = int(rng.integers(1, 3))
    sell_t = sell_times(rng, t_ann, int(rng.uniform(0.5, 10) * DAY * spread), n_sells, ctx.end - 60)
    if sell_t is None or opened_at + HOUR > buy_from:
        return None
    return _Tip(t_ann, t_tip - shift, t_tips - shift, lead + shift, account, opened_at, (buy_from, buy_to), sell_t)


def _enlist(world: Market, kit: Toolkit, rng, tip: _Tip, insider: str, tippee: str, company: str, new_tie: bool) -> str:
    """Mark the insider, tippee and company as used, tie the two if need be; the account the tippee trades from."""
    kit.ctx.used_persons.update([insider, tippee])
    kit.ctx.used_companies.add(company)
    if new_tie:  # they know each other (family or friends) from well before the tip
        kind = "family" if rng.random() < 0.3 else "friend"
        since = tip.t_tip - int(rng.uniform(60, 1500) * DAY)
        world.edges.queue(KNOWS, insider, tippee, kind=kind, since=since)
    account = tip.account if tip.account is not None else world.open_brokerage(tippee, tip.opened_at)
    kit.ctx.used_accounts.add(account)
    return account
