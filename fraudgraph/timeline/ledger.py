"""Running balances: every payment is checked against its source account, in time order.

Balances are signed: deposits hold money (``balance >= 0``), credit cards owe it
(``balance = -owed >= -credit_limit``). A debit that would take the balance
below ``-credit_limit`` fails with ``insufficient_funds``; accounts that are
frozen or closed refuse payments, from them or to them, with ``account_frozen``
or ``account_closed`` after the refusing account's status (the source's where
both refuse). The check is exact sequential semantics,
computed with sorted cumulative sums instead of a Python loop: each round refuses
the first overdrawing debit of every account that no earlier refusal could
still rescue, and recomputes. Pathological days (more than 256 rounds) refuse
all remaining overdrafts at once, which keeps every balance within its limit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fraudgraph.timeline.family import Outcome

_EXACT_ROUNDS = 256
#: Reason given for a payment refused by an account of each blocking status.
REFUSALS = {"frozen": "account_frozen", "closed": "account_closed"}


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

    def apply(self, pay: pd.DataFrame) -> Outcome:
        """Apply a day's payments (any order; processed by time, ties in row order).

        Returns
        -------
        Outcome
            ``ok`` per row, the error code of failures, and the source balance after each debit.
        """
        n = len(pay)
        src = pay["src"].to_numpy()
        dst = pay["dst"].to_numpy()
        amount = pay["amount"].to_numpy()
        order = np.argsort(pay["time"].to_numpy(), kind="stable")
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)

        reason = np.full(n, None, dtype=object)
        blocked_src = (src >= 0) & self.blocked[np.maximum(src, 0)]
        blocked_dst = (dst >= 0) & self.blocked[np.maximum(dst, 0)]
        reason[blocked_dst] = self.refusal[dst[blocked_dst]]
        reason[blocked_src] = self.refusal[src[blocked_src]]  # the source's status where both refuse
        ok = ~(blocked_src | blocked_dst)

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

        rounds = 0
        while True:
            live = ok[prow]
            d = np.where(live, delta, 0.0)
            cum = np.cumsum(d)
            before_group = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0.0)
            running = self.balance[acct] + cum - before_group[group]
            bad = live & is_debit & (running < self.floor[acct] - 1e-9)
            if not bad.any():
                break
            rounds += 1
            if rounds <= _EXACT_ROUNDS:
                first = np.flatnonzero(bad)
                first = first[np.r_[True, group[first[1:]] != group[first[:-1]]]]
                # Refusing a debit that credits another account lowers that account from then on,
                # so only first violations no earlier such refusal could change are certain.
                frank = rank[prow[first]]
                credits = dst[prow[first]] >= 0
                horizon = frank[credits].min() if credits.any() else np.iinfo(np.int64).max
                fail_rows = prow[first[frank <= horizon]]
            else:  # a few chronically short accounts: fail all their remaining overdrafts at once
                fail_rows = prow[bad]
            ok[fail_rows] = False
            reason[fail_rows] = "insufficient_funds"

        balance_after = np.full(n, np.nan)
        if len(acct):
            debit_pos = np.flatnonzero(is_debit)
            balance_after[prow[debit_pos]] = running[debit_pos]
            final = running[np.r_[starts[1:] - 1, len(acct) - 1]]
            self.balance[acct[starts]] = final
        return Outcome(ok=ok, reason=reason, balance_after=balance_after)
