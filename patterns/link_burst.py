"""Link burst: many external bank accounts linked within a day, then money drained or kited through them.

Fraud: a customer (a recruited account holder, or someone who sells their profile) links five to
fifteen external accounts, opened at other banks minutes to days before, within 24 hours (the
``bank_link`` rows become ``bank-link-added`` events), each step in a session of their own device
at home, and within hours or days money leaves through the new links:

* ``drain``: high-value transfers from the holder's checking account to several of the newly
  linked accounts, one or two per link, until the balance (topped up in cash beforehand) is gone;
* ``kite``: money pulled in from the new links and pushed back out to the others a few hours
  later, round after round of similar, slowly growing amounts, inflating the balances during the
  clearing float, the last round never coming back.

Decoys share the defining trait, many new links to accounts opened at other banks, spread over
about a week instead of a day, with ordinary money afterwards: ``moving_banks``, a customer
switching banks who opens and links several accounts and moves money over to them in ordinary
amounts (often once as much as a drain: the savings), and ``consolidating``, a customer (a
small-business treasurer, say) gathering accounts held elsewhere, who pulls money in from the
new links and sends some back, over weeks. Both keep living as before.
"""

from __future__ import annotations

import numpy as np
from fraudgraph.patterns.base import Injector, InjectorConfig
from fraudgraph.patterns.kit import (
    TRANSFERS,
    Draft,
    Identities,
    Toolkit,
    action_sessions,
    balanced,
    blend_with_pool,
    loud_amounts,
    open_accounts,
    stem,
    typical_transfers,
)
from pydantic import Field

from fraudgraph.units import DAY, HOUR, to_datetime

EDGE = stem(TRANSFERS)
VARIANTS = ("drain", "kite")
DECOY_VARIANTS = ("moving_banks", "consolidating")
#: Types of the newly linked accounts, and how often each is opened.
LINKED_TYPES = np.array(["checking", "savings", "wallet"], dtype=object)
LINKED_WEIGHTS = np.array([0.55, 0.3, 0.15])


class LinkBurstConfig(InjectorConfig):
    kite_share: float = Field(0.35, ge=0.0, le=1.0, description="Share of instances that kite money through the new links (else drain).")
    min_links: int = Field(5, ge=2, le=40, description="Fewest external accounts linked in one burst (and by one decoy).")
    max_links: int = Field(15, ge=2, le=40, description="Most external accounts linked in one burst (and by one decoy).")
    min_burst_hours: float = Field(1.0, gt=0.0, le=24.0, description="Shortest burst: time from the first link to the last.")
    max_burst_hours: float = Field(20.0, gt=0.0, le=24.0, description="Longest burst (at most a day).")
    min_drain_delay_hours: float = Field(1.0, ge=0.0, le=720.0, description="Shortest wait after the burst before money moves.")
    max_drain_delay_hours: float = Field(72.0, ge=0.0, le=720.0, description="Longest wait after the burst before money moves.")
    min_drain_share: float = Field(0.4, gt=0.0, le=1.0, description="Smallest share of the new links that money is sent to.")
    max_drain_share: float = Field(1.0, gt=0.0, le=1.0, description="Largest share of the new links that money is sent to.")
    max_transfers_per_link: int = Field(2, ge=1, le=20, description="Most drain transfers to one new link.")
    min_kite_rounds: int = Field(2, ge=1, le=20, description="Fewest pull-and-push rounds of a kite.")
    max_kite_rounds: int = Field(5, ge=1, le=20, description="Most pull-and-push rounds of a kite.")
    min_decoy_days: float = Field(4.0, ge=1.0, le=60.0, description="Shortest stretch over which a decoy links its accounts.")
    max_decoy_days: float = Field(9.0, ge=1.0, le=60.0, description="Longest stretch over which a decoy links its accounts.")


class LinkBurst(Injector):
    name = "link_burst"
    config_model = LinkBurstConfig
    persons_per_instance = 1.0

    def _plans(self, kit: Toolkit, world: Identities, count: int, days: np.ndarray) -> list[dict]:
        """Up to ``count`` checking accounts (and their holders) with the time their links start, leaving
        ``days[i]`` days (an entry per candidate) for the links and the money that follows them."""
        ctx = kit.ctx
        accounts = kit.recruit_accounts(count, ("checking",))
        info = kit.account_rows(accounts) if accounts.size else None
        persons = info["owner"].to_numpy(dtype=object) if accounts.size else []
        devices, homes = world.devices_of(persons), world.home_ip(persons)
        plans = []
        for i, (acc, person) in enumerate(zip(accounts, persons)):
            length = int(days[i] * DAY)
            lo = max(ctx.start, int(world.created("Person", [person])[0])) + DAY
            hi = ctx.end - min(length, (ctx.end - ctx.start) // 3)
            if hi <= lo:
                continue
            t0 = int(lo + kit.fraction(lo, hi, length=length) * (hi - lo))
            plans.append(dict(acc=acc, person=person, t0=t0, days=float(days[i]),
                              device=(devices.get(person) or [None])[0], ip=homes.get(person)))
        return plans

    def _links(self, kit: Toolkit, world: Identities, plan: dict, draft: Draft, times: np.ndarray, requests: list) -> None:
        """Request the new accounts, each opened at another bank minutes to days before its link."""
        rng = kit.rng
        lead = rng.uniform(10 * 60, 3 * DAY, times.size).astype(np.int64)
        opened = np.maximum(times - lead, np.maximum(kit.ctx.start, plan["t0"] - 3 * DAY))
        types = LINKED_TYPES[rng.choice(LINKED_TYPES.size, times.size, p=LINKED_WEIGHTS)]
        draft.start = int(opened.min())
        draft.member("Person", plan["person"], plan["role"])
        draft.member("Account", plan["acc"], plan["acc_role"])
        plan.update(req=len(requests), t_link=times, types=types)
        requests += [(draft, plan["person"], str(k), int(t), "linked_account") for k, t in zip(types, opened)]

    # -- fraud ----------------------------------------------------------------------------------------
    def inject(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        world = Identities(kit)
        # the burst and the drain or kite after it: about four days
        plans = self._plans(kit, world, count, np.full(count, config.max_burst_hours / 24 + 3))
        if not plans:
            return []
        quiet = typical_transfers(graph, "own_accounts")
        variants = balanced(rng, {"drain": 1.0 - config.kite_share, "kite": config.kite_share}, len(plans))
        requests: list = []
        for plan, variant in zip(plans, variants):
            n = int(rng.integers(config.min_links, config.max_links + 1))
            hours = float(rng.uniform(config.min_burst_hours, config.max_burst_hours))
            times = world.clamp(plan["t0"] + np.sort((rng.random(n) * hours * HOUR).astype(np.int64)))
            plan.update(role="link_burst_holder", acc_role="linking_account", variant=variant, hours=hours,
                        draft=Draft(self.name, True, variant=variant))
            self._links(kit, world, plan, plan["draft"], times, requests)
        linked = open_accounts(kit, requests)
        for plan in plans:
            drops = linked[plan["req"]: plan["req"] + plan["t_link"].size]
            (_drain if plan["variant"] == "drain" else _kite)(world, config, plan, drops, quiet)
        world.close()
        return [plan["draft"].build() for plan in plans]

    # -- decoys ---------------------------------------------------------------------------------------
    def inject_decoys(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        world = Identities(kit)
        days = rng.uniform(config.min_decoy_days, config.max_decoy_days, count)
        plans = self._plans(kit, world, count, days + 7)  # the links, and the first week of money after them
        if not plans:
            return []
        quiet = typical_transfers(graph, "own_accounts")
        variants = balanced(rng, {v: 1.0 for v in DECOY_VARIANTS}, len(plans))
        requests: list = []
        for plan, variant in zip(plans, variants):
            n, span = int(rng.integers(config.min_links, config.max_links + 1)), plan["days"] - 7
            # an errand or two a day, in the daytime, over about a week from the day after t0
            offsets = np.sort(rng.random(n) * span * DAY).astype(np.int64)
            offsets += (rng.uniform(8, 21, n) * HOUR).astype(np.int64) - offsets % DAY
            times = world.clamp(plan["t0"] - plan["t0"] % DAY + DAY + np.sort(offsets))
            plan.update(role="customer", acc_role="customer_account", variant=variant,
                        draft=Draft(self.name, False, variant=variant))
            self._links(kit, world, plan, plan["draft"], times, requests)
        linked = open_accounts(kit, requests)
        for plan in plans:
            _ordinary_moves(world, config, plan, linked[plan["req"]: plan["req"] + plan["t_link"].size], quiet)
        world.close()
        return [plan["draft"].build() for plan in plans]


def _edges(world: Identities, plan: dict, linked, t_link, typical, count, pull: bool = False) -> None:
    """The new links (``TRANSFERS_TO`` of kind ``own_accounts``) with their ``bank_link`` rows, or with ``pull``
    the edges back from the linked accounts money is pulled from (the same links, used the other way)."""
    if not len(linked):
        return
    months = max((world.kit.ctx.end - int(t_link[0])) / (30 * DAY), 1.0)
    src, dst = (linked, plan["acc"]) if pull else (plan["acc"], linked)
    world.links.add(TRANSFERS, src, dst, draft=plan["draft"], role="pull" if pull else "bank_link", kind="own_accounts",
                    typical_amount=np.round(typical, 2), since=to_datetime(t_link),
                    monthly_count=np.round(np.maximum(count, 1) / months, 3))
    if not pull:
        plan["draft"].schedule(t_link, "bank_link", EDGE, plan["acc"], linked)


def _money_start(world: Identities, config: LinkBurstConfig, plan: dict) -> int:
    """When money starts moving: hours to days after the last link (stretched by the timing knob)."""
    rng = world.kit.rng
    scale = 0.3 + 1.4 * world.kit.ctx.knobs.timing_spread
    delay = rng.uniform(config.min_drain_delay_hours, config.max_drain_delay_hours) * HOUR * scale
    return int(plan["t_link"].max()) + 60 + int(delay)


def _used(rng: np.random.Generator, config: LinkBurstConfig, n: int) -> np.ndarray:
    """Positions of the links money is sent to: a share of them drawn from the configured range."""
    k = max(1, int(round(n * rng.uniform(config.min_drain_share, config.max_drain_share))))
    return np.sort(rng.permutation(n)[:k])


def _drain(world: Identities, config: LinkBurstConfig, plan: dict, linked, quiet) -> None:
    """High-value transfers out to several new links, within hours or days of the burst."""
    kit, rng, draft = world.kit, world.kit.rng, plan["draft"]
    n = linked.size
    used = _used(rng, config, n)
    per = np.zeros(n, np.int64)
    per[used] = rng.integers(1, config.max_transfers_per_link + 1, used.size)
    t0 = _money_start(world, config, plan)
    spread = (0.3 + 2.0 * kit.ctx.knobs.timing_spread) * DAY
    dst = np.repeat(linked, per)
    t = world.clamp(t0 + np.sort(rng.uniform(0, spread, dst.size)).astype(np.int64))
    amounts = blend_with_pool(rng, loud_amounts(rng, quiet, dst.size, 0.5, 2.0), quiet, kit.ctx.knobs.amount_blending)
    typical = np.array([amounts[dst == d].mean() if per[i] else amounts.mean() for i, d in enumerate(linked)])
    _edges(world, plan, linked, plan["t_link"], typical, per)
    draft.schedule(t, "transfer", EDGE, plan["acc"], dst, amounts)
    _sessions(world, plan, np.r_[plan["t_link"], t])
    draft.parameters = _parameters(plan, linked, t, amounts, linked_used=int(used.size), transfers=int(dst.size))


def _kite(world: Identities, config: LinkBurstConfig, plan: dict, linked, quiet) -> None:
    """Rounds of money pulled in from some new links and pushed out to others hours later (the last kept)."""
    kit, rng, draft, acc = world.kit, world.kit.rng, plan["draft"], plan["acc"]
    n = linked.size
    used = _used(rng, config, n)
    if used.size < 2:
        used = np.arange(min(2, n))
    rounds = int(rng.integers(config.min_kite_rounds, config.max_kite_rounds + 1))
    base = float(blend_with_pool(rng, loud_amounts(rng, quiet, 1, 0.5, 2.0), quiet, kit.ctx.knobs.amount_blending)[0])
    growth, scale = rng.uniform(1.0, 1.08), 0.3 + 1.4 * kit.ctx.knobs.timing_spread
    t_round = _money_start(world, config, plan)
    pull_t, pull_src, pull_amt, push_t, push_dst, push_amt = [], [], [], [], [], []
    for r in range(rounds):
        k = int(rng.integers(1, min(3, used.size) + 1))
        pick = rng.choice(used, size=k, replace=False)
        amounts = np.round(base * growth**r * rng.uniform(0.9, 1.1, k) / k, 2)
        t_pull = t_round + np.sort(rng.uniform(0, 2 * HOUR * scale, k)).astype(np.int64)
        out_to = rng.choice(used, size=k, replace=False)
        t_push = int(t_pull.max()) + (rng.uniform(1, 8, k) * HOUR * scale).astype(np.int64)
        pull_t.append(t_pull), pull_src.append(linked[pick]), pull_amt.append(amounts)
        push_t.append(np.sort(t_push)), push_dst.append(linked[out_to]), push_amt.append(np.round(amounts * rng.uniform(0.97, 1.0, k), 2))
        t_round = int(t_push.max()) + int(rng.uniform(6, 30) * HOUR * scale)
    tp, src, ap = world.clamp(np.concatenate(pull_t)), np.concatenate(pull_src), np.concatenate(pull_amt)
    tq, dst, aq = world.clamp(np.concatenate(push_t)), np.concatenate(push_dst), np.concatenate(push_amt)
    per_out = np.array([(dst == d).sum() for d in linked])
    typical_out = np.array([aq[dst == d].mean() if per_out[i] else aq.mean() for i, d in enumerate(linked)])
    _edges(world, plan, linked, plan["t_link"], typical_out, per_out)
    pulled = np.unique(src)
    _edges(world, plan, pulled, plan["t_link"][_positions(linked, pulled)], [ap[src == s].mean() for s in pulled],
           np.array([(src == s).sum() for s in pulled]), pull=True)
    draft.schedule(tp, "transfer", EDGE, src, acc, ap)
    draft.schedule(tq, "transfer", EDGE, acc, dst, aq)
    _sessions(world, plan, np.r_[plan["t_link"], tp, tq])
    draft.parameters = _parameters(plan, linked, np.r_[tp, tq], aq, linked_used=int(np.unique(np.r_[src, dst]).size),
                                   transfers=int(tp.size + tq.size), rounds=rounds, pulled_in=round(float(ap.sum()), 2))


def _ordinary_moves(world: Identities, config: LinkBurstConfig, plan: dict, linked, quiet) -> None:
    """Ordinary money over the new links in the weeks after: sent over (``moving_banks``, the savings
    once, often) or pulled in and partly sent back (``consolidating``)."""
    kit, rng, draft, acc = world.kit, world.kit.rng, plan["draft"], plan["acc"]
    n = linked.size
    used = _used(rng, config, n)
    per = np.zeros(n, np.int64)
    per[used] = rng.integers(1, config.max_transfers_per_link + 1, used.size)
    k = int(per.sum())
    t = np.repeat(plan["t_link"], per) + np.minimum(HOUR + rng.exponential(4 * DAY, k), 30 * DAY).astype(np.int64)
    inside = t < kit.ctx.end - 120  # money after the span's end is not part of it
    inside[np.argmin(t)] = True
    per = np.bincount(np.repeat(np.arange(n), per)[inside], minlength=n)
    t, k = world.clamp(t[inside]), int(inside.sum())
    amounts = np.round(blend_with_pool(rng, np.zeros(k), quiet, 1.0) * rng.uniform(0.9, 1.1, k), 2)
    # balances moved over, savings or an old account emptied: drain-sized, often
    big = np.flatnonzero(rng.random(k) < 0.4)
    amounts[big] = blend_with_pool(rng, loud_amounts(rng, quiet, big.size, 0.5, 2.0), quiet, kit.ctx.knobs.amount_blending)
    other = np.repeat(linked, per)
    if plan["variant"] == "consolidating":
        back = rng.random(k) < 0.3  # some sent back to where it came from
        back[np.argmin(t)] = False  # the first move pulls money in
        pulled = ~back
        src_ids = np.where(pulled, other, acc)
        dst_ids = np.where(pulled, acc, other)
        frm = np.unique(other[pulled])
        _edges(world, plan, frm, plan["t_link"][_positions(linked, frm)], [amounts[pulled & (other == s)].mean() for s in frm],
               np.array([(pulled & (other == s)).sum() for s in frm]), pull=True)
        out_per = np.array([(back & (other == d)).sum() for d in linked])
    else:
        src_ids, dst_ids = np.full(k, acc, dtype=object), other
        out_per = per
        back = np.ones(k, bool)
    typical = np.array([amounts[back & (other == d)].mean() if out_per[i] else float(np.median(amounts))
                        for i, d in enumerate(linked)])
    _edges(world, plan, linked, plan["t_link"], typical, out_per)
    draft.schedule(t, "transfer", EDGE, src_ids, dst_ids, amounts)
    _sessions(world, plan, np.r_[plan["t_link"], t])
    draft.parameters = {**_parameters(plan, linked, t, amounts, linked_used=int(used.size), transfers=k),
                        "decoy_of": "link_burst", "link_days": round(plan["days"] - 7, 2)}


def _sessions(world: Identities, plan: dict, actions) -> None:
    """Logins from the holder's own device (at home) minutes before the links and transfers."""
    if plan["device"] is not None:
        action_sessions(world, plan["draft"], plan["person"], plan["device"], plan["ip"], actions)


def _positions(linked, ids) -> np.ndarray:
    """Positions of ``ids`` among ``linked``."""
    return np.array([{a: i for i, a in enumerate(linked)}[a] for a in ids], dtype=np.int64)


def _parameters(plan: dict, linked, t, amounts, **extra) -> dict:
    t_link = plan["t_link"]
    return {"variant": plan["variant"], "links": int(linked.size), "first_link": int(t_link.min()),
           "last_link": int(t_link.max()), "link_hours": round((int(t_link.max()) - int(t_link.min())) / HOUR, 2),
           "linked_types": sorted({str(x) for x in plan["types"]}),
           "first_transfer": int(np.min(t)), "total_amount": round(float(np.sum(amounts)), 2), **extra}
