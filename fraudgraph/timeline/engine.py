"""The timeline engine: walks the days, runs the ledger, and releases events in global order.

Each day is simulated with generators keyed by ``("timeline", family, day)``,
so its events do not depend on how days are batched (``window_days``) or how
many threads write them. Events a day produces after its end (a remittance
that settles tomorrow, a session past midnight) wait in a carry buffer until
every event before them is known; the release order is by timestamp, then
event id.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fraudgraph import schema
from fraudgraph.config import STREAMS, Scenario
from fraudgraph.graph import PropertyGraph
from fraudgraph.seeding import SeedTree
from fraudgraph.stageclock import stage, tally
from fraudgraph.timeline import envelope as env
from fraudgraph.timeline.context import TimelineContext
from fraudgraph.timeline.family import DayPlan, Family, Outcome
from fraudgraph.timeline.features import PointInTimeFeatures
from fraudgraph.timeline.frames import (
    CORRELATION_KEYS,
    EVENT_SCHEMA,
    ID_KEYS,
    with_id_keys,
)
from fraudgraph.timeline.frames import payments as make_payments
from fraudgraph.timeline.ledger import FORCED, SWEEP, Ledger
from fraudgraph.timeline.prefetch import prefetch
from fraudgraph.timeline.returns import Returns
from fraudgraph.timeline.truth import EventTruth
from fraudgraph.timeline.world import TimelineWorld
from fraudgraph.truth import Truth
from fraudgraph.units import epoch_seconds

#: Family classes by stream name, imported on first use.
FAMILIES = {
    "transactions": "fraudgraph.timeline.families.transactions:Transactions",
    "sessions": "fraudgraph.timeline.families.sessions:Sessions",
    "circles": "fraudgraph.timeline.families.circles:Circles",
    "remittances": "fraudgraph.timeline.families.remittances:Remittances",
    "identity": "fraudgraph.timeline.families.identity:Identity",
    "markets": "fraudgraph.timeline.families.markets:Markets",
    "documents": "fraudgraph.timeline.families.documents:Documents",
}
_CORR_STRIDE = np.int64(1) << 40
#: Internal columns an event keeps until it is written (the rest goes to its truth row first).
_RELEASED = ("time", "event_type", "payload", *ID_KEYS, *CORRELATION_KEYS)
#: Bits of the combined sort key given to seconds (2**26 s is 776 days).
_TIME_BITS = 26


def family_class(name: str) -> type[Family]:
    module, _, attr = FAMILIES[name].partition(":")
    return getattr(importlib.import_module(module), attr)


@dataclass
class Window:
    """Events released together: envelope rows, their truth rows, and transaction features.

    ``horizon`` (epoch seconds, a day boundary) says the window is complete: no
    later window holds a row before it.
    """

    events: pa.Table
    truth: pa.Table
    features: pa.Table
    horizon: int | None = None


class Timeline:
    """Event streams of one dataset.

    Parameters
    ----------
    graph : PropertyGraph
        The finished graph.
    truth : Truth
        Pattern instances and their schedules.
    scenario : Scenario
    seeds : SeedTree
    streams : list of str, optional
        Families to produce; defaults to ``scenario.events.streams``.
    labels_on_events : bool
        Also put ``is_fraud``, ``fraud_type`` and ``pattern_id`` on each event (demos only).
    incoming_payroll : DataFrame, optional
        Payroll ``TRANSFERS_TO`` rows (the edge table's columns) whose paying account is outside this
        world: a shard's employees of other shards' companies (see :mod:`fraudgraph.shards.employment`).
        Their salaries are booked as credits only, since the payer's ledger is elsewhere.
    """

    def __init__(self, graph: PropertyGraph, truth: Truth, scenario: Scenario, seeds: SeedTree,
                 streams: list[str] | None = None, labels_on_events: bool = False, incoming_payroll=None):
        self.scenario = scenario
        self.seeds = seeds
        self.streams = [s for s in STREAMS if s in (streams if streams is not None else scenario.events.streams)]
        self.labels_on_events = labels_on_events
        with stage("events world"):
            world = TimelineWorld(graph, epoch_seconds(scenario.start_date), epoch_seconds(scenario.end_date))
            self.ctx = TimelineContext(world, scenario, truth, seeds, incoming_payroll, streams=self.streams)

    @property
    def event_types(self) -> list[str]:
        return [name for name, et in schema.EVENT_TYPES.items() if et.family in self.streams]

    def windows(self, window_days: int | None = None) -> Iterator[Window]:
        """Simulate the span and yield released events in global (timestamp, event id) order.

        Two threads share the work: a background thread plans, books and
        settles the days (:meth:`_days`); this one computes each day's
        transaction features, renders its transactions, draws its ids and
        releases windows. Each stage sees the days in order, so the split never
        changes the output.
        """
        ctx = self.ctx
        world = ctx.world
        window_days = window_days or self.scenario.events.window_days
        with stage("events world"):
            families = [family_class(name)(ctx) for name in self.streams]
            renderer = next((f for f in families if f.name == "transactions"), None)
            features = PointInTimeFeatures(world)
            labels = EventTruth(ctx)
        keep = list(_RELEASED) + (["pattern_id"] if self.labels_on_events else [])
        events, truth, feats = _Waiting(world.end), _Waiting(world.end), _Waiting(world.end)
        for day, tables, allpay, outcome, ids in prefetch(self._days(families), depth=1):
            day_events, feature_table = self._finish_day(day, tables, allpay, outcome, ids, renderer, features)
            with stage("events truth rows"):
                truth.add(labels.rows(day_events))
            events.add(day_events.select(keep))
            feats.add(feature_table)
            last = day.index == ctx.days - 1
            if (day.index + 1) % window_days == 0 or last:
                yield self._window(events, truth, feats, day.end if not last else np.iinfo(np.int64).max, last)

    def _window(self, events: _Waiting, truth: _Waiting, feats: _Waiting, horizon: int, last: bool) -> Window:
        """Release every stream's rows before ``horizon`` in (time, id) order, as written."""
        with stage("events ordering"):
            ready = (events.release(horizon, last), truth.release(horizon, last), feats.release(horizon, last))
        with stage("events envelope text"):
            return Window(events=self._public(ready[0]),
                          truth=_with_iso_times(ready[1].drop_columns(list(ID_KEYS))),
                          features=_with_iso_times(ready[2].drop_columns(list(ID_KEYS))),
                          horizon=horizon)

    def _days(self, families: list[Family]) -> Iterator[tuple]:
        """Plan, book and settle the span day by day: (day, settled event tables, payments, ledger outcome,
        transaction ids and their keys)."""
        ctx = self.ctx
        world = ctx.world
        cfg = self.scenario.events.transactions
        with stage("events world"):
            ledger = Ledger(world.opening_balance, world.credit_limit, world.is_credit, world.account_status)
            returns = Returns(ledger.floor, cfg.return_rate, cfg.mistyped_return_rate)
        for index in range(ctx.days):
            day = ctx.day(index)
            yield (day, *self._simulate_day(day, families, ledger, returns))

    # -- one day ------------------------------------------------------------------
    def _simulate_day(self, day, families, ledger, returns):
        """Plan every family, book the day's payments and due returns in the ledger, decide which payments
        will come back, then let each family settle."""
        seeds = self.seeds
        plans: list[DayPlan] = []
        for f in families:
            with stage(f"events plan {f.name}"):
                plans.append(f.plan(day, seeds.rng("timeline", f.name, day.index)))
        closing = self._closing(day)
        back = pd.concat([returns.due(day), self._closure_withdrawals(closing)], ignore_index=True)
        back["corr"] = np.arange(len(back), dtype=np.int64)
        pays = [p.payments for p in plans] + [back]
        sizes = [len(p) for p in pays]
        with stage("events ledger"):
            allpay = pd.concat(pays, ignore_index=True) if any(sizes) else make_payments()
            owner = np.repeat(np.arange(len(pays)), sizes)
            allpay["corr"] = owner.astype(np.int64) * _CORR_STRIDE + allpay["corr"].to_numpy()
            # what customers who have left would do does not happen, nor any payment from an account gone dark
            # (a return still comes back to them); their employers pay their salaries elsewhere
            time, src, dst = allpay["time"].to_numpy(), allpay["src"].to_numpy(), allpay["dst"].to_numpy()
            dark = (src >= 0) & (time >= self.ctx.dark_after[np.maximum(src, 0)])
            payee = np.where((allpay["tx_type"].to_numpy() == "payroll") & (dst >= 0),
                             self.ctx.world.account_holder[np.maximum(dst, 0)], -1)
            gone = (self.ctx.departed(allpay["user"].to_numpy(), time) | self.ctx.departed(payee, time) | dark) \
                & (allpay["posting"].to_numpy() != FORCED)
            outcome = _apply_kept(ledger, allpay, ~gone)
            if outcome.amount is not None:  # a closing account's payout is what it held then; none when empty
                allpay["amount"] = outcome.amount
                gone |= (allpay["posting"].to_numpy() == SWEEP) & outcome.ok & (outcome.amount < 0.01)
            ledger.close(closing["account"].to_numpy())
            ids = env.keyed_uuids(seeds.rng("timeline", "transaction_ids", day.index), len(allpay))
            returns.plan(day, allpay, outcome, ids[0], seeds.rng("timeline", "returns", day.index))
        bounds = np.r_[0, np.cumsum(sizes)]

        def settle(k: int) -> list[pa.Table]:
            family, plan, sl = families[k], plans[k], slice(bounds[k], bounds[k + 1])
            part = outcome.take(sl)
            with stage(f"events settle {family.name}"):
                settled = list(family.settle(day, plan, part, seeds.rng("timeline", family.name, day.index, "settle")))
            out = list(plan.events) + settled
            shift = pa.scalar(int(k * _CORR_STRIDE), pa.int64())
            return [t.set_column(2, "corr", pc.add(t["corr"], shift)) for t in out]

        tables = [t for k in range(len(families)) for t in settle(k)]
        if gone.any():
            kept = np.flatnonzero(~gone)
            allpay = allpay.iloc[kept].reset_index(drop=True)
            outcome = outcome.take(kept)
            ids = (ids[0].take(pa.array(kept)), ids[1][kept], ids[2][kept])
        tally("money movements", len(allpay))  # what happened, not what departed customers would have paid
        return tables, allpay, outcome, ids

    def _closing(self, day) -> pd.DataFrame:
        """Accounts closed on ``day`` by customers who leave (their ``time`` and holder ``person``)."""
        rows = self.ctx.closures
        lo, hi = np.searchsorted(rows["time"].to_numpy(), [day.start, day.end])
        return rows.iloc[lo:hi]

    def _closure_withdrawals(self, closing: pd.DataFrame) -> pd.DataFrame:
        """A closing account's money paid out to its holder elsewhere just before it closes: a sweep, whose amount
        the ledger sets to the balance at that moment (a card owing money is closed with its debt)."""
        if closing.empty:
            return make_payments()
        acc = closing["account"].to_numpy()
        pay = ~self.ctx.world.is_credit[acc]
        n = int(pay.sum())
        return make_payments(n, time=closing["time"].to_numpy()[pay] - 60, src=acc[pay], dst=-1, amount=0.0,
                             tx_type="account_closure", user=closing["person"].to_numpy()[pay], dst_kind="external",
                             posting=SWEEP)

    def _finish_day(self, day, tables, allpay, outcome, ids, renderer, features):
        """Point-in-time features of the day's transactions (not of its returns), the transactions' own events,
        then event ids."""
        seeds = self.seeds
        tx_ids, tx_hi, tx_lo = ids
        with stage("events features"):
            links = self._bank_links(tables) if "identity" in self.streams else None
            paid = allpay["posting"].to_numpy() != FORCED
            if paid.all():
                feature_table = with_id_keys(features.update(day, allpay, outcome, tx_ids, links), tx_hi, tx_lo)
            else:
                rows = np.flatnonzero(paid)
                part = outcome.take(rows)
                feature_table = with_id_keys(features.update(day, allpay.iloc[rows].reset_index(drop=True), part,
                                                             tx_ids.take(pa.array(rows)), links), tx_hi[rows], tx_lo[rows])
        if renderer is not None and len(allpay):
            with stage("events render transactions"):
                rng = seeds.rng("timeline", "transactions", day.index, "render")
                tables = tables + list(renderer.render(day, allpay, outcome, tx_ids, feature_table, rng))
        with stage("events ids"):
            day_events = pa.concat_tables(tables) if tables else EVENT_SCHEMA.empty_table()
            # nothing of a customer after they left, but the bank's returns of what they paid before
            late = self.ctx.after_churn(day_events["person"].combine_chunks(), day_events["time"].to_numpy())
            if late.any():
                late &= pc.not_equal(day_events["event_type"], "transaction-returned").to_numpy(zero_copy_only=False)
                day_events = day_events.filter(pa.array(~late))
            return self._identify(day, day_events), feature_table

    def _bank_links(self, tables: list[pa.Table]) -> tuple[np.ndarray, np.ndarray]:
        """``(person position, time)`` of the day's ``bank-link-added`` events, for the features."""
        kind = pa.scalar("bank-link-added", pa.large_string())
        rows = [t.filter(pc.equal(t["event_type"], kind)).select(["person", "time"]) for t in tables]
        rows = [t for t in rows if t.num_rows]
        if not rows:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        links = pa.concat_tables(rows)
        return self.ctx.world.pos("Person", links["person"]), links["time"].to_numpy()

    def _identify(self, day, events: pa.Table) -> pa.Table:
        """Draw event and correlation ids for a day's events."""
        n = events.num_rows
        corr = events["corr"].to_numpy()
        keys, inverse = np.unique(corr, return_inverse=True)
        corr_hi, corr_lo = env.uuid_keys(self.seeds.rng("timeline", "correlation_ids", day.index), len(keys))
        hi, lo = env.uuid_keys(self.seeds.rng("timeline", "event_ids", day.index), n)
        events = with_id_keys(events, hi, lo)
        return (events.append_column(CORRELATION_KEYS[0], pa.array(corr_hi[inverse]))
                .append_column(CORRELATION_KEYS[1], pa.array(corr_lo[inverse])))

    def _public(self, ready: pa.Table) -> pa.Table:
        """The envelope columns (and, on request, the labels) of released events."""
        n = ready.num_rows
        types = ready["event_type"].unique()
        service = pa.array([schema.EVENT_TYPES[t].service for t in types.to_pylist()], pa.large_string())
        service = service.take(pc.index_in(ready["event_type"], value_set=types))
        cols = {
            "event_id": env.uuid_text(ready[ID_KEYS[0]].to_numpy(), ready[ID_KEYS[1]].to_numpy()),
            "event_type": ready["event_type"],
            "event_version": pa.repeat(pa.scalar(env.EVENT_VERSION, pa.large_string()), n).cast(pa.large_string()),
            "timestamp": env.iso_seconds(ready["time"].to_numpy()),
            "source_service": service,
            "correlation_id": env.uuid_text(ready[CORRELATION_KEYS[0]].to_numpy(), ready[CORRELATION_KEYS[1]].to_numpy()),
            "payload": ready["payload"],
        }
        names = list(schema.ENVELOPE)
        if self.labels_on_events:
            is_fraud, fraud_type = self.ctx.pattern_labels(ready["pattern_id"])
            cols.update(is_fraud=is_fraud, fraud_type=fraud_type, pattern_id=ready["pattern_id"])
            names += schema.EVENT_LABELS
        return pa.table({name: cols[name] for name in names})


def _apply_kept(ledger: Ledger, pay: pd.DataFrame, keep: np.ndarray) -> Outcome:
    """The ledger's verdict on the ``keep`` rows of ``pay``; the others are refused as if their account had closed."""
    if keep.all():
        return ledger.apply(pay)
    kept = np.flatnonzero(keep)
    part = ledger.apply(pay.iloc[kept].reset_index(drop=True))
    n = len(pay)
    ok, reason, after = np.zeros(n, bool), np.full(n, "account_closed", dtype=object), np.full(n, np.nan)
    ok[kept], reason[kept], after[kept] = part.ok, part.reason, part.balance_after
    amount = None
    if part.amount is not None:
        amount = pay["amount"].to_numpy(dtype=np.float64, copy=True)
        amount[kept] = part.amount
    return Outcome(ok=ok, reason=reason, balance_after=after, amount=amount)


class _Waiting:
    """Rows of one stream waiting for release in (time, id) order; rows at or after the span's end are dropped at the last release."""

    def __init__(self, end: int):
        self.end = end
        self.tables: list[pa.Table] = []

    def add(self, table: pa.Table) -> None:
        self.tables.append(table)

    def release(self, horizon: int, last: bool) -> pa.Table:
        """The waiting rows before ``horizon``, in order; the rest keep waiting."""
        pending = pa.concat_tables(self.tables)
        self.tables = []
        if last:
            pending = pending.filter(pc.less(pending["time"], self.end))
        ready, rest = _release(pending, horizon)
        if rest.num_rows:
            self.tables.append(rest)
        return ready


def _release(pending: pa.Table, horizon: int) -> tuple[pa.Table, pa.Table]:
    """Sort ``pending`` by (time, id) and split it at ``horizon``."""
    if pending.num_rows == 0:
        return pending, pending
    time = pending["time"].to_numpy()
    order = _order(time, pending[ID_KEYS[0]].to_numpy(), pending[ID_KEYS[1]].to_numpy())
    # one contiguous buffer per column first: gathering from it is faster than across chunks
    pending = pending.combine_chunks().take(pa.array(order))
    cut = int(np.searchsorted(time[order], horizon, side="left"))
    return pending.slice(0, cut), pending.slice(cut)


def _order(time: np.ndarray, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """The permutation that sorts rows by (time, id), ids given by their uint64 keys ``hi, lo``.

    One uint64 key (seconds since the earliest row, then the top bits of ``hi``)
    sorts in a single pass instead of three; if two rows share that key, the
    exact three-key sort decides.
    """
    if len(time) < 2:
        return np.arange(len(time))
    offset = time - time.min()
    if int(offset.max()) < (1 << _TIME_BITS):
        key = (offset.astype(np.uint64) << np.uint64(64 - _TIME_BITS)) | (hi >> np.uint64(_TIME_BITS))
        order = np.argsort(key)
        ranked = key[order]
        if not (ranked[1:] == ranked[:-1]).any():
            return order
    return np.lexsort((lo, hi, time))


def _with_iso_times(table: pa.Table) -> pa.Table:
    """Replace int64 epoch columns by ISO-8601 strings (``time`` becomes ``timestamp``)."""
    for name in ("time", "fraud_started_at", "fraud_confirmed_at"):
        if name not in table.column_names:
            continue
        i = table.column_names.index(name)
        col = table.column(name).combine_chunks()
        text = env.iso_seconds(col.fill_null(0).to_numpy())
        text = pc.if_else(pc.is_valid(col), text, pa.scalar(None, pa.large_string()))
        table = table.set_column(i, "timestamp" if name == "time" else name, text)
    return table


#: Arrow schemas of the three public streams, for empty parts.
def stream_schemas(labels_on_events: bool = False) -> dict[str, pa.Schema]:
    from fraudgraph.timeline.features import SCHEMA as FEATURES
    from fraudgraph.timeline.truth import SCHEMA as TRUTH

    events = [(name, pa.large_string()) for name in schema.ENVELOPE]
    if labels_on_events:
        label_types = {"is_fraud": pa.bool_(), "fraud_type": pa.large_string(), "pattern_id": pa.large_string()}
        events += [(name, label_types[name]) for name in schema.EVENT_LABELS]
    return {"events": pa.schema(events),
            "event_truth": _with_iso_times(TRUTH.empty_table()).schema,
            "features": _with_iso_times(FEATURES.empty_table()).schema}
