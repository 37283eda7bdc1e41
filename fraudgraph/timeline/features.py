"""Point-in-time features of every transaction, computed only from the past.

For tabular models: each payment gets features of its actor (the initiating
person, or the account for company and platform payments) as of the moment
before it, so a model trained on them cannot peek into the future.

Windows
-------
- ``velocity_24h``: the actor's transactions in the 24 hours before (exact).
- ``velocity_7d``: transactions in the 7 whole days before today plus today so far.
- ``amount_to_avg_30d``: amount over the actor's mean amount in the 30 whole days before
  today plus today so far (NaN without history).
- ``balance_zscore_30d``: z-score of the source account's balance before the payment against
  its balances before its earlier payments in the same window (NaN with fewer than 2, or
  without a source account): how far the account has sunk below its usual level.
- ``distinct_devices_7d`` / ``distinct_ips_7d``: distinct devices (IPs) the actor used in
  the 7 whole days before today plus today so far.
- ``off_hours``: initiated between 00:00 and 05:59.
- ``inflow_48h``: money credited to the paying account by completed payments in the
  48 hours before (exact; NaN for a payment without a source account, such as income).
- ``pass_through_48h``: the amount over ``inflow_48h`` (NaN when nothing came in): money
  passed on soon after it arrived, the mark of layering and kiting, and of salaries spent.
- ``bank_connections_24h`` / ``bank_connections_7d``: the initiating person's ``bank-link-added``
  events in the 24 hours (7 days) before the payment, strictly earlier (exact; 0 for a payment
  without an initiating person). They are read from the identity stream, so they are null when
  that stream is not produced (``--streams`` without ``identity``): unknown, not zero.

Running totals are kept per actor and per day, so memory does not grow with the span.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import pandas as pd
import pyarrow as pa

from fraudgraph.timeline.clock import off_hours
from fraudgraph.timeline.family import Day, Outcome
from fraudgraph.timeline.world import TimelineWorld
from fraudgraph.units import DAY

SCHEMA = pa.schema([
    ("transaction_id", pa.large_string()),
    ("time", pa.int64()),
    ("user_id", pa.large_string()),
    ("account_id", pa.large_string()),
    ("tx_type", pa.large_string()),
    ("amount", pa.float64()),
    ("velocity_24h", pa.int64()),
    ("velocity_7d", pa.int64()),
    ("amount_to_avg_30d", pa.float64()),
    ("balance_zscore_30d", pa.float64()),
    ("distinct_devices_7d", pa.int64()),
    ("distinct_ips_7d", pa.int64()),
    ("off_hours", pa.bool_()),
    ("inflow_48h", pa.float64()),
    ("pass_through_48h", pa.float64()),
    ("bank_connections_24h", pa.int64()),
    ("bank_connections_7d", pa.int64()),
])


def _prior_in_group(keys: np.ndarray, values: np.ndarray | None = None) -> np.ndarray:
    """For rows sorted by group, the running count (or sum) of earlier rows in the same group."""
    vals = np.ones(len(keys)) if values is None else values
    cum = np.cumsum(vals) - vals
    starts = np.r_[True, keys[1:] != keys[:-1]] if len(keys) else np.zeros(0, bool)
    first = np.maximum.accumulate(np.where(starts, np.arange(len(keys)), 0)) if len(keys) else np.zeros(0, np.int64)
    return cum - cum[first]


def _union_of_sorted(days: deque) -> np.ndarray:
    """The distinct values of a few sorted arrays, sorted (a merge of runs, not a full sort)."""
    if not days:
        return np.zeros(0, np.int64)
    values = np.concatenate(list(days))
    values.sort(kind="stable")  # timsort: linear work per sorted run it finds
    return values[np.r_[True, values[1:] != values[:-1]]] if values.size else values


class PointInTimeFeatures:
    """Rolling per-actor state; :meth:`update` returns one feature row per payment of a day."""

    def __init__(self, world: TimelineWorld):
        self.world = world
        self.n_persons = world.n["Person"]
        n_actors = self.n_persons + world.n["Account"]
        self.n_devices = max(world.n["Device"], 1)
        self.n_ips = max(world.n["IP"], 1)
        self.count7 = np.zeros(n_actors)
        self.sums30 = np.zeros((n_actors, 5))   # count, amount, balance count, balance sum, balance sum of squares
        self.days7: deque = deque()
        self.days30: deque = deque()
        self.device_days: deque = deque()
        self.ip_days: deque = deque()
        self.yesterday = (np.zeros(0, np.int64), np.zeros(0, np.int64))
        self.credit_days: deque = deque()
        self.link_days: deque = deque()

    def update(self, day: Day, pay: pd.DataFrame, outcome: Outcome, tx_ids: pa.Array,
               links: tuple[np.ndarray, np.ndarray] | None = None) -> pa.Table:
        """One feature row per payment of ``day``.

        Parameters
        ----------
        day : Day
        pay : pandas.DataFrame
            The day's payments (every family's), as booked in the ledger.
        outcome : Outcome
            The ledger's outcome of each payment.
        tx_ids : pyarrow.Array
            The payments' transaction ids.
        links : tuple of numpy.ndarray, optional
            ``(person, time)`` of the day's ``bank-link-added`` events (person positions, epoch
            seconds); None when the identity stream is not produced, which makes the
            ``bank_connections_*`` columns null.

        Returns
        -------
        pyarrow.Table
            Rows of :data:`SCHEMA`, in the order of ``pay``.
        """
        world = self.world
        n = len(pay)
        user = pay["user"].to_numpy()
        src = pay["src"].to_numpy()
        dst = pay["dst"].to_numpy()
        account = np.where(src >= 0, src, dst)
        actor = np.where(user >= 0, user, self.n_persons + np.maximum(account, 0))
        time = pay["time"].to_numpy()
        amount = pay["amount"].to_numpy()
        balance = np.where(src >= 0, outcome.balance_after + amount * outcome.ok, np.nan)
        device = pay["device"].to_numpy()
        ip = pay["ip"].to_numpy()

        order = np.lexsort((np.arange(n), time, actor))
        a, t = actor[order], time[order]
        feats = {}
        # 24 h, exact: yesterday's rows plus today's earlier rows
        ya, yt = self.yesterday
        keys = np.concatenate([ya * (1 << 34) + yt, a * (1 << 34) + t])
        sorted_keys = np.sort(keys, kind="stable")
        q = a * (1 << 34) + t
        v24 = np.searchsorted(sorted_keys, q, side="left") - np.searchsorted(sorted_keys, q - DAY, side="left")
        today_before = _prior_in_group(a)
        feats["velocity_24h"] = v24 + _prior_in_group(q)   # plus earlier rows in the same second
        feats["velocity_7d"] = (self.count7[a] + today_before).astype(np.int64)

        amt = amount[order]
        s30 = self.sums30[a]
        cnt = s30[:, 0] + today_before
        tot = s30[:, 1] + _prior_in_group(a, amt)
        # balances are the source account's, kept per account (an actor without one keeps its own row, empty)
        holder = np.where(src >= 0, self.n_persons + np.maximum(src, 0), actor)
        border = np.lexsort((np.arange(n), time, holder))
        b, bal = holder[border], balance[border]
        has_bal = np.isfinite(bal)
        b30 = self.sums30[b]
        with np.errstate(invalid="ignore", divide="ignore"):
            feats["amount_to_avg_30d"] = np.where(cnt > 0, amt / np.maximum(tot / np.maximum(cnt, 1), 0.01), np.nan)
            bc = b30[:, 2] + _prior_in_group(b, has_bal.astype(float))
            bs = b30[:, 3] + _prior_in_group(b, np.where(has_bal, bal, 0.0))
            bq = b30[:, 4] + _prior_in_group(b, np.where(has_bal, bal * bal, 0.0))
            mean = bs / np.maximum(bc, 1)
            var = np.maximum(bq / np.maximum(bc, 1) - mean * mean, 0.0)
            std = np.sqrt(var * bc / np.maximum(bc - 1, 1))
            z = np.where((bc >= 2) & has_bal & (std > 1e-9), (bal - mean) / np.where(std > 1e-9, std, 1.0), np.nan)
        z_by_row = np.empty(n)
        z_by_row[border] = z
        feats["balance_zscore_30d"] = z_by_row[order]
        feats["distinct_devices_7d"] = self._distinct(a, device[order], self.device_days, self.n_devices)
        feats["distinct_ips_7d"] = self._distinct(a, ip[order], self.ip_days, self.n_ips)

        inflow = self._inflow(src, dst, time, amount, outcome.ok.astype(bool))
        links_24h, links_7d = self._bank_connections(user, time, links)
        with np.errstate(invalid="ignore", divide="ignore"):
            passed = np.where(inflow > 0, amount / np.where(inflow > 0, inflow, 1.0), np.nan)

        # roll the windows
        self._push(a, amt, b, bal, has_bal, device[order], ip[order])
        self.yesterday = (a, t)

        inverse = np.empty(n, dtype=np.int64)
        inverse[order] = np.arange(n)
        out = {name: np.asarray(v)[inverse] for name, v in feats.items()}
        cols = {
            "transaction_id": tx_ids,
            "time": pa.array(time),
            "user_id": world.take("Person", user),
            "account_id": world.take("Account", account),
            "tx_type": pa.array(pay["tx_type"].to_numpy(dtype=object), pa.large_string()),
            "amount": pa.array(amount),
            "velocity_24h": pa.array(out["velocity_24h"].astype(np.int64)),
            "velocity_7d": pa.array(out["velocity_7d"].astype(np.int64)),
            "amount_to_avg_30d": pa.array(out["amount_to_avg_30d"], from_pandas=True),
            "balance_zscore_30d": pa.array(out["balance_zscore_30d"], from_pandas=True),
            "distinct_devices_7d": pa.array(out["distinct_devices_7d"].astype(np.int64)),
            "distinct_ips_7d": pa.array(out["distinct_ips_7d"].astype(np.int64)),
            "off_hours": pa.array(off_hours(time)),
            "inflow_48h": pa.array(inflow, from_pandas=True),
            "pass_through_48h": pa.array(passed, from_pandas=True),
            "bank_connections_24h": pa.array(links_24h, pa.int64(), mask=None if links is not None else np.ones(n, bool)),
            "bank_connections_7d": pa.array(links_7d, pa.int64(), mask=None if links is not None else np.ones(n, bool)),
        }
        return pa.table(cols, schema=SCHEMA)

    def _inflow(self, src, dst, time, amount, ok) -> np.ndarray:
        """Money credited to each payment's source account in the 48 hours before it (NaN without one)."""
        credit = (dst >= 0) & ok
        self.credit_days.append((dst[credit] * (1 << 34) + time[credit], amount[credit]))
        if len(self.credit_days) > 3:
            self.credit_days.popleft()
        keys = np.concatenate([k for k, _ in self.credit_days])
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        total = np.r_[0.0, np.cumsum(np.concatenate([v for _, v in self.credit_days])[order])]
        q = np.maximum(src, 0) * (1 << 34) + time
        inflow = total[np.searchsorted(keys, q, "left")] - total[np.searchsorted(keys, q - 2 * DAY, "left")]
        return np.where(src >= 0, np.round(inflow, 2), np.nan)

    def _bank_connections(self, user: np.ndarray, time: np.ndarray,
                          links: tuple[np.ndarray, np.ndarray] | None) -> tuple[np.ndarray, np.ndarray]:
        """Bank links of each payment's initiating person in the 24 hours and 7 days before it (strictly earlier).

        The links of the last eight days are kept (a link a family dated after its day is kept too, by
        its time): enough for any payment of today.
        """
        if links is None:
            return np.zeros(len(user), np.int64), np.zeros(len(user), np.int64)
        person, at = (np.asarray(x, dtype=np.int64) for x in links)
        keep = person >= 0
        self.link_days.append(np.sort(person[keep] * (1 << 34) + at[keep]))
        if len(self.link_days) > 8:
            self.link_days.popleft()
        keys = np.sort(np.concatenate(list(self.link_days)))
        q = np.maximum(user, 0) * (1 << 34) + time
        before = np.searchsorted(keys, q, "left")
        day = before - np.searchsorted(keys, q - DAY, "left")
        week = before - np.searchsorted(keys, q - 7 * DAY, "left")
        has = user >= 0
        return np.where(has, day, 0).astype(np.int64), np.where(has, week, 0).astype(np.int64)

    def _distinct(self, a: np.ndarray, item: np.ndarray, days: deque, n_items: int) -> np.ndarray:
        """Distinct items per actor over the window's whole days plus today's earlier rows."""
        valid = item >= 0
        keys = a * n_items + np.maximum(item, 0)
        past = _union_of_sorted(days)
        past_count = np.bincount(past // n_items, minlength=len(self.count7))
        base = past_count[a]
        if past.size:
            at = np.minimum(np.searchsorted(past, keys), past.size - 1)
            new = valid & (past[at] != keys)
        else:
            new = valid
        # first occurrence today of each new (actor, item) pair, counted for later rows of the actor
        first = np.zeros(len(keys), bool)
        if len(keys):
            _, idx = np.unique(np.where(new, keys, -1 - np.arange(len(keys))), return_index=True)
            first[idx] = True
        first &= new
        return base + _prior_in_group(a, first.astype(float)).astype(np.int64)

    def _push(self, a, amt, b, bal, has_bal, device, ip) -> None:
        """Roll the windows: counts and amounts per actor ``a``, balances per holding account ``b``."""
        self.count7 += np.bincount(a, minlength=len(self.count7))
        self.days7.append(a)
        if len(self.days7) > 7:
            self.count7 -= np.bincount(self.days7.popleft(), minlength=len(self.count7))
        zeros = np.zeros(len(a))
        stats = np.concatenate([
            np.stack([np.ones(len(a)), amt, zeros, zeros, zeros], axis=1),
            np.stack([zeros, zeros, has_bal.astype(float), np.where(has_bal, bal, 0.0),
                      np.where(has_bal, bal * bal, 0.0)], axis=1)])
        rows = np.concatenate([a, b])
        self._add(self.sums30, rows, stats, +1)
        self.days30.append((rows, stats))
        if len(self.days30) > 30:
            old_rows, old_stats = self.days30.popleft()
            self._add(self.sums30, old_rows, old_stats, -1)
        for items, days, n_items in ((device, self.device_days, self.n_devices), (ip, self.ip_days, self.n_ips)):
            ok = items >= 0
            days.append(np.unique(a[ok] * n_items + items[ok]))
            if len(days) > 7:
                days.popleft()

    @staticmethod
    def _add(target: np.ndarray, rows: np.ndarray, stats: np.ndarray, sign: int) -> None:
        for j in range(stats.shape[1]):
            target[:, j] += sign * np.bincount(rows, weights=stats[:, j], minlength=len(target))
