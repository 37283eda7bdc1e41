"""Running balances: every payment is checked against its source account, in time order.

Balances are signed: deposits hold money (``balance >= 0``), credit cards owe it
(``balance = -owed >= -credit_limit``). A debit that would take the balance
below ``-credit_limit`` fails with ``insufficient_funds``; accounts that are
frozen or closed refuse payments, from them or to them, with ``account_frozen``
or ``account_closed`` after the refusing account's status (the source's where
both refuse). The check is exact sequential semantics,
computed with sorted cumulative sums instead of a Python loop: each round refuses
the first overdrawing debit of every account that no other refusal could still
rescue (nothing can lower the account before it; see :meth:`Ledger._reach`),
and recomputes only the accounts on either side of those refusals. A busy day
takes a dozen rounds; pathological days (more than 256) refuse all remaining
overdrafts at once, which keeps every balance within its limit.

Three kinds of posting are not plain debits (the payments' ``posting`` column):
``PROVISIONAL`` rows are ACH debits pulled by a biller, which the bank posts and
only later returns when they overdraw (see :mod:`fraudgraph.timeline.returns`):
they are never refused for funds, though a frozen or closed account still
refuses them; ``FORCED`` rows are those returns, which reverse a completed
payment and are never refused at all; a ``SWEEP`` row pays a closing account's
whole balance out of the bank (its amount is the balance at its time, whatever
the row says) and the account refuses every later payment from or to it, the
same day included.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fraudgraph.timeline.family import Outcome

_EXACT_ROUNDS = 256
#: Relaxation passes when tracing how a refusal can spread (a chain of payments that long is rare).
_REACH_PASSES = 32
#: Reason given for a payment refused by an account of each blocking status.
REFUSALS = {"frozen": "account_frozen", "closed": "account_closed"}
#: Values of a payment's ``posting``: checked in full, exempt from the funds check, never refused.
NORMAL, PROVISIONAL, FORCED, SWEEP = 0, 1, 2, 3


class Ledger:
    """Balances of every account, carried from day to day.

    Parameters
    ----------
    opening : array of float
        Balance at the start (owed amount, positive, for credit cards).
    credit_limit : array of float
    is_credit : array of bool
    status : array of str
        ``active``/``dormant`` accounts pay; ``frozen`` and ``closed`` refuse.
    """

    def __init__(self, opening: np.ndarray, credit_limit: np.ndarray, is_credit: np.ndarray, status: np.ndarray):
        self.balance = np.where(is_credit, -opening, opening).astype(np.float64)
        self.floor = -np.asarray(credit_limit, dtype=np.float64)
        # a card opened over its limit may still be paid down, never spent further
        self.floor = np.minimum(self.floor, self.balance)
        status = np.asarray(status, dtype=object)
        self.blocked = np.isin(status, list(REFUSALS))
        self.refusal = np.full(status.size, None, dtype=object)
        for state, reason in REFUSALS.items():
            self.refusal[status == state] = reason

    def close(self, accounts: np.ndarray) -> None:
        """Close ``accounts`` (positions): from now on they refuse every payment from or to them."""
        self.blocked[accounts] = True
        self.refusal[accounts] = REFUSALS["closed"]

    def apply(self, pay: pd.DataFrame) -> Outcome:
        """Apply a day's payments (any order; processed by time, ties in row order).

        Returns
        -------
        Outcome
            ``ok`` per row, the error code of failures, the source balance after each debit and, when the
            day has sweeps, the amount each row moved.
        """
        n = len(pay)
        src = pay["src"].to_numpy()
        dst = pay["dst"].to_numpy()
        posting = pay["posting"].to_numpy()
        sweeps = np.flatnonzero((posting == SWEEP) & (src >= 0))
        amount = pay["amount"].to_numpy(dtype=np.float64, copy=True)
        amount[sweeps] = 0.0  # booked once the balance at its time is known
        order = np.argsort(pay["time"].to_numpy(), kind="stable")
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)

        reason = np.full(n, None, dtype=object)
        # an account swept today refuses what comes after its sweep, as one already closed does
        closes = np.full(self.balance.size, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(closes, src[sweeps], rank[sweeps])
        late_src = (src >= 0) & (rank > closes[np.maximum(src, 0)])
        late_dst = (dst >= 0) & (rank > closes[np.maximum(dst, 0)])
        blocked_src = (src >= 0) & self.blocked[np.maximum(src, 0)]
        blocked_dst = (dst >= 0) & self.blocked[np.maximum(dst, 0)]
        reason[late_dst] = REFUSALS["closed"]
        reason[blocked_dst] = self.refusal[dst[blocked_dst]]
        reason[late_src] = REFUSALS["closed"]
        reason[blocked_src] = self.refusal[src[blocked_src]]  # the source's status where both refuse
        forced = posting == FORCED
        reason[forced] = None
        ok = ~(blocked_src | blocked_dst | late_src | late_dst) | forced

        # postings: (account, rank, delta, payment row); debits sort before credits at equal rank
        out_rows = np.flatnonzero(src >= 0)
        in_rows = np.flatnonzero(dst >= 0)
        acct = np.concatenate([src[out_rows], dst[in_rows]])
        prow = np.concatenate([out_rows, in_rows])
        delta = np.concatenate([-amount[out_rows], amount[in_rows]])
        is_debit = np.concatenate([np.ones(len(out_rows), bool), np.zeros(len(in_rows), bool)])
        porder = np.lexsort((~is_debit, rank[prow], acct))
        acct, prow, delta, is_debit = acct[porder], prow[porder], delta[porder], is_debit[porder]
        starts = np.flatnonzero(np.r_[True, acct[1:] != acct[:-1]]) if len(acct) else np.zeros(0, np.int64)
        group = np.cumsum(np.r_[False, acct[1:] != acct[:-1]]) if len(acct) else np.zeros(0, np.int64)
        ends = np.r_[starts[1:], len(acct)]
        opening = self.balance[acct]
        floor = np.where(posting[prow] == NORMAL, self.floor[acct] - 1e-9, -np.inf)
        # where each payment row posts: its debit and its credit posting (-1: none)
        posting_of = np.full((2, n), -1, dtype=np.int64)
        posting_of[(~is_debit).astype(np.int64), prow] = np.arange(len(acct))

        running = np.empty(len(acct))
        bad = np.zeros(len(acct), dtype=bool)
        self._recompute(np.arange(len(starts)), starts, ends, ok, prow, delta, is_debit, opening, floor, running, bad)
        rounds = 0
        while bad.any():
            rounds += 1
            if rounds <= _EXACT_ROUNDS:
                first = np.flatnonzero(bad)
                first = first[np.r_[True, group[first[1:]] != group[first[:-1]]]]
                frank = rank[prow[first]]
                # every overdrawing debit may end up refused, so each is a possible source of lowering
                reach = self._reach(prow[bad], src, dst, rank)
                fail_rows = prow[first][frank < reach[acct[first]]]
            else:  # a few chronically short accounts: fail all their remaining overdrafts at once
                fail_rows = prow[bad]
            ok[fail_rows] = False
            reason[fail_rows] = "insufficient_funds"
            # only the accounts on either side of a refused payment change
            touched = posting_of[:, fail_rows].ravel()
            changed = np.unique(group[touched[touched >= 0]])
            self._recompute(changed, starts, ends, ok, prow, delta, is_debit, opening, floor, running, bad)

        if len(sweeps):
            self._book_sweeps(sweeps, amount, ok, posting_of[0, sweeps], group, starts, running)
        balance_after = np.full(n, np.nan)
        if len(acct):
            debit_pos = np.flatnonzero(is_debit)
            balance_after[prow[debit_pos]] = running[debit_pos]
            final = running[np.r_[starts[1:] - 1, len(acct) - 1]]
            self.balance[acct[starts]] = final
        return Outcome(ok=ok, reason=reason, balance_after=balance_after, amount=amount if len(sweeps) else None)

    @staticmethod
    def _book_sweeps(sweeps, amount, ok, at, group, starts, running) -> None:
        """Set each sweep's amount to its account's balance (whole cents, nothing when overdrawn) at its posting
        ``at`` and take it off that posting's running balance and the (refused) ones after it, in place."""
        take = np.where(ok[sweeps], np.floor(np.maximum(running[at], 0.0) * 100 + 1e-6) / 100, 0.0)
        amount[sweeps] = take
        moved = np.zeros(len(running))
        moved[at] = take
        total = np.cumsum(moved)
        running -= total - np.r_[0.0, total][starts][group]

    def _reach(self, candidates: np.ndarray, src: np.ndarray, dst: np.ndarray, rank: np.ndarray) -> np.ndarray:
        """Per account, the earliest rank from which refusing ``candidates`` could lower its balance.

        Refusing a payment takes its credit from the destination from that rank
        on; the destination may then be unable to make a later payment, whose
        refusal lowers its own destination, and so on forward in time. This is
        that earliest-arrival time, relaxed over the day's payments until stable
        (every candidate assumed refused, so the answer is conservative). An
        account's first overdraft that comes before the account's arrival time
        fails whatever else is refused: nothing can lower the account before it,
        so no earlier debit of its own can fail and leave room for it.
        """
        never = np.iinfo(np.int64).max
        arrival = np.full(self.balance.size, never, dtype=np.int64)
        # a payment between two sides of one account moves nothing, so refusing it lowers no one
        credits = candidates[(dst[candidates] >= 0) & (dst[candidates] != src[candidates])]
        np.minimum.at(arrival, dst[credits], rank[credits])
        moves = np.flatnonzero((src >= 0) & (dst >= 0) & (src != dst))
        m_src, m_dst, m_rank = src[moves], dst[moves], rank[moves]
        for _ in range(_REACH_PASSES):
            spread = m_rank > arrival[m_src]
            before = arrival[m_dst[spread]]
            np.minimum.at(arrival, m_dst[spread], m_rank[spread])
            if np.array_equal(before, arrival[m_dst[spread]]):
                return arrival
        # a long chain: fall back to treating every account as reachable from the earliest refusal
        return np.full(self.balance.size, rank[credits].min() + 1 if len(credits) else never, dtype=np.int64)

    @staticmethod
    def _recompute(groups, starts, ends, ok, prow, delta, is_debit, opening, floor, running, bad) -> None:
        """Running balances (and overdrafts) of the postings of ``groups`` (accounts), in place."""
        if len(groups) == 0:
            return
        lengths = ends[groups] - starts[groups]
        first = np.r_[0, np.cumsum(lengths)[:-1]]
        idx = np.arange(lengths.sum()) + np.repeat(starts[groups] - first, lengths)
        live = ok[prow[idx]]
        cum = np.cumsum(np.where(live, delta[idx], 0.0))
        before = np.where(first > 0, cum[np.maximum(first - 1, 0)], 0.0)
        running[idx] = opening[idx] + cum - np.repeat(before, lengths)
        bad[idx] = live & is_debit[idx] & (running[idx] < floor[idx])
