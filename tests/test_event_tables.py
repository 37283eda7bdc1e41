"""Typed event tables: every payload field declared, typed, and equal to the JSON it came from."""
import json
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import fraudgraph
from fraudgraph import schema
from fraudgraph.event_tables import (
    PAYLOADS,
    TYPES,
    EventTableError,
    envelope_table,
    families,
    family_schema,
    family_table,
)


@pytest.fixture(scope="module")
def events():
    """Every event type, every optional field: fraud-heavy with listed companies to trade."""
    scenario = fraudgraph.Scenario.from_preset("fraud_heavy").override({"companies.listed_share": 0.25})
    ds = fraudgraph.generate(scenario, seed=11, persons=1200, days=21)
    return pa.concat_tables([w.events for w in ds.timeline().windows()])


@pytest.fixture(scope="module")
def tables(events):
    return {family: family_table(events, family) for family in families()}


def test_every_event_type_has_declared_fields():
    assert set(PAYLOADS) == set(schema.EVENT_TYPES)
    for family in families():
        names = family_schema(family).names
        assert names[:6] == ["event_id", "event_type", "event_version", "timestamp", "source_service", "correlation_id"]
        assert len(names) == len(set(names))


def test_each_family_table_holds_its_events_in_order(events, tables):
    types = events["event_type"].to_numpy(zero_copy_only=False)
    for family, table in tables.items():
        mine = np.isin(types, [t for t, et in schema.EVENT_TYPES.items() if et.family == family])
        assert table["event_id"].to_pylist() == events["event_id"].filter(pa.array(mine)).to_pylist()
        assert table.schema.equals(family_schema(family))


def test_every_declared_column_is_filled_somewhere(tables):
    for family, table in tables.items():
        empty = [c for c in table.column_names if table[c].null_count == table.num_rows]
        assert empty == [], (family, empty)


def test_typed_values_equal_the_json_payloads(events, tables):
    rows = {e: i for i, e in enumerate(events["event_id"].to_pylist())}
    payloads, stamps = events["payload"].to_pylist(), events["timestamp"].to_pylist()
    for family, table in tables.items():
        sample = table.take(pa.array(np.linspace(0, table.num_rows - 1, min(table.num_rows, 400)).astype(int)))
        for typed in sample.to_pylist():
            i = rows[typed["event_id"]]
            assert typed["timestamp"].strftime("%Y-%m-%dT%H:%M:%SZ") == stamps[i]
            payload = json.loads(payloads[i])
            fields = PAYLOADS[typed["event_type"]]
            for name, kind in fields.items():
                for column, inner_kind, value in _flat(name, kind, payload.get(name)):
                    got = typed[column]
                    if value is None:
                        assert got is None, (typed["event_type"], column)
                    elif inner_kind in ("money", "rate"):
                        assert got == Decimal(value) and str(got) == value
                    elif inner_kind == "time":
                        assert got.strftime("%Y-%m-%dT%H:%M:%SZ") == value
                    elif inner_kind == "date":
                        assert got.isoformat() == value
                    else:
                        assert got == value, (typed["event_type"], column)
            # a field of another event type of the family is null here
            others = set(family_schema(family).names[6:]) - {c for n, k in fields.items() for c, _, _ in _flat(n, k, None)}
            assert all(typed[c] is None for c in others)


def _flat(name, kind, value):
    if isinstance(kind, dict):
        return [(f"{name}_{k}", v, None if value is None else value.get(k)) for k, v in kind.items()]
    return [(name, kind, value)]


def test_amounts_are_decimals_and_times_utc(tables):
    tx = tables["transactions"]
    assert tx.schema.field("amount").type == TYPES["money"] == pa.decimal128(18, 2)
    assert tx.schema.field("timestamp").type == pa.timestamp("us", "UTC")
    assert tables["remittances"].schema.field("exchange_rate").type == pa.decimal128(18, 4)
    assert tables["circles"].schema.field("due_date").type == pa.date32()
    initiated = tx.filter(pc.equal(tx["event_type"], "transaction-initiated"))
    assert pc.sum(initiated["amount"]).as_py() > 0
    assert pc.min(initiated["amount"]).as_py() > 0


def test_labels_are_typed_columns(events):
    n = events.num_rows
    labelled = events.append_column("is_fraud", pa.array(np.arange(n) % 7 == 0)).append_column(
        "fraud_type", pa.nulls(n, pa.large_string())).append_column("pattern_id", pa.nulls(n, pa.large_string()))
    table = family_table(labelled, "markets")
    assert table.schema.names[-3:] == ["is_fraud", "fraud_type", "pattern_id"]
    assert table.schema.field("is_fraud").type == pa.bool_()


def test_an_undeclared_payload_field_is_refused(events):
    first = events.slice(0, 1)
    et = first["event_type"][0].as_py()
    odd = first.set_column(first.schema.get_field_index("payload"), "payload",
                           pa.array([first["payload"][0].as_py()[:-1] + ',"surprise":1}'], pa.large_string()))
    with pytest.raises(EventTableError, match=schema.EVENT_TYPES[et].family):
        family_table(odd, schema.EVENT_TYPES[et].family)


def test_an_unknown_family_is_refused():
    with pytest.raises(EventTableError, match="got 'payments'"):
        family_schema("payments")


def test_no_rows_gives_the_empty_typed_table(events):
    table = family_table(events.slice(0, 0), "circles")
    assert table.num_rows == 0 and table.schema.equals(family_schema("circles"))


def test_the_envelope_comes_back_byte_for_byte(events, tables):
    types = events["event_type"].to_numpy(zero_copy_only=False)
    for family, table in tables.items():
        mine = np.isin(types, [t for t, et in schema.EVENT_TYPES.items() if et.family == family])
        assert envelope_table(table).equals(events.filter(pa.array(mine))), family
    shuffled = tables["sessions"].take(pa.array(np.random.default_rng(0).permutation(tables["sessions"].num_rows)))
    back = envelope_table(shuffled)
    assert back["event_id"].to_pylist() == shuffled["event_id"].to_pylist()
    assert envelope_table(family_table(back, "sessions")).equals(back)


def test_labels_come_back_too(events):
    n = events.num_rows
    labelled = events.append_column("is_fraud", pa.array(np.arange(n) % 5 == 0)).append_column(
        "fraud_type", pa.array(np.where(np.arange(n) % 5 == 0, "mule", None), pa.large_string())).append_column(
        "pattern_id", pa.nulls(n, pa.large_string()))
    markets = labelled.filter(pa.array(np.isin(events["event_type"].to_numpy(zero_copy_only=False),
                                                ["communication-sent", "company-announcement", "trade-executed"])))
    assert envelope_table(family_table(labelled, "markets")).equals(markets)
