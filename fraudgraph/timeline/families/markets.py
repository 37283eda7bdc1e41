"""Communications between persons, company news and brokerage trades (the ``markets`` stream).

Three processes, walked one day at a time:

- ``communication-sent``: persons call, message and e-mail along their KNOWS
  ties (family, friends, coworkers) at ``messages_per_tie_monthly`` per tie,
  either side starting (the more active one more often), and at work with a
  colleague of the same employer (two WORKS_AT edges to one company) at
  ``coworker_messages_monthly`` per employee. The patterns' scripted
  ``communication`` rows (an insider tipping a friend on their KNOWS tie) come
  on top, at exactly the scripted time and with the pattern id.
- ``company-announcement``: listed companies publish material news
  (``announcements_per_company_monthly``, on weekdays, mostly before the open
  or after the close). Each announcement moves the share price by a jump drawn
  from a range that depends on the news. Scripted ``company_announcement``
  rows (``src`` the company, ``detail`` the news) are published at their time
  with the jump the pattern decided (its ``price_jump`` parameter).
  Instances that share one announcement (a decoy trading around an insider's
  news) get one event, carrying the id of the fraud instance when there is one.
- ``trade-executed``: brokerage accounts trade the companies they TRADES with,
  at the edge's ``monthly_count`` and around its ``typical_quantity``, during
  the exchange session on weekdays; a sale never exceeds the position the
  account holds. Scripted ``trade`` rows (``src`` the account, ``dst`` the
  company, ``quantity``, ``detail`` the side) trade at their time; legitimate
  trading pauses on an edge while a pattern scripts it.

Prices. Every listed company has a price path: a geometric random walk that
steps once per weekday with ``price_volatility``, plus the jumps of its
announcements, so a trade after an announcement sees the jumped price (trades
also scatter a little around the day's level). Every company starts at a level
of its own; where a pattern scripted an announcement with a ``price_before``
the path starts there and is bridged (a Brownian bridge over the weekdays in
between) to stand at that price on the announcement day, so the scripted jump
happens from the scripted level. The bridge's pull is capped at
``BRIDGE_CAP`` daily volatilities: instances scripted on one company do not
know each other's jumps, and where their levels disagree the path drifts
towards the next one at a plausible pace instead of crashing into it (the jump
itself always has the scripted size). Scripted trades execute at the
path price, not at the amount in the schedule row (the two differ by the walk
between the order and the announcement).

Money. A trade settles through the ledger as a ``trade_settlement``: a buy is a
payment from the brokerage account to the exchange (``dst=-1``, ``dst_kind``
``exchange``, the ticker as reference), a sale a payment from the exchange into
the account. The family keeps track of each account's cash (its own trades, and
the ledger's balance after each buy): a buy beyond it is funded by a
``bank_transfer`` in from the holder's outside bank shortly before (always for
scripted buys, which keep their pattern id; for half of the others) or cut to
what the cash pays for. A trade whose settlement the ledger still refuses (money
moved out by other families, a frozen or closed account) is not executed: it
emits no ``trade-executed`` (the transactions family shows the refused payment)
and does not change the position.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fraudgraph import schema
from fraudgraph.timeline import clock
from fraudgraph.timeline import envelope as env
from fraudgraph.timeline.family import Day, DayPlan, Family, Outcome
from fraudgraph.timeline.frames import events as make_events
from fraudgraph.timeline.frames import payments as make_payments
from fraudgraph.units import DAY, HOUR, to_seconds
from fraudgraph.vocab import market_hours

KNOWS = ("Person", "KNOWS", "Person")
WORKS_AT = ("Person", "WORKS_AT", "Company")
TRADES = ("Account", "TRADES", "Company")
TRADES_STEM = schema.stem("Account", "TRADES", "Company")

DAYS_PER_MONTH = 30.44
#: The exchange session opens at 14:30 UTC (the ``market`` hour profile starts at 14:00); see :mod:`fraudgraph.vocab.market_hours`.
SESSION_OPEN = market_hours.SESSION_OPEN
TRADING_DAYS_PER_MONTH = 21.0

CHANNELS = ("call", "message", "email")
SIDES = ("buy", "sell")
#: KNOWS kinds, in code order (an unknown kind counts as a friend).
RELATIONS = ("family", "friend", "coworker")
FRIEND, COWORKER = 1, 2
#: Calls: log-normal duration in seconds (median, sigma), clipped to a plausible range.
CALL_MEDIAN_SECONDS, CALL_SIGMA, CALL_MIN, CALL_MAX = 150.0, 1.0, 5, 2 * HOUR

#: Material news: share among ordinary announcements, price jump range (fraction, low and high) and headline.
#: The good-news ranges are those the insider_trading injector draws its jumps from.
NEWS = {
    "earnings_beat": (0.20, 0.05, 0.18, "reports quarterly earnings above expectations"),
    "earnings_miss": (0.18, -0.15, -0.03, "reports quarterly earnings below expectations"),
    "guidance_raise": (0.07, 0.04, 0.15, "raises its full-year guidance"),
    "guidance_cut": (0.09, -0.20, -0.04, "cuts its full-year guidance"),
    "product_launch": (0.14, -0.01, 0.08, "launches a new product line"),
    "contract_win": (0.10, 0.05, 0.20, "wins a major contract"),
    "merger": (0.07, 0.15, 0.40, "agrees to a merger"),
    "acquisition_offer": (0.05, 0.20, 0.45, "receives an acquisition offer"),
    "regulatory_action": (0.10, -0.25, -0.05, "faces regulatory action"),
}
NEWS_KINDS = np.array(list(NEWS), dtype=object)
NEWS_CDF = np.cumsum([v[0] for v in NEWS.values()]) / sum(v[0] for v in NEWS.values())
NEWS_LOW = np.array([v[1] for v in NEWS.values()])
NEWS_HIGH = np.array([v[2] for v in NEWS.values()])
HEADLINES = pa.array([" " + v[3] for v in NEWS.values()] + [" makes a material announcement"], pa.large_string())
#: Jump range of news kinds outside :data:`NEWS`.
OTHER_NEWS = (0.02, 0.10)
#: When ordinary announcements come out (UTC hours): before the open, in the session, after the close.
ANNOUNCE_SLOTS = market_hours.ANNOUNCE_SLOTS
ANNOUNCE_SLOT_CDF = market_hours.ANNOUNCE_SLOT_CDF

#: Starting prices of companies without a scripted level: log-normal around this median.
PRICE_MEDIAN, PRICE_SIGMA = 40.0, 0.8
#: The bridge to a scripted price moves the level at most this many daily volatilities a day (instances
#: scripted on one company do not know each other's jumps, so their levels may disagree).
BRIDGE_CAP = 1.5
#: Trade prices scatter around the day's level by this share of the daily volatility.
INTRADAY_SHARE = 0.25
#: Quantities: log-normal around the edge's typical quantity.
QUANTITY_SIGMA = 0.5
#: Share of legitimate trades that sell (when the account holds shares).
SELL_SHARE = 0.45
#: Buys beyond the known cash: share funded by a transfer in (the rest are cut), margin over the
#: shortfall (rounded up to hundreds) and how long before the trade the money arrives (seconds).
FUNDED_SHARE = 0.5
FUNDING_MARGIN = 1.1
FUNDING_LEAD_SECONDS = (600, 3 * HOUR)
#: Position held at the start per TRADES edge older than the span, in typical quantities (gamma shape, scale).
OPENING_POSITION = (2.0, 1.5)


class Markets(Family):
    """Communications, company announcements and trades (see the module docstring).

    Parameters
    ----------
    context : TimelineContext
        Shared inputs; the rates come from ``context.config.markets``.
    """

    name = "markets"
    event_types = ("communication-sent", "company-announcement", "trade-executed")

    def __init__(self, context):
        super().__init__(context)
        self.cfg = context.config.markets
        setup = context.seeds.rng("timeline", "markets", "setup")
        world = context.world
        self.ties = _Ties.build(world, context.activity)
        self.staff = _Staff.build(world)
        self.tie_sampler = _Sampler(self.ties.since, self.ties.activity)
        self.staff_sampler = _Sampler(self.staff.since, np.where(self.staff.size >= 2, context.activity[self.staff.person], 0.0))
        self.book = _Book.build(context, setup)
        self.prices = _PricePath(context, setup, self.cfg.price_volatility)
        self.script_talk = self._script_talk()
        self.script_trades = self._script_trades()
        weights = np.array([self.cfg.channel_weights.get(c, 0.0) for c in CHANNELS], dtype=np.float64)
        self.channel_cdf = np.cumsum(weights) / weights.sum()
        office = clock.WEEKDAYS["office"]
        self.office_norm = float(office.mean())
        # cash in each account as far as the family knows it (its own trades and the ledger's balances)
        self.cash = world.opening_balance.astype(np.float64).copy()
        self.counter = 0

    # -- the day ------------------------------------------------------------------------
    def plan(self, day: Day, rng: np.random.Generator) -> DayPlan:
        """Announcements, communications and trades of ``day``; trades go to the ledger as settlements."""
        ctx = self.ctx
        news_rng, comm_rng, trade_rng, walk_rng = rng.spawn(4)
        drift = clock.drift_factor(day, ctx.days, ctx.scenario.drift.strength, ctx.scenario.drift.direction)
        news = self._news(day, news_rng, drift)
        trades, deposits = self._fund(day, trade_rng, self._trades(day, trade_rng, drift, news))
        events = [self._announcement_events(news, news_rng)]
        events += self._communications(day, comm_rng, drift)
        self.prices.advance(day, walk_rng, news)
        # deposits first: at equal times the ledger takes rows in order
        payments = self._settlements(trades)
        if len(deposits):
            payments = pd.concat([deposits.payments(), payments], ignore_index=True)
        return DayPlan(events=[t for t in events if t is not None and t.num_rows], payments=payments,
                       state=(deposits, trades))

    def settle(self, day: Day, plan: DayPlan, outcome: Outcome, rng: np.random.Generator) -> list[pa.Table]:
        """``trade-executed`` for every trade the ledger settled; positions and known cash follow."""
        deposits, trades = plan.state
        k = len(deposits)
        ok = np.asarray(outcome.ok, dtype=bool)
        self._sync_cash(deposits, ok[:k], trades, ok[k:], np.asarray(outcome.balance_after[k:], dtype=np.float64))
        done = trades.take(ok[k:])
        self.book.apply(done)
        if len(done) == 0:
            return []
        return [self._trade_events(done, rng)]

    def _corrs(self, n: int) -> np.ndarray:
        out = np.arange(self.counter, self.counter + n, dtype=np.int64)
        self.counter += n
        return out

    # -- company news -------------------------------------------------------------------
    def _news(self, day: Day, rng: np.random.Generator, drift: float) -> _News:
        """Ordinary and scripted announcements of the day, sorted by (company, time), with their prices."""
        prices = self.prices
        rate = self.cfg.announcements_per_company_monthly / TRADING_DAYS_PER_MONTH
        rate *= clock.weekday_factor(day, "market") * drift
        listed = prices.companies
        counts = rng.poisson(rate, listed.size) if rate > 0 else np.zeros(listed.size, np.int64)
        company = np.repeat(listed, counts)
        n = company.size
        kind = np.searchsorted(NEWS_CDF, rng.random(n), side="right").clip(0, len(NEWS_KINDS) - 1)
        jump = rng.uniform(NEWS_LOW[kind], NEWS_HIGH[kind]) if n else np.zeros(0)
        slot = np.searchsorted(ANNOUNCE_SLOT_CDF, rng.random(n), side="right").clip(0, len(ANNOUNCE_SLOTS) - 1)
        lo, hi = ANNOUNCE_SLOTS[slot, 0], ANNOUNCE_SLOTS[slot, 1]
        time = day.start + ((lo + rng.random(n) * (hi - lo)) * HOUR).astype(np.int64)
        born = time > prices.incorporated[company]
        legit = _News.from_arrays(company[born], time[born], NEWS_KINDS[kind[born]], jump[born],
                                  np.full(int(born.sum()), None, dtype=object))
        scripted = prices.scripted_news(day, rng)
        return _News.concat([legit, scripted]).sorted().priced(prices.level)

    def _announcement_events(self, news: _News, rng: np.random.Generator) -> pa.Table | None:
        world = self.ctx.world
        n = len(news)
        if n == 0:
            return None
        name = world.company_name.take(pa.array(news.company))
        known = pc.index_in(pa.array(news.kind, pa.large_string()), value_set=pa.array(list(NEWS), pa.large_string()))
        headline = pc.binary_join_element_wise(name, HEADLINES.take(known.fill_null(len(NEWS))), pa.scalar("", pa.large_string()))
        payload = env.json_object([
            ("announcement_id", env.text(env.uuids(rng, n), safe=True)),
            ("company_id", env.text(world.take("Company", news.company), safe=True)),
            ("company_name", env.text(name)),
            ("ticker", env.text(world.company_ticker.take(pa.array(news.company)), safe=True)),
            ("news_type", env.text(pa.array(news.kind, pa.large_string()))),
            ("headline", env.text(headline)),
            ("expected_price_impact", env.fixed(np.expm1(news.log_jump), 4)),
            ("price_before", env.money(news.price_before)),
            ("price_after", env.money(news.price_after)),
            ("currency", env.constant('"USD"', n)),
        ])
        return make_events("company-announcement", news.time, self._corrs(n), payload, pattern_id=news.pattern)

    # -- communications -------------------------------------------------------------------
    def _communications(self, day: Day, rng: np.random.Generator, drift: float) -> list[pa.Table]:
        parts = [self._tie_talk(day, rng, drift), self._office_talk(day, rng, drift), self._scripted_talk(day)]
        talk = _Talk.concat([p for p in parts if p is not None])
        if len(talk) == 0:
            return []
        return self._communication_events(talk, rng)

    def _tie_talk(self, day: Day, rng: np.random.Generator, drift: float) -> _Talk | None:
        ties, ctx = self.ties, self.ctx
        rate = self.cfg.messages_per_tie_monthly / DAYS_PER_MONTH * clock.weekday_factor(day, "personal") * drift
        if rate <= 0 or ties.a.size == 0:
            return None
        rows = self.tie_sampler.draw(rng, day.start, rate)
        first = rng.random(rows.size) < ties.a_share[rows]
        sender = np.where(first, ties.a[rows], ties.b[rows])
        recipient = np.where(first, ties.b[rows], ties.a[rows])
        time = clock.times_in_day(rng, day, rows.size, "personal", ctx.chronotype[sender])
        return _Talk(time, sender, recipient, ties.relation[rows], np.full(rows.size, None, dtype=object))

    def _office_talk(self, day: Day, rng: np.random.Generator, drift: float) -> _Talk | None:
        staff, ctx = self.staff, self.ctx
        rate = self.cfg.coworker_messages_monthly / DAYS_PER_MONTH
        rate *= clock.weekday_factor(day, "office") / self.office_norm * drift
        if rate <= 0 or staff.person.size == 0:
            return None
        rows = self.staff_sampler.draw(rng, day.start, rate)
        # a colleague: anyone else in the same company's block
        other = staff.lo[rows] + (rng.random(rows.size) * (staff.size[rows] - 1)).astype(np.int64)
        other = np.where(other >= rows, other + 1, other)
        keep = staff.since[other] <= day.start
        rows, other = rows[keep], other[keep]
        sender, recipient = staff.person[rows], staff.person[other]
        time = clock.times_in_day(rng, day, rows.size, "office", 0.5 * ctx.chronotype[sender])
        return _Talk(time, sender, recipient, np.full(rows.size, COWORKER, np.int8), np.full(rows.size, None, dtype=object))

    def _scripted_talk(self, day: Day) -> _Talk | None:
        talk = self.script_talk
        lo, hi = np.searchsorted(talk.time, [day.start, day.end])
        return talk.take(slice(lo, hi)) if hi > lo else None

    def _communication_events(self, talk: _Talk, rng: np.random.Generator) -> list[pa.Table]:
        """One event per communication; calls (first, after a stable sort by channel) carry their duration."""
        world = self.ctx.world
        n = len(talk)
        channel = np.searchsorted(self.channel_cdf, rng.random(n), side="right").clip(0, len(CHANNELS) - 1)
        order = np.argsort(channel, kind="stable")
        talk, channel = talk.take(order), channel[order]
        calls = int(np.count_nonzero(channel == 0))
        duration = np.clip(np.rint(CALL_MEDIAN_SECONDS * np.exp(rng.normal(0.0, CALL_SIGMA, calls))), CALL_MIN, CALL_MAX)
        ids = env.uuids(rng, n)
        corr = self._corrs(n)
        columns = {
            "communication_id": ids,
            "channel": _labels(CHANNELS, channel),
            "sender_id": world.take("Person", talk.sender),
            "recipient_id": world.take("Person", talk.recipient),
            "relation": _labels(RELATIONS, talk.relation),
        }
        out = []
        for lo, hi, is_call in ((0, calls, True), (calls, n, False)):
            if hi == lo:
                continue
            fields = [(key, env.text(col.slice(lo, hi - lo), safe=True)) for key, col in columns.items()]
            if is_call:
                fields.append(("duration_seconds", env.number(duration.astype(np.int64))))
            out.append(make_events("communication-sent", talk.time[lo:hi], corr[lo:hi], env.json_object(fields),
                                   person=columns["sender_id"].slice(lo, hi - lo), pattern_id=talk.pattern[lo:hi]))
        return out

    # -- trades -------------------------------------------------------------------------
    def _trades(self, day: Day, rng: np.random.Generator, drift: float, news: _News) -> _Trades:
        walked = self._walk_trades(day, rng, drift)
        scripted = self._scripted_trades(day)
        trades = _Trades.concat([walked, scripted])
        n = len(trades)
        if n == 0:
            return trades
        level = self.prices.log_price_at(trades.company, trades.time, news, day)
        noise = rng.normal(0.0, INTRADAY_SHARE * self.prices.sigma, n)
        trades.price = np.maximum(np.round(np.exp(level + noise), 2), 0.01)
        trades.notional = np.round(trades.quantity * trades.price, 2)
        trades.corr = self._corrs(n)
        return trades

    def _walk_trades(self, day: Day, rng: np.random.Generator, drift: float) -> _Trades:
        book, ctx = self.book, self.ctx
        rate = clock.weekday_factor(day, "market") * drift
        if rate <= 0 or book.account.size == 0:
            return _Trades.empty()
        paused = (book.script_from < day.end) & (book.script_to >= day.start)
        alive = book.live & (book.since <= day.start) & ~paused & (ctx.dark_after[book.account] > day.start)
        counts = rng.poisson(np.where(alive, book.rate * rate, 0.0))
        edge = np.repeat(np.arange(book.account.size), counts)
        n = edge.size
        time = _in_session(clock.times_in_day(rng, day, n, "market"))
        quantity = np.maximum(1.0, np.rint(book.typical[edge] * np.exp(rng.normal(0.0, QUANTITY_SIGMA, n))))
        sell = (rng.random(n) < SELL_SHARE) & (book.position[edge] > 0)
        quantity = _cap_sales(edge, time, quantity, sell, book.position)
        keep = quantity > 0
        edge = edge[keep]
        return _Trades.new(time[keep], book.account[edge], book.company[edge], edge, ~sell[keep], quantity[keep],
                           np.full(edge.size, None, dtype=object))

    def _scripted_trades(self, day: Day) -> _Trades:
        trades = self.script_trades
        lo, hi = np.searchsorted(trades.time, [day.start, day.end])
        return trades.take(slice(lo, hi))

    # -- scripted rows, resolved once --------------------------------------------------------
    def _script_talk(self) -> _Talk:
        """The schedule's ``communication`` rows between existing persons, in time order."""
        world = self.ctx.world
        rows = _schedule_rows(self.ctx, "communication")
        sender = world.pos("Person", rows["src"])
        recipient = world.pos("Person", rows["dst"].fillna(""))
        keep = (sender >= 0) & (recipient >= 0)
        sender, recipient = sender[keep], recipient[keep]
        return _Talk(rows["t"].to_numpy(dtype=np.int64)[keep], sender, recipient,
                     self.ties.relation_of(sender, recipient), rows["pattern_id"].to_numpy(dtype=object)[keep])

    def _script_trades(self) -> _Trades:
        """The schedule's ``trade`` rows of existing accounts in listed companies, in time order."""
        world = self.ctx.world
        rows = _schedule_rows(self.ctx, "trade")
        account = world.pos("Account", rows["src"])
        company = world.pos("Company", rows["dst"].fillna(""))
        quantity = np.rint(rows["quantity"].to_numpy(dtype=np.float64))
        keep = (account >= 0) & (company >= 0) & np.nan_to_num(quantity > 0)
        keep &= self.prices.listed[np.maximum(company, 0)]
        account, company, quantity = account[keep], company[keep], quantity[keep]
        buy = rows["detail"].fillna("buy").to_numpy(dtype=object)[keep] != "sell"
        return _Trades.new(rows["t"].to_numpy(dtype=np.int64)[keep], account, company, self.book.edge_of(account, company),
                           buy, quantity, rows["pattern_id"].to_numpy(dtype=object)[keep])

    def _fund(self, day: Day, rng: np.random.Generator, trades: _Trades) -> tuple[_Trades, _Deposits]:
        """Keep buys within the cash of the account, as the family knows it.

        A buy beyond it is either funded by a transfer in from the holder's outside
        bank shortly before (always for scripted buys, for a share of the others) or
        cut to what the cash pays for (dropped when that is nothing).
        """
        world = self.ctx.world
        rows = np.flatnonzero(trades.buy)
        if rows.size == 0:
            return trades, _Deposits.empty()
        rows = rows[np.lexsort((trades.time[rows], trades.account[rows]))]
        account = trades.account[rows]
        cost = trades.notional[rows]
        available = self.cash[account] - (_group_cumsum(account, cost) - cost)
        short = cost > available + 1e-9
        topped = short & (pd.notna(trades.pattern[rows]) | (rng.random(rows.size) < FUNDED_SHARE))
        cut = rows[short & ~topped]
        affordable = np.floor(np.maximum(available[short & ~topped], 0.0) / trades.price[cut])
        trades.quantity[cut] = np.minimum(trades.quantity[cut], affordable)
        trades.notional[cut] = np.round(trades.quantity[cut] * trades.price[cut], 2)
        funded = rows[topped]
        need = cost[topped] - available[topped]
        amount = np.ceil(need * FUNDING_MARGIN / 100.0) * 100.0
        lead = rng.uniform(*FUNDING_LEAD_SECONDS, funded.size).astype(np.int64)
        acc = trades.account[funded]
        time = np.maximum(trades.time[funded] - lead, np.maximum(day.start, world.account_opened[acc]))
        time = np.minimum(time, trades.time[funded])
        deposits = _Deposits(time, acc, amount, trades.pattern[funded], self._corrs(funded.size), world.account_holder[acc])
        return trades.take(trades.quantity > 0), deposits

    def _sync_cash(self, deposits: _Deposits, deposit_ok: np.ndarray, trades: _Trades, trade_ok: np.ndarray,
                   balance_after: np.ndarray) -> None:
        """Known cash after the day: the ledger's balance after each account's last buy, plus later credits."""
        last_time = None
        buys = np.flatnonzero(trades.buy & np.isfinite(balance_after))
        if buys.size:
            buys = buys[np.lexsort((trades.time[buys], trades.account[buys]))]
            last = buys[np.r_[trades.account[buys][1:] != trades.account[buys][:-1], True]]
            last_time = np.full(self.cash.size, np.iinfo(np.int64).min, dtype=np.int64)
            self.cash[trades.account[last]] = balance_after[last]
            last_time[trades.account[last]] = trades.time[last]
        sells = trade_ok & ~trades.buy
        account = np.r_[deposits.account[deposit_ok], trades.account[sells]]
        time = np.r_[deposits.time[deposit_ok], trades.time[sells]]
        amount = np.r_[deposits.amount[deposit_ok], trades.notional[sells]]
        later = time > last_time[account] if last_time is not None else np.ones(account.size, bool)
        np.add.at(self.cash, account[later], amount[later])

    def _settlements(self, trades: _Trades) -> pd.DataFrame:
        world = self.ctx.world
        n = len(trades)
        if n == 0:
            return make_payments()
        holder = world.account_holder[trades.account]
        person = np.maximum(holder, 0)
        ticker = np.asarray(world.company_ticker.take(pa.array(trades.company)).to_pylist(), dtype=object)
        buy = trades.buy
        none = np.full(n, None, dtype=object)
        return make_payments(
            n, time=trades.time, src=np.where(buy, trades.account, -1), dst=np.where(buy, -1, trades.account),
            amount=trades.notional, tx_type="trade_settlement", user=holder,
            device=np.where(holder >= 0, world.primary_device[person], -1),
            ip=np.where(holder >= 0, world.home_ip[person], -1),
            corr=trades.corr, pattern_id=trades.pattern,
            src_kind=np.where(buy, "account", "exchange").astype(object), src_ref=np.where(buy, none, ticker),
            dst_kind=np.where(buy, "exchange", "account").astype(object), dst_ref=np.where(buy, ticker, none),
        )

    def _trade_events(self, trades: _Trades, rng: np.random.Generator) -> pa.Table:
        world = self.ctx.world
        n = len(trades)
        companies = pa.array(trades.company)
        people = world.take("Person", world.account_holder[trades.account])
        payload = env.json_object([
            ("trade_id", env.text(env.uuids(rng, n), safe=True)),
            ("account_id", env.text(world.take("Account", trades.account), safe=True)),
            ("person_id", env.text(people, safe=True)),
            ("company_id", env.text(world.take("Company", trades.company), safe=True)),
            ("ticker", env.text(world.company_ticker.take(companies), safe=True)),
            ("side", env.text(_labels(SIDES, (~trades.buy).astype(np.int64)), safe=True)),
            ("quantity", env.number(trades.quantity.astype(np.int64))),
            ("price", env.money(trades.price)),
            ("notional", env.money(trades.notional)),
            ("currency", env.text(world.account_currency.take(pa.array(trades.account)), safe=True)),
            ("order_type", env.constant('"market"', n)),
        ])
        return make_events("trade-executed", trades.time, trades.corr, payload, person=people, pattern_id=trades.pattern)


# -- data of one day ----------------------------------------------------------------------------
@dataclass
class _Talk:
    """Communications of one day (one row each)."""

    time: np.ndarray
    sender: np.ndarray
    recipient: np.ndarray
    relation: np.ndarray   # code into RELATIONS
    pattern: np.ndarray    # object: pattern id or None

    @classmethod
    def concat(cls, parts: list[_Talk]) -> _Talk:
        if not parts:
            z = np.zeros(0, np.int64)
            return cls(z, z, z, np.zeros(0, np.int8), np.zeros(0, object))
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__dataclass_fields__))

    def take(self, rows) -> _Talk:
        return _Talk(*(getattr(self, f)[rows] for f in self.__dataclass_fields__))

    def __len__(self) -> int:
        return self.time.size


@dataclass
class _News:
    """Announcements of one day, sorted by (company, time), with the price around each."""

    company: np.ndarray
    time: np.ndarray
    kind: np.ndarray       # object: news type
    log_jump: np.ndarray   # log(1 + jump)
    pattern: np.ndarray    # object: pattern id or None
    cum_jump: np.ndarray | None = None     # log jump of the company's announcements so far today, this one included
    price_before: np.ndarray | None = None
    price_after: np.ndarray | None = None

    @classmethod
    def from_arrays(cls, company, time, kind, jump, pattern) -> _News:
        return cls(np.asarray(company, np.int64), np.asarray(time, np.int64), np.asarray(kind, object),
                   np.log1p(np.asarray(jump, np.float64)), np.asarray(pattern, object))

    @classmethod
    def concat(cls, parts: list[_News]) -> _News:
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("company", "time", "kind", "log_jump", "pattern")))

    def sorted(self) -> _News:
        order = np.lexsort((self.time, self.company))
        return _News(self.company[order], self.time[order], self.kind[order], self.log_jump[order], self.pattern[order])

    def priced(self, level: np.ndarray) -> _News:
        """Prices before and after each announcement, from the companies' levels of the day."""
        self.cum_jump = _group_cumsum(self.company, self.log_jump)
        after = level[self.company] + self.cum_jump
        self.price_before = np.round(np.exp(after - self.log_jump), 2)
        self.price_after = np.round(np.exp(after), 2)
        return self

    def __len__(self) -> int:
        return self.time.size


@dataclass
class _Trades:
    """Trades of one day (one row each); prices are filled in once the day's news is known."""

    time: np.ndarray
    account: np.ndarray
    company: np.ndarray
    edge: np.ndarray       # TRADES edge row, -1 if the pair has none
    buy: np.ndarray        # bool
    quantity: np.ndarray   # float, whole shares
    pattern: np.ndarray    # object: pattern id or None
    price: np.ndarray
    notional: np.ndarray
    corr: np.ndarray

    @classmethod
    def new(cls, time, account, company, edge, buy, quantity, pattern) -> _Trades:
        n = len(time)
        return cls(np.asarray(time, np.int64), np.asarray(account, np.int64), np.asarray(company, np.int64),
                   np.asarray(edge, np.int64), np.asarray(buy, bool), np.asarray(quantity, np.float64),
                   np.asarray(pattern, object), np.zeros(n), np.zeros(n), np.zeros(n, np.int64))

    @classmethod
    def empty(cls) -> _Trades:
        z = np.zeros(0, np.int64)
        return cls.new(z, z, z, z, np.zeros(0, bool), np.zeros(0), np.zeros(0, object))

    @classmethod
    def concat(cls, parts: list[_Trades]) -> _Trades:
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__dataclass_fields__))

    def take(self, mask) -> _Trades:
        return _Trades(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))

    def __len__(self) -> int:
        return self.time.size


@dataclass
class _Deposits:
    """Transfers in from the holders' outside banks that fund buys."""

    time: np.ndarray
    account: np.ndarray
    amount: np.ndarray
    pattern: np.ndarray
    corr: np.ndarray
    user: np.ndarray

    @classmethod
    def empty(cls) -> _Deposits:
        z = np.zeros(0, np.int64)
        return cls(z, z, np.zeros(0), np.zeros(0, object), z, z)

    def payments(self) -> pd.DataFrame:
        return make_payments(len(self), time=self.time, src=-1, dst=self.account, amount=self.amount,
                             tx_type="bank_transfer", user=self.user, corr=self.corr,
                             pattern_id=self.pattern, src_kind="external")

    def __len__(self) -> int:
        return self.time.size


# -- the graph, prepared once ---------------------------------------------------------------------
@dataclass
class _Ties:
    """KNOWS ties: both ends, relation, since when, and how talkative the pair is."""

    a: np.ndarray
    b: np.ndarray
    relation: np.ndarray   # int8 code into RELATIONS
    since: np.ndarray      # the tie and both persons exist
    activity: np.ndarray   # mean activity of the two persons
    a_share: np.ndarray    # probability that ``a`` starts a communication
    keys: np.ndarray       # sorted unordered-pair keys
    key_relation: np.ndarray
    n_persons: int

    @classmethod
    def build(cls, world, activity: np.ndarray) -> _Ties:
        knows = world.graph.edges[KNOWS]
        a, b = world.pos("Person", knows["src"]), world.pos("Person", knows["dst"])
        ok = (a >= 0) & (b >= 0) & (a != b)
        a, b = a[ok], b[ok]
        kind = knows["kind"].to_numpy(dtype=object)[ok]
        relation = np.full(a.size, FRIEND, dtype=np.int8)
        for code, name in enumerate(RELATIONS):
            relation[kind == name] = code
        since = np.maximum(to_seconds(knows["since"])[ok], np.maximum(world.person_created[a], world.person_created[b]))
        act_a, act_b = activity[a], activity[b]
        n = world.n["Person"]
        keys = np.minimum(a, b) * n + np.maximum(a, b)
        order = np.argsort(keys, kind="stable")
        return cls(a, b, relation, since, (act_a + act_b) / 2, act_a / np.maximum(act_a + act_b, 1e-12),
                   keys[order], relation[order], n)

    def relation_of(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Relation of each pair (friend when the pair has no tie)."""
        if self.keys.size == 0:
            return np.full(np.size(x), FRIEND, dtype=np.int8)
        keys = np.minimum(x, y) * self.n_persons + np.maximum(x, y)
        i = np.searchsorted(self.keys, keys).clip(0, self.keys.size - 1)
        return np.where(self.keys[i] == keys, self.key_relation[i], FRIEND).astype(np.int8)


@dataclass
class _Staff:
    """WORKS_AT edges grouped by company: each row knows its company's block (start, size)."""

    person: np.ndarray
    company: np.ndarray
    since: np.ndarray
    lo: np.ndarray
    size: np.ndarray

    @classmethod
    def build(cls, world) -> _Staff:
        works = world.graph.edges[WORKS_AT]
        person, company = world.pos("Person", works["src"]), world.pos("Company", works["dst"])
        ok = (person >= 0) & (company >= 0)
        since = np.maximum(to_seconds(works["since"])[ok], world.person_created[person[ok]])
        person, company = person[ok], company[ok]
        order = np.lexsort((person, company))
        person, company, since = person[order], company[order], since[order]
        starts = np.searchsorted(company, np.arange(world.n["Company"] + 1))
        return cls(person, company, since, starts[company], (starts[1:] - starts[:-1])[company])


@dataclass
class _Book:
    """TRADES edges: the legitimate walk's rates and the shares each account holds."""

    account: np.ndarray
    company: np.ndarray
    rate: np.ndarray        # trades per trading day
    typical: np.ndarray     # typical quantity
    since: np.ndarray
    live: np.ndarray        # the walk may trade it (active account, listed company)
    position: np.ndarray    # shares held
    script_from: np.ndarray  # window in which a pattern scripts the edge (empty: max, min)
    script_to: np.ndarray
    keys: np.ndarray        # sorted account * n_companies + company
    key_edge: np.ndarray
    n_companies: int

    @classmethod
    def build(cls, ctx, rng: np.random.Generator) -> _Book:
        world = ctx.world
        trades = world.graph.edges[TRADES]
        account, company = world.pos("Account", trades["src"]), world.pos("Company", trades["dst"])
        ok = (account >= 0) & (company >= 0)
        account, company = account[ok], company[ok]
        since = np.maximum(to_seconds(trades["since"])[ok], world.account_opened[account])
        typical = np.maximum(trades["typical_quantity"].to_numpy(dtype=np.float64)[ok], 1.0)
        listed = world.company_listed & pc.is_valid(world.company_ticker).to_numpy(zero_copy_only=False)
        live = listed[company] & (world.account_status[account] == "active")
        shape, scale = OPENING_POSITION
        position = np.where(since < world.start, np.rint(typical * rng.gamma(shape, scale, account.size)), 0.0)
        nc = world.n["Company"]
        keys = account * nc + company
        order = np.argsort(keys, kind="stable")
        book = cls(account, company, trades["monthly_count"].to_numpy(dtype=np.float64)[ok] / TRADING_DAYS_PER_MONTH,
                   typical, since, live, position, np.full(account.size, np.iinfo(np.int64).max),
                   np.full(account.size, np.iinfo(np.int64).min), keys[order], order, nc)
        pairs = ctx.scripted_pairs(TRADES_STEM)
        if len(pairs):
            edge = book.edge_of(world.pos("Account", pairs["src"]), world.pos("Company", pairs["dst"]))
            has = edge >= 0
            np.minimum.at(book.script_from, edge[has], pairs["first"].to_numpy(dtype=np.int64)[has])
            np.maximum.at(book.script_to, edge[has], pairs["last"].to_numpy(dtype=np.int64)[has])
        return book

    def edge_of(self, account: np.ndarray, company: np.ndarray) -> np.ndarray:
        """TRADES edge row of each (account, company) pair, -1 where there is none."""
        account, company = np.asarray(account, np.int64), np.asarray(company, np.int64)
        if self.keys.size == 0:
            return np.full(account.size, -1, np.int64)
        keys = account * self.n_companies + company
        i = np.searchsorted(self.keys, keys).clip(0, self.keys.size - 1)
        return np.where((self.keys[i] == keys) & (account >= 0) & (company >= 0), self.key_edge[i], -1)

    def apply(self, trades: _Trades) -> None:
        """Move the positions of executed trades (a sale never takes one below zero)."""
        has = trades.edge >= 0
        np.add.at(self.position, trades.edge[has], np.where(trades.buy[has], trades.quantity[has], -trades.quantity[has]))
        np.maximum(self.position, 0.0, out=self.position)


class _PricePath:
    """Log price level of every listed company for the current day, and its walk from day to day.

    Parameters
    ----------
    ctx : TimelineContext
    rng : numpy.random.Generator
        Draws the starting levels.
    sigma : float
        Daily volatility of the log price.
    """

    def __init__(self, ctx, rng: np.random.Generator, sigma: float):
        world = ctx.world
        self.ctx = ctx
        self.sigma = float(sigma)
        n = world.n["Company"]
        self.listed = world.company_listed & pc.is_valid(world.company_ticker).to_numpy(zero_copy_only=False)
        self.companies = np.flatnonzero(self.listed)
        self.incorporated = to_seconds(world.graph.nodes["Company"]["incorporated_at"]) if n else np.zeros(0, np.int64)
        self.level = np.where(self.listed, rng.normal(np.log(PRICE_MEDIAN), PRICE_SIGMA, n), np.nan)
        self.scripted = _scripted_announcements(ctx, self.listed)
        self._anchors(world)

    def _anchors(self, world) -> None:
        """Scripted ``price_before`` levels: the walk starts at the first and is bridged to each."""
        s = self.scripted[np.isfinite(self.scripted["price_before"].to_numpy())]
        day = ((s["t"].to_numpy(dtype=np.int64) - world.start) // DAY).astype(np.int64)
        company = s["company"].to_numpy(dtype=np.int64)
        target = np.log(s["price_before"].to_numpy(dtype=np.float64))
        order = np.lexsort((s["t"].to_numpy(dtype=np.int64), day, company))
        self.anchor_company, self.anchor_day, self.anchor_target = company[order], day[order], target[order]
        self.span = max(self.ctx.days, int(day.max()) + 1 if day.size else 0) + 2
        self.anchor_key = self.anchor_company * self.span + self.anchor_day
        first = np.r_[True, self.anchor_company[1:] != self.anchor_company[:-1]] if company.size else np.zeros(0, bool)
        self.level[self.anchor_company[first]] = self.anchor_target[first]
        weekday = np.array([self.ctx.day(i).weekday < 5 for i in range(self.span)])
        self.weekdays = np.cumsum(weekday)  # weekdays in (0, i]
        self.is_weekday = weekday

    def scripted_news(self, day: Day, rng: np.random.Generator) -> _News:
        """The scripted announcements of ``day`` (jumps drawn by news kind where the pattern gave none)."""
        t = self.scripted["t"].to_numpy(dtype=np.int64)
        lo, hi = np.searchsorted(t, [day.start, day.end])
        rows = self.scripted.iloc[lo:hi]
        kind = rows["news"].to_numpy(dtype=object)
        jump = rows["price_jump"].to_numpy(dtype=np.float64)
        missing = ~np.isfinite(jump)
        if missing.any():
            jump = jump.copy()
            jump[missing] = _draw_jumps(rng, kind[missing])
        return _News.from_arrays(rows["company"].to_numpy(dtype=np.int64), t[lo:hi], kind, jump,
                                 rows["pattern_id"].to_numpy(dtype=object))

    def log_price_at(self, company: np.ndarray, time: np.ndarray, news: _News, day: Day) -> np.ndarray:
        """Log price of each company at each time of ``day`` (the day's level plus the jumps so far)."""
        level = self.level[company]
        if len(news) == 0:
            return level
        keys = news.company * DAY + (news.time - day.start)
        query = company * DAY + (time - day.start)
        i = np.searchsorted(keys, query, side="right") - 1
        j = np.maximum(i, 0)
        same = (i >= 0) & (news.company[j] == company)
        return level + np.where(same, news.cum_jump[j], 0.0)

    def advance(self, day: Day, rng: np.random.Generator, news: _News) -> None:
        """Tomorrow's level: today's jumps, then one step of the walk if tomorrow is a weekday."""
        n = self.level.size
        level = self.level + np.bincount(news.company, weights=news.log_jump, minlength=n)
        d = day.index
        if d + 1 < self.span and self.is_weekday[d + 1]:
            z = rng.standard_normal(n)
            step = self.sigma * z
            if self.anchor_key.size:
                c = np.arange(n)
                i = np.searchsorted(self.anchor_key, c * self.span + d, side="right")
                j = np.minimum(i, self.anchor_key.size - 1)
                has = (i < self.anchor_key.size) & (self.anchor_company[j] == c)
                r = np.maximum(self.weekdays[np.where(has, self.anchor_day[j], d)] - self.weekdays[d], 1)
                pull = np.clip((self.anchor_target[j] - level) / r, -BRIDGE_CAP * self.sigma, BRIDGE_CAP * self.sigma)
                bridge = pull + self.sigma * np.sqrt((r - 1) / r) * z
                step = np.where(has, bridge, step)
            level = level + step
        self.level = np.where(self.listed, level, np.nan)


# -- helpers ------------------------------------------------------------------------------
def _scripted_announcements(ctx, listed: np.ndarray) -> pd.DataFrame:
    """Scripted announcements of listed companies, one per (company, time, news), with the pattern's prices.

    Several instances may share an announcement (decoys trade around an insider's
    news); the fraud instance's id is kept when there is one.
    """
    world = ctx.world
    s = ctx.schedule
    s = s[s["kind"] == "company_announcement"]
    cols = ["t", "company", "news", "pattern_id", "price_before", "price_jump"]
    if s.empty:
        z = np.zeros(0, np.int64)
        return pd.DataFrame({"t": z, "company": z, "news": np.zeros(0, object), "pattern_id": np.zeros(0, object),
                             "price_before": np.zeros(0), "price_jump": np.zeros(0)})
    params = {}
    patterns = ctx.truth.patterns
    announcing = patterns[patterns["pattern_id"].isin(s["pattern_id"])]
    for pid, raw in zip(announcing["pattern_id"], announcing["parameters"]):
        p = json.loads(raw)
        if "price_jump" in p:
            params[pid] = (float(p.get("price_before", np.nan)), float(p["price_jump"]))
    pid = s["pattern_id"].to_numpy(dtype=object)
    out = pd.DataFrame({
        "t": s["t"].to_numpy(dtype=np.int64),
        "company": world.pos("Company", s["src"]),
        "news": s["detail"].fillna("announcement").to_numpy(dtype=object),
        "pattern_id": pid,
        "price_before": [params.get(p, (np.nan, np.nan))[0] for p in pid],
        "price_jump": [params.get(p, (np.nan, np.nan))[1] for p in pid],
        "fraud": [bool(ctx.pattern_is_fraud.get(p, False)) for p in pid],
    })
    out = out[(out["company"] >= 0).to_numpy() & listed[np.maximum(out["company"].to_numpy(), 0)]]
    out = out.sort_values(["t", "company", "news", "fraud", "pattern_id"], ascending=[True, True, True, False, True], kind="stable")
    return out.drop_duplicates(["t", "company", "news"])[cols].reset_index(drop=True)


class _Sampler:
    """Poisson events over rows that start at ``since`` and then stay, each at its own ``weight`` times a daily rate.

    Rows are kept in order of ``since``, so the rows alive on a day are a prefix
    and the day costs one Poisson total spread over that prefix in proportion to
    the weights (the same distribution as one Poisson count per row, without
    touching every row every day).
    """

    def __init__(self, since: np.ndarray, weight: np.ndarray):
        self.order = np.argsort(since, kind="stable")
        self.since = since[self.order]
        self.cum = np.cumsum(weight[self.order], dtype=np.float64)

    def draw(self, rng: np.random.Generator, now: int, rate: float) -> np.ndarray:
        """Rows (one entry per event) of a day starting at ``now`` with ``rate`` events per unit of weight."""
        alive = int(np.searchsorted(self.since, now, side="right"))
        total = float(self.cum[alive - 1]) if alive else 0.0
        n = rng.poisson(total * rate) if total * rate > 0 else 0
        if n == 0:
            return np.zeros(0, np.int64)
        spacings = np.cumsum(rng.exponential(1.0, n + 1))
        points = spacings[:-1] * (total / spacings[-1])   # sorted uniforms on [0, total)
        hit = np.searchsorted(self.cum[:alive], points, side="right")
        return self.order[np.minimum(hit, alive - 1)]


def _in_session(times: np.ndarray) -> np.ndarray:
    """Times of the market profile's first hour that fall before the 14:30 UTC open, moved half an hour on."""
    early = (times % DAY) < SESSION_OPEN
    return np.where(early, times + HOUR // 2, times)


def _labels(names: tuple[str, ...], codes: np.ndarray) -> pa.Array:
    """The names of integer codes, as an Arrow string column."""
    return pa.array(names, pa.large_string()).take(pa.array(np.asarray(codes, dtype=np.int64)))


def _schedule_rows(ctx, kind: str) -> pd.DataFrame:
    """Schedule rows of ``kind``, in time order."""
    s = ctx.schedule
    return s[(s["kind"] == kind).to_numpy()].sort_values("t", kind="stable")


def _draw_jumps(rng: np.random.Generator, kinds: np.ndarray) -> np.ndarray:
    """A price jump (fraction) for each news kind."""
    index = {k: i for i, k in enumerate(NEWS_KINDS)}
    k = np.array([index.get(x, -1) for x in kinds], dtype=np.int64)
    low = np.where(k >= 0, NEWS_LOW[np.maximum(k, 0)], OTHER_NEWS[0])
    high = np.where(k >= 0, NEWS_HIGH[np.maximum(k, 0)], OTHER_NEWS[1])
    return rng.uniform(low, high)


def _group_cumsum(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` within runs of equal ``group`` (rows sorted by group)."""
    if group.size == 0:
        return np.zeros(0)
    cum = np.cumsum(values)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    base = np.repeat(cum[starts] - values[starts], np.diff(np.r_[starts, group.size]))
    return cum - base


def _cap_sales(edge: np.ndarray, time: np.ndarray, quantity: np.ndarray, sell: np.ndarray, position: np.ndarray) -> np.ndarray:
    """Quantities with each sale cut to what the position still holds after the edge's earlier sales that day."""
    out = quantity.copy()
    rows = np.flatnonzero(sell)
    if rows.size == 0:
        return out
    rows = rows[np.lexsort((time[rows], edge[rows]))]
    before = _group_cumsum(edge[rows], quantity[rows]) - quantity[rows]
    out[rows] = np.clip(position[edge[rows]] - before, 0.0, quantity[rows])
    return out
