"""ACH returns: completed payments sent back by the other bank a few banking days later.

Payments on the ACH rails (:data:`RETURNABLE`) settle first and may come back
afterwards, each with a return reason code (:data:`REASONS`):

- a biller's pulled debit (:data:`PROVISIONAL`: bill payments, card bills) is posted
  even when it overdraws the account; every one that did is returned ``R01``
  (insufficient funds), so thin balances are what draw returns;
- any completed ACH payment of the ordinary world is returned at
  ``transactions.return_rate`` for another reason (account closed, payment stopped,
  unauthorised ...), and a transfer to a mistyped recipient at
  ``transactions.mistyped_return_rate`` (no account, invalid account number).

A return is booked in the ledger as a reversal (``tx_type`` ``return``, posting
``FORCED``): the payee gives the amount back to the payer, on the return's day,
2 to 5 banking days after the payment's initiation (so 1 to 5 after its
completion), in the morning's return files. The transactions family renders it as
``transaction-returned`` naming the payment it reverses. Decisions use only the
day's payments, their ledger outcome and the generator handed in, so they do not
depend on how days are batched.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from fraudgraph.timeline.family import Day, Outcome
from fraudgraph.timeline.frames import payments as make_payments
from fraudgraph.timeline.ledger import FORCED, NORMAL, PROVISIONAL
from fraudgraph.units import DAY, HOUR

#: Payment types that travel on the ACH rails and can be returned.
RETURNABLE = ("bank_transfer", "bill_payment", "card_bill_payment", "payroll", "deposit")
#: Debits pulled by the payee: posted even when they overdraw, then returned for funds.
PULLED = ("bill_payment", "card_bill_payment")
#: Nacha return reason codes used here, with their meaning (``return_reason`` in the event).
REASONS = {
    "R01": "Insufficient funds",
    "R02": "Account closed",
    "R03": "No account / unable to locate account",
    "R04": "Invalid account number",
    "R08": "Payment stopped",
    "R10": "Customer advises not authorized",
    "R16": "Account frozen",
    "R20": "Non-transaction account",
}
#: Reasons of the ordinary returns (not for funds, not to a mistyped account), and their shares.
OTHER_REASONS = {"R02": 0.30, "R08": 0.25, "R10": 0.20, "R20": 0.15, "R16": 0.10}
#: Banking days from a payment's initiation to its return, and their shares (most come back at once).
RETURN_AFTER_BANKING_DAYS = {2: 0.5, 3: 0.25, 4: 0.15, 5: 0.10}
#: Return files are processed between these hours of the return's day.
RETURN_HOURS = (6, 14)


def posting_of(tx_type: np.ndarray) -> np.ndarray:
    """How the ledger books payments of each type: pulled debits are :data:`PROVISIONAL`, the rest normal."""
    return np.where(np.isin(tx_type, PULLED), PROVISIONAL, NORMAL).astype(np.int8)


class Returns:
    """Returns waiting for their day: :meth:`plan` decides them, :meth:`due` books them.

    Parameters
    ----------
    floor : array of float
        Each account's lowest allowed balance (the ledger's), below which a pulled debit is returned ``R01``.
    return_rate, mistyped_return_rate : float
        See :class:`fraudgraph.config.TransactionsConfig`.
    """

    def __init__(self, floor: np.ndarray, return_rate: float, mistyped_return_rate: float):
        self.floor = floor
        self.return_rate = return_rate
        self.mistyped_return_rate = mistyped_return_rate
        self.waiting = make_payments()

    def plan(self, day: Day, pay: pd.DataFrame, outcome: Outcome, tx_ids: pa.Array, rng: np.random.Generator) -> None:
        """Decide which of the day's completed payments come back, and queue their reversals."""
        n = len(pay)
        if n == 0:
            return
        tx_type = pay["tx_type"].to_numpy(dtype=object)
        returnable = outcome.ok & np.isin(tx_type, RETURNABLE) & (pay["posting"].to_numpy() != FORCED)
        if not returnable.any():
            return
        src = pay["src"].to_numpy()
        legit = pay["pattern_id"].isna().to_numpy()
        code = np.full(n, None, dtype=object)
        # a pulled debit that took its account below the floor comes back for funds
        overdrawn = returnable & (pay["posting"].to_numpy() == PROVISIONAL) & (src >= 0) \
            & (np.nan_to_num(outcome.balance_after, nan=np.inf) < self.floor[np.maximum(src, 0)] - 1e-9)
        code[overdrawn] = "R01"
        draw = rng.random(n)
        mistyped = returnable & ~overdrawn & legit & (pay["accident"].to_numpy(dtype=object) == "mistyped_recipient")
        bad_number = mistyped & (draw < self.mistyped_return_rate)
        code[bad_number] = np.where(rng.random(int(bad_number.sum())) < 0.5, "R03", "R04")
        ordinary = returnable & ~overdrawn & ~mistyped & legit & (draw < self.return_rate)
        names, shares = zip(*OTHER_REASONS.items())
        code[ordinary] = np.asarray(names, dtype=object)[rng.choice(len(names), int(ordinary.sum()), p=shares)]
        back = np.flatnonzero(code != None)  # noqa: E711 (elementwise)
        if len(back) == 0:
            return
        self.waiting = pd.concat([self.waiting, self._reversals(pay.iloc[back], code[back],
                                                                tx_ids.take(pa.array(back)), rng)], ignore_index=True)

    @staticmethod
    def _reversals(rows: pd.DataFrame, code: np.ndarray, reverses: pa.Array, rng) -> pd.DataFrame:
        k = len(rows)
        after, shares = zip(*RETURN_AFTER_BANKING_DAYS.items())
        banking_days = np.asarray(after)[rng.choice(len(after), k, p=shares)]
        initiated = rows["time"].to_numpy()
        date = (initiated // DAY).astype("datetime64[D]")
        back_on = np.busday_offset(date, banking_days, roll="forward").astype(np.int64) * DAY
        time = back_on + (HOUR * rng.uniform(*RETURN_HOURS, k)).astype(np.int64)
        return make_payments(
            k, time=time, src=rows["dst"].to_numpy(), dst=rows["src"].to_numpy(), amount=rows["amount"].to_numpy(),
            tx_type="return", user=rows["user"].to_numpy(), pattern_id=rows["pattern_id"].to_numpy(dtype=object),
            src_kind=rows["dst_kind"].to_numpy(dtype=object), src_ref=rows["dst_ref"].to_numpy(dtype=object),
            dst_kind=rows["src_kind"].to_numpy(dtype=object), dst_ref=rows["src_ref"].to_numpy(dtype=object),
            posting=FORCED, reverses=np.asarray(reverses.to_pylist(), dtype=object), return_code=code,
        )

    def due(self, day: Day) -> pd.DataFrame:
        """The reversals booked on ``day``, in time order."""
        waiting = self.waiting
        if waiting.empty:
            return make_payments()
        now = waiting["time"].to_numpy() < day.end
        self.waiting = waiting[~now].reset_index(drop=True)
        return waiting[now].sort_values("time", kind="stable").reset_index(drop=True)
