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

import numpy as np
import pandas as pd
from fraudgraph.patterns.base import (
    Injector,
    InjectorConfig,
    PatternInstance,
    ScheduleRows,
)
from fraudgraph.patterns.kit import (
    PAYS,
    PAYS_STEM,
    TRANSFERS,
    TRANSFERS_STEM,
    WORKS_AT,
    Links,
    Toolkit,
    blend,
    monthly_rate,
    trend,
)
from pydantic import Field

from fraudgraph import schema
from fraudgraph.graph import isin
from fraudgraph.schema import PERIOD_DAYS
from fraudgraph.units import DAY, HOUR, to_datetime, to_seconds
from fraudgraph.vocab.industries import INDUSTRY_SPEND

MEMBER_OF = ("Person", "MEMBER_OF", "Circle")
ORGANIZES = ("Person", "ORGANIZES", "Circle")
MEMBER_STEM = schema.stem("Person", "MEMBER_OF", "Circle")
#: Merchants whose customers legitimately return a lot (decoys) and those a colluding merchant is drawn from.
RETURNS_INDUSTRIES = ("retail", "technology", "entertainment", "travel")


class CollusionConfig(InjectorConfig):
    circle_share: float = Field(0.5, ge=0.0, le=1.0, description="Share of instances that rig a savings circle (the rest: merchant collusion).")
    min_colluders: int = Field(2, ge=2, le=10, description="Fewest circle colluders, the organizer included.")
    max_colluders: int = Field(3, ge=2, le=10, description="Most circle colluders, the organizer included.")
    min_customers: int = Field(4, ge=1, le=100, description="Fewest customers colluding with a merchant.")
    max_customers: int = Field(10, ge=1, le=100, description="Most customers colluding with a merchant.")
    redate_circles: bool = Field(True, description="Re-date an unused circle into the span when none starts there.")


class Collusion(Injector):
    name = "collusion"
    config_model = CollusionConfig
    persons_per_instance = 5.0

    def __init__(self):
        self._used_circles: set[str] = set()

    # -- fraud ------------------------------------------------------------------------------
    def inject(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        links = _Links(kit)
        circles = _Circles(graph, kit, links, self._used_circles, config.redate_circles)
        merchants = _Merchants(graph, kit, links)
        out = _run(rng, count, config, {"circle": (self._circle_fraud, circles), "merchant": (self._merchant_fraud, merchants)},
                   kit, ctx)
        links.flush()
        circles.apply()
        return out

    def inject_decoys(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        links = _Links(kit)
        circles = _Circles(graph, kit, links, self._used_circles, config.redate_circles)
        merchants = _Merchants(graph, kit, links)
        out = _run(rng, count, config, {"circle": (self._circle_decoy, circles), "merchant": (self._merchant_decoy, merchants)},
                   kit, ctx)
        links.flush()
        circles.apply()
        return out

    # -- circle variant -----------------------------------------------------------------------
    def _circle_fraud(self, circles: _Circles, kit: Toolkit, rng, config, ctx):
        m = int(rng.integers(config.min_colluders, config.max_colluders + 1))
        picked = circles.pick(rng, m, fraud=True)
        if picked is None:
            return None
        cid, m = picked
        c = circles.info(cid)
        organizer, others = c["organizer"], [p for p in c["members"] if p != c["organizer"]]
        # accomplices: members not yet recruited elsewhere (the organizer vouched for them)
        free = [p for p in others if p not in kit.ctx.used_persons]
        accomplices = [free[i] for i in rng.permutation(len(free))[: m - 1]]
        if len(accomplices) < m - 1:
            return None
        colluders = list(accomplices)
        colluders.insert(0 if rng.random() < 0.6 else int(rng.integers(0, m)), organizer)
        victims = [p for p in c["members"] if p not in colluders]  # keep their relative order
        order = colluders + victims
        circles.set_positions(cid, order)
        kit.ctx.used_persons.update(order)
        circles.links.friends([(a, b) for i, a in enumerate(colluders) for b in colluders[i + 1:]], c["created"])
        n, amount, period, t0 = len(order), c["amount"], c["period"], c["start_day"]
        spread = 0.3 + 0.7 * ctx.knobs.timing_spread
        exits = {p: ("drop" if rng.random() < 0.5 else "default") for p in colluders}
        absconds = rng.random() < 0.5
        rows, missed = ScheduleRows(), []
        active = set(order)
        for q in range(1, n + 1):
            t_q = t0 + (q - 1) * period
            if t_q >= ctx.end - DAY:
                break
            payers = [p for p in order if p in active and c["joined"][p] <= t_q + 2 * DAY]
            offsets = (rng.random(len(payers)) * 2 * DAY * spread).astype(np.int64)
            times = np.minimum(t_q + offsets, ctx.end - 120)
            rows.add(times, "circle_contribution", MEMBER_STEM, payers, cid, amount, detail="on_time")
            for p in order[:min(q - 1, m)]:  # colluders already paid: they no longer pay in
                if exits[p] == "default":
                    missed.append((int(t_q + 3 * DAY), p))
            pot = round(amount * len(payers), 2)
            t_pay = int(min(times.max() + rng.uniform(0.5, 3) * DAY, ctx.end - 60))
            recipient = order[q - 1]
            if q <= m:
                rows.add([t_pay], "circle_payout", MEMBER_STEM, recipient, cid, pot, detail="payout")
                active.discard(recipient)  # stops contributing once paid
                if exits[recipient] == "drop":
                    t_drop = int(min(t_pay + rng.uniform(1, 6) * DAY, ctx.end - 60))
                    rows.add([t_drop], "circle_member_dropped", MEMBER_STEM, recipient, cid, detail="after_payout")
            elif absconds:
                rows.add([t_pay], "circle_payout_missed", MEMBER_STEM, recipient, cid, pot, detail="withheld")
                rows.add([int(min(t_pay + DAY, ctx.end - 60))], "circle_failed", "", cid, "", detail="organizer_absconded")
                break
            else:
                rows.add([t_pay], "circle_payout", MEMBER_STEM, recipient, cid, pot, detail="payout")
        missed = [(t, p) for t, p in missed if t < ctx.end - 60]
        if missed:
            rows.add([t for t, _ in missed], "circle_contribution_missed", MEMBER_STEM,
                     [p for _, p in missed], cid, amount, detail="after_payout")
        schedule = rows.frame()
        roles = {p: "early_recipient" for p in accomplices} | {organizer: "organizer"}
        members = [("Circle", cid, "circle")] + [("Person", p, roles.get(p, "victim")) for p in order]
        edges = [(MEMBER_OF, p, cid, "colluder_membership" if p in roles else "victim_membership") for p in order]
        edges.append((ORGANIZES, organizer, cid, "organizer"))
        return PatternInstance(
            typology=self.name, is_fraud=True, variant="circle",
            start=int(schedule["time"].min()), end=int(schedule["time"].max()) + 1,
            members=members, edges=edges, schedule=schedule,
            parameters={"circle": cid, "members": n, "colluders": m, "colluder_ids": colluders,
                        "contribution": float(amount), "frequency": c["frequency"], "exits": [exits[p] for p in colluders],
                        "organizer_absconds": bool(absconds), "redated": bool(c["redated"]),
                        "start_date": int(t0)},
        )

    def _circle_decoy(self, circles: _Circles, kit: Toolkit, rng, config, ctx):
        picked = circles.pick(rng, int(rng.integers(config.min_colluders, config.max_colluders + 1)), fraud=False)
        if picked is None:
            return None
        cid, _ = picked
        c = circles.info(cid)
        order = list(c["members"])  # rotation as it is
        kit.ctx.used_persons.update(order)
        n, amount, period, t0 = len(order), c["amount"], c["period"], c["start_day"]
        spread = 0.3 + 0.7 * ctx.knobs.timing_spread
        late = {order[i] for i in rng.permutation(n)[: int(rng.integers(1, min(3, n) + 1))]}
        n_periods = int(max(1, min(n, (ctx.end - DAY - t0) // period + 1)))
        dropper, drop_q = None, None
        if n_periods >= 2 and rng.random() < 0.8:  # someone leaves for hardship before their turn, and is refunded
            drop_q = int(rng.integers(2, n_periods + 1))
            waiting = [p for p in order[drop_q:] if p != c["organizer"]]
            dropper = waiting[int(rng.integers(0, len(waiting)))] if waiting else None
        rows = ScheduleRows()
        active = list(order)
        for q in range(1, n_periods + 1):
            t_q = t0 + (q - 1) * period
            if dropper is not None and q == drop_q:
                t_drop = int(min(t_q - rng.uniform(0.5, 3) * DAY, ctx.end - 60))
                paid_in = amount * (q - 1)
                rows.add([t_drop], "circle_member_dropped", MEMBER_STEM, dropper, cid, detail="hardship")
                rows.add([int(min(t_drop + rng.uniform(1, 4) * DAY, ctx.end - 60))], "circle_payout",
                         MEMBER_STEM, dropper, cid, round(paid_in, 2), detail="refund")
                active = [p for p in active if p != dropper]
            payers = [p for p in active if c["joined"][p] <= t_q + 2 * DAY]
            offsets = rng.random(len(payers)) * 2 * DAY * spread
            is_late = np.array([p in late and rng.random() < 0.6 for p in payers], dtype=bool)
            offsets[is_late] += rng.uniform(3, 10, int(is_late.sum())) * DAY
            times = np.minimum(t_q + offsets.astype(np.int64), ctx.end - 120)
            detail = np.where(is_late, "late", "on_time")
            rows.add(times, "circle_contribution", MEMBER_STEM, payers, cid, amount, detail=detail)
            recipient = order[q - 1]
            if recipient in active:
                t_pay = int(min(times.max() + rng.uniform(0.5, 3) * DAY, ctx.end - 60))
                rows.add([t_pay], "circle_payout", MEMBER_STEM, recipient, cid,
                         round(amount * len(payers), 2), detail="payout")
        schedule = rows.frame()
        members = [("Circle", cid, "circle")] + [("Person", p, "organizer" if p == c["organizer"] else "member") for p in order]
        edges = [(MEMBER_OF, p, cid, "membership") for p in order] + [(ORGANIZES, c["organizer"], cid, "organizer")]
        return PatternInstance(
            typology=self.name, is_fraud=False, variant="circle",
            start=int(schedule["time"].min()), end=int(schedule["time"].max()) + 1,
            members=members, edges=edges, schedule=schedule,
            parameters={"circle": cid, "members": n, "late_payers": len(late), "dropped": dropper is not None,
                        "contribution": float(amount), "frequency": c["frequency"], "redated": bool(c["redated"]),
                        "start_date": int(t0), "decoy_of": self.name},
        )

    # -- merchant variant -------------------------------------------------------------------------
    def _merchant_fraud(self, merchants: _Merchants, kit: Toolkit, rng, config, ctx):
        merchant = merchants.pick(rng, prefer=RETURNS_INDUSTRIES)
        if merchant is None:
            return None
        k = int(rng.integers(config.min_customers, config.max_customers + 1))
        customers, accounts = merchants.customers(rng, merchant, k, regulars=rng.uniform(0.2, 0.7))
        if len(customers) < min(config.min_customers, 2):
            return None
        start, end = kit.window(rng.uniform(20, 75))
        b = ctx.knobs.amount_blending
        base = blend(rng.uniform(800, 3000), merchants.typical(merchant, rng), b)
        refund_rate = (1 - b) * rng.uniform(0.75, 0.95) + b * rng.uniform(0.35, 0.6)
        quick = 0.3 + 0.7 * ctx.knobs.timing_spread
        rows, edges, stats = ScheduleRows(), [], []
        for acc in accounts:
            n = int(rng.integers(3, 11))
            t = np.sort(start + (kit.fraction(start, end, n) * (end - start)).astype(np.int64))
            amt = np.round(base * np.exp(rng.normal(0, 0.25, n)), 2)
            merchants.link_pays(acc, merchant, amt, t, ctx)
            refunded = rng.random(n) < refund_rate
            t_ref = t + (rng.uniform(0.2, 3.0, n) * DAY * quick).astype(np.int64)
            refunded &= t_ref < ctx.end - 60
            rows.add(t, "card_payment", PAYS_STEM, acc, merchant, amt, detail="purchase")
            rows.add(t_ref[refunded], "refund", PAYS_STEM, acc, merchant, amt[refunded], detail="refund")
            edges.append((PAYS, acc, merchant, "fake_purchases"))
            stats.append((float(amt.sum()), float(amt[refunded].sum())))
        insider = merchants.insider(merchant)
        members = [("Company", merchant, "colluding_merchant")]
        if insider is not None:
            kit.ctx.used_persons.add(insider)
            pay_from = merchants.account_of([insider], ("checking", "wallet", "savings"))[0]
            to = merchants.account_of(customers, ("checking", "wallet", "savings"))
            ok = [i for i, a in enumerate(to) if a is not None and pay_from is not None]
            if ok:
                merchants.links.friends([(insider, customers[i]) for i in ok], start)
                for i in ok:
                    spent, back = stats[i]
                    share = rng.uniform(0.03, 0.12)
                    n_kb = int(rng.integers(1, 3))
                    t_kb = np.sort(np.minimum(end + (rng.random(n_kb) * 10 * DAY * quick).astype(np.int64), ctx.end - 60))
                    kb = np.round(np.full(n_kb, max(spent * share / n_kb, 20.0)) * rng.uniform(0.9, 1.1, n_kb), 2)
                    merchants.links.queue(TRANSFERS, pay_from, to[i], kind="p2p", typical_amount=float(np.median(kb)),
                                          monthly_count=monthly_rate(n_kb, ctx), since=int(t_kb[0]))
                    rows.add(t_kb, "transfer", TRANSFERS_STEM, pay_from, to[i], kb, detail="kickback")
                    edges.append((TRANSFERS, pay_from, to[i], "kickback"))
                members += [("Person", insider, "merchant_insider"), ("Account", pay_from, "kickback_account")]
                members += [("Account", to[i], "kickback_receiver") for i in ok if to[i] not in accounts]
                edges.append((WORKS_AT, insider, merchant, "insider_employment"))
            else:
                insider = None
        members += [("Person", p, "colluding_customer") for p in customers] + [("Account", a, "customer_account") for a in accounts]
        schedule = rows.frame()
        spent = sum(s for s, _ in stats)
        back = sum(r for _, r in stats)
        return PatternInstance(
            typology=self.name, is_fraud=True, variant="merchant",
            start=int(schedule["time"].min()), end=int(schedule["time"].max()) + 1,
            members=members, edges=edges, schedule=schedule,
            parameters={"merchant": merchant, "customers": len(customers), "base_amount": round(base, 2),
                        "refund_rate": round(refund_rate, 3), "purchased": round(spent, 2), "refunded": round(back, 2),
                        "kickbacks": insider is not None},
        )

    def _merchant_decoy(self, merchants: _Merchants, kit: Toolkit, rng, config, ctx):
        merchant = merchants.pick(rng, prefer=RETURNS_INDUSTRIES)
        if merchant is None:
            return None
        k = int(rng.integers(config.min_customers, config.max_customers + 1))
        customers, accounts = merchants.customers(rng, merchant, k, regulars=rng.uniform(0.3, 0.8))
        if len(customers) < min(config.min_customers, 2):
            return None
        start, end = ctx.start, ctx.end
        base = merchants.typical(merchant, rng) * rng.uniform(1.0, 3.0)
        refund_rate = rng.uniform(0.2, 0.5)
        rows, edges = ScheduleRows(), []
        spent = back = 0.0
        for acc in accounts:  # loyal customers: regular visits over the whole span
            n = int(rng.integers(3, 11))
            t = np.sort(start + (kit.fraction(start, end - DAY, n) * (end - start - DAY)).astype(np.int64))
            amt = np.round(base * np.exp(rng.normal(0, 0.35, n)), 2)
            merchants.link_pays(acc, merchant, amt, t, ctx)
            refunded = rng.random(n) < refund_rate
            t_ref = t + (rng.uniform(1, 25, n) * DAY).astype(np.int64)
            refunded &= t_ref < ctx.end - 60
            partial = np.where(rng.random(n) < 0.3, np.round(amt * rng.uniform(0.3, 0.9, n), 2), amt)
            rows.add(t, "card_payment", PAYS_STEM, acc, merchant, amt, detail="purchase")
            rows.add(t_ref[refunded], "refund", PAYS_STEM, acc, merchant, partial[refunded], detail="refund")
            edges.append((PAYS, acc, merchant, "purchases"))
            spent += float(amt.sum())
            back += float(partial[refunded].sum())
        schedule = rows.frame()
        members = [("Company", merchant, "merchant")] + [("Person", p, "customer") for p in customers]
        members += [("Account", a, "customer_account") for a in accounts]
        return PatternInstance(
            typology=self.name, is_fraud=False, variant="merchant",
            start=int(schedule["time"].min()), end=int(schedule["time"].max()) + 1,
            members=members, edges=edges, schedule=schedule,
            parameters={"merchant": merchant, "customers": len(customers), "base_amount": round(float(base), 2),
                        "refund_rate": round(float(refund_rate), 3), "purchased": round(spent, 2),
                        "refunded": round(back, 2), "decoy_of": self.name},
        )


class _Circles:
    """Savings circles, their members and rotation; collects position and date rewrites, applied once at the end."""

    def __init__(self, graph, kit: Toolkit, links: _Links, used: set[str], redate: bool):
        self.graph, self.kit, self.links, self.used, self.redate = graph, kit, links, used, redate
        ctx = kit.ctx
        self.ctx = ctx
        circles = graph.nodes["Circle"]
        member = graph.edges[MEMBER_OF].sort_values(["dst", "position"])
        org = graph.edges[ORGANIZES]
        self._organizer = dict(zip(org["dst"], org["src"]))
        self._members: dict[str, list[str]] = {}
        self._joined: dict[str, dict[str, int]] = {}
        joined = to_seconds(member["joined_at"]) if len(member) else np.empty(0, np.int64)
        for cid, p, j in zip(member["dst"].tolist(), member["src"].tolist(), joined.tolist()):
            self._members.setdefault(cid, []).append(p)
            self._joined.setdefault(cid, {})[p] = j
        self.table = circles
        self._row = {cid: i for i, cid in enumerate(circles["id"].tolist())}
        self._start = to_seconds(circles["start_date"]) if len(circles) else np.empty(0, np.int64)
        self._created = to_seconds(circles["created_at"]) if len(circles) else np.empty(0, np.int64)
        self._period = np.array([PERIOD_DAYS[schema.FREQUENCIES.index(f)] * DAY for f in circles["frequency"]], dtype=np.int64)
        self._positions: dict[str, list[str]] = {}
        self._redated: dict[str, dict] = {}

    def info(self, cid: str) -> dict:
        i = self._row[cid]
        redated = self._redated.get(cid)
        return {
            "organizer": self._organizer[cid],
            "members": self._positions.get(cid, self._members[cid]),
            "joined": redated["joined"] if redated else self._joined[cid],
            "amount": float(self.table["contribution_amount"].iloc[i]),
            "frequency": str(self.table["frequency"].iloc[i]),
            "period": int(self._period[i]),
            "start_day": int(redated["start_day"] if redated else self._start[i]),
            "created": int(redated["created"] if redated else self._created[i]),
            "redated": redated is not None,
        }

    def pick(self, rng, m: int, fraud: bool):
        """An unused circle whose first ``m`` payouts and the next collection fall inside the span; returns (id, m)."""
        ctx = self.ctx
        ids = self.table["id"].to_numpy(dtype=object)
        if ids.size == 0:
            return None
        size = np.array([len(self._members.get(c, ())) for c in ids])
        used_persons = ctx.used_persons
        free = np.array([c not in self.used and self._organizer.get(c) not in used_persons for c in ids], dtype=bool)
        # a rigged circle needs victims and enough free members to be the accomplices
        need = m + 1 if fraud else 3
        ok = free & (size >= need)
        if not ok.any() and fraud and m > 2:
            return self.pick(rng, m - 1, fraud)
        if not ok.any():
            return None
        last = self._start + m * self._period  # collection of the first period after the colluders' payouts
        natural = ok & (self._start >= ctx.start) & (last <= ctx.end - 2 * DAY)
        if natural.any():
            candidates = np.flatnonzero(natural)
            if ctx.drift:  # later (or earlier) rotations are likelier, as the scenario's drift says
                weight = trend(self._start[candidates] + m * self._period[candidates] / 2, ctx)
                cid = ids[rng.choice(candidates, p=weight / weight.sum())]
            else:
                cid = ids[rng.choice(candidates)]
            self.used.add(cid)
            return cid, m
        if not self.redate:
            return None
        fits = ok & (m * self._period <= (ctx.end - ctx.start) - 4 * DAY)
        for i in rng.permutation(np.flatnonzero(fits)):
            if self._redate(rng, ids[i], m):
                self.used.add(ids[i])
                return ids[i], m
        return None

    def _redate(self, rng, cid: str, m: int) -> bool:
        """Move circle ``cid`` so that its rotation starts inside the span (drawn as the population dates circles)."""
        ctx, i = self.ctx, self._row[cid]
        period = int(self._period[i])
        lo, hi = ctx.start + DAY, ctx.end - m * period - 2 * DAY
        if hi <= lo:
            return False
        start_day = (lo + int(self.kit.fraction(lo, hi, length=m * period) * (hi - lo))) // DAY * DAY
        k = 3 + int(rng.random() * 25)
        created = start_day - k * DAY + int(rng.random() * DAY)
        person_created = self.kit.created("Person")
        members = self._members[cid]
        if any(person_created[p] > created for p in members):
            return False
        delay = rng.exponential(7 * DAY, len(members)).astype(np.int64)
        joined = {p: (created if p == self._organizer[cid] else int(min(created + d, start_day - HOUR)))
                  for p, d in zip(members, delay)}
        self._redated[cid] = {"start_day": int(start_day), "created": int(created), "joined": joined}
        return True

    def set_positions(self, cid: str, order: list[str]) -> None:
        self._positions[cid] = list(order)

    def apply(self) -> None:
        """Write the new rotations and dates into the Circle, MEMBER_OF and ORGANIZES tables."""
        if not self._positions and not self._redated:
            return
        g = self.graph
        member = g.edges[MEMBER_OF].copy()
        pos = {(p, cid): i + 1 for cid, order in self._positions.items() for i, p in enumerate(order)}
        joined = {(p, cid): t for cid, r in self._redated.items() for p, t in r["joined"].items()}
        keys = list(zip(member["src"].tolist(), member["dst"].tolist()))
        if pos:
            member["position"] = np.array([pos.get(k, v) for k, v in zip(keys, member["position"].tolist())], dtype=np.int64)
        if joined:
            old = to_seconds(member["joined_at"]).tolist()
            member["joined_at"] = to_datetime([joined.get(k, v) for k, v in zip(keys, old)])
        g.edges[MEMBER_OF] = member
        if self._redated:
            circles = g.nodes["Circle"].copy()
            rows = np.array([self._row[c] for c in self._redated])
            created = np.array([r["created"] for r in self._redated.values()], dtype=np.int64)
            start_day = np.array([r["start_day"] for r in self._redated.values()], dtype=np.int64)
            circles.loc[rows, "created_at"] = to_datetime(created)
            circles.loc[rows, "start_date"] = to_datetime(start_day)
            circles.loc[rows, "status"] = np.where(start_day > self.ctx.start, "pending", "active")
            circles["created_at"] = circles["created_at"].astype("datetime64[s]")
            circles["start_date"] = circles["start_date"].astype("datetime64[s]")
            g.nodes["Circle"] = circles
            org = g.edges[ORGANIZES].copy()
            since = dict(zip(self._redated, created.tolist()))
            org["since"] = to_datetime([since.get(c, t) for c, t in zip(org["dst"].tolist(), to_seconds(org["since"]).tolist())])
            g.edges[ORGANIZES] = org
            self.kit.created("Circle").update(since)


class _Merchants:
    """Ordinary merchants (not marketplace hubs), their customers' typical spend, staff and business accounts."""

    def __init__(self, graph, kit: Toolkit, links: _Links):
        self.graph, self.kit, self.links = graph, kit, links
        companies = graph.nodes["Company"]
        pays = graph.edges[PAYS]
        customers = pays["dst"].value_counts()
        merchants = companies[companies["is_merchant"].to_numpy()].copy()
        merchants["customers"] = merchants["id"].map(customers).fillna(0).to_numpy()
        if len(merchants):
            cut = max(float(merchants["customers"].quantile(0.9)), 1.0)
            merchants = merchants[(merchants["customers"] <= cut) & (merchants["customers"] >= 1)]
        self.pool = merchants.reset_index(drop=True)
        self._typical = pays.groupby("dst")["typical_amount"].median().to_dict()
        self._industry = dict(zip(companies["id"], companies["industry"]))
        self._city = dict(zip(companies["id"], companies["city"]))
        works = graph.edges[WORKS_AT]
        persons = kit.persons()
        hub_cut = max(float(persons["knows_degree"].quantile(0.9)), 1.0)
        ordinary = set(persons.loc[persons["knows_degree"] <= hub_cut, "id"].tolist())
        rank = np.array([{"officer": 0, "director": 1}.get(r, 2) for r in works["role"].tolist()])
        keep = np.array([p in ordinary for p in works["src"].tolist()], dtype=bool)
        staff = works.assign(rank=rank)[keep].sort_values(["dst", "rank", "src"])
        self._staff: dict[str, list[str]] = {}
        for c, p in zip(staff["dst"].tolist(), staff["src"].tolist()):
            self._staff.setdefault(c, []).append(p)
        accounts = graph.nodes["Account"]
        self._account_type = dict(zip(accounts["id"].tolist(), accounts["account_type"].tolist()))
        self._owned: pd.DataFrame | None = None
        self._ordinary = ordinary
        self._pays = pays[["src", "dst"]]
        self._owner: dict[str, str] | None = None

    def pick(self, rng, prefer=()):
        """A free ordinary merchant (``prefer``: industries weighted up)."""
        if self.pool.empty:
            return None
        used = self.kit.ctx.used_companies
        w = np.array([0.0 if c in used else 1.0 for c in self.pool["id"]])
        if prefer:
            w *= np.where(self.pool["industry"].isin(list(prefer)).to_numpy(), 4.0, 1.0)
        if w.sum() == 0:
            return None
        cid = self.pool["id"].iloc[int(rng.choice(len(self.pool), p=w / w.sum()))]
        self.kit.ctx.used_companies.add(cid)
        return cid

    def typical(self, merchant: str, rng) -> float:
        t = self._typical.get(merchant)
        if t is None:
            median = INDUSTRY_SPEND.get(self._industry.get(merchant), (60, 1))[0]
            t = median * float(np.exp(rng.normal(0, 0.3)))
        return float(t)

    def customers(self, rng, merchant: str, k: int, regulars: float):
        """``k`` ordinary persons with a spending account each: about ``regulars`` of them already shop at the
        merchant, the others are recruited (local to the merchant when possible)."""
        kit = self.kit
        used = kit.ctx.used_persons
        known = [(p, a) for p, a in self._regulars(merchant)
                 if p in self._ordinary and p not in used and a not in kit.ctx.used_accounts]
        known = [known[i] for i in rng.permutation(len(known))]
        chosen, seen = [], set()
        for p, a in known:
            if len(chosen) >= round(k * regulars):
                break
            if p not in seen:
                chosen.append((p, a))
                seen.add(p)
        used.update(seen)
        city = self._city.get(merchant)
        people = list(kit.recruit_persons(k - len(chosen), city=city))
        if len(people) < k - len(chosen):
            people += list(kit.recruit_persons(k - len(chosen) - len(people)))
        accounts = self.account_of(people, ("credit_card", "checking", "wallet"))
        chosen += [(p, a) for p, a in zip(people, accounts) if a is not None]
        kit.ctx.used_accounts.update(a for _, a in chosen)
        return [p for p, _ in chosen], [a for _, a in chosen]

    def _regulars(self, merchant: str) -> list[tuple[str, str]]:
        """(person, account) pairs of those who already pay ``merchant`` from an account they hold."""
        if self._owner is None:
            owns = self.graph.edges[("Person", "OWNS", "Account")]
            owns = owns[owns["role"].to_numpy() == "primary"]
            self._owner = dict(zip(owns["dst"].tolist(), owns["src"].tolist()))
        accounts = sorted(self._pays.loc[(self._pays["dst"] == merchant).to_numpy(), "src"].tolist())
        return [(self._owner[a], a) for a in accounts if a in self._owner]

    def insider(self, merchant: str):
        for p in self._staff.get(merchant, ()):
            if p not in self.kit.ctx.used_persons:
                return p
        return None

    def link_pays(self, account: str, merchant: str, amounts: np.ndarray, times: np.ndarray, ctx) -> None:
        channel = "wallet" if self._account_type.get(account) == "wallet" else "card"
        self.links.queue(PAYS, account, merchant, channel=channel, typical_amount=max(float(np.median(amounts)), 1.0),
                         monthly_count=monthly_rate(len(amounts), ctx), since=int(times[0]))

    def account_of(self, persons, types) -> list:
        """For each person, their first account (by id) of the first type in ``types`` that they hold, or None."""
        if self._owned is None:
            owns = self.graph.edges[("Person", "OWNS", "Account")]
            owns = owns[owns["role"].to_numpy() == "primary"]
            self._owned = pd.DataFrame({"src": owns["src"], "dst": owns["dst"],
                                        "type": [self._account_type[a] for a in owns["dst"].tolist()]})
        mine = self._owned[np.asarray(isin(self._owned["src"], pd.Series(list(persons), dtype="str")), dtype=bool)]
        holdings: dict[str, dict[str, str]] = {}
        for p, a, t in sorted(zip(mine["src"].tolist(), mine["dst"].tolist(), mine["type"].tolist())):
            holdings.setdefault(p, {}).setdefault(t, a)
        held = [holdings.get(p, {}) for p in persons]
        return [next((h[t] for t in types if t in h), None) for h in held]


class _Links(Links):
    """The call's queued edges, with friend ties between colluders."""

    def friends(self, pairs, since: int) -> None:
        """Friend ties (people who collude or pay each other kickbacks know each other)."""
        for a, b in pairs:
            self.queue(("Person", "KNOWS", "Person"), a, b, kind="friend", since=int(since))


def _run(rng, count: int, config, makers: dict, kit: Toolkit, ctx) -> list[PatternInstance]:
    """Build ``count`` instances, each of its drawn variant or, when that one finds no material, of the other."""
    out = []
    for variant in _variants(rng, count, config.circle_share):
        for name in (variant, "merchant" if variant == "circle" else "circle"):
            make, material = makers[name]
            inst = make(material, kit, rng, config, ctx)
            if inst is not None:
                out.append(inst)
                break
    return out


def _variants(rng, count: int, circle_share: float) -> list[str]:
    """``count`` variant names, as close to ``circle_share`` circles as whole numbers allow, in random order."""
    exact = count * circle_share
    n_circle = int(exact) + int(rng.random() < exact - int(exact))
    names = np.array(["circle"] * n_circle + ["merchant"] * (count - n_circle), dtype=object)
    return list(names[rng.permutation(count)]) if count else []
