"""The checks of one batch of events: envelope, types and services, timestamps, order, payloads.

Order is checked on ``(timestamp, event_id)``; an :class:`Order` carries the
last row of one batch (or part) over to the next, per format.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudgraph import schema
from fraudgraph.checks.arrays import col
from fraudgraph.checks.keys import UUID_PATTERN
from fraudgraph.checks.problems import Problems, clip

#: Columns every event carries.
ENVELOPE = schema.ENVELOPE

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
#: Event types of the ``transactions`` family, whose payloads name a transaction id.
TRANSACTION_TYPES = pa.array(sorted(n for n, et in schema.EVENT_TYPES.items() if et.family == "transactions"),
                             pa.large_string())


@dataclass
class Order:
    """The last (seconds, event id, file) seen in one format's event stream."""

    last: tuple[int, str, str] | None = None


def _seconds(timestamps: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Epoch seconds of ``YYYY-MM-DDTHH:MM:SSZ`` strings, and which rows are exactly that (a real UTC time)."""
    parsed = pc.strptime(timestamps, format=_TIME_FORMAT, unit="s", error_is_null=True)
    again = pc.replace_substring(pc.cast(parsed, pa.large_string()), " ", "T", max_replacements=1)
    again = pc.binary_join_element_wise(again, pa.scalar("Z", pa.large_string()), pa.scalar("", pa.large_string()))
    valid = pc.equal(again, timestamps).fill_null(False).to_numpy(zero_copy_only=False)
    seconds = pc.cast(parsed, pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
    return seconds, valid


def check_events(table: pa.Table, start: int, rel: str, order: Order,
                 problems: Problems) -> tuple[Counter, np.ndarray]:
    """Check one batch of events (rows ``start + 1 ...`` of the part ``rel``).

    Returns the batch's events per type and which event ids are canonical UUIDs.
    """
    n = table.num_rows
    ids = col(table, "event_id")
    for name in ENVELOPE[:-1]:
        missing = col(table, name).is_null()
        if pc.any(missing).as_py():
            row = pc.index(missing, True).as_py()
            problems.add(rel, f"null {name}", pc.sum(missing).as_py(), f"row {start + row + 1:,} has no {name}")
    canonical = pc.match_substring_regex(ids, UUID_PATTERN).fill_null(False).to_numpy(zero_copy_only=False)
    bad_ids = ~canonical & ids.is_valid().to_numpy(zero_copy_only=False)
    if bad_ids.any():
        row = int(np.argmax(bad_ids))
        problems.add(rel, "uuid", int(bad_ids.sum()),
                     f"event_id {ids[row].as_py()!r} on row {start + row + 1:,} is not a canonical lowercase UUID")

    # type and service, per distinct pair
    pairs = pa.table({"t": col(table, "event_type"), "s": col(table, "source_service"),
                      "i": pa.array(np.arange(n))}).group_by(["t", "s"]).aggregate([("i", "min"), ("i", "count")])
    counts: Counter = Counter()
    for etype, service, first, rows in zip(*(pairs.column(c).to_pylist() for c in ("t", "s", "i_min", "i_count"))):
        if etype is None:
            continue
        counts[etype] += rows
        known = schema.EVENT_TYPES.get(etype)
        if known is None:
            problems.add(rel, f"type {etype}", rows, f"unknown event_type {etype!r} on row {start + first + 1:,}; "
                         f"expected one of fraudgraph.schema.EVENT_TYPES")
        elif service is not None and service != known.service:
            problems.add(rel, f"service {etype} {service}", rows,
                         f"event_type {etype!r} on row {start + first + 1:,} has source_service {service!r}, "
                         f"expected {known.service!r}")

    # timestamps, then (timestamp, event_id) order among the rows whose time parses
    timestamps = col(table, "timestamp")
    seconds, valid = _seconds(timestamps)
    bad_time = ~valid & timestamps.is_valid().to_numpy(zero_copy_only=False)
    if bad_time.any():
        row = int(np.argmax(bad_time))
        problems.add(rel, "timestamp", int(bad_time.sum()),
                     f"timestamp {timestamps[row].as_py()!r} on row {start + row + 1:,} is not ISO-8601 UTC "
                     "(expected YYYY-MM-DDTHH:MM:SSZ)")
    _check_order(seconds, valid, ids, timestamps, start, rel, order, problems)
    check_payloads(table, start, rel, problems)
    return counts, canonical


def check_payloads(table: pa.Table, start: int, rel: str, problems: Problems) -> None:
    """Report the payloads of a batch (rows ``start + 1 ...`` of ``rel``) that are not JSON objects."""
    ok = col(table, "payload_ok").to_numpy(zero_copy_only=False)
    if not ok.all():
        row = int(np.argmin(ok))
        text = col(table, "payload_text")[row].as_py()
        shown = f": {clip(text)}" if text is not None else ""
        problems.add(rel, "payload", int((~ok).sum()), f"payload of row {start + row + 1:,} "
                     f"(event_id {col(table, 'event_id')[row].as_py()!r}) is not a JSON object{shown}")


def partition_of(rel: str) -> tuple[str | None, str | None]:
    """The (family, date) a sharded part's path names: ``events/<family>/date=<date>/part-NNNNN.parquet``."""
    parts = rel.split("/")
    date = next((p[len("date="):] for p in parts if p.startswith("date=")), None)
    family = parts[1] if len(parts) > 3 and parts[0] == "events" else None
    return family, date


def check_partition(table: pa.Table, start: int, rel: str, family: str | None, date: str | None,
                    problems: Problems) -> None:
    """Report rows (``start + 1 ...`` of ``rel``) whose date or event family is not their partition's."""
    if date is not None:
        days = pc.utf8_slice_codeunits(col(table, "timestamp"), 0, 10)
        wrong = pc.not_equal(days, pa.scalar(date, days.type)).fill_null(True).to_numpy(zero_copy_only=False)
        if wrong.any():
            row = int(np.argmax(wrong))
            problems.add(rel, "date partition", int(wrong.sum()), f"row {start + row + 1:,} has timestamp "
                         f"{col(table, 'timestamp')[row].as_py()!r}, outside its partition date={date}")
    if family is not None:
        for etype in pc.unique(col(table, "event_type")).drop_null().to_pylist():
            known = schema.EVENT_TYPES.get(etype)
            if known is not None and known.family != family:
                problems.add(rel, f"family {etype}", 1, f"event_type {etype!r} is of family {known.family!r}, "
                             f"not of its folder events/{family}/")


def _check_order(seconds, valid, ids, timestamps, start, rel, order: Order, problems: Problems) -> None:
    rows = np.flatnonzero(valid & ids.is_valid().to_numpy(zero_copy_only=False))
    if rows.size == 0:
        return
    secs = seconds[rows]
    these = ids if rows.size == len(ids) else ids.take(pa.array(rows))
    if order.last is not None:
        secs = np.concatenate([[order.last[0]], secs])
        these = pa.concat_arrays([pa.array([order.last[1]], pa.large_string()), these])
    if len(secs) > 1:
        earlier = pc.less(these.slice(1), these.slice(0, len(these) - 1)).to_numpy(zero_copy_only=False)
        bad = (secs[1:] < secs[:-1]) | ((secs[1:] == secs[:-1]) & earlier)
        if bad.any():
            k = int(np.argmax(bad))  # element k + 1 sorts before element k
            carried = order.last is not None
            row = int(rows[k + 1 - carried])
            if carried and k == 0 and order.last[2] != rel:
                before = f"the last row of {order.last[2]}"
            else:
                before = "the row before it"
            problems.add(rel, "order", int(bad.sum()),
                         f"row {start + row + 1:,} ({timestamps[row].as_py()}, {ids[row].as_py()}) sorts before "
                         f"{before} ({_iso(int(secs[k]))}, {these[k].as_py()}); "
                         "events must be in (timestamp, event_id) order")
    order.last = (int(secs[-1]), these[len(these) - 1].as_py(), rel)


def _iso(seconds: int) -> str:
    return np.datetime_as_string(np.datetime64(int(seconds), "s")) + "Z"
