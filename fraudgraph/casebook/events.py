"""The events a case file shows: each instance's own events (from the event truth's ``pattern_id``), and
the number of events per day and family for the overview, taken window by window."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Event types a case's timeline leaves out: every step of a session, and what another event already says.
QUIET = frozenset({"user-action-performed", "session-started", "session-ended", "login-attempt", "transaction-completed",
                   "transaction-failed", "remittance-processing"})
#: The status a transaction's outcome event gives it.
OUTCOMES = {"transaction-completed": "completed", "transaction-failed": "failed"}
#: The family of each event type, by the first word of its name.
FAMILIES = {"transaction": "transactions", "login": "sessions", "session": "sessions", "user": "sessions",
            "device": "identity", "identity": "identity", "account": "identity", "bank": "identity",
            "circle": "circles", "remittance": "remittances", "exchange": "remittances", "trade": "markets",
            "company": "markets", "communication": "communications", "invoice": "documents", "bill": "documents"}


class CaseEvents:
    """Collects, batch by batch in time order, what the case files need of the event stream."""

    def __init__(self):
        self._rows: list[pd.DataFrame] = []
        self._daily: list[pd.DataFrame] = []

    def add(self, events: pa.Table, truth: pa.Table | None) -> None:
        """Take one batch: the envelopes and their truth rows."""
        day = pc.utf8_slice_codeunits(events.column("timestamp").cast(pa.large_string()), 0, 10)
        counts = pa.table({"day": day, "type": events.column("event_type")}).group_by(["day", "type"]).aggregate(
            [([], "count_all")])
        self._daily.append(counts.to_pandas())
        if truth is None or truth.num_rows == 0:
            return
        marked = truth.filter(pc.is_valid(truth.column("pattern_id")))
        if marked.num_rows == 0:
            return
        ids = marked.column("event_id")
        rows = events.filter(pc.is_in(events.column("event_id"), value_set=ids))
        frame = pd.DataFrame({"event_id": rows.column("event_id").to_numpy(zero_copy_only=False),
                              "timestamp": rows.column("timestamp").cast(pa.large_string()).to_numpy(zero_copy_only=False),
                              "event_type": rows.column("event_type").to_numpy(zero_copy_only=False),
                              "payload": rows.column("payload").to_numpy(zero_copy_only=False)})
        patterns = pd.Series(marked.column("pattern_id").to_numpy(zero_copy_only=False),
                             index=marked.column("event_id").to_numpy(zero_copy_only=False))
        frame["pattern_id"] = frame["event_id"].map(patterns[~patterns.index.duplicated()])
        self._rows.append(frame)

    def daily(self) -> pd.DataFrame:
        """Events per day (rows, ``YYYY-MM-DD``) and family (columns)."""
        if not self._daily:
            return pd.DataFrame()
        counts = pd.concat(self._daily, ignore_index=True)
        counts["family"] = counts["type"].str.split("-").str[0].map(FAMILIES).fillna("other")
        return counts.pivot_table(index="day", columns="family", values="count_all", aggfunc="sum", fill_value=0)

    def by_case(self) -> dict[str, list[dict]]:
        """Each instance's events in time order, as dicts (``time``, ``type``, ``text``, and for money:
        ``amount``, ``currency``, ``src``, ``dst``, ``status``)."""
        if not self._rows:
            return {}
        frame = pd.concat(self._rows, ignore_index=True)
        payloads = [json.loads(p) if isinstance(p, str) else dict(p or {}) for p in frame["payload"]]
        # an instance's transactions and their outcomes carry its pattern id alike
        outcomes = {p["transaction_id"]: OUTCOMES[kind] for kind, p in zip(frame["event_type"], payloads)
                    if kind in OUTCOMES}
        # a payment that came back moved nothing in the end (its return is a row of its own)
        outcomes.update({p["transaction_id"]: "returned" for kind, p in zip(frame["event_type"], payloads)
                         if kind == "transaction-returned"})
        out: dict[str, list[dict]] = {}
        for pattern_id, stamp, kind, payload in zip(frame["pattern_id"], frame["timestamp"], frame["event_type"],
                                                    payloads):
            if kind not in QUIET:
                out.setdefault(pattern_id, []).append(describe(stamp, kind, payload, outcomes))
        return out


def describe(timestamp: str, kind: str, p: dict, outcomes: dict[str, str]) -> dict:
    """One event as a timeline row: a readable line, and its money fields when it moves money."""
    row = {"time": timestamp.replace("T", " ").rstrip("Z")[:16], "type": kind}
    if kind == "transaction-initiated":
        src = p.get("account_id") or (p.get("source") or {}).get("type", "outside")
        dst = p.get("counterparty_account_id") or (p.get("destination") or {}).get("type", "outside")
        status = outcomes.get(p.get("transaction_id"), "pending")
        row.update(amount=float(p["amount"]), currency=p.get("currency", ""), src=src, dst=dst, status=status,
                   text=f"{p.get('type', '').replace('_', ' ')} of {float(p['amount']):,.2f} {p.get('currency', '')}"
                        f" from {src} to {dst} ({status})")
    elif kind == "transaction-returned":
        src, dst = p.get("counterparty_account_id") or "outside", p.get("account_id") or "outside"
        row.update(amount=float(p["amount"]), currency=p.get("currency", ""), src=src, dst=dst, status="return",
                   text=f"{p.get('return_code')} return ({p.get('return_reason', '').lower()}) of "
                        f"{float(p['amount']):,.2f} {p.get('currency', '')} from {src} back to {dst}")
    elif kind in ("login-success", "login-failed"):
        row["text"] = (f"{'login' if kind == 'login-success' else 'failed login'} by {p.get('user_id')} on "
                       f"{p.get('device_id')} from {p.get('ip_address')}"
                       + (" (new device)" if p.get("new_device") else ""))
    elif kind == "identity-changed":
        row["text"] = f"{p.get('user_id')} changed their {p.get('field')} from {p.get('device_id')}"
    elif kind == "communication-sent":
        row["text"] = f"{p.get('channel')} from {p.get('sender_id')} to {p.get('recipient_id')}"
    elif kind == "trade-executed":
        row["text"] = (f"{p.get('side')} {p.get('quantity')} {p.get('ticker')} at {p.get('price')} "
                       f"by {p.get('account_id')}")
    elif kind == "company-announcement":
        row["text"] = f"{p.get('headline')} ({float(p.get('expected_price_impact', 0)):+.1%})"
    elif kind == "bank-link-added":
        row["text"] = f"{p.get('account_id')} linked {p.get('linked_account_id')} at {p.get('linked_institution')}"
    elif kind.startswith("circle-"):
        who = p.get("member_id") or p.get("recipient_id") or p.get("organizer_id") or ""
        amount = f" of {float(p['amount']):,.2f} {p.get('currency', '')}" if p.get("amount") else ""
        row["text"] = f"{kind[7:].replace('-', ' ')}{amount} {who} in {p.get('circle_id')}, cycle {p.get('cycle', '-')}"
    else:
        shown = ", ".join(f"{k} {v}" for k, v in p.items() if k.endswith("_id") and v)[:160]
        row["text"] = f"{kind.replace('-', ' ')}: {shown}"
    return row
