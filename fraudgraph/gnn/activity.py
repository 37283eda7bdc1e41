"""Each node's own past activity, counted up to each split's cut-off.

Accounts count the transactions they sent and received (and the amounts) and their
trades (and the notional), persons their transactions, login attempts, failed logins,
sessions, savings-circle contributions, payouts, missed contributions and drop-outs,
trades and messages sent and received, devices and IPs the logins and sessions
through them; accounts and persons also their trades placed shortly before the
company's price-moving news (:mod:`fraudgraph.gnn.news`). Each is counted over all the past, over the
last 7 and the last 30 days (``<name>_7d``, ``<name>_30d``: a burst, a dormant
account woken), over its busiest 7 days (``<name>_peak_7d``, :mod:`fraudgraph.gnn.peaks`:
a card maxed out or money passed on months before the cut-off), and for each kind of
event the days since the last one (``days_since_<name>``; the span so far plus one day when there was none: an
account gone dark). Everything is taken three times: before the training, the
validation and the end cut-off, so a split's graph sees only its past. It enters a
model as ``log1p`` of the value, standardised with the training snapshot's
statistics over the training nodes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fraudgraph.event_payloads import iso_times, payload_fields
from fraudgraph.gnn.news import NAMES as NEWS_NAMES
from fraudgraph.gnn.news import WHO as NEWS_WHO
from fraudgraph.gnn.news import NewsTiming
from fraudgraph.gnn.peaks import PeakWeek
from fraudgraph.gnn.splits import Cutoffs

#: (node type, feature, event type, payload field naming the node, payload field to sum or None to count)
SPECS = (
    ("Account", "sent_count", "transaction-initiated", "account_id", None),
    ("Account", "sent_amount", "transaction-initiated", "account_id", "amount"),
    ("Account", "received_count", "transaction-initiated", "counterparty_account_id", None),
    ("Account", "received_amount", "transaction-initiated", "counterparty_account_id", "amount"),
    ("Account", "trades", "trade-executed", "account_id", None),
    ("Account", "trade_notional", "trade-executed", "account_id", "notional"),
    ("Person", "transactions", "transaction-initiated", "user_id", None),
    ("Person", "login_attempts", "login-attempt", "user_id", None),
    ("Person", "login_failures", "login-failed", "user_id", None),
    ("Person", "sessions", "session-started", "user_id", None),
    ("Person", "circle_contributions", "circle-contribution-received", "member_id", None),
    ("Person", "circle_payouts", "circle-payout-executed", "recipient_id", None),
    ("Person", "circle_missed", "circle-contribution-missed", "member_id", None),
    ("Person", "circle_dropped", "circle-member-dropped", "member_id", None),
    ("Person", "trades", "trade-executed", "person_id", None),
    ("Person", "messages_sent", "communication-sent", "sender_id", None),
    ("Person", "messages_received", "communication-sent", "recipient_id", None),
    ("Device", "login_attempts", "login-attempt", "device_id", None),
    ("Device", "login_failures", "login-failed", "device_id", None),
    ("Device", "sessions", "session-started", "device_id", None),
    ("IP", "login_attempts", "login-attempt", "ip_id", None),
    ("IP", "sessions", "session-started", "ip_id", None),
)
#: The payload fields each event type is read for.
FIELDS = {kind: sorted({s[3] for s in SPECS if s[2] == kind} | {s[4] for s in SPECS if s[2] == kind and s[4]})
          for kind in dict.fromkeys(s[2] for s in SPECS)}
#: The event families ``gnn/`` depends on: the transfers and sessions it reads, and every family that books
#: payments, since a transfer's point-in-time features count all of its initiator's past payments.
STREAMS = ("transactions", "sessions", "circles", "remittances", "markets", "documents")
#: The recent windows each activity is also counted over: (suffix, days).
WINDOWS = (("7d", 7), ("30d", 30))


def _since(name: str) -> str:
    """The days-since column of a counted activity."""
    return f"days_since_{name.removesuffix('_count')}"


def _names(label: str) -> list[str]:
    specs = [s for s in SPECS if s[0] == label]
    return ([s[1] for s in specs] + [f"{s[1]}_{suffix}" for s in specs for suffix, _ in WINDOWS]
            + [f"{s[1]}_peak_7d" for s in specs] + [_since(s[1]) for s in specs if s[4] is None])


#: The activity features of each node type, in column order (accounts and persons end with the trades placed
#: shortly before the company's news, :mod:`fraudgraph.gnn.news`).
ACTIVITY = {label: _names(label) + (list(NEWS_NAMES) if label in NEWS_WHO else [])
            for label in dict.fromkeys(s[0] for s in SPECS)}
SNAPSHOTS = ("train", "valid", "test")


class ActivityCounter:
    """Counts each node's activity before each cut-off, window by window.

    Parameters
    ----------
    index : dict of str to pandas.Index
        The node ids of each type, in node-index order.
    cut : Cutoffs
    """

    def __init__(self, index: dict[str, pd.Index], cut: Cutoffs):
        self.index, self.cut = index, cut
        self.limits = [cut.train_end, cut.valid_end, cut.end]
        # the sums and counts (the other columns are filled in by features())
        self.counts = {label: np.zeros((3, len(index[label]), len(names))) for label, names in ACTIVITY.items()
                       if label in index}
        # the time of the last event of each days_since_ column (-inf before any)
        self.since = {label: [i for i, name in enumerate(names) if name.startswith("days_since_")]
                      for label, names in ACTIVITY.items() if label in index}
        self.last = {label: np.full((3, len(index[label]), len(columns)), -np.inf)
                     for label, columns in self.since.items()}
        days = [int(limit.astype("datetime64[D]").astype(np.int64)) for limit in self.limits]
        self.specs = {label: [s for s in SPECS if s[0] == label] for label in self.counts}
        self.peaks = {label: PeakWeek(len(index[label]), len(specs), days) for label, specs in self.specs.items()}
        self.news = NewsTiming(self.limits)

    def add(self, events: pa.Table, parsed: dict[str, pd.DataFrame] | None = None) -> None:
        """Count the activity of one window of events (``parsed``: payloads already read, by event type,
        holding at least the fields :data:`FIELDS` names)."""
        self.news.add(events)
        busy = {label: [] for label in self.counts}
        for kind in FIELDS:
            specs = [s for s in SPECS if s[2] == kind and s[0] in self.counts]
            rows = (parsed or {}).get(kind)
            if rows is None:
                rows = payload_fields(events, kind, FIELDS[kind])
            if not len(rows):
                continue
            stamps = events.filter(pc.equal(events.column("event_type"), kind)).column("timestamp")
            time = iso_times(stamps.to_numpy(zero_copy_only=False))
            for label, name, _, who, weight in specs:
                node = self.index[label].get_indexer(rows[who].to_numpy(object))
                known = node >= 0
                # sums in whole cents, so adding them window by window is exact whatever the windows
                amount = np.rint(pd.to_numeric(rows[weight]).to_numpy(float) * 100) if weight else np.ones(len(rows))
                names, n = ACTIVITY[label], len(self.index[label])
                for s, limit in enumerate(self.limits):
                    keep = known & (time < limit)
                    counts = self.counts[label][s]
                    counts[:, names.index(name)] += np.bincount(node[keep], weights=amount[keep], minlength=n)
                    for suffix, days in WINDOWS:
                        recent = keep & (time >= limit - np.timedelta64(days * 86_400, "s"))
                        counts[:, names.index(f"{name}_{suffix}")] += np.bincount(
                            node[recent], weights=amount[recent], minlength=n)
                    if weight is None:
                        column = self.since[label].index(names.index(_since(name)))
                        np.maximum.at(self.last[label][s, :, column], node[keep],
                                      time[keep].astype("datetime64[s]").astype(np.int64).astype(float))
                column = self.specs[label].index((label, name, kind, who, weight))
                busy[label].append((time[known].astype("datetime64[D]").astype(np.int64), node[known],
                                    np.full(known.sum(), column), amount[known]))
        for label, parts in busy.items():
            if parts:
                self.peaks[label].add(*(np.concatenate(column) for column in zip(*parts)))

    def features(self, label: str, train_mask: np.ndarray) -> dict[str, np.ndarray]:
        """``train``, ``valid`` and ``test`` snapshots (float32, ``log1p`` then standardised with the
        training snapshot over ``train_mask`` rows), their ``mean`` and ``std``, and the ``names``."""
        values = self.counts[label].copy()
        values[:, :, [ACTIVITY[label].index(f"{s[1]}_peak_7d") for s in self.specs[label]]] = self.peaks[label].peaks()
        if label in NEWS_WHO:
            values[:, :, [ACTIVITY[label].index(name) for name in NEWS_NAMES]] = self.news.counts(label, self.index[label])
        suffixes = ("", *(f"_{suffix}" for suffix, _ in WINDOWS), "_peak_7d")
        cents = [ACTIVITY[label].index(spec[1] + suffix) for spec in self.specs[label] if spec[4] for suffix in suffixes]
        values[:, :, cents] /= 100
        for s, limit in enumerate(self.limits):
            last = self.last[label][s]
            since = (limit - self.cut.start).astype(np.int64) / 86_400 + 1.0  # before the first event
            seconds = limit.astype("datetime64[s]").astype(np.int64)
            values[s][:, self.since[label]] = np.where(np.isfinite(last), np.maximum(seconds - last, 0) / 86_400, since)
        logged = np.log1p(values)
        seen = logged[0][np.asarray(train_mask, dtype=bool)]
        mean = seen.mean(axis=0) if len(seen) else np.zeros(logged.shape[2])
        std = seen.std(axis=0) if len(seen) > 1 else np.zeros(logged.shape[2])
        scaled = (logged - mean) / np.where(std > 0, std, 1.0)
        out = {name: scaled[s].astype(np.float32) for s, name in enumerate(SNAPSHOTS)}
        return {**out, "mean": mean, "std": std, "names": np.array(ACTIVITY[label])}
