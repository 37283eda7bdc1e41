"""Bust-out: a credit card behaves for months, then is maxed out within days and goes dark.

Fraud: a ``credit_card`` account builds an ordinary history (card payments at the merchants it
pays, at their usual amounts and rates, keeping utilisation low), then a burst of card payments
at several merchants, big-ticket ones among them, adds up to 85-110 % of the credit limit
within days, and after that the card is never used again (an ``account_dark`` schedule row at
``parameters["dark_from"]``).

* ``recruited``: an ordinary card holder who turns (or sells the account);
* ``synthetic_identity``: an identity a controller made up and onboarded during the span: its
  checking account and credit card open within days, the controller funds the checking account
  a little, and the card builds its history from its opening.

Unblended, the burst is a few very large purchases; as ``amount_blending`` grows it becomes
many purchases of ordinary size, so only their sum in so short a time stands out.

Decoys: card holders who make a legitimate large purchase (``large_purchase``: one to three
payments, e.g. travel or furniture) or a short ``spending_spree`` (holidays, moving house) worth
40-95 % of the limit, and then carry on exactly as before.
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
    EVERYDAY,
    PAYS,
    PAYS_STEM,
    TRANSFERS,
    TRANSFERS_STEM,
    Draft,
    MoneyLedger,
    Toolkit,
    onboard,
)
from fraudgraph.patterns.kit.card_spending import card_history, spread_over
from pydantic import Field

from fraudgraph.units import DAY, HOUR, MONTH

VARIANTS = ("recruited", "synthetic_identity")
DECOY_VARIANTS = ("large_purchase", "spending_spree")
BIG_TICKET = ("retail", "technology", "travel", "entertainment")


class BustOutConfig(InjectorConfig):
    synthetic_share: float = Field(0.35, ge=0.0, le=1.0, description="Share of instances run through a synthetic identity.")
    min_history_days: float = Field(45.0, ge=7.0, le=3650.0, description="Shortest ordinary history before the burst.")
    max_history_days: float = Field(150.0, ge=7.0, le=3650.0, description="Longest ordinary history before the burst.")
    min_burst_days: float = Field(1.0, gt=0.0, le=60.0, description="Shortest burst.")
    max_burst_days: float = Field(5.0, gt=0.0, le=60.0, description="Longest burst.")
    min_utilisation: float = Field(0.85, gt=0.0, le=5.0, description="Smallest burst total, as a share of the credit limit.")
    max_utilisation: float = Field(1.10, gt=0.0, le=5.0, description="Largest burst total, as a share of the credit limit.")
    min_burst_payments: int = Field(4, ge=1, le=500, description="Fewest payments in the burst.")
    max_burst_payments: int = Field(20, ge=1, le=500, description="Most payments in the burst.")
    max_new_merchants: int = Field(2, ge=1, le=50, description="Most merchants first paid during the burst.")


class BustOut(Injector):
    name = "bust_out"
    config_model = BustOutConfig
    persons_per_instance = 1.5

    def inject(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        led = MoneyLedger(kit)
        span = ctx.end - ctx.start
        fits = span >= (config.min_history_days + config.max_burst_days + 10) * DAY
        synthetic = [bool(fits and rng.random() < config.synthetic_share) for _ in range(count)]
        identities = self._identities(kit, led, config, sum(synthetic))
        out = []
        for wanted in synthetic:
            inst = self._synthetic(kit, led, config, identities.pop()) if wanted and identities else None
            if inst is None:
                inst = self._recruited(kit, led, config)
            if inst is not None:
                out.append(inst)
        led.flush()
        return out

    def _identities(self, kit: Toolkit, led: MoneyLedger, cfg: BustOutConfig, n: int) -> list[tuple]:
        """``n`` (controller, controller account, identity, checking, card, created): the synthetic
        identities, onboarded together (early in the span, so that they can build a history)."""
        ctx = kit.ctx
        latest = ctx.end - int((cfg.min_history_days + cfg.max_burst_days + 3) * DAY)
        room = min(0.25 * (ctx.end - ctx.start), latest - ctx.start)
        controllers = [led.circle(1, EVERYDAY, centre_types=("checking", "wallet")) for _ in range(n)] if room > 0 else []
        controllers = [(c[0], a[0]) for c, a in controllers if c]
        if not controllers:
            return []
        created = ctx.start + (kit.fraction(ctx.start, ctx.start + room, len(controllers)) * room).astype(np.int64)
        # the card first, and the identity's ordinary merchants on it (its history), then a checking account
        people, accounts = onboard(kit, led, created, [led.city(c) for c, _ in controllers], ("credit_card", "checking"),
                                    camouflage_after=1)
        return [(c, ca, p, acc[1], acc[0], int(t)) for (c, ca), p, acc, t in zip(controllers, people, accounts, created)][::-1]

    def _recruited(self, kit: Toolkit, led: MoneyLedger, cfg: BustOutConfig) -> PatternInstance | None:
        ctx = kit.ctx
        card = led.recruit_account("credit_card", ctx.end - int((min(cfg.min_history_days, 20) + cfg.max_burst_days) * DAY))
        if card is None:
            return None
        holder = led.owner(card)
        h0 = max(ctx.start, led.opened(card) + DAY)
        draft = self._bust(kit, led, cfg, card, holder, led.credit_limit(card), h0)
        if draft is None:
            return None
        draft.variant = draft.parameters["variant"] = "recruited"
        draft.member("Person", holder, "bust_out_holder")
        draft.member("Account", card, "bust_out_card")
        return draft.build()

    def _synthetic(self, kit: Toolkit, led: MoneyLedger, cfg: BustOutConfig, identity_row) -> PatternInstance | None:
        rng = kit.rng
        controller, ctrl_acc, identity, checking, card, created = identity_row
        draft = self._bust(kit, led, cfg, card, identity, led.credit_limit(card), led.opened(card) + DAY)
        if draft is None:
            return None
        # the controller tops the identity's checking account up a little while it builds trust
        k = int(rng.integers(1, 4))
        lo = led.opened(checking) + DAY
        hi = max(lo + DAY, draft.parameters["burst_start"] - 3 * DAY)
        t = np.sort(lo + (kit.fraction(lo, hi, k) * (hi - lo)).astype(np.int64))
        funding = make_schedule(t, "transfer", TRANSFERS_STEM, ctrl_acc, checking,
                                np.round(np.exp(rng.normal(np.log(300), 0.5, k)), 2), detail="funding")
        funding = led.after_existing(TRANSFERS, funding)
        draft.schedule_frame(funding, first=True)
        draft.variant = "synthetic_identity"
        draft.parameters.update({"variant": "synthetic_identity", "identity_created": created})
        for label, node, role in (("Person", identity, "synthetic_identity"), ("Account", card, "bust_out_card"),
                                  ("Account", checking, "synthetic_checking"), ("Person", controller, "controller"),
                                  ("Account", ctrl_acc, "controller_account")):
            draft.member(label, node, role)
        if len(funding):
            draft.edge(TRANSFERS, ctrl_acc, checking, "funding")
        inst = draft.build()
        if len(funding):
            led.link_transfers(funding, instance=inst)
        return inst

    def _bust(self, kit, led, cfg, card, holder, limit, h0) -> Draft | None:
        """A card's ordinary history from ``h0``, then the burst, then darkness (members left to the variant)."""
        rng, ctx = kit.rng, kit.ctx
        burst_days = float(rng.uniform(cfg.min_burst_days, cfg.max_burst_days))
        tb = _burst_start(kit, cfg, h0, burst_days)
        if tb is None:
            return None
        hist, shops = card_history(kit, led, card, holder, h0, tb, limit)
        if hist.empty:
            return None
        # the burst: a few big purchases unblended, many ordinary-sized ones blended
        base = int(rng.integers(cfg.min_burst_payments, cfg.max_burst_payments + 1))
        n_b = max(cfg.min_burst_payments, round(base * (0.4 + 0.6 * ctx.knobs.amount_blending)))
        total = limit * float(rng.uniform(cfg.min_utilisation, cfg.max_utilisation))
        new = [m for m in led.merchants(BIG_TICKET, led.city(holder), 3 * cfg.max_new_merchants) if m not in shops]
        new = new[: int(rng.integers(1, cfg.max_new_merchants + 1))]
        at = spread_over(rng, new, shops, n_b)
        amounts = np.maximum(np.round(total * rng.dirichlet(np.full(n_b, 2.0)), 2), 5.0)
        t = kit.times(n_b, tb, tb + int(burst_days * DAY))
        burst = led.after_existing(PAYS, make_schedule(t, "card_payment", PAYS_STEM, card, at, amounts, detail="burst"))
        if burst.empty:
            return None
        sched = pd.concat([hist, burst], ignore_index=True)
        led.link_payments(sched)
        end = int(sched["time"].max()) + 1
        draft = Draft(self.name, True)
        draft.schedule_frame(sched)
        _pays_edges(draft, sched)
        # from the end of the burst the card makes no payment at all (the timeline's ordinary ones included)
        draft.schedule([end], "account_dark", "", card, "")
        months = max((tb - h0) / MONTH, 0.5)
        spent = float(burst["amount"].sum())
        draft.parameters = {
            "credit_limit": round(limit, 2), "history_days": round((tb - h0) / DAY, 1),
            "history_payments": len(hist), "history_monthly": round(float(hist["amount"].sum()) / months, 2),
            "burst_start": int(burst["time"].min()), "burst_days": round(burst_days, 2),
            "burst_payments": len(burst), "burst_total": round(spent, 2), "utilisation": round(spent / limit, 3),
            "new_merchants": len(new), "dark_from": end}
        return draft

    # -- decoys ------------------------------------------------------------------------------------
    def inject_decoys(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        led = MoneyLedger(kit)
        out = []
        for i in range(count):
            variant = DECOY_VARIANTS[i % 2] if i < 2 else DECOY_VARIANTS[int(rng.integers(0, 2))]
            inst = self._decoy(kit, led, config, variant)
            if inst is not None:
                out.append(inst)
        led.flush()
        return out

    def _decoy(self, kit, led, cfg, variant) -> PatternInstance | None:
        rng, ctx = kit.rng, kit.ctx
        card = led.recruit_account("credit_card", ctx.end - 20 * DAY)
        if card is None:
            return None
        holder = led.owner(card)
        limit = led.credit_limit(card)
        h0 = max(ctx.start, led.opened(card) + DAY)
        h1 = ctx.end - HOUR
        if h1 - h0 < 10 * DAY:
            return None
        hist, shops = card_history(kit, led, card, holder, h0, h1, limit)
        if hist.empty:
            return None
        tp = h0 + int((h1 - h0) * (0.25 + 0.5 * kit.fraction(h0 + (h1 - h0) // 4, h1 - (h1 - h0) // 4)))
        if variant == "large_purchase":
            n, share, days, k_new = int(rng.integers(1, 4)), rng.uniform(0.4, 0.95), rng.uniform(0.05, 2.0), 1
            industries = ("travel", "retail", "technology")
        else:
            n, share, days, k_new = int(rng.integers(4, 13)), rng.uniform(0.5, 0.95), rng.uniform(2.0, 5.0), int(rng.integers(1, 4))
            industries = BIG_TICKET
        new = [m for m in led.merchants(industries, led.city(holder), 3 * k_new) if m not in shops][:k_new]
        at = spread_over(rng, new, shops, n)
        amounts = np.maximum(np.round(limit * share * rng.dirichlet(np.full(n, 2.0)), 2), 5.0)
        t = np.sort(tp + (kit.fraction(tp, tp + days * DAY, n) * days * DAY).astype(np.int64))
        big = led.after_existing(PAYS, make_schedule(t, "card_payment", PAYS_STEM, card, at, amounts, detail="large_purchase"))
        if big.empty:
            return None
        done = int(big["time"].max())
        if not (hist["time"] > done).any() and h1 - done > HOUR:  # it carries on: a little ordinary spending afterwards
            k = int(rng.integers(1, 3))
            pick = hist.iloc[rng.integers(0, len(hist), k)]
            later = done + (kit.fraction(done, h1, k) * (h1 - done)).astype(np.int64) + 1
            hist = pd.concat([hist, pick.assign(time=later)], ignore_index=True)
        sched = pd.concat([hist, big], ignore_index=True)
        led.link_payments(sched)
        draft = Draft(self.name, False, variant=variant, parameters={
            "decoy_of": self.name, "credit_limit": round(limit, 2), "purchase_total": round(float(big["amount"].sum()), 2),
            "purchase_payments": len(big), "purchase_start": int(t.min()), "history_payments": len(hist)})
        draft.member("Person", holder, "cardholder")
        draft.member("Account", card, "card_account")
        draft.schedule_frame(sched)
        _pays_edges(draft, sched)
        return draft.build()


def _burst_start(kit: Toolkit, cfg: BustOutConfig, h0: int, burst_days: float) -> int | None:
    """When the burst starts: after a history of the configured length where the span has room for it."""
    ctx = kit.ctx
    room = ctx.end - HOUR - int(burst_days * DAY) - h0
    shortest, longest = cfg.min_history_days, cfg.max_history_days
    want = (shortest + (longest - shortest) * kit.fraction(h0 + shortest * DAY, h0 + longest * DAY,
                                                           length=burst_days * DAY)) * DAY
    floor = min(cfg.min_history_days * DAY, 0.6 * (ctx.end - ctx.start))
    if room < max(floor, 7 * DAY):
        return None
    history = int(min(want, room) if want <= room else room * kit.rng.uniform(0.85, 1.0))
    return h0 + max(history, int(min(floor, room)))


def _pays_edges(draft: Draft, sched: pd.DataFrame) -> None:
    """Every PAYS edge of the schedule, with the role of its last unusual payment (or ``history``)."""
    rows = sched[sched["edge_type"] == PAYS_STEM]
    special = rows[rows["detail"] != "history"]
    role = dict(zip(zip(special["src"], special["dst"]), special["detail"]))
    pairs = rows.drop_duplicates(["src", "dst"])
    for s, d in zip(pairs["src"], pairs["dst"]):
        draft.edge(PAYS, s, d, role.get((s, d), "history"))
