"""The two tables families hand to the engine: payments (for the ledger) and events.

Families work on integer positions (see :class:`~fraudgraph.timeline.world.TimelineWorld`);
the engine turns correlation keys into UUIDs, draws event ids and renders the
envelope.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

#: Columns of a payments frame: one candidate money movement per row, checked by the ledger.
PAYMENT_COLUMNS = {
    "time": np.int64,          # initiation, epoch seconds
    "src": np.int64,           # debited account position, -1 when the money comes from outside
    "dst": np.int64,           # credited account position, -1 when it leaves the platform
    "amount": np.float64,
    "tx_type": object,         # circle_contribution, card_payment, p2p_transfer, ...
    "user": np.int64,          # initiating person position, -1 for companies and the platform
    "device": np.int64,        # -1 when not initiated from a device
    "ip": np.int64,
    "corr": np.int64,          # family-scoped correlation key (shared with the family's own events)
    "pattern_id": object,      # instance that scripted it, or None
    "src_kind": object,        # account, external, circle_pool, merchant, ...
    "src_ref": object,         # identifier outside the graph (None: the account id)
    "dst_kind": object,
    "dst_ref": object,
    "accident": object,        # None, burst, high_amount, mistyped_recipient
    "original_recipient": object,
    "posting": np.int8,        # how the ledger books it: NORMAL, PROVISIONAL, FORCED or SWEEP (see timeline.ledger)
    "reverses": object,        # for a return: the transaction id of the payment it reverses
    "return_code": object,     # for a return: its ACH reason code
}


def payments(n: int = 0, **columns) -> pd.DataFrame:
    """A payments frame; missing columns get neutral defaults (-1, None, "account")."""
    out = {}
    for name, dtype in PAYMENT_COLUMNS.items():
        if name in columns and columns[name] is not None:
            value = columns[name]
            if np.isscalar(value) or value is None:
                value = np.full(n, value, dtype=dtype)
            out[name] = np.asarray(value, dtype=dtype)
        elif dtype is object:
            out[name] = np.full(n, "account", dtype=object) if name in ("src_kind", "dst_kind") else np.empty(n, object)
        else:
            out[name] = np.full(n, -1 if name not in ("amount", "time", "posting") else 0, dtype=dtype)
    unknown = set(columns) - set(PAYMENT_COLUMNS)
    if unknown:
        raise TypeError(f"unknown payment columns: {sorted(unknown)}")
    # object columns stay object: inferring pandas' Arrow string dtype for them costs more than the
    # rest of a day's planning, and every family reads them back as numpy object arrays
    return pd.DataFrame({name: pd.Series(value, dtype=object) if PAYMENT_COLUMNS[name] is object else value
                         for name, value in out.items()})


#: Internal columns holding ids as uint64 key pairs (see :func:`~fraudgraph.timeline.envelope.uuid_keys`):
#: the row's own id (event or transaction), and its correlation id; they become text only when written.
ID_KEYS = ("_id_hi", "_id_lo")
CORRELATION_KEYS = ("_corr_hi", "_corr_lo")


def with_id_keys(table: pa.Table, hi: np.ndarray, lo: np.ndarray) -> pa.Table:
    """``table`` with the keys of each row's own id appended as :data:`ID_KEYS`."""
    return table.append_column(ID_KEYS[0], pa.array(hi, pa.uint64())).append_column(ID_KEYS[1], pa.array(lo, pa.uint64()))

#: Internal event columns (before the engine adds ids and the envelope).
EVENT_SCHEMA = pa.schema([
    ("time", pa.int64()),
    ("event_type", pa.large_string()),
    ("corr", pa.int64()),
    ("person", pa.large_string()),
    ("pattern_id", pa.large_string()),
    ("payload", pa.large_string()),
    ("accident", pa.large_string()),
    ("original_recipient", pa.large_string()),
])


def events(event_type, time, corr, payload: pa.Array, *, person: pa.Array | None = None,
           pattern_id=None, accident=None, original_recipient=None) -> pa.Table:
    """An internal events table: one row per event.

    Parameters
    ----------
    event_type : str or array of str
    time : array of int
        Epoch seconds.
    corr : array of int
        Family-scoped correlation keys: events with the same key share a ``correlation_id``.
    payload : pyarrow.Array
        JSON objects (see :func:`~fraudgraph.timeline.envelope.json_object`).
    person : pyarrow.Array, optional
        Id of the person the event is about (for leakage-safe evaluation metadata).
    pattern_id, accident, original_recipient : array, optional
        Ground truth kept out of the payload.
    """
    n = len(payload)
    time = np.asarray(time, dtype=np.int64)
    corr = np.broadcast_to(np.asarray(corr, dtype=np.int64), (n,))

    def col(value):
        if value is None:
            return pa.nulls(n, pa.large_string())
        if isinstance(value, str):
            return pa.repeat(pa.scalar(value, pa.large_string()), n).cast(pa.large_string())
        if isinstance(value, pa.ChunkedArray):
            value = value.combine_chunks()
        if isinstance(value, pa.Array):
            return value.cast(pa.large_string())
        return pa.array(np.asarray(value, dtype=object), pa.large_string())

    return pa.table([pa.array(time), col(event_type), pa.array(corr), col(person), col(pattern_id),
                     payload.cast(pa.large_string()), col(accident), col(original_recipient)], schema=EVENT_SCHEMA)


def empty_events() -> pa.Table:
    return EVENT_SCHEMA.empty_table()


def strings(column) -> pa.Array:
    """An object column (None or NaN for missing) as a ``large_string`` Arrow array."""
    return pa.array(np.asarray(column, dtype=object), type=pa.large_string(), from_pandas=True)
