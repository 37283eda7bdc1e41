"""Money movements and logins as graph elements, the two ways graph users model them.

``relationships``::

    (:Account)-[:TRANSFERRED {transaction_id, type, amount, currency, at, status}]->(:Account)
    (:Person)-[:LOGGED_IN {attempt_id, at, success, ip_address}]->(:Device)

``nodes`` (Neo4j's published transaction model)::

    (:Account)-[:PERFORMS]->(:Transaction {id, type, amount, currency, at, status})-[:BENEFITS_TO]->(:Account)
    (:Transaction)-[:NEXT]->(:Transaction)          each account's transactions in time order
    (:Person)-[:STARTED]->(:Session {id, started_at, ended_at, ...})-[:FROM]->(:Device), -[:VIA]->(:IP)

In both modes, the events that are complete when they happen (messages, trades,
announcements, circle contributions and payouts, identity changes, bank links)
come out as :mod:`fraudgraph.event_facts` describes, in the batch that holds them.

A movement with an outside party (a cash deposit, a fee, a remittance payout)
has one account: it is a Transaction with only its PERFORMS or BENEFITS_TO, and
no TRANSFERRED relationship. Unless ``blind``, ``is_fraud`` from the event truth
is on each transaction, login and session.

:class:`EventGraph` takes the event stream batch by batch, in time order, and
returns the elements that are complete: a transaction once its outcome
(completed or failed) is known, a login once it succeeded or failed, a session
once it ended; what never completes within the span comes out at :meth:`close`
as ``pending`` or ``open``. Elements leave in the order they began (an element
waits for the ones before it), so the NEXT chain is each account's history and
the output does not depend on how the stream was cut into batches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fraudgraph.event_facts import ANNOUNCEMENT, fact_sets, facts
from fraudgraph.event_payloads import iso_times, payload_fields
from fraudgraph.graphdb import NodeSet, RelSet
from fraudgraph.schema import Property

MODES = ("none", "relationships", "nodes")

_P = Property
_FRAUD = _P("is_fraud", "bool", "Ground truth of the event (absent in a blind load).")
TRANSFER_PROPERTIES = (
    _P("transaction_id", "string", "The transaction's id in the event streams."),
    _P("type", "string", "p2p_transfer, card_payment, payroll, ..."),
    _P("amount", "float", "Amount moved."),
    _P("currency", "string", "ISO 4217 code."),
    _P("at", "datetime", "When it was initiated."),
    _P("status", "string", "completed, failed, or pending when the span ended first."),
)
LOGIN_PROPERTIES = (
    _P("attempt_id", "string", "The login attempt's id in the event streams."),
    _P("at", "datetime", "When it was attempted."),
    _P("success", "bool", "Whether it succeeded (null when the span ended first).", nullable=True),
    _P("ip_address", "string", "Address it came from.", nullable=True),
)
TRANSACTION_PROPERTIES = tuple(p for p in TRANSFER_PROPERTIES if p.name != "transaction_id")
SESSION_PROPERTIES = (
    _P("started_at", "datetime", "When the session started."),
    _P("ended_at", "datetime", "When it ended (null: still open when the span ended).", nullable=True),
    _P("duration_seconds", "int", "Length in seconds.", nullable=True),
    _P("action_count", "int", "Actions taken in it.", nullable=True),
    _P("end_reason", "string", "logout, timeout, ...", nullable=True),
)


@dataclass(frozen=True)
class EventChunk:
    """Elements released together: nodes before the relationships that need them."""

    nodes: tuple[NodeSet, ...]
    relationships: tuple[RelSet, ...]


def event_labels(mode: str) -> list[str]:
    """The labels an event mode adds (each gets a uniqueness constraint on ``id``)."""
    if mode == "none":
        return []
    return (["Transaction", "Session"] if mode == "nodes" else []) + [ANNOUNCEMENT]


def event_sets(mode: str, blind: bool = False) -> tuple[tuple[NodeSet, ...], tuple[RelSet, ...]]:
    """Every node set and relationship set a mode can produce, with no rows: the files a bulk import lists.

    An :class:`EventChunk` only ever holds sets of these labels and triples, with
    these properties.
    """
    if mode == "none":
        return (), ()
    fraud = () if blind else (_FRAUD,)

    def rel(src, rel_type, dst, props=(), key=None):
        props = props + fraud if props else ()
        return RelSet(src, rel_type, dst, props, pd.DataFrame(columns=["src", "dst"] + [p.name for p in props]), key)

    fact_nodes, fact_rels = fact_sets(blind)
    if mode == "relationships":
        return fact_nodes, (rel("Account", "TRANSFERRED", "Account", TRANSFER_PROPERTIES, "transaction_id"),
                            rel("Person", "LOGGED_IN", "Device", LOGIN_PROPERTIES, "attempt_id")) + fact_rels
    nodes = tuple(NodeSet(label, props + fraud, pd.DataFrame(columns=["id"] + [p.name for p in props + fraud]))
                  for label, props in (("Transaction", TRANSACTION_PROPERTIES), ("Session", SESSION_PROPERTIES)))
    return nodes + fact_nodes, (rel("Account", "PERFORMS", "Transaction"), rel("Transaction", "BENEFITS_TO", "Account"),
                                rel("Transaction", "NEXT", "Transaction"), rel("Person", "STARTED", "Session"),
                                rel("Session", "FROM", "Device"), rel("Session", "VIA", "IP")) + fact_rels


class EventGraph:
    """Turns time-ordered event batches into graph elements (see the module's documentation).

    Parameters
    ----------
    mode : {"relationships", "nodes"}
    blind : bool
        Leave ``is_fraud`` out.
    """

    def __init__(self, mode: str, blind: bool = False):
        if mode not in MODES[1:]:
            raise ValueError(f"event graph mode must be one of {', '.join(MODES[1:])}, got {mode!r}")
        self.mode, self.blind = mode, blind
        self._tx = pd.DataFrame()          # initiated, waiting for their outcome (in initiation order)
        self._outcomes = pd.Series(dtype=object)          # transaction_id -> completed / failed
        self._logins = pd.DataFrame()
        self._login_outcomes = pd.Series(dtype=object)    # attempt_id -> success
        self._sessions = pd.DataFrame()
        self._ends = pd.DataFrame()
        self._last: dict[str, str] = {}    # each account's latest released transaction (the NEXT chain)

    def add(self, events: pa.Table, truth: pa.Table | None = None) -> EventChunk:
        """Take one batch (envelope rows, and their truth rows unless blind); the elements now complete."""
        fraud = self._fraud(truth)
        self._take_transactions(events, fraud)
        self._take_logins(events, fraud)
        chunk = self._release(final=False)
        nodes, rels = facts(events, fraud)
        return EventChunk(tuple(nodes) + chunk.nodes, chunk.relationships + tuple(r for r in rels if len(r.frame)))

    def close(self) -> EventChunk:
        """Everything still waiting: transactions as ``pending``, logins without outcome, open sessions."""
        return self._release(final=True)

    # -- intake ---------------------------------------------------------------------------------------
    def _fraud(self, truth: pa.Table | None) -> pd.Index | None:
        if self.blind or truth is None:
            return None
        flags = truth.column("is_fraud")
        if not pa.types.is_boolean(flags.type):  # read back from text
            flags = pc.equal(pc.utf8_lower(flags.cast(pa.large_string())), "true")
        return pd.Index(truth.filter(flags.fill_null(False)).column("event_id").to_numpy(zero_copy_only=False))

    def _take_transactions(self, events: pa.Table, fraud) -> None:
        start = payload_fields(events, "transaction-initiated",
                          ["transaction_id", "account_id", "counterparty_account_id", "type", "amount", "currency",
                           "initiated_at"])
        if len(start):
            start["amount"] = pd.to_numeric(start["amount"]).astype(float)
            start["is_fraud"] = start["event_id"].isin(fraud).to_numpy() if fraud is not None else None
            self._tx = pd.concat([self._tx, start], ignore_index=True) if len(self._tx) else start
        for kind, status in (("transaction-completed", "completed"), ("transaction-failed", "failed")):
            done = payload_fields(events, kind, ["transaction_id"])
            self._outcomes = _learn(self._outcomes, done["transaction_id"], status)

    def _take_logins(self, events: pa.Table, fraud) -> None:
        if self.mode == "relationships":
            tried = payload_fields(events, "login-attempt", ["attempt_id", "user_id", "device_id", "ip_address",
                                                        "attempted_at"])
            if len(tried):
                tried["is_fraud"] = tried["event_id"].isin(fraud).to_numpy() if fraud is not None else None
                self._logins = pd.concat([self._logins, tried], ignore_index=True) if len(self._logins) else tried
            for kind, ok in (("login-success", True), ("login-failed", False)):
                done = payload_fields(events, kind, ["attempt_id"])["attempt_id"]
                self._login_outcomes = _learn(self._login_outcomes, done, ok)
            return
        started = payload_fields(events, "session-started", ["session_id", "user_id", "device_id", "ip_id"])
        if len(started):
            started["started_at"] = events.filter(pc.equal(events.column("event_type"), "session-started")).column(
                "timestamp").to_numpy(zero_copy_only=False)
            started["is_fraud"] = started["event_id"].isin(fraud).to_numpy() if fraud is not None else None
            self._sessions = pd.concat([self._sessions, started], ignore_index=True) if len(self._sessions) else started
        ended = payload_fields(events, "session-ended", ["session_id", "duration_seconds", "action_count", "end_reason"])
        if len(ended):
            ended["ended_at"] = events.filter(pc.equal(events.column("event_type"), "session-ended")).column(
                "timestamp").to_numpy(zero_copy_only=False)
            self._ends = pd.concat([self._ends, ended], ignore_index=True) if len(self._ends) else ended

    # -- release --------------------------------------------------------------------------------------
    def _release(self, final: bool) -> EventChunk:
        nodes, rels = [], []
        tx = self._ready_transactions(final)
        if len(tx):
            if self.mode == "relationships":
                rels += self._transferred(tx)
            else:
                nodes.append(self._transaction_nodes(tx))
                rels += self._transaction_links(tx)
        if self.mode == "relationships":
            rels += self._logged_in(final)
        else:
            sessions = self._ready_sessions(final)
            if len(sessions):
                nodes.append(self._session_nodes(sessions))
                rels += self._session_links(sessions)
        return EventChunk(tuple(n for n in nodes if len(n.frame)), tuple(r for r in rels if len(r.frame)))

    def _ready_transactions(self, final: bool) -> pd.DataFrame:
        """The initiated transactions up to the first one still waiting for its outcome (all at the end)."""
        if not len(self._tx):
            return self._tx
        status = self._tx["transaction_id"].map(self._outcomes)
        cut = _ready_prefix(status.notna().to_numpy(), final)
        ready = self._tx.iloc[:cut].assign(status=status.iloc[:cut].fillna("pending").to_numpy(object))
        self._outcomes = _forget(self._outcomes, ready["transaction_id"])
        self._tx = self._tx.iloc[cut:].reset_index(drop=True)
        return ready.reset_index(drop=True)

    def _props(self, frame: pd.DataFrame, properties) -> tuple[tuple[Property, ...], pd.DataFrame]:
        """The properties of an event set: ``is_fraud`` added unless blind."""
        return properties + (() if self.blind else (_FRAUD,)), frame

    def _transferred(self, tx: pd.DataFrame) -> list[RelSet]:
        both = tx[tx["account_id"].notna() & tx["counterparty_account_id"].notna()]
        frame = pd.DataFrame({"src": both["account_id"].to_numpy(object),
                              "dst": both["counterparty_account_id"].to_numpy(object),
                              "transaction_id": both["transaction_id"].to_numpy(object),
                              "type": both["type"].to_numpy(object), "amount": both["amount"].to_numpy(float),
                              "currency": both["currency"].to_numpy(object),
                              "at": iso_times(both["initiated_at"]), "status": both["status"].to_numpy(object)})
        props, frame = self._props(frame, TRANSFER_PROPERTIES)
        if not self.blind:
            frame["is_fraud"] = both["is_fraud"].to_numpy(bool)
        return [RelSet("Account", "TRANSFERRED", "Account", props, frame, key="transaction_id")]

    def _transaction_nodes(self, tx: pd.DataFrame) -> NodeSet:
        frame = pd.DataFrame({"id": tx["transaction_id"].to_numpy(object), "type": tx["type"].to_numpy(object),
                              "amount": tx["amount"].to_numpy(float), "currency": tx["currency"].to_numpy(object),
                              "at": iso_times(tx["initiated_at"]), "status": tx["status"].to_numpy(object)})
        props, frame = self._props(frame, TRANSACTION_PROPERTIES)
        if not self.blind:
            frame["is_fraud"] = tx["is_fraud"].to_numpy(bool)
        return NodeSet("Transaction", props, frame)

    def _transaction_links(self, tx: pd.DataFrame) -> list[RelSet]:
        performed = tx[tx["account_id"].notna()]
        benefits = tx[tx["counterparty_account_id"].notna()]
        chain_src, chain_dst = self._chain(performed["account_id"], performed["transaction_id"])
        return [
            RelSet("Account", "PERFORMS", "Transaction", (), _pairs(performed["account_id"],
                                                                    performed["transaction_id"])),
            RelSet("Transaction", "BENEFITS_TO", "Account", (), _pairs(benefits["transaction_id"],
                                                                       benefits["counterparty_account_id"])),
            RelSet("Transaction", "NEXT", "Transaction", (), _pairs(chain_src, chain_dst)),
        ]

    def _chain(self, accounts: pd.Series, transactions: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """NEXT pairs: each transaction after the account's one before it (in this batch or an earlier one)."""
        frame = pd.DataFrame({"account": accounts.to_numpy(object), "tx": transactions.to_numpy(object)})
        before = frame.groupby("account", sort=False)["tx"].shift(1).to_numpy(object)
        first = pd.isna(before)
        before[first] = frame["account"][first].map(self._last).to_numpy(object)
        last = frame.drop_duplicates("account", keep="last")
        self._last.update(zip(last["account"], last["tx"]))
        linked = ~pd.isna(before)
        return before[linked], frame["tx"].to_numpy(object)[linked]

    def _logged_in(self, final: bool) -> list[RelSet]:
        if not len(self._logins):
            return []
        outcome = self._logins["attempt_id"].map(self._login_outcomes)
        cut = _ready_prefix(outcome.notna().to_numpy(), final)
        ready, success = self._logins.iloc[:cut], outcome.iloc[:cut]
        self._logins = self._logins.iloc[cut:].reset_index(drop=True)
        self._login_outcomes = _forget(self._login_outcomes, ready["attempt_id"])
        frame = pd.DataFrame({"src": ready["user_id"].to_numpy(object), "dst": ready["device_id"].to_numpy(object),
                              "attempt_id": ready["attempt_id"].to_numpy(object), "at": iso_times(ready["attempted_at"]),
                              "success": success.astype(object).where(success.notna(), None).to_numpy(object),
                              "ip_address": ready["ip_address"].to_numpy(object)})
        props, frame = self._props(frame, LOGIN_PROPERTIES)
        if not self.blind:
            frame["is_fraud"] = ready["is_fraud"].to_numpy(bool)
        return [RelSet("Person", "LOGGED_IN", "Device", props, frame, key="attempt_id")]

    def _ready_sessions(self, final: bool) -> pd.DataFrame:
        if not len(self._sessions):
            return self._sessions
        ends = self._ends.set_index("session_id") if len(self._ends) else pd.DataFrame(
            columns=["duration_seconds", "action_count", "end_reason", "ended_at"])
        cut = _ready_prefix(self._sessions["session_id"].isin(ends.index).to_numpy(), final)
        ready = self._sessions.iloc[:cut].reset_index(drop=True)
        self._sessions = self._sessions.iloc[cut:].reset_index(drop=True)
        joined = ends.reindex(ready["session_id"])
        for column in ("ended_at", "duration_seconds", "action_count", "end_reason"):
            ready[column] = joined[column].to_numpy(object)
        if len(self._ends):
            self._ends = self._ends[~self._ends["session_id"].isin(ready["session_id"])].reset_index(drop=True)
        return ready

    def _session_nodes(self, sessions: pd.DataFrame) -> NodeSet:
        frame = pd.DataFrame({"id": sessions["session_id"].to_numpy(object),
                              "started_at": iso_times(sessions["started_at"]), "ended_at": iso_times(sessions["ended_at"]),
                              "duration_seconds": pd.array(sessions["duration_seconds"], dtype="Int64"),
                              "action_count": pd.array(sessions["action_count"], dtype="Int64"),
                              "end_reason": sessions["end_reason"].to_numpy(object)})
        props, frame = self._props(frame, SESSION_PROPERTIES)
        if not self.blind:
            frame["is_fraud"] = sessions["is_fraud"].to_numpy(bool)
        return NodeSet("Session", props, frame)

    def _session_links(self, sessions: pd.DataFrame) -> list[RelSet]:
        via = sessions[sessions["ip_id"].notna()]
        return [RelSet("Person", "STARTED", "Session", (), _pairs(sessions["user_id"], sessions["session_id"])),
                RelSet("Session", "FROM", "Device", (), _pairs(sessions["session_id"], sessions["device_id"])),
                RelSet("Session", "VIA", "IP", (), _pairs(via["session_id"], via["ip_id"]))]


def _ready_prefix(known: np.ndarray, final: bool) -> int:
    """How many leading elements can leave: up to the first whose outcome is unknown (all of them at the end).

    Releasing a prefix keeps the elements in the order they began, however the
    stream was cut into batches, so the files built from them do not depend on it.
    """
    if final or known.all():
        return len(known)
    return int(np.argmin(known))


def _learn(known: pd.Series, ids, value) -> pd.Series:
    """``known`` with ``ids`` mapped to ``value`` as well."""
    if not len(ids):
        return known
    new = pd.Series(value, index=pd.Index(np.asarray(ids, dtype=object)), dtype=object)
    return pd.concat([known, new]) if len(known) else new


def _forget(known: pd.Series, ids) -> pd.Series:
    """``known`` without the released ``ids``."""
    return known[~known.index.isin(np.asarray(ids, dtype=object))] if len(known) else known


def _pairs(src, dst) -> pd.DataFrame:
    return pd.DataFrame({"src": np.asarray(src, dtype=object), "dst": np.asarray(dst, dtype=object)})
