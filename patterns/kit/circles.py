"""Savings circles (sou-sou / ROSCA): picked, rotation and dates rewritten, collections and payouts scheduled."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from fraudgraph.patterns.kit.instances import Draft
from fraudgraph.patterns.kit.timing import trend
from fraudgraph.patterns.kit.toolkit import Toolkit

from fraudgraph import schema
from fraudgraph.schema import PERIOD_DAYS
from fraudgraph.units import DAY, HOUR, to_datetime, to_seconds

MEMBER_OF = ("Person", "MEMBER_OF", "Circle")
ORGANIZES = ("Person", "ORGANIZES", "Circle")
#: The MEMBER_OF edge type by file stem, as schedules name it.
MEMBER_STEM = schema.stem(*MEMBER_OF)


@dataclass
class Circle:
    """One savings circle: who organizes it, who pays in, and when; its contributions and payouts, scheduled.

    ``members`` are in rotation order (the first is paid first), ``joined`` maps each to their
    join time, ``period`` is in seconds, ``start_day`` is the first collection, ``created`` the
    circle's creation and ``redated`` tells whether this call moved it into the span.
    """

    id: str
    organizer: str
    members: list[str]
    joined: dict[str, int]
    amount: float
    frequency: str
    period: int
    start_day: int
    created: int
    redated: bool

    def period_start(self, q: int) -> int:
        """Start of the ``q``-th period (1-based), epoch seconds."""
        return self.start_day + (q - 1) * self.period

    def payers(self, candidates, t_q: int) -> list[str]:
        """Those of ``candidates`` who joined by two days after ``t_q``, in the order given."""
        return [p for p in candidates if self.joined[p] <= t_q + 2 * DAY]

    def collect(self, draft: Draft, t_q: int, payers: list[str], rng, ctx, late=frozenset()) -> np.ndarray:
        """One period's contributions, each within two days (as the timing spread knob says) of its start.

        Parameters
        ----------
        draft : Draft
            The instance the contributions are scheduled in.
        t_q : int
            Start of the period (epoch seconds).
        payers : list of str
            Who pays in, in schedule order.
        rng : numpy.random.Generator
            The call's generator.
        ctx : InjectionContext
            The span and the knobs.
        late : set of str, optional
            Members who often (six times in ten) pay 3-10 days late.

        Returns
        -------
        numpy.ndarray
            The contributions' times.
        """
        spread = 0.3 + 0.7 * ctx.knobs.timing_spread
        offsets = rng.random(len(payers)) * 2 * DAY * spread
        is_late = np.array([p in late and rng.random() < 0.6 for p in payers], dtype=bool)
        offsets[is_late] += rng.uniform(3, 10, int(is_late.sum())) * DAY
        times = np.minimum(t_q + offsets.astype(np.int64), ctx.end - 120)
        draft.schedule(times, "circle_contribution", MEMBER_STEM, payers, self.id, self.amount,
                       detail=np.where(is_late, "late", "on_time"))
        return times

    def pay_out(self, draft: Draft, times: np.ndarray, recipient: str, rng, ctx, kind: str = "circle_payout",
                detail: str = "payout") -> int:
        """The pot of the contributions made at ``times``, scheduled half a day to three days after the last one.

        ``kind`` and ``detail`` name the payout (``circle_payout_missed``/``withheld`` for a pot kept
        by the organizer). Returns its time (epoch seconds).
        """
        t_pay = int(min(times.max() + rng.uniform(0.5, 3) * DAY, ctx.end - 60))
        draft.schedule([t_pay], kind, MEMBER_STEM, recipient, self.id, round(self.amount * len(times), 2),
                       detail=detail)
        return t_pay

    def honest_rotation(self, draft: Draft, n_periods: int, rng, ctx, late=frozenset(), hardship: float = 0.0) -> bool:
        """The first ``n_periods`` collections and payouts of an honest circle, in its rotation order.

        Parameters
        ----------
        draft : Draft
            The instance the rotation is scheduled in.
        n_periods : int
            Periods played out.
        rng : numpy.random.Generator
            The call's generator.
        ctx : InjectionContext
            The span and the knobs.
        late : set of str, optional
            Members who often pay days late (see :meth:`collect`).
        hardship : float, default 0.0
            Chance (with two periods or more) that a member waiting for their turn, not the organizer,
            leaves for hardship shortly before a period: they are refunded what they paid in and pay
            nothing more.

        Returns
        -------
        bool
            Whether someone left.
        """
        leaver, leave_q = self._leaver(n_periods, hardship, rng)
        active = list(self.members)
        for q in range(1, n_periods + 1):
            t_q = self.period_start(q)
            if leaver is not None and q == leave_q:
                t_drop = int(min(t_q - rng.uniform(0.5, 3) * DAY, ctx.end - 60))
                draft.schedule([t_drop], "circle_member_dropped", MEMBER_STEM, leaver, self.id, detail="hardship")
                draft.schedule([int(min(t_drop + rng.uniform(1, 4) * DAY, ctx.end - 60))], "circle_payout",
                               MEMBER_STEM, leaver, self.id, round(self.amount * (q - 1), 2), detail="refund")
                active = [p for p in active if p != leaver]
            times = self.collect(draft, t_q, self.payers(active, t_q), rng, ctx, late)
            if self.members[q - 1] in active:
                self.pay_out(draft, times, self.members[q - 1], rng, ctx)
        return leaver is not None

    def _leaver(self, n_periods: int, hardship: float, rng) -> tuple[str | None, int]:
        """Who leaves for hardship (None if nobody), and before which period."""
        if n_periods < 2 or rng.random() >= hardship:
            return None, 0
        leave_q = int(rng.integers(2, n_periods + 1))
        waiting = [p for p in self.members[leave_q:] if p != self.organizer]
        return (waiting[int(rng.integers(0, len(waiting)))] if waiting else None), leave_q


class Circles:
    """Savings circles, their members and rotation; collects position and date rewrites, applied once at the end.

    Parameters
    ----------
    graph : PropertyGraph
        The graph whose ``Circle`` nodes and ``MEMBER_OF``/``ORGANIZES`` edges are read and, by
        :meth:`apply`, rewritten.
    kit : Toolkit
        The call's toolkit (context, drift, creation times).
    used : set of str
        Circles already taken by earlier calls; picked circles are added to it.
    redate : bool
        Whether :meth:`pick` may move an unused circle into the span when none starts there.
    """

    def __init__(self, graph, kit: Toolkit, used: set[str], redate: bool):
        self.graph, self.kit, self.used, self.redate = graph, kit, used, redate
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
        self._period = np.array([PERIOD_DAYS[schema.FREQUENCIES.index(f)] * DAY for f in circles["frequency"]],
                                dtype=np.int64)
        self._positions: dict[str, list[str]] = {}
        self._redated: dict[str, dict] = {}

    def circle(self, cid: str) -> Circle:
        """Circle ``cid`` as it stands after this call's rewrites."""
        i = self._row[cid]
        redated = self._redated.get(cid)
        return Circle(
            id=cid,
            organizer=self._organizer[cid],
            members=self._positions.get(cid, self._members[cid]),
            joined=redated["joined"] if redated else self._joined[cid],
            amount=float(self.table["contribution_amount"].iloc[i]),
            frequency=str(self.table["frequency"].iloc[i]),
            period=int(self._period[i]),
            start_day=int(redated["start_day"] if redated else self._start[i]),
            created=int(redated["created"] if redated else self._created[i]),
            redated=redated is not None,
        )

    def pick(self, rng, m: int, fraud: bool):
        """An unused circle whose first ``m`` payouts and the next collection fall inside the span.

        Parameters
        ----------
        rng : numpy.random.Generator
            The call's generator.
        m : int
            Payouts that must fit (a rigged circle's colluders); lowered down to 2 when no circle
            has enough free members for ``fraud``.
        fraud : bool
            A rigged circle needs ``m + 1`` members (victims besides the colluders), a decoy 3.

        Returns
        -------
        tuple of (str, int) or None
            The circle's id and the ``m`` it fits, or None when no circle does (even re-dated).
        """
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
        """Give circle ``cid`` the payout rotation ``order`` (its members, first paid first)."""
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
            member["position"] = np.array([pos.get(k, v) for k, v in zip(keys, member["position"].tolist())],
                                          dtype=np.int64)
        if joined:
            old = to_seconds(member["joined_at"]).tolist()
            member["joined_at"] = to_datetime([joined.get(k, v) for k, v in zip(keys, old)])
        g.edges[MEMBER_OF] = member
        if self._redated:
            self._apply_dates()

    def _apply_dates(self) -> None:
        """Re-dated circles: creation, start and status on the Circle rows, ``since`` on ORGANIZES."""
        g = self.graph
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
        org["since"] = to_datetime([since.get(c, t) for c, t in zip(org["dst"].tolist(),
                                                                     to_seconds(org["since"]).tolist())])
        g.edges[ORGANIZES] = org
        self.kit.created("Circle").update(since)

