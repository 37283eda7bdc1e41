"""Money mules: layering illicit funds through accounts that pass most of what they receive on, fast.

Fraud: one of six layering shapes (as in IBM's AMLworld and the AML literature)

* ``fan_in``: several placement accounts pay one mule, which forwards to a collector;
* ``fan_out``: one placement account pays a mule, which splits the money over several beneficiaries;
* ``scatter_gather``: one placement account pays several mules, which all forward to one collector;
* ``gather_scatter``: several placement accounts pay one mule, which splits it over several beneficiaries;
* ``stack``: a chain, placement -> mule -> mule -> ... -> collector;
* ``cycle``: placement -> mule -> ... -> mule -> back to the placement account (round-tripping).

Every mule forwards 90-98 % of what it receives (it keeps a commission) after holding the money
for hours to two days; a scheme runs one to three rounds, days to weeks apart. Mules are ordinary
persons (recruited first among the central member's acquaintances, as mule herders do) or, as
``synthetic_share`` says, synthetic identities onboarded weeks before the first round. Every
money edge keeps the population's rules: ``p2p`` between persons who know each other (a friends
tie is added where they did not), ``household`` between persons who share a home.

Decoys: legitimate shapes of the same degree and rhythm

* ``payroll_fan_out``: a business receives a client payment and pays part of its staff days later;
* ``crew_payout``: a self-employed person is paid by a client and pays a crew of helpers;
* ``landlord_fan_in``: tenants pay one landlord monthly; most of it moves on to savings or a mortgage;
* ``family_remittance``: relatives forwarding a monthly remittance down a chain;
* ``group_collection``: friends chip in to an organiser, who pays the trip or the gift.

This module also holds the private helpers that the structuring and bust-out injectors share
(:class:`_Ledger`, :func:`_summarise`, :func:`_onboard`, :func:`_scheduled_instance`).
"""

from __future__ import annotations

import itertools
import weakref

import numpy as np
import pandas as pd
from fraudgraph.patterns.base import (
    Injector,
    InjectorConfig,
    PatternInstance,
    make_schedule,
)
from fraudgraph.patterns.toolkit import (
    Toolkit,
    blend,
    monthly_rate,
    to_datetime,
    to_seconds,
)
from pydantic import Field, field_validator

from fraudgraph import schema
from fraudgraph.config import check_weights
from fraudgraph.graph import isin
from fraudgraph.units import DAY, HOUR, MONTH

KEY = ("Account", "TRANSFERS_TO", "Account")
EDGE = schema.stem("Account", "TRANSFERS_TO", "Account")
PAYS = ("Account", "PAYS", "Company")
PAYS_EDGE = schema.stem("Account", "PAYS", "Company")
KNOWS = ("Person", "KNOWS", "Person")
WORKS_AT = ("Person", "WORKS_AT", "Company")
C_OWNS = ("Company", "OWNS", "Account")
EVERYDAY = ("checking", "wallet", "savings")

VARIANTS = ("fan_in", "fan_out", "scatter_gather", "gather_scatter", "stack", "cycle")
DECOY_VARIANTS = ("payroll_fan_out", "crew_payout", "landlord_fan_in", "family_remittance", "group_collection")


class MoneyMuleConfig(InjectorConfig):
    variants: dict[str, float] = Field(default_factory=lambda: {v: 1.0 for v in VARIANTS},
                                       description="Relative weight of each layering shape (fan_in, fan_out, scatter_gather, gather_scatter, stack, cycle).")
    min_width: int = Field(3, ge=2, le=20, description="Fewest placement accounts, mules or beneficiaries in a fan.")
    max_width: int = Field(6, ge=2, le=20, description="Most placement accounts, mules or beneficiaries in a fan.")
    min_chain: int = Field(2, ge=1, le=20, description="Fewest mules in a stack or cycle.")
    max_chain: int = Field(4, ge=1, le=20, description="Most mules in a stack or cycle.")
    min_rounds: int = Field(1, ge=1, le=50, description="Fewest rounds of the scheme.")
    max_rounds: int = Field(3, ge=1, le=50, description="Most rounds of the scheme.")
    min_pass_through: float = Field(0.90, gt=0.0, le=1.0, description="Lowest share of what a mule receives that it forwards.")
    max_pass_through: float = Field(0.98, gt=0.0, le=1.0, description="Highest share of what a mule receives that it forwards.")
    min_holding_hours: float = Field(1.0, ge=0.0, le=720.0, description="Shortest time a mule holds the money.")
    max_holding_hours: float = Field(48.0, ge=0.0, le=720.0, description="Longest time a mule holds the money.")
    synthetic_share: float = Field(0.2, ge=0.0, le=1.0, description="Chance that a mule is a synthetic identity rather than a recruited person.")

    @field_validator("variants")
    @classmethod
    def _known_variants(cls, v):
        return check_weights(v, VARIANTS)


class MoneyMule(Injector):
    name = "money_mule"
    config_model = MoneyMuleConfig
    persons_per_instance = 6.0

    # -- fraud -------------------------------------------------------------------------------
    def inject(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        led = _Ledger(kit)
        plans = [self._plan(kit, led, config, variant) for variant in _balanced(rng, config.variants, count)]
        plans = [p for p in plans if p is not None]
        # synthetic mules of every instance are onboarded together (it is the costly part)
        wanted = [(p, m) for p in plans for m in p["synthetic"]]
        if wanted:
            created = [p["created"][m] for p, m in wanted]
            people, accounts = _onboard(kit, led, created, [p["city"] for p, _ in wanted], ("checking",))
            for (p, m), person, acc in zip(wanted, people, accounts):
                p["person_of"][m], p["account_of"][m] = person, acc[0]
        out = [self._finish(led, p) for p in plans]
        led.flush()
        return out

    def _plan(self, kit: Toolkit, led: _Ledger, cfg: MoneyMuleConfig, variant: str) -> dict | None:
        """Shape, timing, amounts and ordinary members of one instance (synthetic mules still to make)."""
        rng, ctx = kit.rng, kit.ctx
        knobs = ctx.knobs
        width = lambda: int(rng.integers(cfg.min_width, cfg.max_width + 1))
        if variant in ("fan_in", "fan_out"):
            n_s, n_m, n_c = (width(), 1, 1) if variant == "fan_in" else (1, 1, width())
        elif variant == "scatter_gather":
            n_s, n_m, n_c = 1, width(), 1
        elif variant == "gather_scatter":
            n_s, n_m, n_c = max(2, width() - 1), 1, max(2, width() - 1)
        else:
            n_s, n_m, n_c = 1, int(rng.integers(cfg.min_chain, cfg.max_chain + 1)), (1 if variant == "stack" else 0)
        n = n_s + n_m + n_c
        # slots: sources 0..n_s-1, mules next, collectors last
        S = list(range(n_s))
        M = list(range(n_s, n_s + n_m))
        C = list(range(n_s + n_m, n))

        # the scheme in relative time, round after round
        rounds = int(rng.integers(cfg.min_rounds, cfg.max_rounds + 1))
        span = ctx.end - ctx.start
        events: list[tuple[int, int, int, float, str]] = []
        t0 = 0
        ratio_log: list[float] = []
        done = 0
        for r in range(rounds):
            log: list[float] = []
            ev = self._round(kit, led, cfg, variant, S, M, C, t0, log)
            last = max(e[0] for e in ev)
            if last > span - 2 * HOUR and r > 0:
                break
            events += ev
            ratio_log += log
            done += 1
            t0 = last + int(rng.uniform(2, 4 + 20 * knobs.timing_spread) * DAY)
        length = max(e[0] for e in events) + HOUR
        if length > span - HOUR:
            return None
        start = ctx.start + int(kit.fraction(ctx.start, ctx.end - length - HOUR, length=length) * (span - length - HOUR))

        # who: one acquaintance circle around the central member, mules maybe synthetic
        centre = M[0]
        synthetic = [m for m in M if rng.random() < cfg.synthetic_share and start - ctx.start >= 10 * DAY]
        ordinary = [i for i in range(n) if i not in synthetic]
        people, accounts = led.circle(len(ordinary), EVERYDAY, before=start)
        if len(people) < len(ordinary):
            return None
        order = [centre] + [i for i in ordinary if i != centre] if centre in ordinary else ordinary
        person_of: dict[int, str] = dict(zip(order, people))
        account_of: dict[int, str] = dict(zip(order, accounts))

        times = np.array([start + e[0] for e in events], dtype=np.int64)
        src_slot = [e[1] for e in events]
        dst_slot = [e[2] for e in events]
        # money on an existing edge never predates it: move the scheme later if needed
        shift = led.needed_shift(KEY, [(account_of.get(s), account_of.get(d), t) for s, d, t in zip(src_slot, dst_slot, times)])
        if shift:
            if times.max() + shift >= ctx.end - HOUR:
                return None
            times += shift
            start += shift
        first_use = {m: int(min(t for t, s, d in zip(times, src_slot, dst_slot) if m in (s, d))) for m in synthetic}
        room = {m: max(first_use[m] - 7 * DAY - ctx.start, 1) for m in synthetic}
        created = {m: ctx.start + int(kit.fraction(ctx.start, ctx.start + room[m]) * room[m]) for m in synthetic}
        return {"variant": variant, "S": S, "M": M, "C": C, "n": n, "start": start, "times": times, "events": events,
                "src_slot": src_slot, "dst_slot": dst_slot, "person_of": person_of, "account_of": account_of,
                "synthetic": synthetic, "created": created, "city": led.city(people[0]) if people else "",
                "rounds": done, "ratios": ratio_log}

    def _finish(self, led: _Ledger, p: dict) -> PatternInstance:
        """The instance of a plan whose members all exist: schedule, edges (linked at the flush), truth."""
        S, M, C, n, variant = p["S"], p["M"], p["C"], p["n"], p["variant"]
        person_of, account_of, events, times = p["person_of"], p["account_of"], p["events"], p["times"]
        amounts = np.array([e[3] for e in events])
        stages = [e[4] for e in events]
        src = np.array([account_of[s] for s in p["src_slot"]], dtype=object)
        dst = np.array([account_of[d] for d in p["dst_slot"]], dtype=object)
        start, end = p["start"], int(times.max()) + 1
        sched = make_schedule(times, "transfer", EDGE, src, dst, amounts, detail=np.array(stages, dtype=object))

        role_of = {**{s: "placer" for s in S}, **{m: "mule" for m in M}, **{c: "collector" for c in C}}
        acc_role = {"placer": "source_account", "mule": "mule_account", "collector": "collector_account"}
        if variant == "cycle":
            role_of[S[0]] = "originator"
            acc_role["originator"] = "originator_account"
        members = [("Person", person_of[i], role_of[i]) for i in range(n)]
        members += [("Account", account_of[i], acc_role[role_of[i]]) for i in range(n)]
        pairs = sched.drop_duplicates(["src", "dst"])
        edges = [(KEY, s, d, stage) for s, d, stage in zip(pairs["src"], pairs["dst"], pairs["detail"])]
        inst = PatternInstance(
            typology=self.name, is_fraud=True, start=start, end=end, members=members, edges=edges, schedule=sched,
            variant=variant,
            parameters={"variant": variant, "sources": len(S), "mules": len(M), "collectors": len(C), "rounds": p["rounds"],
                        "synthetic_mules": len(p["synthetic"]), "synthetic_persons": [person_of[m] for m in p["synthetic"]],
                        "placed": round(float(amounts[[st == "placement" for st in stages]].sum()), 2),
                        "pass_through": [round(x, 4) for x in p["ratios"]]},
        )
        led.link_transfers(sched, instance=inst)
        return inst

    def _round(self, kit, led, cfg, variant, S, M, C, t0, ratio_log):
        """One round of ``variant`` starting at relative time ``t0``: (time, src slot, dst slot, amount, stage)."""
        rng = kit.rng
        knobs = kit.ctx.knobs
        lo, hi = cfg.min_pass_through, cfg.max_pass_through
        margin = min(0.002, (hi - lo) / 4)

        def ratio() -> float:
            r = float(rng.uniform(lo + margin, hi - margin)) if hi - lo > 2 * margin else (lo + hi) / 2
            ratio_log.append(round(r, 4))
            return r

        def hold(k: int = 1) -> np.ndarray:
            h_lo, h_hi = cfg.min_holding_hours, cfg.max_holding_hours
            top = h_lo + (h_hi - h_lo) * (0.3 + 0.7 * knobs.timing_spread)
            return (rng.uniform(h_lo, top, k) * HOUR).astype(np.int64)

        def arrivals(k: int) -> np.ndarray:
            return kit.times(k, t0, t0 + 24 * HOUR) if k > 1 else np.array([t0], dtype=np.int64)

        def split(total: float, k: int) -> np.ndarray:
            w = rng.dirichlet(np.full(k, 4.0))
            parts = np.round(total * w, 2)
            parts[-1] = round(total - parts[:-1].sum(), 2)
            return parts

        unit = _mule_amount(kit, led, knobs.amount_blending)
        ev = []
        if variant in ("fan_in", "gather_scatter"):
            m = M[0]
            arr = arrivals(len(S))
            amts = np.array([_placement(rng, unit * rng.uniform(0.6, 1.4), knobs.amount_blending) for _ in S])
            ev += [(int(t), s, m, float(a), "placement") for t, s, a in zip(arr, S, amts)]
            forward = round(float(amts.sum()) * ratio(), 2)
            last = int(arr.max())
            if variant == "fan_in":
                ev.append((last + int(hold()[0]), m, C[0], forward, "integration"))
            else:
                ev += [(last + int(h), m, c, float(a), "integration") for c, a, h in zip(C, split(forward, len(C)), hold(len(C)))]
        elif variant == "fan_out":
            m = M[0]
            total = _placement(rng, unit * len(C) * rng.uniform(0.8, 1.2), knobs.amount_blending)
            ev.append((t0, S[0], m, total, "placement"))
            forward = round(total * ratio(), 2)
            ev += [(t0 + int(h), m, c, float(a), "integration") for c, a, h in zip(C, split(forward, len(C)), hold(len(C)))]
        elif variant == "scatter_gather":
            arr = arrivals(len(M))
            for m, t in zip(M, arr):
                a = _placement(rng, unit * rng.uniform(0.6, 1.4), knobs.amount_blending)
                ev.append((int(t), S[0], m, a, "placement"))
                ev.append((int(t) + int(hold()[0]), m, C[0], round(a * ratio(), 2), "integration"))
        else:  # stack and cycle: a chain of mules
            chain = [S[0]] + M + (C if variant == "stack" else [S[0]])
            amount = _placement(rng, unit * rng.uniform(1.5, 3.0), knobs.amount_blending)
            t = t0
            for i, (a, b) in enumerate(itertools.pairwise(chain)):
                stage = "placement" if i == 0 else ("integration" if i == len(chain) - 2 else "layering")
                ev.append((t, a, b, amount, stage))
                amount = round(amount * ratio(), 2)
                t += int(hold()[0])
        return ev

    # -- decoys ------------------------------------------------------------------------------
    def inject_decoys(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        led = _Ledger(kit)
        out = []
        build = {"payroll_fan_out": self._payroll, "crew_payout": self._crew, "landlord_fan_in": self._landlord,
                 "family_remittance": self._remittance, "group_collection": self._collection}
        for variant in _balanced(rng, {v: 1.0 for v in DECOY_VARIANTS}, count):
            inst = build[variant](kit, led)
            if inst is None and variant == "payroll_fan_out":
                variant, inst = "crew_payout", self._crew(kit, led)
            if inst is not None:
                inst.variant = variant
                inst.parameters["decoy_of"] = self.name
                out.append(inst)
        led.flush()
        return out

    def _payroll(self, kit: Toolkit, led: _Ledger) -> PatternInstance | None:
        """A business pays part of its staff (a team, or its commission run) soon after a client pays it."""
        rng, ctx = kit.rng, kit.ctx
        g = kit.graph
        works = g.edges[WORKS_AT]
        owns = g.edges[C_OWNS]
        if not len(works) or not len(owns):
            return None
        biz_of = owns.drop_duplicates("src").set_index("src")["dst"]
        staff = works.groupby("dst")["src"].agg(list)
        ok = [c for c in staff.index if c in biz_of.index and c not in ctx.used_companies and len(staff[c]) >= 3]
        if not ok:
            return None
        company = ok[int(rng.integers(0, len(ok)))]
        biz = biz_of[company]
        transfers = g.edges[KEY]
        out_rows = transfers[(transfers["src"] == biz).to_numpy()]
        payroll = out_rows[out_rows["kind"] == "payroll"]
        paid_acc = {led.owner(a): (a, amt, since) for a, amt, since in
                    zip(payroll["dst"], payroll["typical_amount"], to_seconds(payroll["since"]))}
        employees = [e for e in staff[company] if e in paid_acc]  # salaries flow on existing payroll edges only
        employees = [employees[i] for i in rng.permutation(len(employees))]
        free = [e for e in employees if e not in ctx.used_persons]
        k = int(rng.integers(3, 7))
        team = np.array((free + [e for e in employees if e in ctx.used_persons])[:k], dtype=object)
        if team.size < 3:
            return None
        accounts = [paid_acc[e][0] for e in team]
        salary = np.array([float(paid_acc[e][1]) for e in team])
        ctx.used_companies.add(company)
        ctx.used_persons.update(team.tolist())
        clients = transfers[(transfers["dst"] == biz).to_numpy() & (transfers["kind"] == "supplier").to_numpy()]
        client = clients.iloc[int(rng.integers(0, len(clients)))] if len(clients) else None
        step = 14 * DAY if rng.random() < 0.7 else MONTH
        first = ctx.start + int(rng.uniform(2, 14) * DAY)
        paydays = np.arange(first, ctx.end - DAY, step)
        times, src, dst, amounts, stages = [], [], [], [], []
        for day in paydays:
            t = day + int(rng.uniform(13, 17) * HOUR)
            pay = np.round(salary * rng.uniform(0.98, 1.02, salary.size), 2)
            if client is not None:
                times.append(t - int(rng.uniform(6, 60) * HOUR))
                src.append(client["src"])
                dst.append(biz)
                amounts.append(round(float(pay.sum()) / rng.uniform(0.80, 0.99), 2))
                stages.append("client_payment")
            times += [t + int(x) for x in rng.integers(0, 2 * HOUR, salary.size)]
            src += [biz] * salary.size
            dst += accounts
            amounts += pay.tolist()
            stages += ["salary"] * salary.size
        sched = make_schedule(times, "transfer", EDGE, src, dst, amounts, detail=np.array(stages, dtype=object))
        sched = led.after_existing(KEY, sched)
        if sched.empty:
            return None
        start, end = int(sched["time"].min()), int(sched["time"].max()) + 1
        members = [("Company", company, "employer"), ("Account", biz, "payroll_account")]
        members += [("Person", p, "employee") for p in team] + [("Account", a, "salary_account") for a in accounts]
        if client is not None:
            members.append(("Account", client["src"], "client_account"))
        return _scheduled_instance(led, self.name, sched, members, start, end,
                      {"employees": int(team.size), "paydays": int(paydays.size), "every_days": int(step // DAY),
                       "client": client is not None},
                      kind=np.where(sched["detail"] == "client_payment", "supplier", "payroll"))

    def _crew(self, kit: Toolkit, led: _Ledger) -> PatternInstance | None:
        """A self-employed person (contractor, caterer, mover) is paid by a client and pays a crew days later."""
        rng, ctx = kit.rng, kit.ctx
        k = int(rng.integers(3, 7))
        people, accounts = led.circle(k + 2, EVERYDAY)
        if len(people) < k + 2:
            return None
        boss, crew, client = 0, list(range(1, k + 1)), k + 1
        jobs = int(rng.integers(1, 4))
        times, src, dst, amounts, stages = [], [], [], [], []
        t = ctx.start + int(rng.uniform(0, 20) * DAY)
        for _ in range(jobs):
            if t > ctx.end - 5 * DAY:
                break
            fee = float(np.round(_mule_amount(kit, led, kit.ctx.knobs.amount_blending) * k * rng.uniform(0.8, 1.3), 2))
            times.append(t)
            src.append(accounts[client])
            dst.append(accounts[boss])
            amounts.append(fee)
            stages.append("client_payment")
            wages = np.round(fee * rng.uniform(0.6, 0.95) * rng.dirichlet(np.full(k, 4.0)), 2)
            times += (t + (rng.uniform(3, 60, k) * HOUR).astype(np.int64)).tolist()
            src += [accounts[boss]] * k
            dst += [accounts[c] for c in crew]
            amounts += wages.tolist()
            stages += ["wage"] * k
            t += int(rng.uniform(10, 40) * DAY)
        if not times:
            return None
        sched = led.after_existing(KEY, make_schedule(times, "transfer", EDGE, src, dst, amounts,
                                                     detail=np.array(stages, dtype=object)))
        if sched.empty:
            return None
        start, end = int(sched["time"].min()), int(sched["time"].max()) + 1
        members = [("Person", people[boss], "contractor"), ("Account", accounts[boss], "business_takings")]
        members += [("Person", people[c], "crew") for c in crew] + [("Account", accounts[c], "wage_account") for c in crew]
        members += [("Person", people[client], "client"), ("Account", accounts[client], "client_account")]
        return _scheduled_instance(led, self.name, sched, members, start, end, {"crew": k, "jobs": jobs})

    def _landlord(self, kit: Toolkit, led: _Ledger) -> PatternInstance | None:
        """Tenants pay a landlord monthly; the landlord moves most of it to savings or pays the mortgage."""
        rng, ctx = kit.rng, kit.ctx
        k = int(rng.integers(3, 7))
        people, accounts = led.circle(k + 1, EVERYDAY, centre_types=("checking",))
        if len(people) < k + 1:
            return None
        landlord, tenants = people[0], people[1:]
        home_acc = accounts[0]
        savings = kit.account_of([landlord], ("savings",))[0]
        mortgage = None if savings is not None else led.merchants(("real_estate", "finance"), led.city(landlord), 1)
        if savings is None and not mortgage:
            return None
        rent = np.maximum(np.round(1_300 * np.exp(rng.normal(0, 0.35, k)) / 25) * 25, 400.0)
        times, src, dst, amounts, stages = [], [], [], [], []
        pay_times, pay_amounts = [], []
        month0 = ctx.start - (ctx.start % MONTH)
        due = int(rng.integers(0, 5))
        for m0 in range(month0, ctx.end, MONTH):
            paid = m0 + (due + rng.uniform(-1, 3, k)) * DAY + rng.uniform(8, 20, k) * HOUR
            ok = (paid >= ctx.start) & (paid < ctx.end - 4 * DAY)
            if not ok.any():
                continue
            times += paid[ok].astype(np.int64).tolist()
            src += [a for a, o in zip(accounts[1:], ok) if o]
            dst += [home_acc] * int(ok.sum())
            amounts += rent[ok].tolist()
            stages += ["rent"] * int(ok.sum())
            moved = round(float(rent[ok].sum()) * rng.uniform(0.85, 0.98), 2)
            when = int(paid[ok].max() + rng.uniform(6, 72) * HOUR)
            if savings is not None:
                times.append(when)
                src.append(home_acc)
                dst.append(savings)
                amounts.append(moved)
                stages.append("to_savings")
            else:
                pay_times.append(when)
                pay_amounts.append(moved)
        if not times:
            return None
        sched = led.after_existing(KEY, make_schedule(times, "transfer", EDGE, src, dst, amounts, detail=np.array(stages, dtype=object)))
        if sched.empty:
            return None
        start, end = int(sched["time"].min()), int(sched["time"].max()) + 1
        members = [("Person", landlord, "landlord"), ("Account", home_acc, "rent_account")]
        members += [("Person", p, "tenant") for p in tenants] + [("Account", a, "tenant_account") for a in accounts[1:]]
        if savings is not None:
            members.append(("Account", savings, "savings_account"))
        elif pay_times:
            pays = led.after_existing(PAYS, make_schedule(pay_times, "bill_payment", PAYS_EDGE, home_acc, mortgage[0], pay_amounts,
                                                          detail="mortgage"))
            sched = pd.concat([sched, pays], ignore_index=True)
            end = int(sched["time"].max()) + 1
        kinds = np.where(sched["detail"].to_numpy() == "to_savings", "own_accounts", "")
        return _scheduled_instance(led, self.name, sched, members, start, end, {"tenants": k, "to": "savings" if savings else "mortgage"}, kind=kinds)

    def _remittance(self, kit: Toolkit, led: _Ledger) -> PatternInstance | None:
        """A monthly remittance forwarded down a chain of relatives and friends."""
        rng, ctx = kit.rng, kit.ctx
        k = int(rng.integers(3, 5))
        people, accounts = led.chain(k, EVERYDAY)
        if len(people) < k:
            return None
        base = float(np.round(np.exp(rng.normal(np.log(600), 0.5)), 2))
        times, src, dst, amounts, stages = [], [], [], [], []
        t = ctx.start + int(rng.uniform(0, 25) * DAY)
        while t < ctx.end - 5 * DAY:
            amount = round(base * rng.uniform(0.9, 1.1), 2)
            tt = t
            for i in range(k - 1):
                times.append(tt)
                src.append(accounts[i])
                dst.append(accounts[i + 1])
                amounts.append(amount)
                stages.append("remittance" if i == 0 else "forward")
                amount = round(amount * rng.uniform(0.85, 1.0), 2)
                tt += int(rng.uniform(2, 60) * HOUR)
            t += MONTH + int(rng.uniform(-3, 3) * DAY)
        sched = led.after_existing(KEY, make_schedule(times, "transfer", EDGE, src, dst, amounts, detail=np.array(stages, dtype=object)))
        if sched.empty:
            return None
        start, end = int(sched["time"].min()), int(sched["time"].max()) + 1
        members = [("Person", p, "sender" if i == 0 else ("recipient" if i == k - 1 else "relay")) for i, p in enumerate(people)]
        members += [("Account", a, "remittance_account") for a in accounts]
        return _scheduled_instance(led, self.name, sched, members, start, end, {"chain": k, "monthly": base})

    def _collection(self, kit: Toolkit, led: _Ledger) -> PatternInstance | None:
        """Friends chip in to an organiser, who pays a trip, a venue or a gift soon after."""
        rng, ctx = kit.rng, kit.ctx
        k = int(rng.integers(3, 7))
        people, accounts = led.circle(k + 1, ("checking", "wallet"), centre_types=("checking", "wallet"))
        if len(people) < k + 1:
            return None
        shops = led.merchants(("travel", "entertainment", "restaurants", "retail"), led.city(people[0]), 1)
        if not shops:
            return None
        room = max(ctx.end - ctx.start - 10 * DAY, DAY)
        t0 = ctx.start + int(kit.fraction(ctx.start, ctx.start + room, length=4 * DAY) * room)
        share = float(np.round(np.exp(rng.normal(np.log(250), 0.6)), 2))
        arr = kit.times(k, t0, t0 + 4 * DAY)
        amts = np.round(share * rng.uniform(0.95, 1.05, k), 2)
        sched = led.after_existing(KEY, make_schedule(arr, "transfer", EDGE, accounts[1:], accounts[0], amts, detail="contribution"))
        if sched.empty:
            return None
        paid = int(sched["time"].max() + rng.uniform(2, 48) * HOUR)
        pays = make_schedule([paid], "card_payment", PAYS_EDGE, accounts[0], shops[0],
                             [round(float(sched["amount"].sum()) * rng.uniform(0.95, 1.0), 2)], detail="group_purchase")
        start, end = int(sched["time"].min()), paid + 1
        pays = led.after_existing(PAYS, pays)
        members = [("Person", people[0], "organiser"), ("Account", accounts[0], "collecting_account")]
        members += [("Person", p, "contributor") for p in people[1:]] + [("Account", a, "contributor_account") for a in accounts[1:]]
        return _scheduled_instance(led, self.name, pd.concat([sched, pays], ignore_index=True), members, start, end, {"contributors": k})


# -- amounts -------------------------------------------------------------------------------------

def _mule_amount(kit: Toolkit, led: _Ledger, blending: float) -> float:
    """One placement unit: thousands when unblended, a legitimate transfer's size when fully blended
    (blended geometrically, as amounts vary by factors rather than by sums)."""
    rng = kit.rng
    loud = float(np.clip(2_500 * np.exp(rng.normal(0, 0.5)), 800, 9_500))
    pool = led.quiet_amounts()
    quiet = float(pool[rng.integers(0, pool.size)]) if pool.size else loud
    return max(50.0, float(blend(loud, quiet, blending)))


def _placement(rng: np.random.Generator, amount: float, blending: float) -> float:
    """Placements are often round when amounts are unblended."""
    if rng.random() < (1 - blending) ** 2 and amount >= 100:
        return float(np.floor(amount / 50) * 50)
    return round(float(amount), 2)


def _balanced(rng: np.random.Generator, weights: dict[str, float], count: int) -> list[str]:
    """``count`` variant names in proportion to ``weights`` (quotas first, the remainder drawn), shuffled."""
    names = [k for k, w in weights.items() if w > 0]
    if not names or count <= 0:
        return []
    p = np.array([weights[k] for k in names], dtype=float)
    p /= p.sum()
    quota = np.floor(count * p).astype(int)
    rest = count - int(quota.sum())
    if rest:
        quota += np.bincount(rng.choice(len(names), rest, replace=rest > len(names), p=p), minlength=len(names))
    seq = np.repeat(np.array(names, dtype=object), quota)
    return seq[rng.permutation(seq.size)].tolist()


def _scheduled_instance(led: _Ledger, name, sched, members, start, end, parameters, kind=None, is_fraud=False) -> PatternInstance:
    """An instance whose edges are the schedule's (TRANSFERS_TO and PAYS, role = the event detail),
    linked with the ledger's rules (and the KNOWS ties that brings, added to its edges at the flush)."""
    sched = sched.reset_index(drop=True)
    edges = []
    for key, stem in ((KEY, EDGE), (PAYS, PAYS_EDGE)):
        pairs = sched[sched["edge_type"] == stem].drop_duplicates(["src", "dst"])
        edges += [(key, s, d, st) for s, d, st in zip(pairs["src"], pairs["dst"], pairs["detail"])]
    inst = PatternInstance(typology=name, is_fraud=is_fraud, start=int(start), end=int(end), members=members, edges=edges,
                           schedule=sched, parameters=parameters)
    led.link_transfers(sched, kind=kind, instance=inst)
    led.link_payments(sched)
    return inst


def _summarise(sched: pd.DataFrame, ctx) -> pd.DataFrame:
    """One row per (src, dst), in order of appearance: median amount, events per month averaged over
    the simulated span (``toolkit.monthly_rate``), first event."""
    groups: dict[tuple[str, str], list] = {}
    for s, d, t, a in zip(sched["src"].tolist(), sched["dst"].tolist(), sched["time"].tolist(), sched["amount"].tolist()):
        g = groups.setdefault((s, d), [t, []])
        g[0] = min(g[0], t)
        g[1].append(a)
    keys = list(groups)
    return pd.DataFrame({
        "src": np.array([k[0] for k in keys], dtype=object),
        "dst": np.array([k[1] for k in keys], dtype=object),
        "typical_amount": np.maximum(np.round([float(np.median(groups[k][1])) for k in keys], 2), 1.0),
        "monthly_count": np.array([monthly_rate(len(groups[k][1]), ctx) for k in keys], dtype=float),
        "since": np.array([groups[k][0] for k in keys], dtype=np.int64),
    })


# -- helpers the toolkit lacks (shared with structuring and bust_out) ------------------------------

_NEIGHBOURS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


class _Ledger:
    """Per-call bookkeeping: homes, acquaintances, account owners and types, existing edge times.

    Built once per ``inject`` call on top of a :class:`Toolkit`, and kept current for the
    persons and accounts this module creates.
    """

    def __init__(self, kit: Toolkit):
        self.kit = kit
        p = kit.persons()
        ids = p["id"].astype(str).to_numpy(object)
        self._home = dict(zip(ids, (p["address"].astype(str) + "|" + p["city"].astype(str)).tolist()))
        self._city = dict(zip(ids, p["city"].astype(str).tolist()))
        q90 = max(float(p["knows_degree"].quantile(0.9)), 1.0)
        self._ordinary = set(ids[(p["knows_degree"].to_numpy() <= q90) & (p["n_accounts"].to_numpy() > 0)].tolist())
        a = kit.accounts()
        self._owner = dict(zip(a["id"].astype(str).tolist(), a["owner"].tolist()))
        self._type = dict(zip(a["id"].astype(str).tolist(), a["account_type"].astype(str).tolist()))
        kit.holdings()  # built now, so accounts created later are added to it
        self._nb_src = self._nb_dst = None
        self._quiet = None
        # edges are linked in one batch per call (see flush): summaries, ties, and who asked for them
        self._pending: dict[tuple, list[pd.DataFrame]] = {KEY: [], PAYS: []}
        self._pending_ties: list[tuple[list, np.ndarray, PatternInstance | None]] = []

    def quiet_amounts(self) -> np.ndarray:
        """Typical amounts of legitimate p2p and household transfers (what mule edges claim to be)."""
        if self._quiet is None:
            edges = self.kit.graph.edges[KEY]
            self._quiet = edges.loc[edges["kind"].isin(["p2p", "household"]).to_numpy(), "typical_amount"].to_numpy(float)
        return self._quiet

    # lookups
    def city(self, person: str) -> str:
        return self._city.get(person, "")

    def home(self, person: str) -> str:
        return self._home.get(person, person)

    def owner(self, account: str):
        return self._owner.get(account)

    def account_type(self, account: str):
        return self._type.get(account)

    def neighbours(self, person: str) -> list[str]:
        """Acquaintances of ``person`` (KNOWS either way), as they were when first asked for."""
        if self._nb_src is None:
            cached = _NEIGHBOURS.get(self.kit.graph)
            knows = self.kit.graph.edges[KNOWS]
            if cached is None or cached[0] != len(knows):  # the index of ties is built once per graph state
                a_, b_ = knows["src"].to_numpy(dtype=object), knows["dst"].to_numpy(dtype=object)
                src, dst = np.concatenate([a_, b_]), np.concatenate([b_, a_])
                order = np.argsort(src.astype(str), kind="stable")
                cached = (len(knows), src[order], dst[order])
                _NEIGHBOURS[self.kit.graph] = cached
            self._nb_src, self._nb_dst = cached[1], cached[2]
        lo = np.searchsorted(self._nb_src, person, side="left")
        hi = np.searchsorted(self._nb_src, person, side="right")
        return self._nb_dst[lo:hi].tolist()

    def _free(self, person: str) -> bool:
        used = person in self.kit.ctx.used_persons
        return person in self._ordinary and (not used or self.kit.rng.random() < self.kit.ctx.knobs.member_overlap)

    # recruitment
    def circle(self, n: int, types=EVERYDAY, centre_types=None, before: int | None = None) -> tuple[list[str], list[str]]:
        """``n`` ordinary persons with an account of ``types`` opened before ``before`` (default: the
        span's start): a centre (account of ``centre_types``), then its acquaintances, then locals.

        Returns fewer when the world is too small.
        """
        kit = self.kit
        before = kit.ctx.start if before is None else before
        people: list[str] = []
        accounts: list[str] = []
        for _ in range(6):
            seed = kit.recruit_persons(1)
            if not seed.size:
                return people, accounts
            self._extend(people, accounts, seed.tolist(), 1, centre_types or types, before)
            if people:
                break
        if not people:
            return people, accounts
        nbs = [q for q in self.neighbours(people[0]) if self.home(q) != self.home(people[0])]
        nbs = [nbs[i] for i in kit.rng.permutation(len(nbs))]
        take = 1 + int(kit.rng.binomial(n - 2, 0.6)) if n > 2 else n
        self._extend(people, accounts, [q for q in nbs if self._free(q)], take, types, before)
        for city in (self.city(people[0]), None):
            tries = 0
            while len(people) < n and tries < 3:
                more = kit.recruit_persons(n - len(people), city=city, exclude=people)
                if not more.size:
                    break
                self._extend(people, accounts, more.tolist(), n, types, before)
                tries += 1
        return people[:n], accounts[:n]

    def chain(self, n: int, types=EVERYDAY, before: int | None = None) -> tuple[list[str], list[str]]:
        """``n`` persons where each is, where possible, an acquaintance of the one before."""
        kit = self.kit
        before = kit.ctx.start if before is None else before
        people, accounts = self.circle(1, types, before=before)
        while people and len(people) < n:
            nbs = [q for q in self.neighbours(people[-1]) if q not in people and self._free(q)]
            pick = [nbs[i] for i in kit.rng.permutation(len(nbs))]
            size = len(people)
            self._extend(people, accounts, pick, size + 1, types, before)
            if len(people) == size:
                more = kit.recruit_persons(3, city=self.city(people[-1]), exclude=people)
                if not more.size:
                    more = kit.recruit_persons(3, exclude=people)
                if not more.size:
                    break
                self._extend(people, accounts, more.tolist(), size + 1, types, before)
                if len(people) == size:
                    break
        return people, accounts

    def opened(self, account: str) -> int:
        return self.kit.created("Account").get(account, 2**62)

    def _extend(self, people, accounts, candidates, limit, types, before) -> None:
        if not candidates or len(people) >= limit:
            return
        accs = self.kit.account_of(candidates, types)
        for p, a in zip(candidates, accs):
            if len(people) >= limit:
                break
            if a is not None and p not in people and self.opened(a) < before:
                people.append(p)
                accounts.append(a)
                self.kit.ctx.used_persons.add(p)
                self.kit.ctx.used_accounts.add(a)

    def merchants(self, industries, city: str, n: int) -> list[str]:
        """``n`` merchants of ``industries``, local ones first."""
        c = self.kit.snapshot("Company")
        c = c[c["is_merchant"].to_numpy() & c["industry"].isin(list(industries)).to_numpy()]
        if not len(c):
            c = self.kit.snapshot("Company")
            c = c[c["is_merchant"].to_numpy()]
        if not len(c):
            return []
        local = c[c["city"] == city]
        pool = local if len(local) >= n else c
        ids = pool["id"].astype(str).to_numpy(object)
        return ids[self.kit.rng.permutation(ids.size)[:n]].tolist()

    # time constraints of existing edges
    def existing_since(self, key, pairs) -> dict[str, int]:
        """``{"src|dst": since}`` for those of ``pairs`` that already exist as ``key`` edges."""
        known = self.kit.pairs(key)
        hit = {f"{s}|{d}" for s, d in pairs if f"{s}|{d}" in known}
        if not hit:
            return {}
        table = self.kit.graph.edges[key]
        srcs = pd.Series(sorted({h.split("|")[0] for h in hit}), dtype="str")
        rows = table[np.asarray(isin(table["src"], srcs), dtype=bool)]
        from fraudgraph import schema

        tp = schema.edge_type(key).time_property
        keys = (rows["src"].astype(str) + "|" + rows["dst"].astype(str)).tolist()
        return {k: int(t) for k, t in zip(keys, to_seconds(rows[tp])) if k in hit}

    def needed_shift(self, key, triples) -> int:
        """Seconds to move a scheme so no event precedes the existing edge it flows on."""
        triples = [(s, d, int(t)) for s, d, t in triples if s is not None and d is not None]
        since = self.existing_since(key, [(s, d) for s, d, _ in triples])
        gap = [since[f"{s}|{d}"] - t for s, d, t in triples if f"{s}|{d}" in since]
        worst = max(gap, default=0)
        return worst + HOUR if worst > 0 else 0

    def after_existing(self, key, sched: pd.DataFrame) -> pd.DataFrame:
        """``sched`` without the events that would precede the existing edge they flow on, or the
        creation of either endpoint."""
        from fraudgraph import schema

        et = schema.edge_type(key)
        src_t, dst_t = self.kit.created(et.src), self.kit.created(et.dst)
        floor = np.array([max(src_t.get(s, 0), dst_t.get(d, 0)) for s, d in zip(sched["src"], sched["dst"])], dtype=np.int64)
        since = self.existing_since(key, zip(sched["src"], sched["dst"]))
        if since:
            k = (sched["src"].astype(str) + "|" + sched["dst"].astype(str)).to_numpy(object)
            floor = np.maximum(floor, np.array([since.get(x, -1) for x in k], dtype=np.int64))
        return sched[sched["time"].to_numpy() >= floor].reset_index(drop=True)

    # edges
    def link_transfers(self, sched: pd.DataFrame, kind=None, instance: PatternInstance | None = None) -> None:
        """TRANSFERS_TO edges summarising the transfer rows of ``sched``, linked at :meth:`flush`.

        The kind follows the owners: ``household`` at one home, else ``p2p`` between persons who
        know each other (a friends tie is added where they did not; ``instance`` gets the ties that
        were new in its edges). ``kind`` overrides it per row of the schedule (an empty string keeps
        the rule).
        """
        rows = sched[sched["edge_type"] == EDGE]
        if rows.empty:
            return
        if kind is not None:
            forced = pd.Series(np.broadcast_to(np.asarray(kind, dtype=object), (len(sched),)), index=sched.index)[rows.index]
        else:
            forced = pd.Series("", index=rows.index, dtype=object)
        summary = _summarise(rows, self.kit.ctx)
        forced_of = dict(zip(zip(rows["src"], rows["dst"]), forced.to_numpy()))
        kinds, ties, first = [], [], {}
        for s, d, t in zip(summary["src"], summary["dst"], summary["since"]):
            f = forced_of.get((s, d), "")
            if f:
                kinds.append(f)
                continue
            a, b = self.owner(s), self.owner(d)
            if a is not None and b is not None and self.home(a) == self.home(b):
                kinds.append("household")
            else:
                kinds.append("p2p")
                if a is not None and b is not None and a != b:
                    tie = (a, b) if a < b else (b, a)  # as KNOWS stores it: smaller id first
                    first[tie] = min(first.get(tie, t), t)
                    if tie not in ties:
                        ties.append(tie)
        self._pending[KEY].append(summary.assign(kind=np.array(kinds, dtype=object)))
        if ties:
            since = np.array([first[tie] - int(self.kit.rng.uniform(20, 400) * DAY) for tie in ties], dtype=np.int64)
            self._pending_ties.append((ties, since, instance))

    def link_payments(self, sched: pd.DataFrame) -> None:
        """PAYS edges summarising the payment rows of ``sched`` (channel from the account type), linked at :meth:`flush`."""
        rows = sched[sched["edge_type"] == PAYS_EDGE]
        if rows.empty:
            return
        summary = _summarise(rows, self.kit.ctx)
        types = [self.account_type(a) for a in summary["src"]]
        bills = set(rows.loc[rows["detail"].isin(["mortgage", "tuition", "bill"]), "src"])
        channel = ["wallet" if t == "wallet" else ("bank_transfer" if s in bills and t == "checking" else "card")
                   for t, s in zip(types, summary["src"])]
        self._pending[PAYS].append(summary.assign(channel=np.array(channel, dtype=object)))

    def flush(self) -> None:
        """Link every pending edge in one call per type. Where instances share a pair, the earliest
        summary wins, so that no edge postdates money that flows on it."""
        kit = self.kit
        if self._pending_ties:
            a = [t[0] for ties, _, _ in self._pending_ties for t in ties]
            b = [t[1] for ties, _, _ in self._pending_ties for t in ties]
            since = np.concatenate([s for _, s, _ in self._pending_ties])
            new = kit.link(KNOWS, np.array(a, dtype=object), np.array(b, dtype=object), kind="friend", since=to_datetime(since))
            i = 0
            for ties, _, inst in self._pending_ties:
                if inst is not None:
                    inst.edges += [(KNOWS, x, y, "acquaintance") for (x, y), is_new in zip(ties, new[i:i + len(ties)]) if is_new]
                i += len(ties)
        for key, props in ((KEY, ("kind", "typical_amount", "monthly_count")), (PAYS, ("channel", "typical_amount", "monthly_count"))):
            if not self._pending[key]:
                continue
            frame = pd.concat(self._pending[key], ignore_index=True).sort_values("since", kind="stable")
            kit.link(key, frame["src"].to_numpy(object), frame["dst"].to_numpy(object),
                     **{c: frame[c].to_numpy(object if c in ("kind", "channel") else float) for c in props},
                     since=to_datetime(frame["since"].to_numpy(np.int64)))
        self._pending = {KEY: [], PAYS: []}
        self._pending_ties = []

    def payments_of(self, account: str) -> pd.DataFrame:
        """The PAYS edges of ``account`` as they were when first asked for."""
        if not hasattr(self, "_pays"):
            pays = self.kit.graph.edges[PAYS]
            src = pays["src"].astype(str).to_numpy(object)
            order = np.argsort(src, kind="stable")
            self._pays, self._pays_src = pays.iloc[order].reset_index(drop=True), src[order]
        lo = np.searchsorted(self._pays_src, account, side="left")
        hi = np.searchsorted(self._pays_src, account, side="right")
        return self._pays.iloc[lo:hi]

    def recruit_account(self, account_type: str, opened_before: int) -> str | None:
        """An ordinary active person-owned account of ``account_type`` opened before ``opened_before``,
        not yet recruited (unless ``member_overlap`` allows); like ``Toolkit.recruit_accounts(1, ...)``
        but drawn from a pool shuffled once, so that recruiting one at a time stays cheap."""
        kit = self.kit
        pools = self.__dict__.setdefault("_pools", {})
        if account_type not in pools:
            a = kit.accounts()
            mask = (a["account_type"] == account_type).to_numpy() & a["owner"].notna().to_numpy() & (a["status"] == "active").to_numpy()
            ids = a["id"].astype(str).to_numpy(object)[mask]
            pools[account_type] = [ids[kit.rng.permutation(ids.size)].tolist(), 0]
        pool = pools[account_type]
        used_a, used_p, overlap = kit.ctx.used_accounts, kit.ctx.used_persons, kit.ctx.knobs.member_overlap
        while pool[1] < len(pool[0]):
            acc = pool[0][pool[1]]
            pool[1] += 1
            owner = self.owner(acc)
            if self.opened(acc) >= opened_before:
                continue
            if (acc in used_a or owner in used_p) and kit.rng.random() >= overlap:
                continue
            used_a.add(acc)
            used_p.add(owner)
            return acc
        return None

    def credit_limit(self, account: str) -> float:
        limits = self.__dict__.get("_limits")
        if limits is None or account not in limits:
            a = self.kit.graph.nodes["Account"]
            limits = self._limits = dict(zip(a["id"].astype(str).tolist(), a["credit_limit"].astype(float).tolist()))
        return limits[account]

    def note_account(self, account: str, owner: str, account_type: str) -> None:
        self._owner[account] = owner
        self._type[account] = account_type

    def note_person(self, person: str, city: str) -> None:
        """A person created here: a home of its own (so ``home`` is unique), in ``city``."""
        self._home[person] = person
        self._city[person] = city


def _onboard(kit: Toolkit, led: _Ledger, created, cities, account_types,
             camouflage_after: int | None = None) -> tuple[list[str], list[list[str]]]:
    """Synthetic identities as the population builds persons: a home of their own in their city, a
    primary device, a home IP seen from it, and accounts of ``account_types`` opened soon after joining,
    with ``Toolkit.camouflage`` once the first ``camouflage_after`` accounts exist (default: all), so
    that its ordinary merchants land on the account that should have them.

    ``cities`` is one city or one per identity. Returns the person ids and, for each, its account
    ids (in the order of ``account_types``).
    """
    rng = kit.rng
    created = np.atleast_1d(np.asarray(created, dtype=np.int64))
    n = created.size
    cities = np.broadcast_to(np.asarray(cities, dtype=object), (n,))
    people_arr = np.empty(n, dtype=object)
    for city in sorted(set(cities.tolist())):  # a home of their own, on a street of their city
        m = cities == city
        people_arr[m] = kit.new_persons(int(m.sum()), created[m], city=city)
    people = people_arr.tolist()
    for pid, city in zip(people, cities):
        led.note_person(pid, city)
    # devices: a primary one of a type drawn like primary devices are
    uses = kit.graph.edges[("Person", "USES_DEVICE", "Device")]
    prim = uses.loc[uses["is_primary"].to_numpy(), "dst"]
    if len(prim):
        dev = kit.snapshot("Device").set_index("id")["device_type"]
        dtypes = dev.reindex(prim.iloc[rng.integers(0, len(prim), n)].to_numpy()).fillna("android").to_numpy(object)
    else:
        dtypes = np.full(n, "android", dtype=object)
    seen = created + (rng.exponential(1.0, n) * DAY).astype(np.int64)
    seen = np.minimum(seen, kit.ctx.end - HOUR)
    devices = np.empty(n, dtype=object)
    for t in sorted(set(dtypes.tolist())):
        m = dtypes == t
        devices[m] = kit.new_devices(int(m.sum()), t, seen[m])
    kit.link(("Person", "USES_DEVICE", "Device"), people_arr, devices, is_primary=True, first_seen=to_datetime(seen))
    ips = np.empty(n, dtype=object)
    for city in sorted(set(cities.tolist())):
        m = cities == city
        ips[m] = kit.new_ips(int(m.sum()), "residential", seen[m], city=city)
    kit.link(("Person", "USES_IP", "IP"), people_arr, ips, context="home", first_seen=to_datetime(seen))
    kit.link(("Device", "SEEN_AT", "IP"), devices, ips, first_seen=to_datetime(seen))
    accounts: list[list[str]] = [[] for _ in range(n)]
    after = len(account_types) if camouflage_after is None else camouflage_after
    for j, acc_type in enumerate(account_types):
        if j == after:
            for pid, t in zip(people, created):
                kit.camouflage([pid], int(t))
        opened = created + (rng.uniform(0.1, 5.0 + 10.0 * j, n) * DAY).astype(np.int64)
        opened = np.minimum(opened, kit.ctx.end - HOUR)
        new = kit.new_accounts(people_arr, acc_type, opened)
        for i, acc in enumerate(new):
            accounts[i].append(acc)
            led.note_account(acc, people[i], acc_type)
    if after >= len(account_types):
        for pid, t in zip(people, created):
            kit.camouflage([pid], int(t))
    return people, accounts
