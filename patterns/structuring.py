"""Structuring (smurfing): cash deposits and transfers kept just under reporting thresholds.

Fraud: a sum well above a reporting threshold (10,000 USD for currency transaction reports,
3,000 USD for the funds-transfer record-keeping rule) is broken into pieces that each stay
under it, spread over accounts and days. Unblended, amounts hug the threshold (9,000-9,999
and 2,700-2,999) and cash amounts are round; as ``amount_blending`` grows they spread down to
70 % of the threshold (7,000-9,999) and lose their round hundreds.

* ``smurfing``: a few smurfs (acquaintances of the beneficiary) each deposit cash into their own
  account on several days and pass it on to the beneficiary within hours or a day or two;
* ``split_deposits``: one person deposits cash on many days, alternating between own accounts;
* ``split_transfers``: one person sends a large sum to one or two acquaintances as several
  transfers on different days.

Cash deposits are node events on the account (``kind="cash_deposit"``, no edge); transfers flow
on ``TRANSFERS_TO`` edges that keep the population's ``p2p``/``household`` rules.

Decoys: legitimate people whose large payments sit near the same values: ``rent`` (the same
2,700-2,999 monthly), ``tuition`` (9,000-9,999 once, from a parent, then paid to a school),
``car_sale`` (9,000-9,999 once, by transfer or cash), ``cash_business`` (takings banked two to
five days a week, spread around and above the threshold, a busy week as large as a structurer's).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from fraudgraph.patterns.base import Injector, InjectorConfig, make_schedule
from fraudgraph.patterns.kit import (
    EVERYDAY,
    PAYS,
    PAYS_STEM,
    TRANSFERS,
    TRANSFERS_STEM,
    MoneyLedger,
    Toolkit,
    balanced,
    scheduled_instance,
)
from fraudgraph.patterns.kit.thresholds import (
    branch_times,
    cash_deposits,
    lowest_piece,
    piece_window,
    pieces_under,
)
from pydantic import Field, field_validator

from fraudgraph.config import check_weights
from fraudgraph.units import DAY, HOUR, MONTH

VARIANTS = ("smurfing", "split_deposits", "split_transfers")
DECOY_VARIANTS = ("rent", "tuition", "car_sale", "cash_business")


class StructuringConfig(InjectorConfig):
    variants: dict[str, float] = Field(default_factory=lambda: {"smurfing": 1.0, "split_deposits": 1.0, "split_transfers": 1.0},
                                       description="Relative weight of each variant (smurfing, split_deposits, split_transfers).")
    thresholds: list[float] = Field(default_factory=lambda: [10_000.0, 3_000.0], min_length=1,
                                    description="Reporting thresholds that amounts stay under.")
    threshold_weights: list[float] = Field(default_factory=lambda: [0.5, 0.5], min_length=1,
                                           description="Relative weight of each threshold.")
    min_smurfs: int = Field(2, ge=1, le=20, description="Fewest smurfs in a smurfing instance.")
    max_smurfs: int = Field(3, ge=1, le=20, description="Most smurfs in a smurfing instance.")
    min_deposits: int = Field(3, ge=2, le=60, description="Fewest pieces per account.")
    max_deposits: int = Field(8, ge=2, le=60, description="Most pieces per account.")
    min_window_days: float = Field(5.0, ge=1.0, le=365.0, description="Shortest span the pieces are spread over.")
    max_window_days: float = Field(30.0, ge=1.0, le=365.0, description="Longest span the pieces are spread over.")

    @field_validator("variants")
    @classmethod
    def _known_variants(cls, v):
        return check_weights(v, VARIANTS)

    @field_validator("thresholds")
    @classmethod
    def _positive(cls, v):
        if any(t <= 0 for t in v):
            raise ValueError("must hold positive amounts")
        return v

    @field_validator("threshold_weights")
    @classmethod
    def _weights(cls, v, info):
        thresholds = info.data.get("thresholds")
        if thresholds is not None and len(v) != len(thresholds):
            raise ValueError(f"must hold one weight per threshold ({len(thresholds)})")
        if any(w < 0 for w in v) or not any(w > 0 for w in v):
            raise ValueError("must hold non-negative weights, at least one of them positive")
        return v


class Structuring(Injector):
    name = "structuring"
    config_model = StructuringConfig
    persons_per_instance = 3.0

    def inject(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        led = MoneyLedger(kit)
        build = {"smurfing": self._smurfing, "split_deposits": self._split_deposits, "split_transfers": self._split_transfers}
        w = np.array(config.threshold_weights, dtype=float)
        out = []
        for variant in balanced(rng, config.variants, count):
            threshold = float(config.thresholds[int(rng.choice(len(w), p=w / w.sum()))])
            made = build[variant](kit, led, config, threshold)
            if made is None:
                continue
            sched, members, parameters = made
            cash = sched[sched["kind"] == "cash_deposit"]
            placed = cash if len(cash) else sched
            parameters.update({"variant": variant, "threshold": threshold, "events": len(sched),
                               "pieces": len(placed), "total": round(float(placed["amount"].sum()), 2)})
            out.append(self._instance(led, variant, sched, members, parameters, is_fraud=True))
        led.flush()
        return out

    def _instance(self, led, variant, sched, members, parameters, is_fraud):
        """The instance of what a variant scripted, over the span of its schedule."""
        start, end = int(sched["time"].min()), int(sched["time"].max()) + 1
        inst = scheduled_instance(led, self.name, sched, members, start, end, parameters, is_fraud=is_fraud)
        inst.variant = variant
        return inst

    # -- fraud variants: each returns its schedule, members and parameters -----------------------
    def _smurfing(self, kit, led, cfg, threshold):
        rng, ctx = kit.rng, kit.ctx
        k = int(rng.integers(cfg.min_smurfs, cfg.max_smurfs + 1))
        m = rng.integers(cfg.min_deposits, cfg.max_deposits + 1, k)
        window = piece_window(kit, cfg.min_window_days, cfg.max_window_days, int(m.max()))
        if window is None:
            return None
        first_day, days = window
        people, accounts = led.circle(k + 1, EVERYDAY, centre_types=("checking", "wallet"), before=first_day * DAY)
        if len(people) < k + 1:
            return None
        beneficiary, ben_acc = people[0], accounts[0]
        rows = []
        for smurf_acc, mi in zip(accounts[1:], m):
            rows.append(cash_deposits(rng, smurf_acc, threshold, first_day, days, int(mi), ctx.knobs.amount_blending))
            t, cash = rows[-1]["time"].to_numpy(), rows[-1]["amount"].to_numpy()
            hold = (rng.uniform(1, 6 + 42 * ctx.knobs.timing_spread, t.size) * HOUR).astype(np.int64)
            low = lowest_piece(threshold, ctx.knobs.amount_blending)
            sent = np.maximum(np.round(cash * rng.uniform(0.97, 1.0, cash.size), 2), min(cash.min(), low))
            sent = np.minimum(sent, threshold - 0.01)
            rows.append(make_schedule(np.minimum(t + hold, ctx.end - 60), "transfer", TRANSFERS_STEM, smurf_acc, ben_acc, sent,
                                      detail="structured_transfer"))
        sched = led.after_existing(TRANSFERS, pd.concat(rows, ignore_index=True))
        if sched.empty:
            return None
        members = [("Person", beneficiary, "beneficiary"), ("Account", ben_acc, "beneficiary_account")]
        members += [("Person", p, "smurf") for p in people[1:]] + [("Account", a, "smurf_account") for a in accounts[1:]]
        return sched, members, {"smurfs": k, "window_days": days}

    def _split_deposits(self, kit, led, cfg, threshold):
        rng, ctx = kit.rng, kit.ctx
        m = int(rng.integers(cfg.min_deposits + 1, cfg.max_deposits + 5))
        window = piece_window(kit, cfg.min_window_days, cfg.max_window_days, m)
        if window is None:
            return None
        first_day, days = window
        people, accounts = led.circle(1, ("checking",), centre_types=("checking",), before=first_day * DAY)
        if not people:
            return None
        own = [accounts[0]]
        savings = kit.account_of(people, ("savings",))[0]
        if savings is not None and led.opened(savings) < first_day * DAY:
            own.append(savings)
            kit.ctx.used_accounts.add(savings)
        per = np.bincount(rng.integers(0, len(own), m), minlength=len(own))
        rows = []
        for acc, mi in zip(own, per):
            if mi == 0:
                continue
            rows.append(cash_deposits(rng, acc, threshold, first_day, days, int(mi), ctx.knobs.amount_blending))
        sched = pd.concat(rows, ignore_index=True)
        members = [("Person", people[0], "structurer")] + [("Account", a, "deposit_account") for a in own]
        return sched, members, {"accounts": len(own), "window_days": days}

    def _split_transfers(self, kit, led, cfg, threshold):
        rng, ctx = kit.rng, kit.ctx
        j = int(rng.integers(1, 3))
        m = int(rng.integers(cfg.min_deposits, cfg.max_deposits + 1))
        window = piece_window(kit, cfg.min_window_days, cfg.max_window_days, m)
        if window is None:
            return None
        first_day, days = window
        people, accounts = led.circle(j + 1, EVERYDAY, centre_types=("checking",), before=first_day * DAY)
        if len(people) < j + 1:
            return None
        t = branch_times(rng, first_day, days, m, hours=(12, 26))
        amounts = pieces_under(rng, threshold, m, ctx.knobs.amount_blending, cash=False)
        dst = np.array(accounts[1:], dtype=object)[rng.integers(0, j, m)]
        sched = led.after_existing(TRANSFERS, make_schedule(t, "transfer", TRANSFERS_STEM, accounts[0], dst, amounts, detail="structured_transfer"))
        if len(sched) < 2:
            return None
        members = [("Person", people[0], "structurer"), ("Account", accounts[0], "source_account")]
        members += [("Person", p, "beneficiary") for p in people[1:]] + [("Account", a, "beneficiary_account") for a in accounts[1:]]
        return sched, members, {"beneficiaries": j, "window_days": days}

    # -- decoys ------------------------------------------------------------------------------------
    def inject_decoys(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        led = MoneyLedger(kit)
        build = {"rent": self._rent, "tuition": self._tuition, "car_sale": self._car_sale, "cash_business": self._cash_business}
        big, small = max(config.thresholds), min(config.thresholds)
        out = []
        for variant in balanced(rng, {v: 1.0 for v in DECOY_VARIANTS}, count):
            made = build[variant](kit, led, big, small)
            if made is None:
                continue
            sched, members, parameters = made
            parameters.update({"decoy_of": self.name, "total": round(float(sched["amount"].sum()), 2)})
            out.append(self._instance(led, variant, sched, members, parameters, is_fraud=False))
        led.flush()
        return out

    def _rent(self, kit, led, big, small):
        """The same rent, just under the small threshold, paid to the landlord once a month."""
        rng, ctx = kit.rng, kit.ctx
        people, accounts = led.circle(2, EVERYDAY, centre_types=("checking",))
        if len(people) < 2:
            return None
        rent = float(np.floor(small * rng.uniform(0.90, 0.995) / 25) * 25)
        due = int(rng.integers(0, 5))
        month0 = ctx.start - ctx.start % MONTH
        t = np.array([m + due * DAY + int(rng.uniform(-1, 2) * DAY) + int(rng.uniform(9, 20) * HOUR)
                      for m in range(month0, ctx.end, MONTH)], dtype=np.int64)
        t = t[(t >= ctx.start) & (t < ctx.end - HOUR)]
        sched = led.after_existing(TRANSFERS, make_schedule(t, "transfer", TRANSFERS_STEM, accounts[1], accounts[0], rent, detail="rent"))
        if sched.empty:
            return None
        members = [("Person", people[0], "landlord"), ("Account", accounts[0], "rent_account"),
                   ("Person", people[1], "tenant"), ("Account", accounts[1], "tenant_account")]
        return sched, members, {"rent": rent, "months": len(sched)}

    def _tuition(self, kit, led, big, small):
        """A parent sends the semester's tuition once; the student pays the school a day or two later."""
        rng, ctx = kit.rng, kit.ctx
        people, accounts = led.circle(2, EVERYDAY, centre_types=("checking", "wallet"))
        if len(people) < 2:
            return None
        school = led.merchants(("education",), led.city(people[1]), 1)
        fee = float(np.round(big * rng.uniform(0.9, 0.995), -1 if rng.random() < 0.5 else 2))
        room = max(ctx.end - ctx.start - 5 * DAY, DAY)
        t = ctx.start + int(kit.fraction(ctx.start, ctx.start + room) * room)
        sched = led.after_existing(TRANSFERS, make_schedule([t], "transfer", TRANSFERS_STEM, accounts[0], accounts[1], [fee], detail="tuition"))
        if sched.empty:
            return None
        if school and led.account_type(accounts[1]) in ("checking", "wallet"):
            paid = int(t + rng.uniform(4, 48) * HOUR)
            pays = led.after_existing(PAYS, make_schedule([min(paid, ctx.end - 60)], "bill_payment", PAYS_STEM, accounts[1],
                                                          school[0], [fee], detail="tuition"))
            sched = pd.concat([sched, pays], ignore_index=True)
        members = [("Person", people[0], "parent"), ("Account", accounts[0], "payer_account"),
                   ("Person", people[1], "student"), ("Account", accounts[1], "student_account")]
        return sched, members, {"fee": fee}

    def _car_sale(self, kit, led, big, small):
        """A used car sold once, paid by transfer or in cash just under the large threshold."""
        rng, ctx = kit.rng, kit.ctx
        price = float(np.floor(big * rng.uniform(0.88, 0.995) / 50) * 50)
        room = max(ctx.end - ctx.start - 2 * DAY, DAY)
        t = ctx.start + int(kit.fraction(ctx.start, ctx.start + room) * room)
        if rng.random() < 0.5:
            people, accounts = led.circle(1, ("checking", "savings"), centre_types=("checking", "savings"))
            if not people:
                return None
            sched = make_schedule([t], "cash_deposit", "", accounts[0], "", [price], detail="branch")
            members = [("Person", people[0], "seller"), ("Account", accounts[0], "seller_account")]
            return sched, members, {"price": price, "paid": "cash"}
        people, accounts = led.circle(2, EVERYDAY)
        if len(people) < 2:
            return None
        sched = led.after_existing(TRANSFERS, make_schedule([t], "transfer", TRANSFERS_STEM, accounts[1], accounts[0], [price], detail="car_sale"))
        if sched.empty:
            return None
        members = [("Person", people[0], "seller"), ("Account", accounts[0], "seller_account"),
                   ("Person", people[1], "buyer"), ("Account", accounts[1], "buyer_account")]
        return sched, members, {"price": price, "paid": "transfer"}

    def _cash_business(self, kit, led, big, small):
        """A cash-intensive trader banks the takings on a few fixed weekdays: some deposits above the
        threshold, and a busy week's total as large as a structurer's."""
        rng, ctx = kit.rng, kit.ctx
        people, accounts = led.circle(1, ("checking",), centre_types=("checking",))
        if not people:
            return None
        weekdays = np.sort(rng.choice(6, size=int(rng.integers(2, 6)), replace=False))
        monday = ctx.start - ctx.start % (7 * DAY)
        days = (np.arange(monday, ctx.end - DAY, 7 * DAY)[:, None] + weekdays * DAY).ravel()
        days = days[(days >= ctx.start) & (days < ctx.end - DAY)]
        if not days.size:
            return None
        t = days + (rng.uniform(13, 21, days.size) * HOUR).astype(np.int64)
        level = big * rng.uniform(0.3, 0.9)
        cash = np.round(level * np.exp(rng.normal(0, 0.35, days.size)) / 10) * 10
        sched = make_schedule(t, "cash_deposit", "", accounts[0], "", np.maximum(cash, 100.0), detail="branch")
        members = [("Person", people[0], "trader"), ("Account", accounts[0], "takings_account")]
        return sched, members, {"deposits_per_week": int(weekdays.size), "level": round(float(level), 2)}
