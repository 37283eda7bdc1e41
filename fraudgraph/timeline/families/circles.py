"""Savings circles (sou-sou / ROSCA) over time: creation, joins, contribution cycles, payouts, drops, failures.

The family walks ``Circle`` nodes and their ``MEMBER_OF`` / ``ORGANIZES`` edges:

- ``circle-created`` at a circle's ``created_at`` and ``circle-member-joined`` at each
  ``MEMBER_OF.joined_at`` that falls inside the span (never for circles that had
  already completed or failed before it);
- cycle ``q`` of a circle starts at ``start_date + (q - 1) * period`` (7, 14 or 30
  days). Members who joined before it and have not dropped out owe a contribution:
  on time within the first :data:`GRACE_DAYS` days, late ``late_days`` days after
  the due date (Gaussian, at least one day), or missed. Each contribution is a
  payment from the member's checking or wallet account (savings or a card when
  they have neither) to the circle pool; a payment the ledger refuses becomes a
  missed contribution with the ledger's error code as the reason;
- the cycle's recipient is the lowest rotation position (``MEMBER_OF.position``)
  among active members who have not had their turn. The payout is the pot of the
  contributions actually received for that cycle, paid from the pool the day after
  the last of them (and never before the due date has passed);
- at the start of each cycle a member drops out with ``member_drop_rate``
  (``voluntary``, or ``removed`` by the organizer), and one who missed two cycles in
  a row is dropped for ``missed_payments``. A dropped member who had not had the pot
  yet is not refunded: the rotation moves on without them;
- a circle fails at the start of a cycle with the per-cycle hazard
  ``1 - (1 - failure_rate) ** (1 / members)`` (so a full rotation fails with
  ``failure_rate``), when fewer than two active members are left
  (``insufficient_members``), or after a payout when fewer than half of the
  cycle's contributions arrived (``excessive_defaults``). Contributions and the
  payout of cycles already under way still settle;
- a circle completes after the payout of the last member's turn.

Circles running when the span starts resume at the first cycle that starts inside
it; the members in the earlier positions count as paid. Circles whose whole
rotation lies before the span but that the graph still marks ``active`` complete
on the first day.

Collusion schedules (``circle_contribution``, ``circle_contribution_missed``,
``circle_payout``, ``circle_member_dropped`` on ``Person_MEMBER_OF_Circle``, and
``circle_failed``) become the same events with ``pattern_id`` set. A scripted
circle is driven by its script from the first cycle the script touches: the
simulated process leaves it alone from there on, and it completes one hour after
its last scripted row when the script covers its whole rotation and does not fail
it. Scripted times are never moved before the member's ``joined_at``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from fraudgraph import schema
from fraudgraph.schema import FREQUENCIES, PERIOD_DAYS
from fraudgraph.timeline import envelope as env
from fraudgraph.timeline.clock import times_in_day
from fraudgraph.timeline.family import Day, DayPlan, Family, Outcome
from fraudgraph.timeline.frames import empty_events
from fraudgraph.timeline.frames import events as make_events
from fraudgraph.timeline.frames import payments as make_payments
from fraudgraph.units import DAY, HOUR, to_seconds

#: Days after a cycle starts during which a contribution is on time.
GRACE_DAYS = 2
#: Schedule kinds this family turns into events.
SCRIPT_KINDS = schema.schedule_kinds("circles")
MEMBER_STEM = schema.stem("Person", "MEMBER_OF", "Circle")
#: Accounts a member pays from and is paid to, most preferred first.
ACCOUNT_RANK = {"checking": 0, "wallet": 1, "savings": 2, "credit_card": 3}
#: Reasons a circle fails by the hazard (the process draws one).
HAZARD_REASONS = np.array(["excessive_defaults", "insufficient_members"], dtype=object)
#: Share of random drops that are removals by the organizer (the rest leave voluntarily).
REMOVED_SHARE = 0.2

# queue item kinds
CONTRIBUTE, PAYOUT, MISS, DROP, FAIL, COMPLETE = range(6)
# circle states
RUNNING, FINISHING, DONE, FAILED, SCRIPTED = range(5)

_QUEUE = {"time": np.int64, "kind": np.int8, "circle": np.int64, "member": np.int64, "cycle": np.int64,
          "q": np.int64, "amount": np.float64, "days_late": np.int64, "reason": object, "pattern": object}
_CYCLES = {"circle": np.int64, "q": np.int64, "recipient": np.int64, "due": np.int64, "received": np.int64,
           "missed": np.int64, "pot": np.float64}


class _Rows:
    """Growable columns (the family's queue of things to come, and its log of cycles)."""

    def __init__(self, dtypes: dict):
        self.dtypes = dtypes
        self.cols = {k: np.zeros(0, dtype=v) for k, v in dtypes.items()}

    def __len__(self) -> int:
        return len(self.cols["circle"])

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name]

    def append(self, **values) -> np.ndarray:
        sizes = {np.size(v) for v in values.values() if np.ndim(v) > 0}
        if len(sizes) > 1:
            raise ValueError(f"columns of different lengths: { {k: np.size(v) for k, v in values.items()} }")
        n = sizes.pop() if sizes else 1
        start = len(self)
        for k, dtype in self.dtypes.items():
            default = None if dtype is object else (-1 if k in ("member", "cycle") else 0)
            v = values.get(k, default)
            v = np.full(n, v, dtype=dtype) if np.ndim(v) == 0 else np.asarray(v, dtype=dtype)
            self.cols[k] = np.concatenate([self.cols[k], v])
        return np.arange(start, start + n)

    def pop(self, before: int) -> dict[str, np.ndarray]:
        """Remove and return the rows whose ``time`` is before ``before``, in time order."""
        due = self.cols["time"] < before
        order = np.flatnonzero(due)
        order = order[np.argsort(self.cols["time"][order], kind="stable")]
        out = {k: v[order] for k, v in self.cols.items()}
        self.cols = {k: v[~due] for k, v in self.cols.items()}
        return out


def _select(items: dict, mask: np.ndarray) -> dict:
    return {k: v[mask] for k, v in items.items()}


class Circles(Family):
    """Savings-circle events walked along ``MEMBER_OF`` and ``ORGANIZES`` (see the module docstring).

    Parameters
    ----------
    context : TimelineContext
        The shared inputs; rates come from ``context.config.circles``
        (:class:`~fraudgraph.config.CircleEventsConfig`).
    """

    name = "circles"
    event_types = ("circle-created", "circle-member-joined", "circle-contribution-received",
                   "circle-contribution-missed", "circle-payout-executed", "circle-member-dropped",
                   "circle-failed", "circle-completed")

    def __init__(self, context):
        super().__init__(context)
        self.rates = context.config.circles
        world = context.world
        self.world = world
        self._load_circles(world)
        self._load_members(world)
        self._load_accounts(world)
        self._queue = _Rows(_QUEUE)
        self._cycles = _Rows(_CYCLES)
        self._corr = 0
        self._resume(world.start)
        self._load_scripts(context.schedule)

    # -- the graph, once --------------------------------------------------------------
    def _load_circles(self, world) -> None:
        c = world.graph.nodes["Circle"]
        self.n_circles = len(c)
        self.ids = world.ids["Circle"]
        self.start = to_seconds(c["start_date"]) if len(c) else np.zeros(0, np.int64)
        self.created = to_seconds(c["created_at"]) if len(c) else np.zeros(0, np.int64)
        freq = c["frequency"].to_numpy(dtype=object)
        days = dict(zip(FREQUENCIES, PERIOD_DAYS))
        self.period = np.array([days[f] for f in freq], dtype=np.int64) * DAY
        self.contribution = c["contribution_amount"].to_numpy(dtype=np.float64)
        self.status0 = c["status"].to_numpy(dtype=object)
        self._static = {name: pa.array(c[name].to_numpy(dtype=object), pa.large_string())
                        for name in ("name", "currency", "frequency", "rotation_order")}
        self.max_members = c["max_members"].to_numpy(dtype=np.int64)
        org = world.graph.edges[("Person", "ORGANIZES", "Circle")]
        self.organizer = np.full(self.n_circles, -1, dtype=np.int64)
        self.organizer[world.pos("Circle", org["dst"])] = world.pos("Person", org["src"])

    def _load_members(self, world) -> None:
        mo = world.graph.edges[("Person", "MEMBER_OF", "Circle")]
        circle = world.pos("Circle", mo["dst"])
        person = world.pos("Person", mo["src"])
        position = mo["position"].to_numpy(dtype=np.int64)
        joined = to_seconds(mo["joined_at"]) if len(mo) else np.zeros(0, np.int64)
        order = np.lexsort((person, position, circle))
        self.m_circle, self.m_person = circle[order], person[order]
        self.m_position, self.m_joined = position[order], joined[order]
        self.m_starts = np.searchsorted(self.m_circle, np.arange(self.n_circles + 1))
        self.size = np.diff(self.m_starts)
        key = self.m_circle * world.n["Person"] + self.m_person
        self._member_order = np.argsort(key, kind="stable")
        self._member_keys = key[self._member_order]
        kyc = world.graph.nodes["Person"]["kyc_level"].to_numpy(dtype=object)
        self._verified = np.isin(kyc, ["standard", "enhanced"])

    def _load_accounts(self, world) -> None:
        """Per person, the accounts circle money may use, best first (usable status, then type, then age)."""
        adj = world.person_accounts
        owner = np.repeat(np.arange(world.n["Person"]), adj.degree())
        account = adj.targets
        rank = np.array([ACCOUNT_RANK.get(t, -1) for t in world.account_type[account]], dtype=np.int64)
        keep = rank >= 0
        blocked = np.isin(world.account_status[account], ["frozen", "closed"])
        owner, account, rank, blocked = owner[keep], account[keep], rank[keep], blocked[keep]
        opened = world.account_opened[account]
        order = np.lexsort((account, opened, rank, blocked, owner))
        self.cand_account, self.cand_opened = account[order], opened[order]
        self.cand_starts = np.searchsorted(owner[order], np.arange(world.n["Person"] + 1))
        self.cand_max = int(np.diff(self.cand_starts).max()) if world.n["Person"] else 0

    # -- state at the start of the span --------------------------------------------------
    def _resume(self, span_start: int) -> None:
        """Cycles before the span are history: resume each running circle at its first cycle inside it."""
        n = self.n_circles
        ended = np.isin(self.status0, ["completed", "failed"])
        before = np.where(self.start >= span_start, 0, -((self.start - span_start) // np.maximum(self.period, 1)))
        self.next_q = before + 1
        self.next_t = self.start + before * self.period
        self.state = np.where(ended, DONE, RUNNING).astype(np.int8)
        self.complete_at_start = ~ended & (before >= self.size)
        self.state[self.complete_at_start] = FINISHING
        self.outstanding = np.zeros(n, dtype=np.int64)
        self.hazard = 1.0 - (1.0 - self.rates.failure_rate) ** (1.0 / np.maximum(self.size, 1))
        self.ended_before = ended
        m = len(self.m_circle)
        self.assigned = self.m_position <= before[self.m_circle]
        self.dropped = np.zeros(m, dtype=bool)
        self.misses = np.zeros(m, dtype=np.int64)

    def _load_scripts(self, schedule: pd.DataFrame) -> None:
        """Where each scripted circle's script takes over, and when it completes."""
        self.scripted_from = np.full(self.n_circles, np.iinfo(np.int64).max, dtype=np.int64)
        if schedule is None or not len(schedule):
            return
        rows = schedule[schedule["kind"].isin(SCRIPT_KINDS)]
        is_member = (rows["edge_type"] == MEMBER_STEM).to_numpy()
        cid = np.where(is_member, rows["dst"].to_numpy(dtype=object), rows["src"].to_numpy(dtype=object))
        circle = self.world.pos("Circle", pa.array(cid.astype(str), pa.large_string())) if len(rows) else np.zeros(0, np.int64)
        frame = pd.DataFrame({"circle": circle, "t": rows["t"].to_numpy(dtype=np.int64),
                              "pattern": rows["pattern_id"].to_numpy(dtype=object),
                              "failed": (rows["kind"] == "circle_failed").to_numpy()})
        frame = frame[frame["circle"] >= 0]
        if frame.empty:
            return
        agg = frame.groupby("circle").agg(first=("t", "min"), last=("t", "max"),
                                          pattern=("pattern", "first"), failed=("failed", "any"))
        c = agg.index.to_numpy(dtype=np.int64)
        first_cycle = np.maximum((agg["first"].to_numpy() - self.start[c]) // self.period[c], 0)
        self.scripted_from[c] = self.start[c] + first_cycle * self.period[c]
        last_start = self.start[c] + (self.size[c] - 1) * self.period[c]
        completes = ~agg["failed"].to_numpy() & (last_start < self.world.end - DAY)
        done = c[completes]
        self._queue.append(time=agg["last"].to_numpy()[completes] + HOUR, kind=COMPLETE, circle=done,
                           q=self.size[done], pattern=agg["pattern"].to_numpy(dtype=object)[completes])

    # -- the day ------------------------------------------------------------------------
    def plan(self, day: Day, rng: np.random.Generator) -> DayPlan:
        """Creations and joins of the day, cycles that start, and the contributions and payouts due."""
        tables = [self._created(day), self._joined(day)]
        if day.index == 0:
            self._complete_history(day, rng)
        self._start_cycles(day, rng)
        self._push_scripted(day)
        items = self._queue.pop(day.end)
        kind = items["kind"]
        contrib, tables_c = self._contributions(_select(items, kind == CONTRIBUTE))
        payout, tables_p = self._payouts(_select(items, kind == PAYOUT), rng)
        self.dropped[items["member"][kind == DROP]] = True       # scripted drops (simulated ones already are)
        self.state[items["circle"][kind == FAIL]] = FAILED
        tables += [self._render(k, _select(items, kind == k)) for k in (MISS, DROP, FAIL, COMPLETE)]
        tables += tables_c + tables_p
        pays = pd.concat([contrib.pop("frame"), payout.pop("frame")], ignore_index=True)
        return DayPlan(events=[t for t in tables if t.num_rows], payments=pays,
                       state={"contrib": contrib, "payout": payout})

    def settle(self, day: Day, plan: DayPlan, outcome: Outcome, rng: np.random.Generator) -> list[pa.Table]:
        """Received or missed contributions, executed payouts, and what follows a cycle's payout."""
        contrib, payout = plan.state["contrib"], plan.state["payout"]
        n = len(contrib["time"])
        ok, reason = outcome.ok[:n], outcome.reason[:n]
        tables = [self._received(_select(contrib, ok))]
        missed = _select(contrib, ~ok)
        missed["reason"] = reason[~ok].astype(object)
        missed["reason"][pd.isna(missed["reason"])] = "payment_failed"
        tables.append(self._render(MISS, missed))
        cyc = contrib["cycle"]
        sim = cyc >= 0
        np.add.at(self._cycles["pot"], cyc[sim & ok], contrib["amount"][sim & ok])
        np.add.at(self._cycles["received"], cyc[sim & ok], 1)
        np.add.at(self._cycles["missed"], cyc[sim & ~ok], 1)
        self.misses[contrib["member"][sim & ok]] = 0
        np.add.at(self.misses, contrib["member"][sim & ~ok], 1)

        pok = outcome.ok[n:]
        tables.append(self._executed(_select(payout, pok)))
        sim = payout["cycle"] >= 0
        tables.append(self._after_payouts(payout["cycle"][sim], payout["time"][sim], rng))
        return [t for t in tables if t.num_rows]

    # -- creation and joins -----------------------------------------------------------------
    def _created(self, day: Day) -> pa.Table:
        c = np.flatnonzero((self.created >= day.start) & (self.created < day.end) & ~self.ended_before)
        n = len(c)
        if not n:
            return empty_events()
        take = pa.array(c)
        payload = env.json_object([
            ("circle_id", env.text(self.ids.take(take), safe=True)),
            ("organizer_id", env.text(self.world.take("Person", self.organizer[c]), safe=True)),
            ("name", env.text(self._static["name"].take(take))),
            ("contribution_amount", env.money(self.contribution[c])),
            ("currency", env.text(self._static["currency"].take(take), safe=True)),
            ("frequency", env.text(self._static["frequency"].take(take), safe=True)),
            ("max_members", env.number(self.max_members[c])),
            ("rotation_order", env.text(self._static["rotation_order"].take(take), safe=True)),
            ("start_date", env.text(env.iso_dates(self.start[c]), safe=True)),
            ("status", env.constant('"pending"', n)),
        ], n)
        return make_events("circle-created", self.created[c], self._new_corr(n), payload,
                           person=self.world.take("Person", self.organizer[c]))

    def _join_time(self) -> np.ndarray:
        return np.maximum(self.m_joined, self.created[self.m_circle] + 1)

    def _joined(self, day: Day) -> pa.Table:
        t = self._join_time()
        m = np.flatnonzero((t >= day.start) & (t < day.end) & ~self.ended_before[self.m_circle])
        n = len(m)
        if not n:
            return empty_events()
        person = self.world.take("Person", self.m_person[m])
        is_org = self.m_person[m] == self.organizer[self.m_circle[m]]
        payload = env.json_object([
            ("circle_id", env.text(self.ids.take(pa.array(self.m_circle[m])), safe=True)),
            ("member_id", env.text(person, safe=True)),
            ("position", env.number(self.m_position[m])),
            ("role", env.text(np.where(is_org, "organizer", "member").astype(object), safe=True)),
            ("verification_status", env.text(np.where(self._verified[self.m_person[m]], "verified", "unverified")
                                             .astype(object), safe=True)),
        ], n)
        return make_events("circle-member-joined", t[m], self._new_corr(n), payload, person=person)

    # -- cycles -------------------------------------------------------------------------------
    def _complete_history(self, day: Day, rng: np.random.Generator) -> None:
        """Running circles whose rotation ended before the span complete on its first day."""
        c = np.flatnonzero(self.complete_at_start)
        self.state[c] = DONE
        t = self._times(rng, day, len(c), "office")
        self._queue.append(time=t, kind=COMPLETE, circle=c, q=self.size[c])

    def _start_cycles(self, day: Day, rng: np.random.Generator) -> None:
        """Cycles starting today: failures, drops, the recipient, and every active member's contribution."""
        due = np.flatnonzero((self.state == RUNNING) & (self.next_t >= day.start) & (self.next_t < day.end))
        scripted = self.next_t[due] >= self.scripted_from[due]
        self.state[due[scripted]] = SCRIPTED
        due = due[~scripted]
        if not len(due):
            return
        fails = rng.random(len(due)) < self.hazard[due]
        self._fail(day, rng, due[fails], HAZARD_REASONS[rng.integers(0, len(HAZARD_REASONS), int(fails.sum()))])
        due = due[~fails]

        members, local = self._members_of(due)
        t_q = self.next_t[due]
        joined = self.m_joined[members] <= t_q[local]
        live = joined & ~self.dropped[members]
        leaves = live & (rng.random(len(members)) < self.rates.member_drop_rate)
        why = np.where(rng.random(len(members)) < REMOVED_SHARE, "removed", "voluntary").astype(object)
        kicked = live & ~leaves & (self.misses[members] >= 2)
        why[kicked] = "missed_payments"
        out = leaves | kicked
        self.dropped[members[out]] = True
        drop_t = self._times(rng, day, int(out.sum()), "personal", self.m_person[members[out]])
        self._queue.append(time=drop_t, kind=DROP, circle=self.m_circle[members[out]], member=members[out],
                           q=self.next_q[self.m_circle[members[out]]], reason=why[out])

        active = live & ~out
        count = np.bincount(local[active], minlength=len(due))
        few = count < 2
        self._fail(day, rng, due[few], np.full(int(few.sum()), "insufficient_members", dtype=object))
        keep = ~few[local]
        self._collect(day, rng, due[~few], members[keep], np.searchsorted(np.flatnonzero(~few), local[keep]),
                      active[keep])

    def _collect(self, day, rng, circles, members, local, active) -> None:
        """Pick each cycle's recipient and plan its contributions and payout (``members`` grouped by circle)."""
        waiting = ~self.assigned[members] & ~self.dropped[members]
        left = np.bincount(local[waiting], minlength=len(circles)) > 0
        can = waiting & active
        first = np.full(len(circles), -1, dtype=np.int64)
        rows = np.flatnonzero(can)[::-1]            # members are sorted by position: keep the lowest
        first[local[rows]] = members[rows]
        t_q = self.next_t[circles]
        q = self.next_q[circles]
        self.next_t[circles] += self.period[circles]
        self.next_q[circles] += 1

        over = ~left
        idle = over & (self.outstanding[circles] == 0)
        self.state[circles[over]] = FINISHING
        self.state[circles[idle]] = DONE
        self._queue.append(time=self._times(rng, day, int(idle.sum()), "office"), kind=COMPLETE,
                           circle=circles[idle], q=q[idle] - 1)
        go = first >= 0
        if not go.any():
            return
        circles, t_q, q, recipient = circles[go], t_q[go], q[go], first[go]
        sel = go[local] & active
        members = members[sel]
        local = np.searchsorted(np.flatnonzero(go), local[sel])
        self.assigned[recipient] = True
        self.outstanding[circles] += 1
        cycle = self._cycles.append(circle=circles, q=q, recipient=recipient,
                                    due=np.bincount(local, minlength=len(circles)))

        n = len(members)
        u = rng.random(n)
        miss = u < self.rates.missed_payment_rate
        late = ~miss & (u < self.rates.missed_payment_rate + self.rates.late_payment_rate)
        period_days = self.period[circles][local] // DAY
        late_days = np.clip(np.rint(rng.normal(self.rates.late_days_mean, self.rates.late_days_std, n)),
                            1, np.maximum(period_days - 1, 1)).astype(np.int64)
        offset_days = np.where(late, GRACE_DAYS + late_days - 1, rng.integers(0, GRACE_DAYS, n))
        secs = self._times(rng, day, n, "personal", self.m_person[members]) - day.start
        t = t_q[local] + offset_days * DAY + secs
        deadline = t_q + GRACE_DAYS * DAY
        miss_t = deadline[local] + (rng.random(n) * 7200).astype(np.int64)
        self._queue.append(time=miss_t[miss], kind=MISS, circle=circles[local[miss]], member=members[miss],
                           cycle=cycle[local[miss]], q=q[local[miss]], amount=self.contribution[circles[local[miss]]],
                           reason="no_payment")
        np.add.at(self._cycles["missed"], cycle[local[miss]], 1)
        self.misses[members[miss]] += 1
        pay = ~miss
        self._queue.append(time=t[pay], kind=CONTRIBUTE, circle=circles[local[pay]], member=members[pay],
                           cycle=cycle[local[pay]], q=q[local[pay]], amount=self.contribution[circles[local[pay]]],
                           days_late=np.where(late, late_days, 0)[pay])

        last = np.full(len(circles), 0, dtype=np.int64)
        np.maximum.at(last, local[pay], t[pay])
        payout_day = np.maximum(last // DAY + 1, deadline // DAY) * DAY
        payout_t = payout_day + self._times(rng, day, len(circles), "office") - day.start
        self._queue.append(time=payout_t, kind=PAYOUT, circle=circles, member=recipient, cycle=cycle, q=q)

    def _fail(self, day, rng, circles, reasons) -> None:
        self.state[circles] = FAILED
        t = self.next_t[circles] + self._times(rng, day, len(circles), "office") - day.start
        self._queue.append(time=t, kind=FAIL, circle=circles, q=self.next_q[circles], reason=reasons)

    def _after_payouts(self, cycles: np.ndarray, times: np.ndarray, rng: np.random.Generator) -> pa.Table:
        """After each of a day's payouts (in time order): fail on excessive defaults, or complete."""
        log = self._cycles
        fail_c, fail_t, fail_q, done_c, done_t, done_q = [], [], [], [], [], []
        for r, t in zip(cycles.tolist(), times.tolist()):
            c = int(log["circle"][r])
            self.outstanding[c] -= 1
            if self.state[c] not in (RUNNING, FINISHING):
                continue
            after = int(t + 60 + rng.integers(0, HOUR))
            if log["received"][r] * 2 < log["due"][r]:
                self.state[c] = FAILED
                fail_c.append(c), fail_t.append(after), fail_q.append(int(log["q"][r]))
            elif self.outstanding[c] == 0 and not self._waiting(c):
                self.state[c] = DONE
                done_c.append(c), done_t.append(after), done_q.append(int(log["q"][r]))
        failed = {"time": np.array(fail_t, np.int64), "circle": np.array(fail_c, np.int64),
                  "q": np.array(fail_q, np.int64), "reason": np.full(len(fail_c), "excessive_defaults", dtype=object),
                  "pattern": np.full(len(fail_c), None, dtype=object)}
        done = {"time": np.array(done_t, np.int64), "circle": np.array(done_c, np.int64),
                "q": np.array(done_q, np.int64), "pattern": np.full(len(done_c), None, dtype=object)}
        return pa.concat_tables([self._render(FAIL, failed), self._render(COMPLETE, done)])

    def _waiting(self, c: int) -> bool:
        """Whether some member of circle ``c`` has neither had the pot nor dropped out."""
        sl = slice(self.m_starts[c], self.m_starts[c + 1])
        return bool((~self.assigned[sl] & ~self.dropped[sl]).any())

    # -- scripted rows -------------------------------------------------------------------------
    def _push_scripted(self, day: Day) -> None:
        rows = self.ctx.scripted(day, SCRIPT_KINDS)
        if not len(rows):
            return
        kind = rows["kind"].to_numpy(dtype=object)
        on_edge = (rows["edge_type"] == MEMBER_STEM).to_numpy()
        cid = np.where(on_edge, rows["dst"].to_numpy(dtype=object), rows["src"].to_numpy(dtype=object))
        circle = self.world.pos("Circle", pa.array(cid.astype(str), pa.large_string()))
        person = np.where(on_edge, self.world.pos("Person", pa.array(rows["src"].astype(str).to_numpy(dtype=object),
                                                                        pa.large_string())), -1)
        member = self._member_rows(circle, person)
        keep = (circle >= 0) & (~on_edge | (member >= 0))
        kind, circle, member = kind[keep], circle[keep], member[keep]
        t = rows["t"].to_numpy(dtype=np.int64)[keep]
        has = member >= 0
        floor = np.where(has, self.m_joined[np.maximum(member, 0)] + 60, self.created[circle] + 60)
        t = np.maximum(t, floor)
        detail = rows["detail"].to_numpy(dtype=object)[keep]
        amount = rows["amount"].to_numpy(dtype=np.float64)[keep]
        pattern = rows["pattern_id"].to_numpy(dtype=object)[keep]
        late = detail == "late"
        q = self._cycle_at(circle, t - np.where(late, 3 * DAY, 0))
        by_position = (kind == "circle_payout") & (detail == "payout") & has
        q = np.where(by_position, self.m_position[np.maximum(member, 0)], q)
        cycle_start = self.start[circle] + (q - 1) * self.period[circle]
        days_late = np.where(late, np.maximum((t - cycle_start - GRACE_DAYS * DAY) // DAY + 1, 1), 0)
        codes = {"circle_contribution": CONTRIBUTE, "circle_contribution_missed": MISS, "circle_payout": PAYOUT,
                 "circle_member_dropped": DROP, "circle_failed": FAIL}
        code = np.array([codes[k] for k in kind], dtype=np.int8)
        reason = np.select([code == MISS, code == DROP, code == FAIL],
                           ["no_payment", "voluntary", pd.Series(detail).fillna("unknown").to_numpy(dtype=object)],
                           default=None).astype(object)
        amount = np.where(code == MISS, self.contribution[circle], amount)
        self._queue.append(time=t, kind=code, circle=circle, member=member, q=q, amount=amount,
                           days_late=days_late, reason=reason, pattern=pattern)

    def _member_rows(self, circle: np.ndarray, person: np.ndarray) -> np.ndarray:
        """MEMBER_OF rows of (circle, person) pairs (-1 where there is none)."""
        keys = self._member_keys
        if not len(keys):
            return np.full(len(circle), -1, dtype=np.int64)
        key = circle * self.world.n["Person"] + person
        i = np.clip(np.searchsorted(keys, key), 0, len(keys) - 1)
        found = (circle >= 0) & (person >= 0) & (keys[i] == key)
        return np.where(found, self._member_order[i], -1)

    def _cycle_at(self, circle: np.ndarray, t: np.ndarray) -> np.ndarray:
        """The cycle running at ``t`` (1 before the first one starts, at most the rotation length)."""
        q = (t - self.start[circle]) // self.period[circle] + 1
        return np.clip(q, 1, np.maximum(self.size[circle], 1))

    # -- payments ---------------------------------------------------------------------------------
    def _contributions(self, items: dict) -> tuple[dict, list[pa.Table]]:
        """Payments of the day's contributions; members without a usable account miss instead."""
        person = self.m_person[items["member"]]
        account = self._account_at(person, items["time"])
        none = account < 0
        items["reason"][none] = "no_payment_method"
        sim_none = none & (items["cycle"] >= 0)
        np.add.at(self._cycles["missed"], items["cycle"][sim_none], 1)
        np.add.at(self.misses, items["member"][sim_none], 1)
        tables = [self._render(MISS, _select(items, none))]
        items = _select(items, ~none)
        person, account = person[~none], account[~none]
        n = len(account)
        items["corr"] = self._new_corr(n)
        items["account"] = account
        device, ip = self._device_ip(person, items["time"])
        items["frame"] = make_payments(
            n, time=items["time"], src=account, dst=-1, amount=items["amount"], tx_type="circle_contribution",
            user=person, device=device, ip=ip, corr=items["corr"], pattern_id=items["pattern"],
            dst_kind="circle_pool", dst_ref=self._circle_refs(items["circle"]))
        return items, tables

    def _payouts(self, items: dict, rng: np.random.Generator) -> tuple[dict, list[pa.Table]]:
        """Payments of the day's payouts (a simulated cycle's pot is known: its contributions settled earlier)."""
        sim = items["cycle"] >= 0
        items["amount"][sim] = self._cycles["pot"][items["cycle"][sim]]
        empty = sim & (items["amount"] <= 0)
        tables = [self._after_payouts(items["cycle"][empty], items["time"][empty], rng)]
        items = _select(items, ~empty)
        n = len(items["time"])
        person = self.m_person[items["member"]]
        account = self._account_at(person, items["time"])
        items["corr"] = self._new_corr(n)
        items["account"] = account
        # a scripted payout (cycle -1) counts the contributions its amount stands for; a simulated one,
        # those its cycle received (indexed only where it has a cycle: the log may still be empty)
        count = np.rint(items["amount"] / self.contribution[items["circle"]]).astype(np.int64)
        sim = items["cycle"] >= 0
        count[sim] = self._cycles["received"][items["cycle"][sim]]
        items["count"] = count
        items["frame"] = make_payments(
            n, time=items["time"], src=-1, dst=account, amount=items["amount"], tx_type="circle_payout",
            corr=items["corr"], pattern_id=items["pattern"], src_kind="circle_pool",
            src_ref=self._circle_refs(items["circle"]),
            dst_kind=np.where(account >= 0, "account", "external").astype(object))
        return items, [t for t in tables if t.num_rows]

    def _account_at(self, person: np.ndarray, time: np.ndarray) -> np.ndarray:
        """Each person's best account already open at ``time`` (-1 when none is)."""
        lo, hi = self.cand_starts[person], self.cand_starts[person + 1]
        out = np.full(len(person), -1, dtype=np.int64)
        for k in range(self.cand_max):
            i = lo + k
            ok = (out < 0) & (i < hi)
            ok[ok] = self.cand_opened[i[ok]] <= time[ok]
            out[ok] = self.cand_account[i[ok]]
        return out

    def _device_ip(self, person: np.ndarray, time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The member's primary device and home IP, when already in use at ``time``."""
        w = self.world
        device, ip = w.primary_device[person], w.home_ip[person]
        device = np.where((device >= 0) & (w.device_first_seen[np.maximum(device, 0)] <= time), device, -1)
        ip = np.where((ip >= 0) & (w.ip_first_seen[np.maximum(ip, 0)] <= time), ip, -1)
        return device, ip

    # -- events -------------------------------------------------------------------------------------
    def _received(self, items: dict) -> pa.Table:
        n = len(items["time"])
        if not n:
            return empty_events()
        c = items["circle"]
        member = self.world.take("Person", self.m_person[items["member"]])
        payload = env.json_object([
            ("circle_id", env.text(self._circle_ids(c), safe=True)),
            ("member_id", env.text(member, safe=True)),
            ("account_id", env.text(self.world.take("Account", items["account"]), safe=True)),
            ("cycle", env.number(items["q"])),
            ("amount", env.money(items["amount"])),
            ("currency", env.text(self._static["currency"].take(pa.array(c)), safe=True)),
            ("due_date", env.text(self._due_dates(c, items["q"]), safe=True)),
            ("on_time", env.boolean(items["days_late"] == 0)),
            ("days_late", env.number(items["days_late"])),
        ], n)
        return make_events("circle-contribution-received", items["time"], items["corr"], payload, person=member,
                           pattern_id=items["pattern"])

    def _executed(self, items: dict) -> pa.Table:
        n = len(items["time"])
        if not n:
            return empty_events()
        c = items["circle"]
        recipient = self.world.take("Person", self.m_person[items["member"]])
        payload = env.json_object([
            ("circle_id", env.text(self._circle_ids(c), safe=True)),
            ("recipient_id", env.text(recipient, safe=True)),
            ("account_id", env.text(self.world.take("Account", items["account"]), safe=True)),
            ("cycle", env.number(items["q"])),
            ("amount", env.money(items["amount"])),
            ("currency", env.text(self._static["currency"].take(pa.array(c)), safe=True)),
            ("contributions", env.number(items["count"])),
        ], n)
        return make_events("circle-payout-executed", items["time"], items["corr"], payload, person=recipient,
                           pattern_id=items["pattern"])

    def _render(self, kind: int, items: dict) -> pa.Table:
        """Events of the queue kinds that move no money (missed, dropped, failed, completed)."""
        n = len(items["time"])
        if not n:
            return empty_events()
        c = items["circle"]
        ids = env.text(self._circle_ids(c), safe=True)
        if kind in (MISS, DROP):
            member = self.world.take("Person", self.m_person[items["member"]])
            if kind == MISS:
                fields = [("circle_id", ids), ("member_id", env.text(member, safe=True)),
                          ("cycle", env.number(items["q"])),
                          ("amount", env.money(self.contribution[c])),
                          ("currency", env.text(self._static["currency"].take(pa.array(c)), safe=True)),
                          ("due_date", env.text(self._due_dates(c, items["q"]), safe=True)),
                          ("reason", env.text(pa.array(items["reason"], pa.large_string()), safe=True))]
                event = "circle-contribution-missed"
            else:
                fields = [("circle_id", ids), ("member_id", env.text(member, safe=True)),
                          ("position", env.number(self.m_position[items["member"]])),
                          ("cycle", env.number(items["q"])),
                          ("reason", env.text(pa.array(items["reason"], pa.large_string()), safe=True))]
                event = "circle-member-dropped"
        else:
            member = self.world.take("Person", self.organizer[c])
            remaining = self._remaining()[c]
            if kind == FAIL:
                fields = [("circle_id", ids), ("cycle", env.number(items["q"])),
                          ("reason", env.text(pa.array(items["reason"], pa.large_string()), safe=True)),
                          ("active_members", env.number(remaining))]
                event = "circle-failed"
            else:
                fields = [("circle_id", ids), ("cycles", env.number(items["q"])),
                          ("members", env.number(self.size[c])), ("active_members", env.number(remaining))]
                event = "circle-completed"
        payload = env.json_object(fields, n)
        corr = items["corr"] if "corr" in items else self._new_corr(n)  # a refused payment keeps its correlation
        return make_events(event, items["time"], corr, payload, person=member, pattern_id=items["pattern"])

    # -- helpers ------------------------------------------------------------------------------------
    def _members_of(self, circles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """MEMBER_OF rows of ``circles`` (by circle, then position) and the index of their circle in ``circles``."""
        lo, hi = self.m_starts[circles], self.m_starts[circles + 1]
        size = hi - lo
        local = np.repeat(np.arange(len(circles)), size)
        offset = np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size)
        return lo[local] + offset, local

    def _remaining(self) -> np.ndarray:
        return self.size - np.bincount(self.m_circle[self.dropped], minlength=self.n_circles)

    def _circle_ids(self, circles: np.ndarray) -> pa.Array:
        return self.ids.take(pa.array(np.asarray(circles, dtype=np.int64)))

    def _circle_refs(self, circles: np.ndarray) -> np.ndarray:
        return self._circle_ids(circles).to_numpy(zero_copy_only=False).astype(object)

    def _due_dates(self, circles: np.ndarray, q: np.ndarray) -> pa.Array:
        """Last on-time day of cycle ``q``."""
        return env.iso_dates(self.start[circles] + (q - 1) * self.period[circles] + (GRACE_DAYS - 1) * DAY)

    def _times(self, rng, day: Day, n: int, profile: str, persons: np.ndarray | None = None) -> np.ndarray:
        """``n`` times within ``day`` from an hour profile (shifted by the persons' chronotypes)."""
        shift = self.ctx.chronotype[persons] if persons is not None else 0.0
        return times_in_day(rng, day, n, profile, shift)

    def _new_corr(self, n: int) -> np.ndarray:
        out = np.arange(self._corr, self._corr + n, dtype=np.int64)
        self._corr += n
        return out
