"""Liquidity crunch: an account whose balance keeps falling goes on paying out until its payments come back.

Fraud (first party): the holder of a checking account, out of money, keeps signing up billers who pull
their payments by ACH debit (bill payments), more and larger as the weeks go by, while moving what is
left to an account the bank cannot reach. The bank posts each pulled debit even when it overdraws,
and every one that did comes back ``R01`` (insufficient funds) 2 to 5 banking days later, as
``transaction-returned`` (see :mod:`fraudgraph.timeline.returns`): the balance z-score sinks below
-2.5 before the returns, the returns pile up, and the holder pays on regardless, then abandons the
account (``account_dark``).

* ``overextended``: billers of everyday commitments (utilities, telecom, lenders, rent), a few a week;
* ``buy_now_pay_later``: many instalment plans at shops (retail, technology, travel), their first
  instalments pulled within days of each other.

The scripted bills run on new PAYS edges (channel ``bank_transfer``, so each payment is a
``bill_payment``); the account's other activity goes on as before until it goes dark.

Decoys: legitimate customers who hit a bad month and recover, sharing the defining trait (a falling
balance, new billers, pulled debits returned for funds):

* ``bad_month``: one to three large unexpected bills (a hospital, a car repair, a utility catch-up)
  within days that overdraw the account, then help from a relative or friend a week or two later,
  and ordinary life after;
* ``tight_budget``: new commitments that slightly exceed what comes in over a month or so, one or
  two of them bouncing, no abandonment.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from fraudgraph.patterns.base import (
    Injector,
    InjectorConfig,
    PatternInstance,
    make_schedule,
)
from fraudgraph.patterns.kit import (
    PAYS,
    PAYS_STEM,
    TRANSFERS,
    TRANSFERS_STEM,
    Draft,
    MoneyLedger,
    Toolkit,
)
from pydantic import Field

from fraudgraph.units import DAY, HOUR

VARIANTS = ("overextended", "buy_now_pay_later")
DECOY_VARIANTS = ("bad_month", "tight_budget")
#: Industries of each variant's billers.
BILLERS = {
    "overextended": ("utilities", "telecom", "finance", "real_estate", "education"),
    "buy_now_pay_later": ("retail", "technology", "travel", "entertainment"),
    "bad_month": ("healthcare", "transport", "utilities", "construction"),
    "tight_budget": ("utilities", "telecom", "finance", "education", "retail"),
}


class LiquidityCrunchConfig(InjectorConfig):
    bnpl_share: float = Field(0.4, ge=0.0, le=1.0, description="Share of instances that stack instalment plans at shops.")
    min_crunch_days: float = Field(21.0, ge=5.0, le=365.0, description="Shortest time from the first new biller to abandonment.")
    max_crunch_days: float = Field(56.0, ge=5.0, le=365.0, description="Longest time from the first new biller to abandonment.")
    min_billers: int = Field(2, ge=1, le=50, description="Fewest new billers.")
    max_billers: int = Field(5, ge=1, le=50, description="Most new billers.")
    min_bills: int = Field(5, ge=1, le=500, description="Fewest pulled bill payments in the crunch.")
    max_bills: int = Field(14, ge=1, le=500, description="Most pulled bill payments in the crunch.")
    min_overcommit: float = Field(1.6, gt=0.0, le=20.0, description="Smallest total of the bills, as a multiple of the money the account has.")
    max_overcommit: float = Field(3.0, gt=0.0, le=20.0, description="Largest total of the bills, as a multiple of the money the account has.")
    min_drain_share: float = Field(0.3, ge=0.0, le=1.0, description="Smallest share of the balance moved out of reach early in the crunch.")
    max_drain_share: float = Field(0.8, ge=0.0, le=1.0, description="Largest share of the balance moved out of reach early in the crunch.")


class LiquidityCrunch(Injector):
    name = "liquidity_crunch"
    config_model = LiquidityCrunchConfig
    persons_per_instance = 1.0

    def inject(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        led = MoneyLedger(kit)
        money = _Means(graph)
        out = []
        for _ in range(count):
            variant = VARIANTS[1] if rng.random() < config.bnpl_share else VARIANTS[0]
            inst = self._crunch(kit, led, money, config, variant)
            if inst is not None:
                out.append(inst)
        led.flush()
        return out

    def _crunch(self, kit, led, money, cfg, variant) -> PatternInstance | None:
        rng, ctx = kit.rng, kit.ctx
        days = float(rng.uniform(cfg.min_crunch_days, cfg.max_crunch_days))
        span = ctx.end - ctx.start
        days = min(days, 0.8 * span / DAY)
        if days < 5:
            return None
        episode = _episode(kit, led, days, HOUR)
        if episode is None:
            return None
        account, holder, t0, t1 = episode
        has = money.available(account, (t1 - ctx.start) / DAY)
        total = has * float(rng.uniform(cfg.min_overcommit, cfg.max_overcommit))
        n_bills = int(rng.integers(cfg.min_bills, cfg.max_bills + 1))
        k = min(int(rng.integers(cfg.min_billers, cfg.max_billers + 1)), n_bills)
        billers = _new_billers(led, account, variant, holder, k)
        if not billers:
            return None
        # larger bills as the weeks go by; what is left moves out of reach early on, to someone who will hold it
        grow = np.linspace(1.0, 2.0, n_bills) * rng.lognormal(0.0, 0.3, n_bills)
        amounts = np.round(total * grow / grow.sum(), 2)
        drained = has * float(rng.uniform(cfg.min_drain_share, cfg.max_drain_share))
        n_drains = int(rng.integers(1, 3))
        drain = _with_a_friend(kit, led, account, holder, "drain", drained * rng.dirichlet(np.full(n_drains, 3.0)),
                               np.sort(t0 + (rng.random(n_drains) * max((t1 - t0) // 3, HOUR)).astype(np.int64)))
        times = _crunch_times(rng, amounts, has - (drained if drain is not None else 0.0), t0, t1, variant)
        at = _spread(rng, billers, n_bills)
        bills = make_schedule(times, "bill_payment", PAYS_STEM, account, at, amounts, detail="bill")
        draft = Draft(self.name, True, variant=variant)
        sched = pd.concat([bills] + ([drain] if drain is not None else []), ignore_index=True)
        led.link_payments(bills)
        draft.schedule_frame(sched)
        draft.schedule([t1], "account_dark", "", account, "")
        draft.member("Person", holder, "crunch_holder")
        draft.member("Account", account, "crunch_account")
        for b in billers:
            draft.edge(PAYS, account, b, "new_biller")
        if drain is not None:
            led.link_transfers(drain, kind="p2p")
            draft.member("Account", drain["dst"].iloc[0], "drain_account")
            draft.edge(TRANSFERS, account, drain["dst"].iloc[0], "drain")
        draft.parameters = {"variant": variant, "crunch_days": round(days, 1), "available": round(has, 2),
                            "bills": n_bills, "billers": len(billers), "bills_total": round(float(amounts.sum()), 2),
                            "overcommit": round(float(amounts.sum()) / max(has, 1.0), 2),
                            "drained": round(float(drain["amount"].sum()), 2) if drain is not None else 0.0,
                            "dark_from": int(t1)}
        return draft.build()

    # -- decoys ------------------------------------------------------------------------------------
    def inject_decoys(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        led = MoneyLedger(kit)
        money = _Means(graph)
        out = []
        for i in range(count):
            variant = DECOY_VARIANTS[i % 2] if i < 2 else DECOY_VARIANTS[int(rng.integers(0, 2))]
            inst = self._decoy(kit, led, money, config, variant)
            if inst is not None:
                out.append(inst)
        led.flush()
        return out

    def _decoy(self, kit, led, money, cfg, variant) -> PatternInstance | None:
        rng, ctx = kit.rng, kit.ctx
        days = float(rng.uniform(3, 10) if variant == "bad_month" else rng.uniform(cfg.min_crunch_days, cfg.max_crunch_days))
        days = min(days, 0.6 * (ctx.end - ctx.start) / DAY)
        episode = _episode(kit, led, days, 14 * DAY) if days >= 2 else None
        if episode is None:
            return None
        account, holder, t0, t1 = episode
        has = money.available(account, (t1 - ctx.start) / DAY)
        if variant == "bad_month":
            n_bills, share = int(rng.integers(1, 4)), float(rng.uniform(1.2, 2.0))
            k = n_bills
        else:
            n_bills, share = int(rng.integers(cfg.min_bills, cfg.max_bills + 1)), float(rng.uniform(1.2, 2.0))
            k = min(int(rng.integers(cfg.min_billers, cfg.max_billers + 1)), n_bills)
        billers = _new_billers(led, account, variant, holder, k)
        if not billers:
            return None
        times = _office_hours(rng, t0 + np.sort((rng.random(n_bills) * max(t1 - t0 - DAY, HOUR)).astype(np.int64)), t0)
        weights = rng.lognormal(0.0, 0.4, n_bills)
        amounts = np.round(has * share * weights / weights.sum(), 2)
        at = _spread(rng, billers, n_bills)
        bills = make_schedule(times, "bill_payment", PAYS_STEM, account, at, amounts, detail="bill")
        led.link_payments(bills)
        draft = Draft(self.name, False, variant=variant)
        parts = [bills]
        helper = None
        if variant == "bad_month":  # a relative or friend helps out once the bills have bounced
            helper = _with_a_friend(kit, led, account, holder, "help", [float(amounts.sum()) * float(rng.uniform(0.5, 1.1))],
                                    [int(times.max()) + int(rng.uniform(5, 15) * DAY)])
            if helper is not None:
                parts.append(helper)
                led.link_transfers(helper, kind="p2p")
        draft.schedule_frame(pd.concat(parts, ignore_index=True))
        draft.member("Person", holder, "account_holder")
        draft.member("Account", account, "checking_account")
        for b in billers:
            draft.edge(PAYS, account, b, "new_biller")
        if helper is not None:
            draft.member("Account", helper["src"].iloc[0], "helper_account")
            draft.edge(TRANSFERS, helper["src"].iloc[0], account, "help")
        draft.parameters = {"decoy_of": self.name, "variant": variant, "days": round(days, 1),
                            "available": round(has, 2), "bills": n_bills, "billers": len(billers),
                            "bills_total": round(float(amounts.sum()), 2),
                            "helped": round(float(helper["amount"].sum()), 2) if helper is not None else 0.0}
        return draft.build()


class _Means:
    """What an account has to spend: its opening balance plus what comes in, less what goes out, over some
    days (ordinary flows from its standing edges; the timeline tops up accounts that spend more than they
    receive, so at least a fifth of the outflow is left over)."""

    def __init__(self, graph):
        acc = graph.nodes["Account"]
        self.opening = dict(zip(acc["id"].astype(str), acc["opening_balance"].astype(float)))
        tr, pays = graph.edges[TRANSFERS], graph.edges[PAYS]
        flow = lambda e: e["typical_amount"].astype(float) * e["monthly_count"].astype(float)
        self.inflow = flow(tr).groupby(tr["dst"].astype(str)).sum().to_dict()
        out = pd.concat([flow(tr).groupby(tr["src"].astype(str)).sum(), flow(pays).groupby(pays["src"].astype(str)).sum()])
        self.outflow = out.groupby(level=0).sum().to_dict()

    def available(self, account: str, days: float) -> float:
        """Money ``account`` can spend in the first ``days`` of the span beyond its ordinary commitments (at
        least 200)."""
        monthly_in, monthly_out = self.inflow.get(account, 0.0), self.outflow.get(account, 0.0)
        spare = max(monthly_in - monthly_out, 0.2 * monthly_out)
        return max(self.opening.get(account, 0.0) + spare * days / 30.44, 200.0)


def _episode(kit: Toolkit, led: MoneyLedger, days: float, after: int) -> tuple[str, str, int, int] | None:
    """A checking account (and its holder) and a stretch of ``days`` for its episode, placed along the drift,
    with ``after`` seconds of the span left after it."""
    ctx = kit.ctx
    length = int(days * DAY)
    account = led.recruit_account("checking", ctx.end - length - after)
    if account is None:
        return None
    t0 = max(ctx.start, led.opened(account) + DAY)
    room = ctx.end - length - after - t0
    if room < 0:
        return None
    t0 += int(kit.fraction(t0, t0 + room, length=length) * room)
    return account, led.owner(account), t0, t0 + length


def _crunch_times(rng: np.random.Generator, amounts: np.ndarray, covered: float, t0: int, t1: int, variant: str):
    """When the crunch's bills are pulled: those the money still covers in the first 45% of the stretch, the rest
    spread over what is left of it, so that the holder keeps paying while the first ones bounce (instalment
    plans start within days of each other, then keep coming)."""
    n = len(amounts)
    first = min(int(np.searchsorted(np.cumsum(amounts), covered)) + 1, n)
    split = t0 + int(0.45 * (t1 - t0))
    skew = 0.8 if variant == "overextended" else 1.6
    early = t0 + (np.sort(rng.random(first) ** skew) * (split - t0)).astype(np.int64)
    m = n - first
    late = split + ((np.arange(m) + rng.random(m)) / max(m, 1) * (t1 - DAY - split)).astype(np.int64)
    return _office_hours(rng, np.r_[early, late], t0)


def _with_a_friend(kit: Toolkit, led: MoneyLedger, account: str, holder: str, detail: str, amounts, times):
    """Transfers between ``account`` and the account of one of its holder's acquaintances: out of it for a
    ``drain`` (money moved out of the bank's reach), into it for ``help``; ``None`` without an acquaintance
    with an account, or when the first time is past the span."""
    amounts, times = np.round(np.asarray(amounts, float), 2), np.asarray(times, np.int64)
    if times.min() >= kit.ctx.end - HOUR or amounts.sum() < 20:
        return None
    friends = [p for p in led.neighbours(holder) if p != holder]
    accounts = [a for a in kit.account_of(friends, ("checking", "savings", "wallet")) if a is not None]
    if not accounts:
        return None
    friend = accounts[int(kit.rng.integers(0, len(accounts)))]
    src, dst = (account, friend) if detail == "drain" else (friend, account)
    sched = led.after_existing(TRANSFERS, make_schedule(times, "transfer", TRANSFERS_STEM, src, dst, amounts, detail=detail))
    return sched if len(sched) else None


def _new_billers(led: MoneyLedger, account: str, variant: str, holder: str, k: int) -> list[str]:
    """``k`` merchants of the variant's industries that ``account`` has never paid."""
    paid = set(led.payments_of(account)["dst"].astype(str))
    return [m for m in led.merchants(BILLERS[variant], led.city(holder), k + len(paid)) if m not in paid][:k]


def _office_hours(rng: np.random.Generator, days: np.ndarray, earliest: int) -> np.ndarray:
    """A time between 06:00 and 18:00 on the day of each of ``days`` (when billers pull their debits), not
    before ``earliest``."""
    start = days - days % DAY
    return np.maximum(start + (HOUR * rng.uniform(6, 18, len(days))).astype(np.int64), earliest)


def _spread(rng: np.random.Generator, billers: list[str], n: int) -> np.ndarray:
    """``n`` payees: every biller at least once, the rest drawn among them."""
    at = np.array(billers + list(rng.choice(billers, max(n - len(billers), 0))), dtype=object)[:n]
    return at[rng.permutation(n)]
