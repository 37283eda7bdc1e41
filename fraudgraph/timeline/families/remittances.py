"""Cross-border remittances: a daily exchange rate and money sent home by a share of US persons.

A fixed share of US persons are senders (drawn once per dataset). Each sender
has a monthly rate, a funding account (checking or wallet), a favourite amount
and one to three recurring recipients abroad. Every day:

1. the corridor's exchange rate moves (a mean-reverting random walk on the log
   rate) and one ``exchange-rate-updated`` event publishes it just after 00:00;
2. senders initiate remittances (Poisson counts scaled by season, weekday and
   payday); each one passes a compliance check and its funds (amount plus fee)
   are captured from the sender's account by a payment to the remittance
   partner, which the ledger may refuse (``insufficient_funds``);
3. funded remittances go through ``funds_captured``, ``partner_submitted`` and
   ``in_transit`` and are delivered, or fail at the partner or for want of a
   reachable recipient, in which case the money comes back as a ``refund``
   payment on a later day.

The corridor (``corridor_country``, ``corridor_currency``, the base rate) is a
parameter. Recipients are synthetic: names from a list of common Haitian names
and phone numbers that no operator can ever hold (see :func:`fraudgraph.vocab.corridors.recipient_phones`);
corridors without pools of their own (:data:`fraudgraph.vocab.corridors.CORRIDORS`) reuse Haiti's.

Money: a capture the ledger refuses fails the remittance with
``insufficient_funds`` (refund ``not_applicable``, the money never left), as
does any other refusal of the sender's account.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fraudgraph.timeline import clock
from fraudgraph.timeline import envelope as env
from fraudgraph.timeline.family import Day, DayPlan, Family, Outcome
from fraudgraph.timeline.frames import events as make_events
from fraudgraph.timeline.frames import payments as make_payments
from fraudgraph.units import DAY, HOUR
from fraudgraph.vocab.corridors import Corridor, corridor_for, recipient_phones

DAYS_PER_MONTH = 365.25 / 12
DELIVERY_METHODS = ("mobile_wallet", "bank_deposit", "cash_pickup_agent")
STAGES = ("compliance_check", "funds_captured", "partner_submitted", "in_transit")

#: Fee schedule: a flat fee by delivery method plus a share of the amount, capped.
FEE_FLAT = np.array([1.99, 2.99, 3.99])
FEE_RATE = 0.01
FEE_CAP = 14.99

#: Relative delivery time by method (wallets are instant-ish, bank deposits wait for the bank).
METHOD_SPEED = np.array([0.4, 1.7, 1.0])

#: Remittances by weekday (Monday first): Friday pay and weekends bring the peak.
WEEKDAY_SHAPE = np.array([0.85, 0.85, 0.9, 0.95, 1.3, 1.35, 0.8])
WEEKDAY_SHAPE = WEEKDAY_SHAPE / WEEKDAY_SHAPE.mean()

#: Days after the semi-monthly paydays send more; the month keeps its mean.
PAYDAY_DAYS = (1, 2, 15, 16)
PAYDAY_BUMP = 1.5
_PAYDAY_NORM = 1.0 + len(PAYDAY_DAYS) * (PAYDAY_BUMP - 1.0) / DAYS_PER_MONTH

#: Outcomes decided when a remittance is initiated; the ledger adds ``insufficient_funds``.
SUCCESS, COMPLIANCE, PARTNER, UNREACHABLE, NO_FUNDS = 0, 1, 2, 3, 4
FAILURE_REASONS = np.array(["", "compliance_rejected", "partner_error", "recipient_unreachable", "insufficient_funds"],
                           dtype=object)
FAILURE_WEIGHTS = np.array([0.25, 0.35, 0.40])     # compliance, partner, unreachable
FAILED_AT_STAGE = np.array(["", "compliance_check", "partner_submitted", "in_transit", "funds_captured"], dtype=object)
REFUNDED_SHARE = 0.6                                # of failures after capture: refunded at once, else pending

#: Mean reversion of the log exchange rate per day (stationary spread ~ volatility / 0.5).
RATE_REVERSION = 0.12
#: Share of remittances that use the recipient's usual delivery method.
USUAL_METHOD_SHARE = 0.9
#: Share of common-amount remittances that use the sender's favourite amount.
FAVOURITE_AMOUNT_SHARE = 0.6

@dataclass
class Senders:
    """Per-sender arrays (row = sender)."""

    person: np.ndarray       # person position
    account: np.ndarray      # funding account position (checking or wallet)
    device: np.ndarray       # primary device position, -1 without one
    ip: np.ndarray           # home IP position, -1 without one
    ready: np.ndarray        # epoch seconds from which every entity above exists
    monthly: np.ndarray      # expected remittances per month
    favourite: np.ndarray    # index into common_amounts
    first_recipient: np.ndarray  # first row of the sender's block in Recipients
    recipient_count: np.ndarray


@dataclass
class Recipients:
    """Recurring recipients (row = recipient, grouped by sender)."""

    name: np.ndarray
    phone: np.ndarray
    method: np.ndarray        # usual delivery method (index into DELIVERY_METHODS)
    cum_weight: np.ndarray    # sender index + cumulative share within the sender's block


def draw_senders(world, config, rng: np.random.Generator) -> Senders:
    """Choose the senders among US persons and draw their habits.

    Eligible are US persons holding a usable USD checking or wallet account;
    ``config.sender_share`` of all US persons are drawn among them.
    """
    persons = world.graph.nodes["Person"]
    us = persons["country"].to_numpy(dtype=object) == "US"
    funding = _funding_accounts(world)
    eligible = np.flatnonzero(us & (funding >= 0))
    k = min(round(config.sender_share * int(us.sum())), eligible.size)
    person = np.sort(rng.choice(eligible, size=k, replace=False)) if k else np.zeros(0, np.int64)
    account = funding[person]
    device = world.primary_device[person]
    ip = world.home_ip[person]
    ready = np.maximum(world.person_created[person], world.account_opened[account])
    ready = np.maximum(ready, _since(world.uses_device, world.uses_device_since, person, device))
    ready = np.maximum(ready, _since(world.uses_ip, world.uses_ip_since, person, ip))
    ready = np.maximum(ready, np.where(device >= 0, world.device_first_seen[np.maximum(device, 0)], 0))
    ready = np.maximum(ready, np.where(ip >= 0, world.ip_first_seen[np.maximum(ip, 0)], 0))
    monthly = config.monthly_count_mean * rng.gamma(4.0, 0.25, k)
    favourite = rng.integers(0, len(config.common_amounts), k)
    count = rng.choice([1, 2, 3], size=k, p=[0.5, 0.35, 0.15])
    first = np.r_[0, np.cumsum(count)[:-1]].astype(np.int64) if k else np.zeros(0, np.int64)
    return Senders(person, account, device, ip, ready, monthly, favourite, first, count)


def draw_recipients(senders: Senders, config, corridor: Corridor, rng: np.random.Generator) -> Recipients:
    """One to three recipients per sender, the first usually the main one."""
    count = senders.recipient_count
    n = int(count.sum())
    owner = np.repeat(np.arange(count.size), count)
    first = np.asarray(corridor.first_names, dtype=object)[rng.integers(0, len(corridor.first_names), n)]
    last = np.asarray(corridor.last_names, dtype=object)[rng.integers(0, len(corridor.last_names), n)]
    name = (first + " " + last).astype(object)
    phone = recipient_phones(rng, n, corridor)
    method = rng.choice(len(DELIVERY_METHODS), size=n, p=_method_weights(config))
    rank = np.arange(n) - np.repeat(senders.first_recipient, count)
    weight = rng.gamma(2.0, 1.0, n) / (1.0 + rank)
    cum = np.cumsum(weight)
    block_end = cum[np.maximum(senders.first_recipient + count - 1, 0)] if n else np.zeros(0)
    block_start = block_end - np.add.reduceat(weight, senders.first_recipient) if n else np.zeros(0)
    share = (cum - block_start[owner]) / (block_end - block_start)[owner]
    return Recipients(name=name, phone=phone, method=method, cum_weight=owner + share)


def _funding_accounts(world) -> np.ndarray:
    """Per person: the usable (active or dormant) USD checking or wallet account it keeps its money in, or -1.

    That is the one with the largest opening balance, checking accounts counting double.
    """
    adj = world.person_accounts
    acc = adj.targets
    usable = (world.account_currency.to_numpy(zero_copy_only=False)[acc] == "USD") & \
        np.isin(world.account_status[acc], ["active", "dormant"]) & \
        np.isin(world.account_type[acc], ["checking", "wallet"])
    owner = np.repeat(np.arange(world.n["Person"]), adj.degree())
    score = world.opening_balance[acc] * np.where(world.account_type[acc] == "checking", 2.0, 1.0)
    order = np.lexsort((score, owner))
    order = order[usable[order]]
    out = np.full(world.n["Person"], -1, dtype=np.int64)
    out[owner[order]] = acc[order]                # the best-scored account is written last
    return out


def _since(adj, since: np.ndarray, person: np.ndarray, target: np.ndarray) -> np.ndarray:
    """First-seen time of the edge person -> target (0 where target is -1)."""
    n = adj.starts.size - 1
    owner = np.repeat(np.arange(n), np.diff(adj.starts))
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    chosen = np.full(n, -2, dtype=np.int64)
    chosen[person] = target
    match = adj.targets == chosen[owner]
    np.minimum.at(first, owner[match], since[match])
    return np.where(target >= 0, np.where(first[person] == np.iinfo(np.int64).max, 0, first[person]), 0)


def _method_weights(config) -> np.ndarray:
    w = np.array([config.delivery_method_weights.get(m, 0.0) for m in DELIVERY_METHODS], dtype=np.float64)
    return w / w.sum()


def fees(send: np.ndarray, method: np.ndarray) -> np.ndarray:
    """Fee per remittance: flat fee by delivery method plus 1 % of the amount, capped at 14.99."""
    return np.round(np.minimum(FEE_FLAT[method] + FEE_RATE * send, FEE_CAP), 2)


def confirmation_codes(rng: np.random.Generator, n: int) -> pa.Array:
    """Ten-character pickup/confirmation codes without look-alike characters (0/O, 1/I)."""
    alphabet = np.frombuffer(b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789", dtype=np.uint8)
    chars = alphabet[rng.integers(0, alphabet.size, (n, 10))]
    offsets = np.arange(0, 10 * (n + 1), 10, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(chars).tobytes()))


def _rate_text(rate) -> env.Json:
    """Exchange rates as 4-decimal JSON strings."""
    return env.text(env.fixed(rate, 4).text, safe=True)


@dataclass
class Batch:
    """One day's remittances (row = remittance), drawn in ``plan`` and finished in ``settle``."""

    sender: np.ndarray
    recipient: np.ndarray
    method: np.ndarray
    send: np.ndarray
    fee: np.ndarray
    rate: float
    receive: np.ndarray
    fate: np.ndarray          # SUCCESS, COMPLIANCE, PARTNER or UNREACHABLE
    refunded: np.ndarray      # after capture: refunded by the time the failure is reported, else pending
    t_init: np.ndarray
    t_check: np.ndarray
    t_pay: np.ndarray
    t_refused: np.ndarray     # when a refused capture is reported
    t_captured: np.ndarray
    t_submitted: np.ndarray
    t_transit: np.ndarray
    t_done: np.ndarray
    t_fail: np.ndarray        # when a decided failure surfaces
    refund_lag: np.ndarray    # seconds to an immediate refund (from the next day at the earliest)
    refund_delay: np.ndarray  # seconds from failure to a pending refund
    corr: np.ndarray
    remittance_id: pa.Array
    code: pa.Array
    paid: np.ndarray          # rows with a capture payment: those that passed compliance

    @property
    def total(self) -> np.ndarray:
        """Amount debited from the sender: send amount plus fee."""
        return np.round(self.send + self.fee, 2)


def _no_refunds() -> dict[str, np.ndarray]:
    return {"time": np.zeros(0, np.int64), "account": np.zeros(0, np.int64), "person": np.zeros(0, np.int64),
            "amount": np.zeros(0), "corr": np.zeros(0, np.int64), "ref": np.zeros(0, object)}


class Remittances(Family):
    """Remittances from US senders to the corridor country (see the module docstring).

    Parameters
    ----------
    context : TimelineContext
        Senders are drawn once from ``context.seeds.rng("timeline", "remittances", "senders")``.
    """

    name = "remittances"
    event_types = ("exchange-rate-updated", "remittance-initiated", "remittance-processing",
                   "remittance-completed", "remittance-failed")

    def __init__(self, context):
        super().__init__(context)
        self.cfg = context.config.remittances
        self.corridor = corridor_for(self.cfg.corridor_country)
        rng = context.seeds.rng("timeline", "remittances", "senders")
        self.senders = draw_senders(context.world, self.cfg, rng)
        self.recipients = draw_recipients(self.senders, self.cfg, self.corridor, rng)
        self.method_weights = _method_weights(self.cfg)
        speed = METHOD_SPEED / float(METHOD_SPEED @ self.method_weights)
        self.method_hours = self.cfg.processing_hours_mean * speed
        self.common_amounts = np.asarray(self.cfg.common_amounts, dtype=np.float64)
        self.rate = float(self.cfg.exchange_rate_base)
        self._corr = 0
        self._refunds = _no_refunds()

    # -- the day ----------------------------------------------------------------
    def plan(self, day: Day, rng: np.random.Generator) -> DayPlan:
        """Publish the day's rate, initiate the day's remittances and ask the ledger for their funds.

        Payments are the captures (one per remittance that passed compliance,
        in ``Batch.paid`` order) followed by refunds that fall due today.
        """
        rate_event, rate_time = self._update_rate(day, rng)
        batch = self._draw(day, rng, rate_time)
        captures = self._captures(batch)
        refunds = self._refund_payments(self._take_refunds(day))
        rejected = np.flatnonzero(batch.fate == COMPLIANCE)
        events = [rate_event, self._initiated(batch), self._processing(batch, batch.paid, 0, batch.t_check),
                  self._failed(batch, rejected, batch.fate, batch.t_fail)]
        return DayPlan(events=[e for e in events if e.num_rows],
                       payments=pd.concat([captures, refunds], ignore_index=True), state=batch)

    def settle(self, day: Day, plan: DayPlan, outcome: Outcome, rng: np.random.Generator) -> list[pa.Table]:
        """Finish the day's remittances: refused captures fail, funded ones are processed to their end."""
        b: Batch = plan.state
        ok = np.asarray(outcome.ok[: b.paid.size], dtype=bool)
        refused, funded = b.paid[~ok], b.paid[ok]
        fate = b.fate.copy()
        fate[refused] = NO_FUNDS
        lost = funded[fate[funded] != SUCCESS]
        refund_time = np.where(b.refunded, np.maximum(b.t_fail, day.end) + b.refund_lag, b.t_fail + b.refund_delay)
        # a refunded failure is reported once the money is back, a pending one when it happens
        reported = np.where(b.refunded, refund_time + 120, b.t_fail)
        out = [
            self._failed(b, refused, fate, b.t_refused),
            self._processing(b, funded, 1, b.t_captured),
            self._processing(b, funded, 2, b.t_submitted),
            self._processing(b, funded[fate[funded] != PARTNER], 3, b.t_transit),
            self._completed(b, funded[fate[funded] == SUCCESS]),
            self._failed(b, lost, fate, reported),
        ]
        self._queue_refunds(b, lost, refund_time)
        return [t for t in out if t.num_rows]

    # -- drawing ------------------------------------------------------------------
    def _next_corr(self, n: int) -> np.ndarray:
        out = np.arange(self._corr, self._corr + n, dtype=np.int64)
        self._corr += n
        return out

    def _day_factor(self, day: Day) -> float:
        """Volume multiplier of ``day``: season, weekday, payday and drift."""
        season = clock.remittance_season(day) if self.cfg.seasonal else 1.0
        payday = (PAYDAY_BUMP if day.day_of_month in PAYDAY_DAYS else 1.0) / _PAYDAY_NORM
        drift = self.ctx.scenario.drift
        trend = clock.drift_factor(day, self.ctx.days, drift.strength, drift.direction)
        return season * float(WEEKDAY_SHAPE[day.weekday]) * payday * trend

    def _update_rate(self, day: Day, rng: np.random.Generator) -> tuple[pa.Table, int]:
        """Move the exchange rate one day (mean-reverting walk on the log rate) and publish it."""
        base = float(self.cfg.exchange_rate_base)
        previous = self.rate
        log_rate = np.log(previous) + RATE_REVERSION * (np.log(base) - np.log(previous)) \
            + self.cfg.exchange_rate_volatility * rng.standard_normal()
        self.rate = round(float(np.exp(log_rate)), 4)
        time = day.start + int(rng.integers(0, 120))
        quote = self.cfg.corridor_currency
        payload = env.json_object([
            ("currency_pair", env.text([f"USD/{quote}"], safe=True)),
            ("base_currency", env.text(["USD"], safe=True)),
            ("quote_currency", env.text([quote], safe=True)),
            ("rate", _rate_text([self.rate])),
            ("previous_rate", _rate_text([previous])),
            ("change_pct", env.fixed([100.0 * (self.rate / previous - 1.0)], 4)),
            ("effective_at", env.text(env.iso_seconds(np.array([time])), safe=True)),
        ])
        event = make_events("exchange-rate-updated", [time], self._next_corr(1), payload)
        return event, time

    def _draw(self, day: Day, rng: np.random.Generator, rate_time: int) -> Batch:
        """Who sends what to whom today, and when each stage would happen."""
        cfg, s, r = self.cfg, self.senders, self.recipients
        active = np.flatnonzero(s.ready < day.start)
        count = rng.poisson(s.monthly[active] / DAYS_PER_MONTH * self._day_factor(day))
        sender = np.repeat(active, count)
        n = sender.size

        block = s.first_recipient[sender]
        recipient = np.searchsorted(r.cum_weight, sender + rng.random(n), side="right")
        recipient = np.clip(recipient, block, block + s.recipient_count[sender] - 1)
        usual = rng.random(n) < USUAL_METHOD_SHARE
        method = np.where(usual, r.method[recipient], rng.choice(len(DELIVERY_METHODS), size=n, p=self.method_weights))

        common = rng.random(n) < cfg.common_amount_probability
        favourite = rng.random(n) < FAVOURITE_AMOUNT_SHARE
        pick = np.where(favourite, s.favourite[sender], rng.integers(0, self.common_amounts.size, n))
        other = np.maximum(np.round(rng.normal(cfg.random_mean, cfg.random_std, n), 2), 10.0)
        send = np.where(common, self.common_amounts[pick], other)
        fee = fees(send, method)
        receive = np.round(send * self.rate, 2)

        fate = np.where(rng.random(n) < cfg.success_rate, SUCCESS,
                        1 + rng.choice(3, size=n, p=FAILURE_WEIGHTS)).astype(np.int64)
        refunded = rng.random(n) < REFUNDED_SHARE

        person = s.person[sender]
        t_init = clock.times_in_day(rng, day, n, "personal", self.ctx.chronotype[person])
        t_init = np.clip(t_init, rate_time + 1, day.end - 300)
        t_check = t_init + rng.integers(3, 91, n)
        t_pay = t_check + 1
        t_refused = t_pay + rng.integers(25, 91, n)
        t_captured = t_pay + rng.integers(20, 181, n)
        hours = np.maximum(rng.gamma(2.0, 1.0, n) * self.method_hours[method] / 2.0, 0.2)
        duration = (hours * HOUR).astype(np.int64)
        t_submitted = np.maximum(t_init + (rng.uniform(0.05, 0.25, n) * duration).astype(np.int64), t_captured + 1)
        t_transit = np.maximum(t_init + (rng.uniform(0.35, 0.8, n) * duration).astype(np.int64), t_submitted + 1)
        t_done = np.maximum(t_init + duration, t_transit + 1)
        t_fail = np.select([fate == COMPLIANCE, fate == PARTNER, fate == UNREACHABLE],
                           [t_check + rng.integers(300, 4 * HOUR, n),
                            t_submitted + rng.integers(60, 6 * HOUR, n),
                            t_done + rng.integers(0, 48 * HOUR, n)], t_done)
        return Batch(
            sender=sender, recipient=recipient, method=method, send=send, fee=fee, rate=self.rate,
            receive=receive, fate=fate, refunded=refunded, t_init=t_init, t_check=t_check, t_pay=t_pay,
            t_refused=t_refused, t_captured=t_captured, t_submitted=t_submitted, t_transit=t_transit,
            t_done=t_done, t_fail=t_fail, refund_lag=rng.integers(60, HOUR, n),
            refund_delay=rng.integers(DAY, 3 * DAY, n), corr=self._next_corr(n),
            remittance_id=env.uuids(rng, n), code=confirmation_codes(rng, n),
            paid=np.flatnonzero(fate != COMPLIANCE))

    # -- money ----------------------------------------------------------------------
    def _captures(self, b: Batch) -> pd.DataFrame:
        """One payment per remittance that passed compliance: amount plus fee to the partner."""
        rows, s = b.paid, self.senders
        sender = b.sender[rows]
        return make_payments(
            rows.size, time=b.t_pay[rows], src=s.account[sender], dst=-1, amount=b.total[rows],
            tx_type="remittance", user=s.person[sender], device=s.device[sender], ip=s.ip[sender],
            corr=b.corr[rows], dst_kind="remittance_partner",
            dst_ref=np.asarray(b.remittance_id.take(pa.array(rows)).to_pylist(), dtype=object))

    def _queue_refunds(self, b: Batch, rows: np.ndarray, refund_time: np.ndarray) -> None:
        sender = b.sender[rows]
        new = {"time": refund_time[rows], "account": self.senders.account[sender],
               "person": self.senders.person[sender], "amount": b.total[rows], "corr": b.corr[rows],
               "ref": np.asarray(b.remittance_id.take(pa.array(rows)).to_pylist(), dtype=object)}
        self._refunds = {k: np.concatenate([self._refunds[k], new[k]]) for k in new}

    def _take_refunds(self, day: Day) -> dict[str, np.ndarray]:
        due = self._refunds["time"] < day.end
        taken = {k: v[due] for k, v in self._refunds.items()}
        self._refunds = {k: v[~due] for k, v in self._refunds.items()}
        return taken

    @staticmethod
    def _refund_payments(due: dict[str, np.ndarray]) -> pd.DataFrame:
        """Money of failed remittances coming back from the partner."""
        return make_payments(
            due["time"].size, time=due["time"], src=-1, dst=due["account"], amount=due["amount"],
            tx_type="refund", user=due["person"], corr=due["corr"], src_kind="remittance_partner",
            src_ref=due["ref"])

    # -- events ---------------------------------------------------------------------
    def _ids(self, b: Batch, rows: np.ndarray) -> tuple[pa.Array, pa.Array]:
        """Remittance ids and sender person ids of ``rows``."""
        return b.remittance_id.take(pa.array(rows, pa.int64())), \
            self.ctx.world.take("Person", self.senders.person[b.sender[rows]])

    def _initiated(self, b: Batch) -> pa.Table:
        world, s, r = self.ctx.world, self.senders, self.recipients
        rows = np.arange(b.sender.size)
        rid, person = self._ids(b, rows)
        device, ip = s.device[b.sender], s.ip[b.sender]
        n = rows.size
        address = pc.if_else(pa.array(ip >= 0, pa.bool_()), world.ip_address.take(pa.array(np.maximum(ip, 0), pa.int64())),
                             pa.scalar(None, pa.large_string()))
        payload = env.json_object([
            ("remittance_id", env.text(rid, safe=True)),
            ("sender_id", env.text(person, safe=True)),
            ("sender_account_id", env.text(world.take("Account", s.account[b.sender]), safe=True)),
            ("recipient_name", env.text(pa.array(r.name[b.recipient], pa.large_string()))),
            ("recipient_phone", env.text(pa.array(r.phone[b.recipient], pa.large_string()), safe=True)),
            ("recipient_country", env.constant(f'"{self.cfg.corridor_country}"', n)),
            ("send_amount", env.money(b.send)),
            ("send_currency", env.constant('"USD"', n)),
            ("receive_amount", env.money(b.receive)),
            ("receive_currency", env.constant(f'"{self.cfg.corridor_currency}"', n)),
            ("exchange_rate", _rate_text(np.full(n, b.rate))),
            ("fee_amount", env.money(b.fee)),
            ("total_amount", env.money(b.total)),
            ("delivery_method", env.text(pa.array(np.asarray(DELIVERY_METHODS, dtype=object)[b.method], pa.large_string()), safe=True)),
            ("initiated_at", env.text(env.iso_seconds(b.t_init), safe=True)),
            ("device_id", env.text(world.take("Device", device), safe=True)),
            ("ip_address", env.text(address, safe=True)),
        ], n)
        return make_events("remittance-initiated", b.t_init, b.corr, payload, person=person)

    def _processing(self, b: Batch, rows: np.ndarray, stage: int, times: np.ndarray) -> pa.Table:
        rid, person = self._ids(b, rows)
        n = rows.size
        payload = env.json_object([
            ("remittance_id", env.text(rid, safe=True)),
            ("sender_id", env.text(person, safe=True)),
            ("stage", env.constant(f'"{STAGES[stage]}"', n)),
            ("stage_number", env.constant(str(stage + 1), n)),
            ("processed_at", env.text(env.iso_seconds(times[rows]), safe=True)),
        ], n)
        return make_events("remittance-processing", times[rows], b.corr[rows], payload, person=person)

    def _completed(self, b: Batch, rows: np.ndarray) -> pa.Table:
        rid, person = self._ids(b, rows)
        n = rows.size
        payload = env.json_object([
            ("remittance_id", env.text(rid, safe=True)),
            ("sender_id", env.text(person, safe=True)),
            ("recipient_name", env.text(pa.array(self.recipients.name[b.recipient[rows]], pa.large_string()))),
            ("receive_amount", env.money(b.receive[rows])),
            ("receive_currency", env.constant(f'"{self.cfg.corridor_currency}"', n)),
            ("exchange_rate", _rate_text(np.full(n, b.rate))),
            ("delivery_method", env.text(pa.array(np.asarray(DELIVERY_METHODS, dtype=object)[b.method[rows]], pa.large_string()), safe=True)),
            ("delivered_at", env.text(env.iso_seconds(b.t_done[rows]), safe=True)),
            ("confirmation_code", env.text(b.code.take(pa.array(rows, pa.int64())), safe=True)),
        ], n)
        return make_events("remittance-completed", b.t_done[rows], b.corr[rows], payload, person=person)

    def _failed(self, b: Batch, rows: np.ndarray, fate: np.ndarray, times: np.ndarray) -> pa.Table:
        rid, person = self._ids(b, rows)
        n = rows.size
        fate = fate[rows]
        captured = np.isin(fate, (PARTNER, UNREACHABLE))
        status = np.where(captured, np.where(b.refunded[rows], "refunded", "pending"), "not_applicable")
        payload = env.json_object([
            ("remittance_id", env.text(rid, safe=True)),
            ("sender_id", env.text(person, safe=True)),
            ("reason", env.text(pa.array(FAILURE_REASONS[fate], pa.large_string()), safe=True)),
            ("failed_stage", env.text(pa.array(FAILED_AT_STAGE[fate], pa.large_string()), safe=True)),
            ("refund_status", env.text(pa.array(status.astype(object), pa.large_string()), safe=True)),
            ("refund_amount", env.money(np.where(captured, b.total[rows], 0.0))),
            ("failed_at", env.text(env.iso_seconds(times[rows]), safe=True)),
        ], n)
        return make_events("remittance-failed", times[rows], b.corr[rows], payload, person=person)
