"""Typed event tables: one table per event family, payload fields as typed columns.

The envelope (:data:`fraudgraph.schema.ENVELOPE`) carries each payload as JSON
text, which JSON Lines, CSV and message brokers want and analysts must parse
before they can sum an amount. This module declares every event type's payload
fields with their types (:data:`PAYLOADS`) and turns envelope rows into one
typed table per family (:func:`family_table`): the envelope's columns with
``timestamp`` a UTC timestamp, then the payload fields of the family's event
types as columns (a field an event type does not have is null on its rows),
amounts as decimals, times as UTC timestamps, nested objects flattened into
``parent_child`` columns.

Field kinds: ``str`` text, ``money`` a 2-decimal amount (``decimal128(18, 2)``),
``rate`` a 4-decimal rate (``decimal128(18, 4)``), ``int``, ``float``, ``bool``,
``time`` an ISO-8601 instant, ``date`` a calendar day, or a dict of kinds for a
nested object.
"""

from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

from fraudgraph import json_text as jt
from fraudgraph import schema
from fraudgraph.errors import FraudGraphError

_GEO = {"latitude": "float", "longitude": "float", "city": "str", "country": "str"}
_LOGIN_GEO = {"latitude": "float", "longitude": "float", "country": "str", "city": "str"}  # the user service's key order
_ENDPOINT = {"type": "str", "identifier": "str"}
_TRAVEL = {"distance_km": "float", "hours_since_previous": "float", "speed_kmh": "float",
           "previous_city": "str", "previous_country": "str"}

#: Payload fields of every event type, in payload order: name -> kind (see the module docstring).
PAYLOADS: dict[str, dict[str, str | dict[str, str]]] = {
    "transaction-initiated": {
        "transaction_id": "str", "user_id": "str", "account_id": "str", "counterparty_account_id": "str",
        "type": "str", "amount": "money", "currency": "str", "source": _ENDPOINT, "destination": _ENDPOINT,
        "initiated_at": "time", "ip_address": "str", "device_id": "str", "geo_location": _GEO},
    "transaction-completed": {
        "transaction_id": "str", "status": "str", "amount": "money", "currency": "str", "balance_after": "money",
        "completed_at": "time"},
    "transaction-failed": {"transaction_id": "str", "error_code": "str", "error_message": "str",
                           "retry_eligible": "bool"},
    "transaction-returned": {
        "transaction_id": "str", "account_id": "str", "counterparty_account_id": "str", "amount": "money",
        "currency": "str", "return_code": "str", "return_reason": "str", "returned_at": "time"},
    "transaction-flagged": {"transaction_id": "str", "risk_score": "float", "action": "str", "model_version": "str"},
    "login-attempt": {
        "attempt_id": "str", "user_id": "str", "device_id": "str", "device_type": "str", "user_agent": "str",
        "ip_id": "str", "ip_address": "str", "geo_location": _LOGIN_GEO, "attempted_at": "time", "auth_method": "str"},
    "login-success": {
        "attempt_id": "str", "session_id": "str", "user_id": "str", "device_id": "str", "ip_id": "str",
        "ip_address": "str", "auth_method": "str", "new_device": "bool", "new_ip": "bool", "failed_attempts": "int",
        "impossible_travel": "bool", "travel": _TRAVEL},
    "login-failed": {"attempt_id": "str", "user_id": "str", "device_id": "str", "ip_id": "str", "ip_address": "str",
                     "reason": "str", "consecutive_failures": "int"},
    "session-started": {"session_id": "str", "user_id": "str", "device_id": "str", "device_type": "str",
                        "user_agent": "str", "ip_id": "str", "ip_address": "str", "geo_location": _LOGIN_GEO},
    "user-action-performed": {"session_id": "str", "user_id": "str", "action_type": "str", "sequence": "int"},
    "session-ended": {"session_id": "str", "user_id": "str", "device_id": "str", "duration_seconds": "int",
                      "action_count": "int", "end_reason": "str"},
    "circle-created": {
        "circle_id": "str", "organizer_id": "str", "name": "str", "contribution_amount": "money", "currency": "str",
        "frequency": "str", "max_members": "int", "rotation_order": "str", "start_date": "date", "status": "str"},
    "circle-member-joined": {"circle_id": "str", "member_id": "str", "position": "int", "role": "str",
                             "verification_status": "str"},
    "circle-contribution-received": {
        "circle_id": "str", "member_id": "str", "account_id": "str", "cycle": "int", "amount": "money",
        "currency": "str", "due_date": "date", "on_time": "bool", "days_late": "int"},
    "circle-contribution-missed": {"circle_id": "str", "member_id": "str", "cycle": "int", "amount": "money",
                                   "currency": "str", "due_date": "date", "reason": "str"},
    "circle-payout-executed": {"circle_id": "str", "recipient_id": "str", "account_id": "str", "cycle": "int",
                               "amount": "money", "currency": "str", "contributions": "int"},
    "circle-member-dropped": {"circle_id": "str", "member_id": "str", "position": "int", "cycle": "int",
                              "reason": "str"},
    "circle-failed": {"circle_id": "str", "cycle": "int", "reason": "str", "active_members": "int"},
    "circle-completed": {"circle_id": "str", "cycles": "int", "members": "int", "active_members": "int"},
    "exchange-rate-updated": {"currency_pair": "str", "base_currency": "str", "quote_currency": "str",
                              "rate": "rate", "previous_rate": "rate", "change_pct": "float", "effective_at": "time"},
    "remittance-initiated": {
        "remittance_id": "str", "sender_id": "str", "sender_account_id": "str", "recipient_name": "str",
        "recipient_phone": "str", "recipient_country": "str", "send_amount": "money", "send_currency": "str",
        "receive_amount": "money", "receive_currency": "str", "exchange_rate": "rate", "fee_amount": "money",
        "total_amount": "money", "delivery_method": "str", "initiated_at": "time", "device_id": "str",
        "ip_address": "str"},
    "remittance-processing": {"remittance_id": "str", "sender_id": "str", "stage": "str", "stage_number": "int",
                              "processed_at": "time"},
    "remittance-completed": {
        "remittance_id": "str", "sender_id": "str", "recipient_name": "str", "receive_amount": "money",
        "receive_currency": "str", "exchange_rate": "rate", "delivery_method": "str", "delivered_at": "time",
        "confirmation_code": "str"},
    "remittance-failed": {"remittance_id": "str", "sender_id": "str", "reason": "str", "failed_stage": "str",
                          "refund_status": "str", "refund_amount": "money", "failed_at": "time"},
    "account-opened": {
        "account_id": "str", "owner_id": "str", "owner_type": "str", "account_type": "str", "currency": "str",
        "institution": "str", "opening_balance": "money", "credit_limit": "money", "channel": "str",
        "device_id": "str"},
    "account-closed": {"account_id": "str", "owner_id": "str", "owner_type": "str", "account_type": "str",
                       "reason": "str", "channel": "str", "closed_at": "time"},
    "device-registered": {"user_id": "str", "device_id": "str", "device_type": "str", "os": "str",
                          "user_agent": "str", "fingerprint": "str", "is_primary": "bool"},
    "identity-changed": {"user_id": "str", "field": "str", "old_value": "str", "new_value": "str",
                         "device_id": "str"},
    "bank-link-added": {
        "user_id": "str", "account_id": "str", "linked_account_id": "str", "linked_institution": "str",
        "linked_account_mask": "str", "linked_account_type": "str", "same_owner": "bool", "link_method": "str"},
    "communication-sent": {"communication_id": "str", "channel": "str", "sender_id": "str", "recipient_id": "str",
                           "relation": "str", "duration_seconds": "int"},
    "company-announcement": {
        "announcement_id": "str", "company_id": "str", "company_name": "str", "ticker": "str", "news_type": "str",
        "headline": "str", "expected_price_impact": "float", "price_before": "money", "price_after": "money",
        "currency": "str"},
    "trade-executed": {
        "trade_id": "str", "account_id": "str", "person_id": "str", "company_id": "str", "ticker": "str",
        "side": "str", "quantity": "int", "price": "money", "notional": "money", "currency": "str",
        "order_type": "str"},
    "invoice-issued": {
        "invoice_id": "str", "shipment_id": "str", "supplier_id": "str", "buyer_id": "str", "goods": "str",
        "quantity": "int", "unit_price": "money", "invoice_amount": "money", "currency": "str", "issued_at": "time",
        "due_date": "date"},
    "bill-of-lading-issued": {
        "bill_id": "str", "shipment_id": "str", "shipper_id": "str", "consignee_id": "str", "goods": "str",
        "quantity": "int", "declared_value": "money", "currency": "str", "port_of_loading": "str",
        "port_of_discharge": "str", "carrier": "str", "vessel": "str", "issued_at": "time"},
    "invoice-paid": {"invoice_id": "str", "supplier_id": "str", "buyer_id": "str", "account_id": "str",
                     "amount_paid": "money", "currency": "str", "paid_at": "time"},
}

#: Decimal places of each float field in the JSON text (the text is rounded; the typed column holds that value).
FLOAT_DECIMALS = {"latitude": 4, "longitude": 4, "risk_score": 3, "expected_price_impact": 4, "change_pct": 4,
                  "distance_km": 1, "hours_since_previous": 2, "speed_kmh": 1}
#: Fields a payload leaves out, rather than writing ``null``, when they have no value.
OMITTED_WHEN_NULL = {("communication-sent", "duration_seconds")}

#: Arrow type of each kind in the typed table.
TYPES = {"str": pa.string(), "money": pa.decimal128(18, 2), "rate": pa.decimal128(18, 4), "int": pa.int64(),
         "float": pa.float64(), "bool": pa.bool_(), "time": pa.timestamp("us", "UTC"), "date": pa.date32()}
#: Arrow type of each kind as it is written in the JSON payload.
_JSON_TYPES = {"str": pa.string(), "money": pa.string(), "rate": pa.string(), "int": pa.int64(),
               "float": pa.float64(), "bool": pa.bool_(), "time": pa.string(), "date": pa.string()}
#: The typed envelope: every family table starts with these.
ENVELOPE_TYPES = {"event_id": pa.string(), "event_type": pa.string(), "event_version": pa.string(),
                  "timestamp": TYPES["time"], "source_service": pa.string(), "correlation_id": pa.string()}
#: Label columns an envelope may carry (``labels_on_events``), typed.
LABEL_TYPES = {"is_fraud": pa.bool_(), "fraud_type": pa.string(), "pattern_id": pa.string()}
#: Columns whose values are (nearly) all distinct: Parquet dictionaries would be wasted on them.
UNIQUE_COLUMNS = frozenset({"event_id", "timestamp", "correlation_id", "transaction_id", "attempt_id",
                            "communication_id", "announcement_id", "trade_id", "invoice_id", "bill_id",
                            "shipment_id", "issued_at", "paid_at", "initiated_at", "completed_at",
                            "attempted_at", "effective_at", "processed_at", "delivered_at", "failed_at"})


class EventTableError(FraudGraphError):
    """An event whose payload does not match its declared fields."""


def is_family_table(columns) -> bool:
    """Whether a table with these column names is a typed event table (the envelope's columns, no payload)."""
    names = set(columns)
    return "payload" not in names and names.issuperset(ENVELOPE_TYPES)


def families() -> list[str]:
    """Every event family, in the order of :data:`fraudgraph.schema.EVENT_TYPES`."""
    return list(dict.fromkeys(et.family for et in schema.EVENT_TYPES.values()))


def family_types(family: str) -> list[str]:
    """The event types of ``family``."""
    return [name for name, et in schema.EVENT_TYPES.items() if et.family == family]


@functools.cache
def _fields(family: str) -> dict[str, str | dict[str, str]]:
    """Payload fields of a family's event types, first appearance first; one kind per name."""
    fields: dict[str, str | dict[str, str]] = {}
    for event_type in family_types(family):
        for name, kind in PAYLOADS[event_type].items():
            if fields.setdefault(name, kind) != kind:
                raise EventTableError(f"payload field {name!r} of family {family!r} has two kinds: "
                                      f"{fields[name]!r} and {kind!r}")
    return fields


def _columns(fields) -> list[tuple[str, str]]:
    """``(column, kind)`` of payload fields, nested objects flattened into ``parent_child`` columns."""
    out = []
    for name, kind in fields.items():
        if isinstance(kind, dict):
            out += [(f"{name}_{inner}", k) for inner, k in kind.items()]
        else:
            out.append((name, kind))
    return out


def family_schema(family: str, labels: bool = False) -> pa.Schema:
    """The typed table of ``family``: the typed envelope, its payload columns, then labels if asked.

    Raises
    ------
    EventTableError
        For an unknown family.
    """
    if family not in families():
        raise EventTableError(f"event family: expected one of {', '.join(families())}, got {family!r}")
    columns = [pa.field(k, t) for k, t in ENVELOPE_TYPES.items()]
    columns += [pa.field(name, TYPES[kind]) for name, kind in _columns(_fields(family))]
    if labels:
        columns += [pa.field(k, t) for k, t in LABEL_TYPES.items()]
    return pa.schema(columns)


@functools.cache
def _json_schema(family: str) -> pa.Schema:
    def json_type(kind):
        if isinstance(kind, dict):
            return pa.struct([(k, json_type(v)) for k, v in kind.items()])
        return _JSON_TYPES[kind]
    return pa.schema([(name, json_type(kind)) for name, kind in _fields(family).items()])


def family_table(events: pa.Table, family: str) -> pa.Table:
    """The rows of ``family`` in an envelope table, as its typed table (same rows, same order).

    Parameters
    ----------
    events : pyarrow.Table
        Envelope rows (:data:`fraudgraph.schema.ENVELOPE`, with labels if any), of any families.
    family : str
        One of :func:`families`.

    Returns
    -------
    pyarrow.Table
        Conforming to :func:`family_schema` (with labels when ``events`` has them).

    Raises
    ------
    EventTableError
        When a payload has a field its event type does not declare.

    See Also
    --------
    envelope_table : the inverse, byte for byte.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from fraudgraph.event_tables import family_table
    >>> row = {"event_id": "e1", "event_type": "trade-executed", "event_version": "1.0",
    ...        "timestamp": "2025-01-02T15:00:00Z", "source_service": "market-service", "correlation_id": "c1",
    ...        "payload": '{"trade_id":"t1","side":"buy","quantity":3,"price":"10.50"}'}
    >>> t = family_table(pa.Table.from_pylist([row]), "markets")
    >>> t["price"][0].as_py(), t["quantity"][0].as_py(), str(t.schema.field("price").type)
    (Decimal('10.50'), 3, 'decimal128(18, 2)')
    """
    labels = "is_fraud" in events.column_names
    out_schema = family_schema(family, labels)
    rows = events.filter(pc.is_in(events["event_type"], value_set=pa.array(family_types(family))))
    if rows.num_rows == 0:
        return out_schema.empty_table()
    parsed = _parse(rows["payload"], family)
    columns = {name: rows[name].cast(pa.string()) for name in ENVELOPE_TYPES if name != "timestamp"}
    columns["timestamp"] = _instants(rows["timestamp"])
    for name, kind in _fields(family).items():
        value = parsed.column(name).combine_chunks()
        if isinstance(kind, dict):
            for inner, child in zip(kind, value.flatten()):
                columns[f"{name}_{inner}"] = _typed(child, kind[inner])
        else:
            columns[name] = _typed(value, kind)
    if labels:
        for name, kind in LABEL_TYPES.items():
            columns[name] = rows[name].cast(kind)
    return pa.table([columns[f.name] for f in out_schema], schema=out_schema)


def _parse(payloads, family: str) -> pa.Table:
    """Parse JSON payload text (one object per row) against the family's declared fields."""
    payloads = payloads.combine_chunks() if isinstance(payloads, pa.ChunkedArray) else payloads
    lines = pc.binary_join_element_wise(payloads.cast(pa.large_string()), pa.scalar("\n", pa.large_string()),
                                        pa.scalar("", pa.large_string()))
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset: lines.offset + len(lines) + 1]
    body = lines.buffers()[2][int(offsets[0]): int(offsets[-1])]
    options = pajson.ParseOptions(explicit_schema=_json_schema(family), unexpected_field_behavior="error")
    try:
        parsed = pajson.read_json(pa.BufferReader(body), parse_options=options,
                                  read_options=pajson.ReadOptions(use_threads=False, block_size=16 << 20))
    except pa.ArrowInvalid as exc:
        raise EventTableError(f"events of family {family!r}: a payload does not match the declared fields "
                              f"(fraudgraph.event_tables.PAYLOADS): {exc}") from None
    if parsed.num_rows != len(payloads):
        raise EventTableError(f"events of family {family!r}: {len(payloads)} payloads parsed into {parsed.num_rows} rows")
    return parsed


def _typed(values: pa.Array, kind: str) -> pa.Array:
    if kind == "time":
        return _instants(values)
    if kind == "date":
        return pc.strptime(values, format="%Y-%m-%d", unit="s").cast(pa.date32())
    return values.cast(TYPES[kind])


def _instants(values) -> pa.Array:
    """``YYYY-MM-DDTHH:MM:SSZ`` text as UTC timestamps (microseconds, which every Parquet reader takes)."""
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    return pc.strptime(values.cast(pa.string()), format="%Y-%m-%dT%H:%M:%SZ", unit="s").cast(
        pa.timestamp("s", "UTC")).cast(TYPES["time"])


def envelope_table(typed: pa.Table) -> pa.Table:
    """The envelope rows of a typed family table: the inverse of :func:`family_table`, byte for byte.

    Each payload is written again from the typed columns in its event type's field order,
    with the same number formats (amounts with their decimals, floats rounded as
    :data:`FLOAT_DECIMALS` says, ISO-8601 times), ``null`` for a field without a value
    and no key at all for :data:`OMITTED_WHEN_NULL`.

    Parameters
    ----------
    typed : pyarrow.Table
        Rows of one family's typed table (:func:`family_schema`), in any order.

    Returns
    -------
    pyarrow.Table
        The envelope columns (``large_string``) and the label columns if ``typed`` has them, in the row order of
        ``typed``.
    """
    n = typed.num_rows
    types = _whole(typed["event_type"]).cast(pa.large_string())
    pieces, rows_of = [], []
    for event_type in pc.unique(types).to_pylist():
        where = np.flatnonzero(pc.equal(types, event_type).to_numpy(zero_copy_only=False))
        pieces.append(_payload_text(typed.take(pa.array(where)), event_type))
        rows_of.append(where)
    if pieces:
        order = np.argsort(np.concatenate(rows_of), kind="stable")
        payload = pa.concat_arrays(pieces).take(pa.array(order))
    else:
        payload = pa.array([], pa.large_string())
    columns = {name: _whole(typed[name]).cast(pa.large_string()) for name in ENVELOPE_TYPES if name != "timestamp"}
    columns["timestamp"] = jt.iso_seconds(_epoch_seconds(typed["timestamp"]))
    columns["payload"] = payload
    names = list(schema.ENVELOPE)
    if "is_fraud" in typed.column_names:
        for name, kind in LABEL_TYPES.items():
            columns[name] = _whole(typed[name]).cast(pa.large_string() if kind == pa.string() else kind)
        names += list(schema.EVENT_LABELS)
    return pa.table({name: columns[name] for name in names}) if n else pa.table(
        {name: pa.array([], columns[name].type) for name in names})


def _payload_text(rows: pa.Table, event_type: str) -> pa.Array:
    """The JSON payloads of rows that are all of ``event_type``."""
    fields = []
    for name, kind in PAYLOADS[event_type].items():
        if isinstance(kind, dict):
            parts = [(inner, _json(rows[f"{name}_{inner}"], k, inner)) for inner, k in kind.items()]
            absent = functools.reduce(pc.and_, [pc.is_null(rows[f"{name}_{inner}"]) for inner in kind])
            value = jt.json_object(parts, rows.num_rows)
            fields.append((name, jt.Json(_whole(pc.if_else(absent, pa.scalar("null", pa.large_string()), value)))))
        else:
            fields.append((name, _json(rows[name], kind, name)))
    omitted = [name for name, _ in fields if (event_type, name) in OMITTED_WHEN_NULL]
    text = jt.json_object(fields, rows.num_rows)
    if omitted:
        present = functools.reduce(pc.and_, [pc.is_valid(rows[name]) for name in omitted])
        text = pc.if_else(present, text, jt.json_object([f for f in fields if f[0] not in omitted], rows.num_rows))
    return _whole(text)


def _json(column, kind: str, name: str) -> jt.Json:
    """One typed column as JSON text values (``null`` where it has none)."""
    column = _whole(column)
    valid = pc.is_valid(column)
    null = pa.scalar("null", pa.large_string())
    if kind == "str":
        return jt.text(column)
    if kind in ("money", "rate", "date"):
        return jt.text(column.cast(pa.large_string()), safe=True)
    if kind == "int":
        return jt.number(column)
    if kind == "float":
        text = jt.fixed(column.fill_null(0.0).to_numpy(zero_copy_only=False), FLOAT_DECIMALS[name]).text
    elif kind == "bool":
        text = jt.boolean(column.fill_null(False).to_numpy(zero_copy_only=False)).text
    else:  # time
        seconds = jt.iso_seconds(_epoch_seconds(column.fill_null(0)))
        text = pc.binary_join_element_wise(pa.scalar('"', pa.large_string()), seconds, pa.scalar('"', pa.large_string()),
                                           pa.scalar("", pa.large_string()))
    return jt.Json(_whole(pc.if_else(valid, text, null)))


def _epoch_seconds(values) -> np.ndarray:
    return _whole(values).cast(pa.timestamp("s", "UTC")).cast(pa.int64()).to_numpy(zero_copy_only=False)


def _whole(values):
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
