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

The scripted money is kept by :class:`fraudgraph.patterns.kit.ledger.MoneyLedger`, which the
structuring and bust-out typologies use too.
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
from fraudgraph.patterns.kit import (
    C_OWNS,
    EVERYDAY,
    PAYS,
    PAYS_STEM,
    TRANSFERS,
    TRANSFERS_STEM,
    WORKS_AT,
    MoneyLedger,
    Toolkit,
    balanced,
    blend,
    onboard,
    scheduled_instance,
)
from pydantic import Field, field_validator

from fraudgraph.config import check_weights
from fraudgraph.units import DAY, HOUR, MONTH, to_seconds

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
        led = MoneyLedger(kit)
        plans = [self._plan(kit, led, config, variant) for variant in balanced(rng, config.variants, count)]
        plans = [p for p in plans if p is not None]
        # synthetic mules of every instance are onboarded together (it is the costly part)
        wanted = [(p, m) for p in plans for m in p["synthetic"]]
        if wanted:
            created = [p["created"][m] for p, m in wanted]
            people, accounts = onboard(kit, led, created, [p["city"] for p, _ in wanted], ("checking",))
            for (p, m), person, acc in zip(wanted, people, accounts):
                p["person_of"][m], p["account_of"][m] = person, acc[0]
        out = [self._finish(led, p) for p in plans]
        led.flush()
        return out

    def _plan(self, kit: Toolkit, led: MoneyLedger, cfg: MoneyMuleConfig, variant: str) -> dict | None:
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
        shift = led.needed_shift(TRANSFERS, [(account_of.get(s), account_of.get(d), t) for s, d, t in zip(src_slot, dst_slot, times)])
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

    def _finish(self, led: MoneyLedger, p: dict) -> PatternInstance:
        """The instance of a plan whose members all exist: schedule, edges (linked at the flush), truth."""
        S, M, C, n, variant = p["S"], p["M"], p["C"], p["n"], p["variant"]
        person_of, account_of, events, times = p["person_of"], p["account_of"], p["events"], p["times"]
        amounts = np.array([e[3] for e in events])
        stages = [e[4] for e in events]
        src = np.array([account_of[s] for s in p["src_slot"]], dtype=object)
        dst = np.array([account_of[d] for d in p["dst_slot"]], dtype=object)
        start, end = p["start"], int(times.max()) + 1
        sched = make_schedule(times, "transfer", TRANSFERS_STEM, src, dst, amounts, detail=np.array(stages, dtype=object))

        role_of = {**{s: "placer" for s in S}, **{m: "mule" for m in M}, **{c: "collector" for c in C}}
        acc_role = {"placer": "source_account", "mule": "mule_account", "collector": "collector_account"}
        if variant == "cycle":
            role_of[S[0]] = "originator"
            acc_role["originator"] = "originator_account"
        members = [("Person", person_of[i], role_of[i]) for i in range(n)]
        members += [("Account", account_of[i], acc_role[role_of[i]]) for i in range(n)]
        pairs = sched.drop_duplicates(["src", "dst"])
        edges = [(TRANSFERS, s, d, stage) for s, d, stage in zip(pairs["src"], pairs["dst"], pairs["detail"])]
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
        led = MoneyLedger(kit)
        out = []
        build = {"payroll_fan_out": self._payroll, "crew_payout": self._crew, "landlord_fan_in": self._landlord,
                 "family_remittance": self._remittance, "group_collection": self._collection}
        for variant in balanced(rng, {v: 1.0 for v in DECOY_VARIANTS}, count):
            inst = build[variant](kit, led)
            if inst is None and variant == "payroll_fan_out":
                variant, inst = "crew_payout", self._crew(kit, led)
            if inst is not None:
                inst.variant = variant
                inst.parameters["decoy_of"] = self.name
                out.append(inst)
        led.flush()
        return out

    def _payroll(self, kit: Toolkit, led: MoneyLedger) -> PatternInstance | None:
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
        transfers = g.edges[TRANSFERS]
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
        sched = make_schedule(times, "transfer", TRANSFERS_STEM, src, dst, amounts, detail=np.array(stages, dtype=object))
        sched = led.after_existing(TRANSFERS, sched)
        if sched.empty:
            return None
        start, end = int(sched["time"].min()), int(sched["time"].max()) + 1
        members = [("Company", company, "employer"), ("Account", biz, "payroll_account")]
        members += [("Person", p, "employee") for p in team] + [("Account", a, "salary_account") for a in accounts]
        if client is not None:
            members.append(("Account", client["src"], "client_account"))
        return scheduled_instance(led, self.name, sched, members, start, end,
                      {"employees": int(team.size), "paydays": int(paydays.size), "every_days": int(step // DAY),
                       "client": client is not None},
                      kind=np.where(sched["detail"] == "client_payment", "supplier", "payroll"))

    def _crew(self, kit: Toolkit, led: MoneyLedger) -> PatternInstance | None:
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
        sched = led.after_existing(TRANSFERS, make_schedule(times, "transfer", TRANSFERS_STEM, src, dst, amounts,
                                                     detail=np.array(stages, dtype=object)))
        if sched.empty:
            return None
        start, end = int(sched["time"].min()), int(sched["time"].max()) + 1
        members = [("Person", people[boss], "contractor"), ("Account", accounts[boss], "business_takings")]
        members += [("Person", people[c], "crew") for c in crew] + [("Account", accounts[c], "wage_account") for c in crew]
        members += [("Person", people[client], "client"), ("Account", accounts[client], "client_account")]
        return scheduled_instance(led, self.name, sched, members, start, end, {"crew": k, "jobs": jobs})

    def _landlord(self, kit: Toolkit, led: MoneyLedger) -> PatternInstance | None:
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
        sched = led.after_existing(TRANSFERS, make_schedule(times, "transfer", TRANSFERS_STEM, src, dst, amounts, detail=np.array(stages, dtype=object)))
        if sched.empty:
            return None
        start, end = int(sched["time"].min()), int(sched["time"].max()) + 1
        members = [("Person", landlord, "landlord"), ("Account", home_acc, "rent_account")]
        members += [("Person", p, "tenant") for p in tenants] + [("Account", a, "tenant_account") for a in accounts[1:]]
        if savings is not None:
            members.append(("Account", savings, "savings_account"))
        elif pay_times:
            pays = led.after_existing(PAYS, make_schedule(pay_times, "bill_payment", PAYS_STEM, home_acc, mortgage[0], pay_amounts,
                                                          detail="mortgage"))
            sched = pd.concat([sched, pays], ignore_index=True)
            end = int(sched["time"].max()) + 1
        kinds = np.where(sched["detail"].to_numpy() == "to_savings", "own_accounts", "")
        return scheduled_instance(led, self.name, sched, members, start, end, {"tenants": k, "to": "savings" if savings else "mortgage"}, kind=kinds)

    def _remittance(self, kit: Toolkit, led: MoneyLedger) -> PatternInstance | None:
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
        sched = led.after_existing(TRANSFERS, make_schedule(times, "transfer", TRANSFERS_STEM, src, dst, amounts, detail=np.array(stages, dtype=object)))
        if sched.empty:
            return None
        start, end = int(sched["time"].min()), int(sched["time"].max()) + 1
        members = [("Person", p, "sender" if i == 0 else ("recipient" if i == k - 1 else "relay")) for i, p in enumerate(people)]
        members += [("Account", a, "remittance_account") for a in accounts]
        return scheduled_instance(led, self.name, sched, members, start, end, {"chain": k, "monthly": base})

    def _collection(self, kit: Toolkit, led: MoneyLedger) -> PatternInstance | None:
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
        sched = led.after_existing(TRANSFERS, make_schedule(arr, "transfer", TRANSFERS_STEM, accounts[1:], accounts[0], amts, detail="contribution"))
        if sched.empty:
            return None
        paid = int(sched["time"].max() + rng.uniform(2, 48) * HOUR)
        pays = make_schedule([paid], "card_payment", PAYS_STEM, accounts[0], shops[0],
                             [round(float(sched["amount"].sum()) * rng.uniform(0.95, 1.0), 2)], detail="group_purchase")
        start, end = int(sched["time"].min()), paid + 1
        pays = led.after_existing(PAYS, pays)
        members = [("Person", people[0], "organiser"), ("Account", accounts[0], "collecting_account")]
        members += [("Person", p, "contributor") for p in people[1:]] + [("Account", a, "contributor_account") for a in accounts[1:]]
        return scheduled_instance(led, self.name, pd.concat([sched, pays], ignore_index=True), members, start, end, {"contributors": k})


# -- amounts -------------------------------------------------------------------------------------

def _mule_amount(kit: Toolkit, led: MoneyLedger, blending: float) -> float:
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


# -- helpers the toolkit lacks (shared with structuring and bust_out) ------------------------------

_NEIGHBOURS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


