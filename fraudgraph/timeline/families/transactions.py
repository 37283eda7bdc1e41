"""Transactions: money walked along TRANSFERS_TO and PAYS, plus the patterns' scripted payments.

Every payment of every family (circle contributions, remittances, trade
settlements ...) goes through the ledger; this family renders all of them as
``transaction-initiated`` followed by ``-completed`` or ``-failed``, with
``-flagged`` in between when the risk score reaches the threshold.

Legitimate processes
--------------------
- each standing edge pays at its ``monthly_count`` (Poisson per day), scaled by
  the payer's activity, the weekday, paydays and drift; amounts are log-normal
  around the edge's ``typical_amount``; payroll runs on the 1st and the 15th;
- merchants refund a share of card payments days later; checking accounts pay a
  monthly fee; card holders pay their card bill from checking;
- accounts whose standing outflows exceed their inflows receive outside income
  (pensions, gig income, business revenue from customers outside the world), some
  of them in cash (:data:`CASH_INCOME_SHARE`);
- scripted payments (fraud and decoys) take the rail a standing one between the
  same kinds of owner and account takes: P2P between people, bank transfer
  otherwise; a purchase from a wallet is a wallet payment;
- accidents, each person with their own propensity: duplicate bursts seconds
  apart, unusually high amounts, a mistyped recipient.
Edges a pattern scripts carry only their scripted payments; a busted card goes
dark after its bust-out.
"""

from __future__ import annotations

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
from fraudgraph.timeline.frames import strings
from fraudgraph.timeline.ledger import FORCED
from fraudgraph.timeline.returns import REASONS as RETURN_REASONS
from fraudgraph.timeline.returns import posting_of
from fraudgraph.units import DAY, HOUR, to_seconds

#: Edge types whose scripted rows this family reads.
TRANSFERS_STEM = schema.stem("Account", "TRANSFERS_TO", "Account")
PAYS_STEM = schema.stem("Account", "PAYS", "Company")

KIND_TYPE = {"own_accounts": "bank_transfer", "household": "p2p_transfer", "p2p": "p2p_transfer",
             "payroll": "payroll", "supplier": "bank_transfer"}
#: A merchant or biller paid by bank transfer is a bill payment.
CHANNEL_TYPE = {"card": "card_payment", "bank_transfer": "bill_payment", "wallet": "wallet_payment"}
#: Scheduled kinds that become payments (the family's other kind, account_dark, stops them).
SCRIPTED_MONEY = tuple(k for k in schema.schedule_kinds("transactions") if schema.SCHEDULE_KINDS[k].events)
#: Share of the accounts living on outside income that take it in cash at the counter or ATM (tips, takings,
#: cash jobs) rather than by transfer: so cash deposits are no sign of crime in themselves.
CASH_INCOME_SHARE = {"business": 0.35, "person": 0.15}
#: Roles of accounts nobody funds from outside: a drain larger than the balance is refused (a takeover empties
#: what the victim has), and a crunched account's bills overdraw it and come back.
UNFUNDED_ROLES = ("victim_account", "crunch_account")
#: ``transaction-failed`` error message of each ledger refusal reason.
ERROR_MESSAGES = {"insufficient_funds": "Insufficient funds", "account_frozen": "Account is frozen",
                  "account_closed": "Account is closed"}
#: Refusals worth retrying: a shortfall may be covered later; a frozen or closed account stays refused.
RETRY_ELIGIBLE = ("insufficient_funds",)


def _transfer_rail(src_holder: np.ndarray, dst_holder: np.ndarray) -> np.ndarray:
    """The rail of a scripted account-to-account transfer, chosen as for a standing one: between two
    people a P2P transfer, between one person's own accounts or with a company a bank transfer."""
    between_people = (src_holder >= 0) & (dst_holder >= 0) & (src_holder != dst_holder)
    return np.where(between_people, "p2p_transfer", "bank_transfer").astype(object)


class Transactions(Family):
    """Standing money relationships walked day by day (see the module docstring)."""

    name = "transactions"
    event_types = ("transaction-initiated", "transaction-completed", "transaction-failed", "transaction-returned",
                   "transaction-flagged")

    def __init__(self, context):
        super().__init__(context)
        world = context.world
        self.cfg = context.config.transactions
        rng = context.seeds.rng("timeline", "transactions", "setup")
        n_persons = world.n["Person"]
        # per-person accident propensities, drawn once
        self.p_burst = rng.random(n_persons) * self.cfg.burst_rate_max
        self.p_high = rng.random(n_persons) * self.cfg.high_amount_rate_max
        self.p_mistype = rng.random(n_persons) * self.cfg.mistype_rate_max

        tr = world.graph.edges[("Account", "TRANSFERS_TO", "Account")]
        pays = world.graph.edges[("Account", "PAYS", "Company")]
        tr_scripted = self._scripted_mask(tr, TRANSFERS_STEM)
        pay_scripted = self._scripted_mask(pays, PAYS_STEM)
        self.tr = self._edges(tr[~tr_scripted], "Account", kind_col="kind", types=KIND_TYPE)
        self.pays = self._edges(pays[~pay_scripted], "Company", kind_col="channel", types=CHANNEL_TYPE)
        self.pays["dst_account"] = world.company_account[self.pays["dst"]]
        self.tr["dst_account"] = self.tr["dst"]
        incoming = context.incoming_payroll
        if incoming is not None and len(incoming):
            paid_in = self._edges(incoming, "Account", kind_col="kind", types=KIND_TYPE)
            paid_in["dst_account"] = paid_in["dst"]
            self.tr = {key: np.concatenate([self.tr[key], paid_in[key]]) for key in self.tr}
        self._income_and_bills(rng)
        self._leave_invoices_to_documents()
        self.refunds = make_payments()
        self.placements = self._placements(rng)
        self.counter = 0
        # dormant accounts rarely move; frozen and closed ones only by mistake (and are refused)
        status = world.account_status
        self.status_factor = np.select([status == "dormant", status == "frozen", status == "closed"], [0.05, 0.01, 0.01], 1.0)

    # -- setup ----------------------------------------------------------------------
    def _leave_invoices_to_documents(self) -> None:
        """Hook for the documents family: when it runs it pays the invoices of the SUPPLIES edges (its payments
        share the invoice's correlation), so the standing supplier edges are not walked here. They still count
        in the outside income computed before, since the same money leaves the buyers."""
        if "documents" in self.ctx.streams:
            self.tr["rate"] = np.where(self.tr["kind"] == "supplier", 0.0, self.tr["rate"])

    def _scripted_mask(self, edges: pd.DataFrame, stem: str) -> np.ndarray:
        pairs = self.ctx.scripted_pairs(stem)
        if pairs.empty or edges.empty:
            return np.zeros(len(edges), bool)
        key = edges["src"].astype(str) + "|" + edges["dst"].astype(str)
        return key.isin(set(pairs["src"].astype(str) + "|" + pairs["dst"].astype(str))).to_numpy()

    def _edges(self, edges: pd.DataFrame, dst_label: str, kind_col: str, types: dict) -> dict:
        """Standing edges as arrays of positions; a paying account outside this world (a salary from
        another shard) has ``src`` -1, its id in ``src_ref`` and no holder here."""
        world = self.ctx.world
        src = world.pos("Account", edges["src"])
        kind = edges[kind_col].to_numpy(dtype=object)
        return {
            "src": src,
            "src_ref": np.where(src < 0, edges["src"].to_numpy(dtype=object), None),
            "dst": world.pos(dst_label, edges["dst"]),
            "kind": kind,
            "tx_type": pd.Series(kind, dtype=object).map(types).to_numpy(dtype=object),
            "typical": edges["typical_amount"].to_numpy(dtype=np.float64),
            "rate": edges["monthly_count"].to_numpy(dtype=np.float64) / 30.44,
            "since": to_seconds(edges["since"]),
            "user": np.where(src >= 0, world.account_holder[np.maximum(src, 0)], -1),
            "pay_phase": self._pay_phase(edges["src"].to_numpy(dtype=object), kind == "payroll"),
        }

    @staticmethod
    def _pay_phase(payer: np.ndarray, payroll: np.ndarray) -> np.ndarray:
        """0 or 1 per edge: which Fridays a biweekly payroll runs on, the same for every employee of a
        paying account and drawn from its id, so that shards agree on it."""
        phase = np.zeros(len(payer), np.int8)
        if payroll.any():
            phase[payroll] = pd.util.hash_array(payer[payroll], categorize=False) & 1
        return phase

    def _income_and_bills(self, rng: np.random.Generator) -> None:
        """Outside income for accounts that spend more than they receive, and card bills."""
        world = self.ctx.world
        n_acc = world.n["Account"]
        out = np.zeros(n_acc)
        inflow = np.zeros(n_acc)
        monthly = lambda e: e["typical"] * e["rate"] * 30.44
        funded = self.tr["kind"] == "payroll"   # employers fund payroll from outside on payday
        np.add.at(out, self.tr["src"][~funded], monthly(self.tr)[~funded])
        np.add.at(inflow, self.tr["dst"], monthly(self.tr))
        np.add.at(out, self.pays["src"], monthly(self.pays))
        has_biz = self.pays["dst_account"] >= 0
        np.add.at(inflow, self.pays["dst_account"][has_biz], monthly(self.pays)[has_biz])
        # card bills: the holder's first checking account pays what the card spends
        cards = np.flatnonzero(world.is_credit & (out > 0))
        holder = world.account_holder[cards]
        checking = self._checking_of(holder)
        ok = checking >= 0
        self.bill_card, self.bill_from, self.bill_amount = cards[ok], checking[ok], out[cards[ok]]
        np.add.at(out, self.bill_from, self.bill_amount)
        inflow[self.bill_card] += self.bill_amount
        gap = out - inflow
        needy = np.flatnonzero((gap > 0) & ~world.is_credit)
        self.income_account = needy
        self.income_amount = gap[needy] * (1.05 + 0.3 * rng.random(len(needy)))
        self.income_business = world.account_type[needy] == "business"
        checking_accounts = np.flatnonzero(world.account_type == "checking")
        self.fee_accounts = checking_accounts[rng.random(len(checking_accounts)) < self.cfg.fee_share]
        cash_share = np.where(self.income_business, CASH_INCOME_SHARE["business"], CASH_INCOME_SHARE["person"])
        self.income_cash = rng.random(len(needy)) < cash_share

    def _checking_of(self, persons: np.ndarray) -> np.ndarray:
        world = self.ctx.world
        out = np.full(len(persons), -1, dtype=np.int64)
        has = persons >= 0
        p = persons[has]
        entries, flat = world.person_accounts.entries(p)
        is_chk = world.account_type[flat] == "checking"
        found = np.full(len(p), -1, dtype=np.int64)
        found[entries[is_chk][::-1]] = flat[is_chk][::-1]
        out[has] = found
        return out

    # -- one day ------------------------------------------------------------------------
    def plan(self, day: Day, rng: np.random.Generator) -> DayPlan:
        ctx = self.ctx
        drift = clock.drift_factor(day, ctx.days, ctx.scenario.drift.strength, ctx.scenario.drift.direction)
        parts = [
            self._walk(day, rng, self.tr, "personal", drift),
            self._walk(day, rng, self.pays, "purchase", drift),
            self._scheduled(day, rng),
            self._standing_orders(day, rng),
            self._due_refunds(day),
            self._due_placements(day),
        ]
        parts.append(self._payroll_funding(parts[0]))
        pay = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else make_payments()
        pay = self._accidents(pay, rng)
        pay["posting"] = posting_of(pay["tx_type"].to_numpy(dtype=object))
        self._plan_refunds(pay, rng)
        pay["corr"] = np.arange(self.counter, self.counter + len(pay), dtype=np.int64)
        self.counter += len(pay)
        return DayPlan(payments=pay)

    def _walk(self, day: Day, rng, e: dict, profile: str, drift: float) -> pd.DataFrame:
        """The day's payments along the standing edges ``e``: a Poisson process per edge, drawn as one
        process over all edges whose points are then spread over them (see :meth:`_pick_edges`)."""
        ctx = self.ctx
        scale = clock.weekday_factor(day, profile) * clock.payday_factor(day) * drift
        rows = self._pick_edges(rng, e, scale)
        payroll_rows = e["payroll_rows"]
        if payroll_rows.size:
            due = clock.payroll_due(day, e["rate"][payroll_rows] * 30.44, e["pay_phase"][payroll_rows])
            rows = np.sort(np.concatenate([rows, payroll_rows[due]]))
        src = e["src"][rows]
        alive = (e["since"][rows] < day.end) & ((src < 0) | (ctx.dark_after[np.maximum(src, 0)] > day.start))
        rows = rows[alive]
        # customers cooling off spend less (and those who left not at all)
        u = e["user"][rows]
        rows = rows[rng.random(len(rows)) < np.minimum(ctx.engagement(day, u), 1.0)]
        n = len(rows)
        if n == 0:
            return make_payments()
        world, payroll = ctx.world, e["is_payroll"]
        u = e["user"][rows]
        shift = np.where(u >= 0, ctx.chronotype[np.maximum(u, 0)], 0.0)
        times = clock.times_in_day(rng, day, n, profile, shift)
        is_payroll = payroll[rows]
        if is_payroll.any():
            times[is_payroll] = clock.times_in_day(rng, day, int(is_payroll.sum()), "batch")
        times = np.maximum(times, e["since"][rows])
        sigma = np.where(is_payroll, 0.02, self.cfg.amount_sigma)
        amount = np.round(e["typical"][rows] * np.exp(rng.normal(-sigma**2 / 2, sigma)) * drift, 2)
        amount = np.maximum(amount, 0.5)
        src = e["src"][rows]
        dst_acc = e["dst_account"][rows]
        device, ip = self._device_ip(rng, u, times)
        in_store = (e["tx_type"][rows] == "card_payment") & (rng.random(n) < 0.6)
        device = np.where(in_store, -1, device)
        ip = np.where(in_store, -1, ip)
        to_merchant = e is self.pays
        return make_payments(
            n, time=times, src=src, dst=dst_acc, amount=amount, tx_type=e["tx_type"][rows], user=u, src_ref=e["src_ref"][rows],
            device=device, ip=ip, dst_kind="merchant" if to_merchant else "account",
            dst_ref=world.take("Company", e["dst"][rows]).to_numpy(zero_copy_only=False) if to_merchant else None,
        )

    def _pick_edges(self, rng, e: dict, scale: float) -> np.ndarray:
        """Edge rows (ascending, repeated per payment) of one day's Poisson payments at ``scale`` times
        each edge's standing rate.

        Independent Poisson counts per edge are one Poisson process of the summed rate whose points
        land on each edge in proportion to its rate: so the day costs its payments, not its edges.
        Edges not yet open or gone dark are thinned out afterwards by the caller.
        """
        if "cum_rate" not in e:
            ctx = self.ctx
            user = e["user"]
            act = np.where(user >= 0, ctx.activity[np.maximum(user, 0)], 1.0)
            rate = e["rate"] * act * np.where(e["src"] >= 0, self.status_factor[np.maximum(e["src"], 0)], 1.0)
            rate = rate * np.where(e["dst_account"] >= 0, self.status_factor[np.maximum(e["dst_account"], 0)], 1.0)
            e["is_payroll"] = e["kind"] == "payroll"
            e["cum_rate"] = np.cumsum(np.where(e["is_payroll"], 0.0, rate))
            e["payroll_rows"] = np.flatnonzero(e["is_payroll"])
        cum = e["cum_rate"]
        total = float(cum[-1]) if cum.size else 0.0
        if total <= 0 or scale <= 0:
            return np.zeros(0, np.int64)
        n = rng.poisson(total * scale)
        rows = np.searchsorted(cum, rng.random(n) * total, side="right")
        return np.sort(np.minimum(rows, cum.size - 1))

    @staticmethod
    def _payroll_funding(walked: pd.DataFrame) -> pd.DataFrame:
        """Employers move each payroll run's total into the paying account ten minutes before it."""
        payroll = walked[(walked["tx_type"] == "payroll") & (walked["src"] >= 0)]  # not salaries paid from elsewhere
        if payroll.empty:
            return make_payments()
        runs = payroll.groupby("src", sort=True).agg(time=("time", "min"), amount=("amount", "sum")).reset_index()
        day_start = runs["time"].to_numpy() - runs["time"].to_numpy() % DAY
        return make_payments(len(runs), time=np.maximum(runs["time"].to_numpy() - 600, day_start), src=-1,
                             dst=runs["src"].to_numpy(), amount=np.round(runs["amount"].to_numpy(), 2),
                             tx_type="payroll_funding", src_kind="external")

    def _device_ip(self, rng, persons: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Device and address of each payment: mostly the primary device at home; during a trip's stay,
        an address at the destination (``travel`` addresses at no other time)."""
        world, trips = self.ctx.world, self.ctx.trips
        has = persons >= 0
        p = np.maximum(persons, 0)
        device = np.where(has, world.primary_device[p], -1)
        other = world.uses_device.pick(rng, p)
        device = np.where(has & (rng.random(len(p)) < 0.15) & (other >= 0), other, device)
        ip = np.where(has, world.home_ip[p], -1)
        alt = world.uses_ip.pick(rng, p)
        alt = np.where(trips.is_travel_ip[np.maximum(alt, 0)], -1, alt)
        ip = np.where(has & (rng.random(len(p)) < 0.35) & (alt >= 0), alt, ip)
        return device, self._abroad(rng, persons, times, ip)

    def _abroad(self, rng, persons: np.ndarray, times: np.ndarray, ip: np.ndarray) -> np.ndarray:
        """``ip``, or for a person staying at a trip's destination, one of the trip's addresses (the payment's
        device keeps to the everyday choice: the model does not follow which device went on the trip)."""
        trips = self.ctx.trips
        trip = trips.staying(np.where(persons >= 0, persons, -1), times)
        away = np.flatnonzero((trip >= 0) & (ip >= 0))
        if away.size == 0:
            return ip
        out = ip.copy()
        out[away] = trips.address(rng, trip[away])
        return out

    def _scheduled(self, day: Day, rng: np.random.Generator) -> pd.DataFrame:
        ctx, world = self.ctx, self.ctx.world
        rows = ctx.scripted(day, SCRIPTED_MONEY)
        n = len(rows)
        if n == 0:
            return make_payments()
        kind = rows["kind"].to_numpy(dtype=object)
        src = world.pos("Account", rows["src"])
        company = world.pos("Company", rows["dst"].fillna(""))
        acc_dst = world.pos("Account", rows["dst"].fillna(""))
        to_company = rows["edge_type"].to_numpy(dtype=object) == PAYS_STEM
        merchant_acc = np.where(company >= 0, world.company_account[np.maximum(company, 0)], -1)
        dst = np.where(to_company, merchant_acc, acc_dst)
        refund = kind == "refund"
        deposit = kind == "cash_deposit"
        pay_src = np.where(refund, merchant_acc, np.where(deposit, -1, src))
        pay_dst = np.where(refund, src, np.where(deposit, src, dst))
        user = world.account_holder[np.maximum(src, 0)]
        from_wallet = world.account_type[np.maximum(src, 0)] == "wallet"
        tx_type = np.select([kind == "transfer", kind == "card_payment", kind == "bill_payment", refund, deposit],
                            [_transfer_rail(user, np.where(dst >= 0, world.account_holder[np.maximum(dst, 0)], -1)),
                             np.where(from_wallet, "wallet_payment", "card_payment"), "bill_payment", "refund",
                             "cash_deposit"], "bank_transfer")
        device = np.where(user >= 0, world.primary_device[np.maximum(user, 0)], -1)
        ip = np.where(user >= 0, world.home_ip[np.maximum(user, 0)], -1)
        legit = ~np.array([ctx.pattern_is_fraud.get(p, False) for p in rows["pattern_id"]], dtype=bool)
        ip = np.where(legit, self._abroad(rng, np.where(legit, user, -1), rows["t"].to_numpy(dtype=np.int64), ip), ip)
        comp_ids = np.asarray(rows["dst"].where(to_company, None).to_numpy(dtype=object))
        return make_payments(
            n, time=rows["t"].to_numpy(dtype=np.int64), src=pay_src, dst=pay_dst,
            amount=rows["amount"].to_numpy(dtype=np.float64), tx_type=tx_type.astype(object), user=user,
            device=np.where(deposit, -1, device), ip=np.where(deposit, -1, ip),
            pattern_id=rows["pattern_id"].to_numpy(dtype=object),
            src_kind=np.where(deposit, "cash", np.where(refund, "merchant", "account")).astype(object),
            dst_kind=np.where(to_company & ~refund, "merchant", "account").astype(object),
            dst_ref=np.where(to_company & ~refund, comp_ids, None),
            src_ref=np.where(refund, comp_ids, None),
        )

    def _placements(self, rng) -> pd.DataFrame:
        """Criminal money entering from outside: each fraud account that scripts more out than in
        receives the difference in cash shortly before its first scripted debit (labelled with the instance),
        unless the criminals do not hold it (:data:`UNFUNDED_ROLES`)."""
        world = self.ctx.world
        sched = self.ctx.schedule
        money = sched[sched["kind"].isin(["transfer", "card_payment", "bill_payment", "invoice_payment"])
                      & sched["pattern_id"].map(self.ctx.pattern_is_fraud).fillna(False).astype(bool)]
        if money.empty:
            return make_payments()
        out = money.groupby(["src", "pattern_id"], sort=True).agg(out=("amount", "sum"), first=("t", "min")).reset_index()
        labels = self.ctx.truth.node_labels
        victims = labels.loc[labels["role"].isin(UNFUNDED_ROLES).to_numpy(), ["id", "pattern_id"]]
        out = out[~pd.MultiIndex.from_frame(out[["src", "pattern_id"]]).isin(pd.MultiIndex.from_frame(victims))]
        inflow = money[money["edge_type"] == TRANSFERS_STEM].groupby("dst")["amount"].sum()
        out["in"] = out["src"].map(inflow).fillna(0.0).to_numpy()
        acc = world.pos("Account", out["src"])
        balance = np.where(world.is_credit[acc], world.credit_limit[acc] - world.opening_balance[acc], world.opening_balance[acc])
        short = out["out"].to_numpy() - out["in"].to_numpy() - np.maximum(balance, 0)
        need = (short > 0) & (acc >= 0) & ~world.is_credit[acc]
        if not need.any():
            return make_payments()
        rows = out[need]
        lead = (HOUR * rng.uniform(1, 48, int(need.sum()))).astype(np.int64)
        time = np.maximum(rows["first"].to_numpy() - lead, np.maximum(world.account_opened[acc[need]], world.start))
        return make_payments(int(need.sum()), time=time, src=-1, dst=acc[need],
                             amount=np.round(short[need] * rng.uniform(1.02, 1.15, int(need.sum())), -1),
                             tx_type="cash_deposit", user=world.account_holder[acc[need]], src_kind="cash",
                             pattern_id=rows["pattern_id"].to_numpy(dtype=object)).sort_values("time", kind="stable")

    def _due_placements(self, day: Day) -> pd.DataFrame:
        due = self.placements["time"].to_numpy() < day.end
        out = self.placements[due].reset_index(drop=True)
        self.placements = self.placements[~due].reset_index(drop=True)
        return out

    def _standing_orders(self, day: Day, rng) -> pd.DataFrame:
        """Outside income, card bills and monthly fees."""
        world = self.ctx.world
        dom = day.day_of_month
        parts = []
        # businesses take revenue every weekday; persons are paid on the 1st and the 15th
        weekday = day.weekday < 5
        open_ = world.account_opened < day.end
        inc = ((self.income_business & weekday) | (~self.income_business & clock.is_payday(day))) & open_[self.income_account]
        if inc.any():
            acc = self.income_account[inc]
            share = np.where(self.income_business[inc], 12 / 261, 0.5)
            amount = np.round(self.income_amount[inc] * share * np.exp(rng.normal(0, 0.05, len(acc))), 2)
            cash = self.income_cash[inc]
            amount = np.where(cash, np.maximum(np.round(amount, -1), 10.0), amount)
            times = np.where(cash, clock.times_in_day(rng, day, len(acc), "personal"),
                             clock.times_in_day(rng, day, len(acc), "batch"))
            times = np.maximum(times, world.account_opened[acc])
            parts.append(make_payments(len(acc), time=times, src=-1, dst=acc, amount=amount,
                                       tx_type=np.where(cash, "cash_deposit", "deposit").astype(object),
                                       user=world.account_holder[acc],
                                       src_kind=np.where(cash, "cash", "external").astype(object)))
        # an account gone dark (a busted-out card, an abandoned account) pays no bill and is charged no fee
        lit = self.ctx.dark_after > day.start
        if dom == 25 and len(self.bill_card):
            live = open_[self.bill_card] & open_[self.bill_from] & lit[self.bill_from]
            card, frm = self.bill_card[live], self.bill_from[live]
            n = len(card)
            amount = np.round(self.bill_amount[live] * (0.85 + 0.3 * rng.random(n)), 2)
            times = clock.times_in_day(rng, day, n, "personal")
            times = np.maximum(times, np.maximum(world.account_opened[card], world.account_opened[frm]))
            parts.append(make_payments(n, time=times, src=frm, dst=card, amount=amount,
                                       tx_type="card_bill_payment", user=world.account_holder[card]))
        if dom == 1 and len(self.fee_accounts):
            acc = self.fee_accounts[open_[self.fee_accounts] & lit[self.fee_accounts]]
            times = np.maximum(clock.times_in_day(rng, day, len(acc), "batch"), world.account_opened[acc])
            parts.append(make_payments(len(acc), time=times, src=acc, dst=-1, amount=self.cfg.fee_amount,
                                       tx_type="fee", user=world.account_holder[acc], dst_kind="platform"))
        return pd.concat(parts, ignore_index=True) if parts else make_payments()

    def _plan_refunds(self, pay: pd.DataFrame, rng) -> None:
        card = (pay["tx_type"].to_numpy() == "card_payment") & pay["pattern_id"].isna().to_numpy() \
            & (pay["accident"].isna().to_numpy())
        pick = np.flatnonzero(card & (rng.random(len(pay)) < self.cfg.refund_rate))
        if len(pick) == 0:
            return
        base = pay.iloc[pick]
        delay = (DAY * (2 + rng.exponential(4.0, len(pick)))).astype(np.int64)
        refunds = make_payments(
            len(pick), time=base["time"].to_numpy() + delay, src=base["dst"].to_numpy(), dst=base["src"].to_numpy(),
            amount=np.round(base["amount"].to_numpy() * np.where(rng.random(len(pick)) < 0.8, 1.0, 0.5), 2),
            tx_type="refund", user=base["user"].to_numpy(), src_kind="merchant",
            src_ref=base["dst_ref"].to_numpy(dtype=object))
        self.refunds = pd.concat([self.refunds, refunds], ignore_index=True)

    def _due_refunds(self, day: Day) -> pd.DataFrame:
        due = self.refunds["time"].to_numpy() < day.end
        out = self.refunds[due].reset_index(drop=True)
        self.refunds = self.refunds[~due].reset_index(drop=True)
        return out

    def _accidents(self, pay: pd.DataFrame, rng) -> pd.DataFrame:
        """Legitimate noise: high amounts, mistyped recipients, duplicate bursts."""
        world = self.ctx.world
        user = pay["user"].to_numpy()
        legit = pay["pattern_id"].isna().to_numpy() & (user >= 0) & (pay["tx_type"].to_numpy() != "payroll")
        u = np.maximum(user, 0)
        accident = pay["accident"].to_numpy(dtype=object).copy()
        amount = pay["amount"].to_numpy().copy()
        high = legit & (rng.random(len(pay)) < self.p_high[u])
        amount[high] = np.round(amount[high] * rng.uniform(2.5, 4.0, int(high.sum())), 2)
        accident[high] = "high_amount"
        transfer = np.isin(pay["tx_type"].to_numpy(dtype=object), ["p2p_transfer", "bank_transfer"]) & (pay["dst"].to_numpy() >= 0)
        mistype = legit & ~high & transfer & (rng.random(len(pay)) < self.p_mistype[u])
        dst = pay["dst"].to_numpy().copy()
        original = pay["original_recipient"].to_numpy(dtype=object).copy()
        if mistype.any():
            k = int(mistype.sum())
            wrong = rng.integers(0, world.n["Account"], k)
            wrong = np.where(wrong == dst[mistype], (wrong + 1) % world.n["Account"], wrong)
            original[mistype] = world.take("Account", dst[mistype]).to_numpy(zero_copy_only=False)
            dst[mistype] = wrong
            accident[mistype] = "mistyped_recipient"
        pay = pay.assign(amount=amount, dst=dst, accident=pd.Series(accident, index=pay.index, dtype=object),
                         original_recipient=pd.Series(original, index=pay.index, dtype=object))
        burst = legit & ~high & ~mistype & (rng.random(len(pay)) < self.p_burst[u])
        if burst.any():
            src_rows = np.flatnonzero(burst)
            extra = rng.integers(1, 4, len(src_rows))
            rows = np.repeat(src_rows, extra)
            dup = pay.iloc[rows].reset_index(drop=True)
            step = np.arange(len(rows)) - np.repeat(np.cumsum(extra) - extra, extra) + 1
            # seconds apart, on the same day as the original
            dup["time"] = np.minimum(dup["time"].to_numpy() + step * rng.integers(1, 20, len(rows)),
                                     dup["time"].to_numpy() - dup["time"].to_numpy() % DAY + DAY - 1)
            dup["accident"] = "burst"
            pay = pd.concat([pay, dup], ignore_index=True)
        return pay

    # -- rendering all payments of the day ---------------------------------------------------
    def render(self, day: Day, pay: pd.DataFrame, outcome: Outcome, tx_ids: pa.Array, features: pa.Table,
               rng: np.random.Generator) -> list[pa.Table]:
        """transaction-initiated / -flagged / -completed / -failed for every payment of the day, and
        transaction-returned for the day's returns."""
        back = pay["posting"].to_numpy() == FORCED
        if back.any():
            rows, keep = pa.array(np.flatnonzero(back)), np.flatnonzero(~back)
            returned = self._render_returns(pay.iloc[rows.to_numpy()].reset_index(drop=True))
            pay = pay.iloc[keep].reset_index(drop=True)
            outcome = outcome.take(keep)
            return returned + (self.render(day, pay, outcome, tx_ids.take(pa.array(keep)), features, rng) if len(keep) else [])
        world = self.ctx.world
        n = len(pay)
        time = pay["time"].to_numpy()
        src, dst = pay["src"].to_numpy(), pay["dst"].to_numpy()
        user = pay["user"].to_numpy()
        device, ip = pay["device"].to_numpy(), pay["ip"].to_numpy()
        home = np.where(user >= 0, self.ctx.trips.located(user, time, world.home_ip[np.maximum(user, 0)]), -1)
        geo_ip = np.where(ip >= 0, ip, home)      # in-store payments: where the payer is
        user_ids = world.take("Person", user)
        src_ids, dst_ids = world.take("Account", src), world.take("Account", dst)
        currency = pc.coalesce(world.account_currency.take(pa.array(np.maximum(src, 0))),
                               pa.scalar("USD", pa.large_string()))
        currency = pc.if_else(pa.array(src >= 0), currency,
                              world.account_currency.take(pa.array(np.maximum(dst, 0))) if world.n["Account"] else currency)
        pattern = strings(pay["pattern_id"])
        corr = pay["corr"].to_numpy()
        tx = env.text(tx_ids, safe=True)
        amount = pay["amount"].to_numpy()

        def endpoint(kind_col, ref_col, ids):
            kind = strings(pay[kind_col])
            ref = strings(pay[ref_col])
            return env.nested([("type", env.text(kind, safe=True)), ("identifier", env.text(pc.coalesce(ref, ids), safe=True))])

        lat = np.where(geo_ip >= 0, world.ip_lat[np.maximum(geo_ip, 0)], np.nan)
        lon = np.where(geo_ip >= 0, world.ip_lon[np.maximum(geo_ip, 0)], np.nan)
        geo = env.nested([
            ("latitude", env.fixed(np.nan_to_num(lat), 4)), ("longitude", env.fixed(np.nan_to_num(lon), 4)),
            ("city", env.text(world.ip_city.take(pa.array(np.maximum(geo_ip, 0))))),
            ("country", env.text(world.ip_country.take(pa.array(np.maximum(geo_ip, 0))), safe=True)),
        ])
        geo = env.Json(pc.if_else(pa.array(geo_ip >= 0), geo.text, pa.scalar("null", pa.large_string())))
        initiated = env.json_object([
            ("transaction_id", tx),
            ("user_id", env.text(user_ids, safe=True)),
            ("account_id", env.text(_paying_account(src_ids, pay), safe=True)),
            ("counterparty_account_id", env.text(dst_ids, safe=True)),
            ("type", env.text(strings(pay["tx_type"]), safe=True)),
            ("amount", env.money(amount)),
            ("currency", env.text(currency, safe=True)),
            ("source", endpoint("src_kind", "src_ref", src_ids)),
            ("destination", endpoint("dst_kind", "dst_ref", dst_ids)),
            ("initiated_at", env.text(env.iso_seconds(time), safe=True)),
            ("ip_address", env.text(pc.if_else(pa.array(ip >= 0), world.ip_address.take(pa.array(np.maximum(ip, 0))),
                                               pa.scalar(None, pa.large_string())), safe=True)),
            ("device_id", env.text(world.take("Device", device), safe=True)),
            ("geo_location", geo),
        ])
        extra = dict(person=user_ids, pattern_id=pattern)
        out = [make_events("transaction-initiated", time, corr, initiated,
                           accident=strings(pay["accident"]),
                           original_recipient=strings(pay["original_recipient"]),
                           **extra)]

        # risk engine: features of the moment, no ground truth
        order = pc.index_in(tx_ids, value_set=features["transaction_id"]).to_numpy()
        f = {name: features[name].to_numpy(zero_copy_only=False)[order] for name in
             ("velocity_24h", "amount_to_avg_30d", "distinct_devices_7d", "distinct_ips_7d", "off_hours")}
        risky_ip = np.isin(np.where(ip >= 0, world.ip_kind[np.maximum(ip, 0)], ""), ["vpn", "hosting"])
        ratio = np.nan_to_num(f["amount_to_avg_30d"], nan=1.0)
        logit = (-4.2 + 1.1 * np.log(np.maximum(ratio, 1e-3)) + 0.25 * np.minimum(f["velocity_24h"], 10)
                 + 0.7 * (f["distinct_devices_7d"] > 1) + 0.4 * (f["distinct_ips_7d"] > 2)
                 + 0.6 * f["off_hours"] + 1.2 * risky_ip + 0.6 * (amount > 5_000) + rng.normal(0, 0.6, n))
        score = 1 / (1 + np.exp(-logit))
        flagged = score >= self.ctx.config.transactions.flag_threshold
        ok = outcome.ok
        if flagged.any():
            idx = np.flatnonzero(flagged)
            action = np.where(score[idx] >= 0.95, "hold", "review")
            payload = env.json_object([
                ("transaction_id", env.text(tx_ids.take(pa.array(idx)), safe=True)),
                ("risk_score", env.fixed(score[idx], 3)),
                ("action", env.text(pa.array(action, pa.large_string()), safe=True)),
                ("model_version", env.constant('"risk-2.3"', len(idx))),
            ])
            out.append(make_events("transaction-flagged", time[idx] + 1, corr[idx], payload,
                                   person=user_ids.take(pa.array(idx)), pattern_id=pattern.take(pa.array(idx))))
        hold = np.where(flagged & (score >= 0.95), HOUR * (1 + rng.integers(0, 6, n)), 0)
        delay = 2 + rng.exponential(self.cfg.completion_seconds_mean, n).astype(np.int64) + hold
        done = np.flatnonzero(ok)
        if len(done):
            idx = pa.array(done)
            payload = env.json_object([
                ("transaction_id", env.text(tx_ids.take(idx), safe=True)),
                ("status", env.constant('"completed"', len(done))),
                ("amount", env.money(amount[done])),
                ("currency", env.text(currency.take(idx), safe=True)),
                ("balance_after", env.Json(_quoted_or_null(np.nan_to_num(outcome.balance_after[done]), src[done] >= 0))),
                ("completed_at", env.text(env.iso_seconds(time[done] + delay[done]), safe=True)),
            ])
            out.append(make_events("transaction-completed", time[done] + delay[done], corr[done], payload,
                                   person=user_ids.take(idx), pattern_id=pattern.take(idx)))
        failed = np.flatnonzero(~ok)
        if len(failed):
            idx = pa.array(failed)
            code = outcome.reason[failed].astype(object)
            payload = env.json_object([
                ("transaction_id", env.text(tx_ids.take(idx), safe=True)),
                ("error_code", env.text(pa.array(code, pa.large_string()), safe=True)),
                ("error_message", env.text(pa.array([ERROR_MESSAGES[c] for c in np.unique(code)], pa.large_string())
                                           .take(pa.array(np.searchsorted(np.unique(code), code))), safe=True)),
                ("retry_eligible", env.boolean(np.isin(code, RETRY_ELIGIBLE))),
            ])
            out.append(make_events("transaction-failed", time[failed] + 1 + rng.integers(0, 5, len(failed)),
                                   corr[failed], payload, person=user_ids.take(idx), pattern_id=pattern.take(idx)))
        return out


    def _render_returns(self, back: pd.DataFrame) -> list[pa.Table]:
        """``transaction-returned`` for reversals booked today (see :mod:`fraudgraph.timeline.returns`): the payer and
        payee are the returned payment's, the reversal's destination and source."""
        world = self.ctx.world
        time = back["time"].to_numpy()
        payer, payee = back["dst"].to_numpy(), back["src"].to_numpy()
        payer_ids = world.take("Account", payer)
        outside = (payer < 0) & (back["dst_kind"].to_numpy(object) == "account") & back["dst_ref"].notna().to_numpy()
        if outside.any():  # a salary paid in from another shard: the payer's id as transaction-initiated gave it
            payer_ids = pc.if_else(pa.array(outside), strings(back["dst_ref"]), payer_ids)
        payee_ids = world.take("Account", payee)
        either = np.where(payer >= 0, payer, np.maximum(payee, 0))
        currency = world.account_currency.take(pa.array(either)) if world.n["Account"] else strings(np.full(len(back), "USD", object))
        code = back["return_code"].to_numpy(dtype=object)
        payload = env.json_object([
            ("transaction_id", env.text(strings(back["reverses"]), safe=True)),
            ("account_id", env.text(payer_ids, safe=True)),
            ("counterparty_account_id", env.text(payee_ids, safe=True)),
            ("amount", env.money(back["amount"].to_numpy())),
            ("currency", env.text(currency, safe=True)),
            ("return_code", env.text(strings(code), safe=True)),
            ("return_reason", env.text(strings(pd.Series(code).map(RETURN_REASONS).to_numpy(dtype=object)), safe=True)),
            ("returned_at", env.text(env.iso_seconds(time), safe=True)),
        ])
        user = back["user"].to_numpy()
        return [make_events("transaction-returned", time, back["corr"].to_numpy(), payload,
                            person=world.take("Person", user), pattern_id=strings(back["pattern_id"]))]


def _quoted_or_null(values: np.ndarray, present: np.ndarray) -> pa.Array:
    text = env.money(values).text
    return pc.if_else(pa.array(present), text, pa.scalar("null", pa.large_string()))


def _paying_account(src_ids: pa.Array, pay: pd.DataFrame) -> pa.Array:
    """The debited account's id: this world's, or for a salary paid in from another shard its ``src_ref``."""
    outside = (pay["src"].to_numpy() < 0) & (pay["src_kind"].to_numpy(object) == "account") & pay["src_ref"].notna().to_numpy()
    if not outside.any():
        return src_ids
    return pc.if_else(pa.array(outside), strings(pay["src_ref"]), src_ids)
