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

The scripted money is kept by :class:`fraudgraph.patterns.kit.ledger.MoneyLedger`; a mule's amounts
and holding times come from :mod:`fraudgraph.patterns.kit.layering`, the decoys from
:mod:`fraudgraph.patterns.kit.routines`.
"""

from __future__ import annotations

import itertools

import numpy as np
from fraudgraph.patterns.base import Injector, InjectorConfig, PatternInstance
from fraudgraph.patterns.kit import (
    EVERYDAY,
    TRANSFERS,
    TRANSFERS_STEM,
    Draft,
    Identities,
    MoneyLedger,
    Toolkit,
    balanced,
    onboard,
)
from fraudgraph.patterns.kit.herding import herd
from fraudgraph.patterns.kit.layering import LayeringRound
from fraudgraph.patterns.kit.routines import (
    crew_payout,
    group_collection,
    payroll_run,
    remittance_chain,
    rent_collection,
)
from pydantic import Field, field_validator

from fraudgraph.config import check_weights
from fraudgraph.units import DAY, HOUR

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
    herded_share: float = Field(0.5, ge=0.0, le=1.0, description="Chance that the herder moves the mules' money from their own device (mules hand over their credentials).")

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
        world = Identities(kit)
        out = [self._finish(led, p, world if rng.random() < config.herded_share else None) for p in plans]
        world.close()
        led.flush()
        return out

    def _plan(self, kit: Toolkit, led: MoneyLedger, cfg: MoneyMuleConfig, variant: str) -> dict | None:
        """Shape, timing, amounts and ordinary members of one instance (synthetic mules still to make)."""
        ctx = kit.ctx
        S, M, C = self._slots(kit.rng, cfg, variant)
        events, rounds, ratios = self._script(kit, led, cfg, variant, S, M, C)
        span = ctx.end - ctx.start
        length = max(e[0] for e in events) + HOUR
        if length > span - HOUR:
            return None
        slack = span - length - HOUR
        start = ctx.start + int(kit.fraction(ctx.start, ctx.end - length - HOUR, length=length) * slack)
        cast = self._cast(kit, led, cfg, M, len(S) + len(M) + len(C), start)
        if cast is None:
            return None
        synthetic, person_of, account_of, city = cast
        times = np.array([start + e[0] for e in events], dtype=np.int64)
        src_slot, dst_slot = [e[1] for e in events], [e[2] for e in events]
        # money on an existing edge never predates it: move the scheme later if needed
        shift = led.needed_shift(TRANSFERS, [(account_of.get(s), account_of.get(d), t)
                                             for s, d, t in zip(src_slot, dst_slot, times)])
        if shift:
            if times.max() + shift >= ctx.end - HOUR:
                return None
            times += shift
            start += shift
        first_use = {m: int(min(t for t, s, d in zip(times, src_slot, dst_slot) if m in (s, d))) for m in synthetic}
        room = {m: max(first_use[m] - 7 * DAY - ctx.start, 1) for m in synthetic}
        created = {m: ctx.start + int(kit.fraction(ctx.start, ctx.start + room[m]) * room[m]) for m in synthetic}
        return {"variant": variant, "S": S, "M": M, "C": C, "start": start, "times": times, "events": events,
                "src_slot": src_slot, "dst_slot": dst_slot, "person_of": person_of, "account_of": account_of,
                "synthetic": synthetic, "created": created, "city": city, "rounds": rounds, "ratios": ratios}

    @staticmethod
    def _slots(rng, cfg: MoneyMuleConfig, variant: str) -> tuple[list[int], list[int], list[int]]:
        """Slots of the sources, the mules and the collectors, numbered in that order."""
        width = lambda: int(rng.integers(cfg.min_width, cfg.max_width + 1))
        if variant in ("fan_in", "fan_out"):
            n_s, n_m, n_c = (width(), 1, 1) if variant == "fan_in" else (1, 1, width())
        elif variant == "scatter_gather":
            n_s, n_m, n_c = 1, width(), 1
        elif variant == "gather_scatter":
            n_s, n_m, n_c = max(2, width() - 1), 1, max(2, width() - 1)
        else:
            n_s, n_m, n_c = 1, int(rng.integers(cfg.min_chain, cfg.max_chain + 1)), (1 if variant == "stack" else 0)
        return list(range(n_s)), list(range(n_s, n_s + n_m)), list(range(n_s + n_m, n_s + n_m + n_c))

    def _script(self, kit, led, cfg, variant, S, M, C) -> tuple[list[tuple], int, list[float]]:
        """The scheme in relative time, round after round while they fit in the span: its events, the
        number of rounds and the pass-through ratios drawn."""
        rng, ctx = kit.rng, kit.ctx
        rounds = int(rng.integers(cfg.min_rounds, cfg.max_rounds + 1))
        events, ratios, done, t0 = [], [], 0, 0
        for r in range(rounds):
            flow = LayeringRound(kit, led, (cfg.min_pass_through, cfg.max_pass_through),
                                 (cfg.min_holding_hours, cfg.max_holding_hours), t0)
            ev = self._round(flow, variant, S, M, C)
            last = max(e[0] for e in ev)
            if last > ctx.end - ctx.start - 2 * HOUR and r > 0:
                break
            events += ev
            ratios += flow.ratios
            done += 1
            t0 = last + int(rng.uniform(2, 4 + 20 * ctx.knobs.timing_spread) * DAY)
        return events, done, ratios

    @staticmethod
    def _cast(kit, led, cfg, M, n, start) -> tuple[list[int], dict, dict, str] | None:
        """Who: one acquaintance circle around the central mule (the first); mules may be synthetic instead
        (those are made later). Returns the synthetic slots, persons and accounts by slot, and the city."""
        rng, ctx = kit.rng, kit.ctx
        centre = M[0]
        synthetic = [m for m in M if rng.random() < cfg.synthetic_share and start - ctx.start >= 10 * DAY]
        ordinary = [i for i in range(n) if i not in synthetic]
        people, accounts = led.circle(len(ordinary), EVERYDAY, before=start)
        if len(people) < len(ordinary):
            return None
        order = [centre] + [i for i in ordinary if i != centre] if centre in ordinary else ordinary
        return synthetic, dict(zip(order, people)), dict(zip(order, accounts)), led.city(people[0]) if people else ""

    def _finish(self, led: MoneyLedger, p: dict, herded: Identities | None) -> PatternInstance:
        """The instance of a plan whose members all exist: schedule, edges (linked at the flush), truth; with
        ``herded``, the herder (the collector, or the originator of a cycle) logs in for the mules to pay."""
        S, M, C, variant = p["S"], p["M"], p["C"], p["variant"]
        person_of, account_of, events = p["person_of"], p["account_of"], p["events"]
        amounts = np.array([e[3] for e in events])
        stages = np.array([e[4] for e in events], dtype=object)
        src = np.array([account_of[s] for s in p["src_slot"]], dtype=object)
        dst = np.array([account_of[d] for d in p["dst_slot"]], dtype=object)
        role_of = {**{s: "placer" for s in S}, **{m: "mule" for m in M}, **{c: "collector" for c in C}}
        acc_role = {"placer": "source_account", "mule": "mule_account", "collector": "collector_account"}
        if variant == "cycle":
            role_of[S[0]] = "originator"
            acc_role["originator"] = "originator_account"
        draft = Draft(self.name, True, start=p["start"], variant=variant, parameters={
            "variant": variant, "sources": len(S), "mules": len(M), "collectors": len(C), "rounds": p["rounds"],
            "synthetic_mules": len(p["synthetic"]), "synthetic_persons": [person_of[m] for m in p["synthetic"]],
            "placed": round(float(amounts[stages == "placement"].sum()), 2),
            "pass_through": [round(x, 4) for x in p["ratios"]]})
        slots = range(len(S) + len(M) + len(C))
        for i in slots:
            draft.member("Person", person_of[i], role_of[i])
        for i in slots:
            draft.member("Account", account_of[i], acc_role[role_of[i]])
        for s, d, stage in zip(src, dst, stages):
            draft.edge(TRANSFERS, s, d, stage)
        draft.schedule(p["times"], "transfer", TRANSFERS_STEM, src, dst, amounts, detail=stages)
        paying = np.array(p["src_slot"])
        draft.parameters["herded"] = herded is not None and herd(herded, draft, person_of[(C or S)[0]], {
            person_of[m]: p["times"][paying == m] for m in M if (paying == m).any()}, "herder")
        inst = draft.build()
        led.link_transfers(inst.schedule, instance=inst)
        return inst

    def _round(self, flow: LayeringRound, variant: str, S, M, C) -> list[tuple[int, int, int, float, str]]:
        """One round of ``variant``: (time, src slot, dst slot, amount, stage) events."""
        if variant in ("fan_in", "gather_scatter"):
            return self._gather(flow, variant, S, M[0], C)
        if variant == "fan_out":
            return self._fan_out(flow, S[0], M[0], C)
        if variant == "scatter_gather":
            return self._scatter_gather(flow, S[0], M, C[0])
        return self._chain(flow, [S[0]] + M + (C if variant == "stack" else [S[0]]))

    @staticmethod
    def _gather(flow: LayeringRound, variant: str, S, m, C) -> list[tuple]:
        """Several placements meet at mule ``m``, which forwards them to one collector or splits them."""
        arr = flow.arrivals(len(S))
        amts = np.array([flow.placement(flow.unit * flow.rng.uniform(0.6, 1.4)) for _ in S])
        ev = [(int(t), s, m, float(a), "placement") for t, s, a in zip(arr, S, amts)]
        forward = round(float(amts.sum()) * flow.ratio(), 2)
        last = int(arr.max())
        if variant == "fan_in":
            return ev + [(last + int(flow.hold()[0]), m, C[0], forward, "integration")]
        parts = flow.split(forward, len(C))
        return ev + [(last + int(h), m, c, float(a), "integration") for c, a, h in zip(C, parts, flow.hold(len(C)))]

    @staticmethod
    def _fan_out(flow: LayeringRound, s, m, C) -> list[tuple]:
        """One placement at mule ``m``, split over the beneficiaries."""
        t0 = flow.t0
        total = flow.placement(flow.unit * len(C) * flow.rng.uniform(0.8, 1.2))
        forward = round(total * flow.ratio(), 2)
        parts = flow.split(forward, len(C))
        return [(t0, s, m, total, "placement")] + [(t0 + int(h), m, c, float(a), "integration")
                                                   for c, a, h in zip(C, parts, flow.hold(len(C)))]

    @staticmethod
    def _scatter_gather(flow: LayeringRound, s, M, c) -> list[tuple]:
        """A placement at every mule, each forwarded to collector ``c``."""
        ev = []
        for m, t in zip(M, flow.arrivals(len(M))):
            a = flow.placement(flow.unit * flow.rng.uniform(0.6, 1.4))
            ev.append((int(t), s, m, a, "placement"))
            ev.append((int(t) + int(flow.hold()[0]), m, c, round(a * flow.ratio(), 2), "integration"))
        return ev

    @staticmethod
    def _chain(flow: LayeringRound, chain: list[int]) -> list[tuple]:
        """The money passed down ``chain``, each mule keeping its commission."""
        amount = flow.placement(flow.unit * flow.rng.uniform(1.5, 3.0))
        t, ev = flow.t0, []
        for i, (a, b) in enumerate(itertools.pairwise(chain)):
            stage = "placement" if i == 0 else ("integration" if i == len(chain) - 2 else "layering")
            ev.append((t, a, b, amount, stage))
            amount = round(amount * flow.ratio(), 2)
            t += int(flow.hold()[0])
        return ev

    # -- decoys ------------------------------------------------------------------------------
    def inject_decoys(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        led = MoneyLedger(kit)
        out = []
        build = {"payroll_fan_out": payroll_run, "crew_payout": crew_payout, "landlord_fan_in": rent_collection,
                 "family_remittance": remittance_chain, "group_collection": group_collection}
        for variant in balanced(rng, {v: 1.0 for v in DECOY_VARIANTS}, count):
            inst = build[variant](kit, led, self.name)
            if inst is None and variant == "payroll_fan_out":
                variant, inst = "crew_payout", crew_payout(kit, led, self.name)
            if inst is not None:
                inst.variant = variant
                inst.parameters["decoy_of"] = self.name
                out.append(inst)
        led.flush()
        return out
