"""Collusion: a savings circle rigged by its organizer, or a merchant cycling fake sales with its customers.

Variant ``circle``: the organizer of an existing sou-sou / ROSCA circle and one or two
accomplices among its members take the earliest places in the payout rotation
(``MEMBER_OF.position`` 1..m, the others keep their relative order), collect the
pot, then stop paying in: they drop out (``circle_member_dropped``) or default
(``circle_contribution_missed``). The organizer may abscond after the last
accomplice is paid, withholding the next pot (``circle_payout_missed``,
``circle_failed``). Schedule kinds: ``circle_contribution``, ``circle_payout`` on the
``MEMBER_OF`` edges (src person, dst circle), plus those above. The circle's
rotation must start inside the simulated span for the scheme to be seen; when no
circle does, an unused one is re-dated (created, start date, status, join times)
the way the population dates circles.

Variant ``merchant``: a merchant (``is_merchant``) and 4-10 customers cycle fake
purchases (``card_payment`` on ``PAYS``) and quick refunds (``refund`` on the same
edge, money flowing back from the merchant; src and dst stay the edge's ends). A
member of the merchant's staff, when there is one, pays the customers kickbacks
(``p2p`` transfers, and they know each other).

Decoys: honest circles whose schedules have late payers and one member who leaves
for hardship (refunded), and merchants with high but legitimate return rates
(retail, electronics) and loyal repeat customers.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from fraudgraph.patterns.base import (
    Injector,
    InjectorConfig,
)
from fraudgraph.patterns.kit import (
    EVERYDAY,
    TRANSFERS,
    TRANSFERS_STEM,
    WORKS_AT,
    Draft,
    Links,
    Toolkit,
    blend,
    monthly_rate,
)
from fraudgraph.patterns.kit.circles import (
    MEMBER_OF,
    MEMBER_STEM,
    ORGANIZES,
    Circle,
    Circles,
)
from fraudgraph.patterns.kit.friends import befriend
from fraudgraph.patterns.kit.merchants import Merchants
from pydantic import Field

from fraudgraph.units import DAY

#: Merchants whose customers legitimately return a lot (decoys) and those a colluding merchant is drawn from.
RETURNS_INDUSTRIES = ("retail", "technology", "entertainment", "travel")


class CollusionConfig(InjectorConfig):
    circle_share: float = Field(0.5, ge=0.0, le=1.0, description="Share of instances that rig a savings circle (the rest: merchant collusion).")
    min_colluders: int = Field(2, ge=2, le=10, description="Fewest circle colluders, the organizer included.")
    max_colluders: int = Field(3, ge=2, le=10, description="Most circle colluders, the organizer included.")
    min_customers: int = Field(4, ge=1, le=100, description="Fewest customers colluding with a merchant.")
    max_customers: int = Field(10, ge=1, le=100, description="Most customers colluding with a merchant.")
    redate_circles: bool = Field(True, description="Re-date an unused circle into the span when none starts there.")


class _World(NamedTuple):
    """What one call's builders share: the toolkit, its queued edges, the circles and the merchants."""

    kit: Toolkit
    links: Links
    circles: Circles
    merchants: Merchants


class Collusion(Injector):
    name = "collusion"
    config_model = CollusionConfig
    persons_per_instance = 5.0

    def __init__(self):
        self._used_circles: set[str] = set()

    def inject(self, graph, rng, config, count, ctx):
        return self._inject(graph, rng, config, count, ctx, self._circle_fraud, self._merchant_fraud)

    def inject_decoys(self, graph, rng, config, count, ctx):
        return self._inject(graph, rng, config, count, ctx, self._circle_decoy, self._merchant_decoy)

    def _inject(self, graph, rng, config, count, ctx, circle, merchant):
        """Build ``count`` instances, each of its drawn variant or, when that one finds no material, of the other."""
        kit = Toolkit(graph, rng, ctx)
        links = Links(kit)
        w = _World(kit, links, Circles(graph, kit, self._used_circles, config.redate_circles),
                   Merchants(graph, kit, links))
        makers = {"circle": circle, "merchant": merchant}
        out = []
        for variant in _variants(rng, count, config.circle_share):
            for name in (variant, "merchant" if variant == "circle" else "circle"):
                inst = makers[name](w, rng, config, ctx)
                if inst is not None:
                    out.append(inst)
                    break
        links.flush()
        w.circles.apply()
        return out

    # -- circle variant -----------------------------------------------------------------------
    def _circle_fraud(self, w: _World, rng, config, ctx):
        m = int(rng.integers(config.min_colluders, config.max_colluders + 1))
        picked = w.circles.pick(rng, m, fraud=True)
        if picked is None:
            return None
        cid, m = picked
        c = w.circles.circle(cid)
        colluders = _colluders(c, m, rng, ctx)
        if colluders is None:
            return None
        order = colluders + [p for p in c.members if p not in colluders]  # victims keep their relative order
        w.circles.set_positions(cid, order)
        ctx.used_persons.update(order)
        befriend(w.links, [(a, b) for i, a in enumerate(colluders) for b in colluders[i + 1:]], c.created)
        exits = {p: ("drop" if rng.random() < 0.5 else "default") for p in colluders}
        absconds = rng.random() < 0.5
        draft = Draft(self.name, True, variant="circle")
        _rigged_rotation(draft, c, order, m, exits, absconds, rng, ctx)
        roles = {p: "early_recipient" for p in colluders} | {c.organizer: "organizer"}
        draft.member("Circle", cid, "circle")
        for p in order:
            draft.member("Person", p, roles.get(p, "victim"))
            draft.edge(MEMBER_OF, p, cid, "colluder_membership" if p in roles else "victim_membership")
        draft.edge(ORGANIZES, c.organizer, cid, "organizer")
        draft.parameters = {"circle": cid, "members": len(order), "colluders": m, "colluder_ids": colluders,
                            "contribution": float(c.amount), "frequency": c.frequency,
                            "exits": [exits[p] for p in colluders], "organizer_absconds": bool(absconds),
                            "redated": bool(c.redated), "start_date": int(c.start_day)}
        return draft.build()

    def _circle_decoy(self, w: _World, rng, config, ctx):
        picked = w.circles.pick(rng, int(rng.integers(config.min_colluders, config.max_colluders + 1)), fraud=False)
        if picked is None:
            return None
        cid, _ = picked
        c = w.circles.circle(cid)
        order = list(c.members)  # rotation as it is
        ctx.used_persons.update(order)
        n = len(order)
        late = {order[i] for i in rng.permutation(n)[: int(rng.integers(1, min(3, n) + 1))]}
        n_periods = int(max(1, min(n, (ctx.end - DAY - c.start_day) // c.period + 1)))
        draft = Draft(self.name, False, variant="circle")
        dropped = c.honest_rotation(draft, n_periods, rng, ctx, late, hardship=0.8)
        draft.member("Circle", cid, "circle")
        for p in order:
            draft.member("Person", p, "organizer" if p == c.organizer else "member")
        draft.edge(MEMBER_OF, order, cid, "membership")
        draft.edge(ORGANIZES, c.organizer, cid, "organizer")
        draft.parameters = {"circle": cid, "members": n, "late_payers": len(late), "dropped": dropped,
                            "contribution": float(c.amount), "frequency": c.frequency,
                            "redated": bool(c.redated), "start_date": int(c.start_day), "decoy_of": self.name}
        return draft.build()

    # -- merchant variant -------------------------------------------------------------------------
    def _merchant_fraud(self, w: _World, rng, config, ctx):
        picked = w.merchants.pick_with_customers(rng, RETURNS_INDUSTRIES, (config.min_customers, config.max_customers),
                                                 (0.2, 0.7), fewest=min(config.min_customers, 2))
        if picked is None:
            return None
        merchant, customers, accounts = picked
        start, end = w.kit.window(rng.uniform(20, 75))
        b = ctx.knobs.amount_blending
        base = blend(rng.uniform(800, 3000), w.merchants.typical(merchant, rng), b)
        refund_rate = (1 - b) * rng.uniform(0.75, 0.95) + b * rng.uniform(0.35, 0.6)
        quick = 0.3 + 0.7 * ctx.knobs.timing_spread
        draft = Draft(self.name, True, variant="merchant")
        draft.member("Company", merchant, "colluding_merchant")
        stats = [w.merchants.purchases(draft, acc, merchant, (start, end), base, sigma=0.25, refund_rate=refund_rate,
                                       refund_days=(0.2, 3.0), pace=quick, role="fake_purchases") for acc in accounts]
        kickbacks = _kickbacks(draft, w, merchant, customers, accounts, stats, (start, end), quick, rng, ctx)
        draft.member("Person", customers, "colluding_customer")
        draft.member("Account", accounts, "customer_account")
        draft.parameters = {"merchant": merchant, "customers": len(set(customers)), "base_amount": round(base, 2),
                            "refund_rate": round(refund_rate, 3), "purchased": round(sum(s for s, _ in stats), 2),
                            "refunded": round(sum(r for _, r in stats), 2), "kickbacks": kickbacks}
        return draft.build()

    def _merchant_decoy(self, w: _World, rng, config, ctx):
        picked = w.merchants.pick_with_customers(rng, RETURNS_INDUSTRIES, (config.min_customers, config.max_customers),
                                                 (0.3, 0.8), fewest=min(config.min_customers, 2))
        if picked is None:
            return None
        merchant, customers, accounts = picked
        base = w.merchants.typical(merchant, rng) * rng.uniform(1.0, 3.0)
        refund_rate = rng.uniform(0.2, 0.5)
        draft = Draft(self.name, False, variant="merchant")
        stats = [w.merchants.purchases(draft, acc, merchant, (ctx.start, ctx.end - DAY), base, sigma=0.35,
                                       refund_rate=refund_rate, refund_days=(1, 25), partial=0.3, role="purchases")
                 for acc in accounts]  # loyal customers: regular visits over the whole span
        draft.member("Company", merchant, "merchant")
        draft.member("Person", customers, "customer")
        draft.member("Account", accounts, "customer_account")
        draft.parameters = {"merchant": merchant, "customers": len(set(customers)), "base_amount": round(float(base), 2),
                            "refund_rate": round(float(refund_rate), 3),
                            "purchased": round(sum(s for s, _ in stats), 2),
                            "refunded": round(sum(r for _, r in stats), 2), "decoy_of": self.name}
        return draft.build()


# -- circle steps -------------------------------------------------------------------------------
def _colluders(c: Circle, m: int, rng, ctx) -> list[str] | None:
    """The organizer and ``m - 1`` accomplices among the members not recruited elsewhere, in payout order."""
    organizer = c.organizer
    free = [p for p in c.members if p != organizer and p not in ctx.used_persons]  # the organizer vouched for them
    accomplices = [free[i] for i in rng.permutation(len(free))[: m - 1]]
    if len(accomplices) < m - 1:
        return None
    accomplices.insert(0 if rng.random() < 0.6 else int(rng.integers(0, m)), organizer)
    return accomplices


def _rigged_rotation(draft: Draft, c: Circle, order: list[str], m: int, exits: dict, absconds: bool, rng,
                     ctx) -> None:
    """Contributions and payouts until the span ends or the organizer absconds; paid colluders stop paying in."""
    missed, active = [], set(order)
    for q in range(1, len(order) + 1):
        t_q = c.period_start(q)
        if t_q >= ctx.end - DAY:
            break
        times = c.collect(draft, t_q, c.payers([p for p in order if p in active], t_q), rng, ctx)
        missed += [(int(t_q + 3 * DAY), p) for p in order[:min(q - 1, m)] if exits[p] == "default"]
        recipient = order[q - 1]
        if q > m and absconds:
            t_pay = c.pay_out(draft, times, recipient, rng, ctx, "circle_payout_missed", "withheld")
            draft.schedule([int(min(t_pay + DAY, ctx.end - 60))], "circle_failed", "", c.id, "",
                           detail="organizer_absconded")
            break
        t_pay = c.pay_out(draft, times, recipient, rng, ctx)
        if q <= m:
            active.discard(recipient)  # stops contributing once paid
            if exits[recipient] == "drop":
                t_drop = int(min(t_pay + rng.uniform(1, 6) * DAY, ctx.end - 60))
                draft.schedule([t_drop], "circle_member_dropped", MEMBER_STEM, recipient, c.id, detail="after_payout")
    missed = [(t, p) for t, p in missed if t < ctx.end - 60]
    if missed:
        draft.schedule([t for t, _ in missed], "circle_contribution_missed", MEMBER_STEM,
                       [p for _, p in missed], c.id, c.amount, detail="after_payout")


# -- merchant steps -----------------------------------------------------------------------------
def _kickbacks(draft: Draft, w: _World, merchant: str, customers: list[str], accounts: list[str], stats: list,
               window, quick: float, rng, ctx) -> bool:
    """A free member of the merchant's staff pays the customers a share of their fake spend; whether one did."""
    start, end = window
    insider = w.merchants.insider(merchant)
    if insider is None:
        return False
    ctx.used_persons.add(insider)
    pay_from = w.merchants.account_of([insider], EVERYDAY)[0]
    to = w.merchants.account_of(customers, EVERYDAY)
    ok = [i for i, a in enumerate(to) if a is not None and pay_from is not None]
    if not ok:
        return False
    befriend(w.links, [(insider, customers[i]) for i in ok], start)
    for i in ok:
        share = rng.uniform(0.03, 0.12)
        n_kb = int(rng.integers(1, 3))
        t_kb = np.sort(np.minimum(end + (rng.random(n_kb) * 10 * DAY * quick).astype(np.int64), ctx.end - 60))
        kb = np.round(np.full(n_kb, max(stats[i][0] * share / n_kb, 20.0)) * rng.uniform(0.9, 1.1, n_kb), 2)
        w.links.queue(TRANSFERS, pay_from, to[i], kind="p2p", typical_amount=float(np.median(kb)),
                      monthly_count=monthly_rate(n_kb, ctx), since=int(t_kb[0]))
        draft.schedule(t_kb, "transfer", TRANSFERS_STEM, pay_from, to[i], kb, detail="kickback")
        draft.edge(TRANSFERS, pay_from, to[i], "kickback")
    draft.member("Person", insider, "merchant_insider")
    draft.member("Account", pay_from, "kickback_account")
    draft.member("Account", [to[i] for i in ok if to[i] not in accounts], "kickback_receiver")
    draft.edge(WORKS_AT, insider, merchant, "insider_employment")
    return True


def _variants(rng, count: int, circle_share: float) -> list[str]:
    """``count`` variant names, as close to ``circle_share`` circles as whole numbers allow, in random order."""
    exact = count * circle_share
    n_circle = int(exact) + int(rng.random() < exact - int(exact))
    names = np.array(["circle"] * n_circle + ["merchant"] * (count - n_circle), dtype=object)
    return list(names[rng.permutation(count)]) if count else []
