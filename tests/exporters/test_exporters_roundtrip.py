"""Every format, read back with a real parser, holds exactly the tables that were written."""

import csv
import json

import pandas as pd
import pyarrow.parquet as pq
import pytest
from fraudgraph.exporters import get_exporter

from fraudgraph import schema


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_roundtrip_equals_memory(small_dataset, written, fmt):
    exporter = get_exporter(fmt)
    for nt in schema.NODE_TYPES.values():
        back = exporter.read_table(nt, written / "nodes" / f"{nt.label}.{fmt}")
        pd.testing.assert_frame_equal(back, small_dataset.graph.nodes[nt.label], check_dtype=False)
    for et in schema.EDGE_TYPES.values():
        back = exporter.read_table(et, written / "edges" / f"{et.file_stem}.{fmt}")
        pd.testing.assert_frame_equal(back, small_dataset.graph.edges[et.key], check_dtype=False)


def test_jsonl_parses_with_stdlib(written, small_dataset):
    lines = (written / "nodes" / "Person.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) == len(small_dataset.graph.nodes["Person"])
    assert list(rows[0]) == list(schema.NODE_TYPES["Person"].columns)
    assert rows[0]["created_at"].endswith("Z") and "T" in rows[0]["created_at"]
    companies = [json.loads(line) for line in (written / "nodes" / "Company.jsonl").read_text().splitlines()]
    assert any(c["ticker"] is None for c in companies) and any(isinstance(c["ticker"], str) for c in companies)
    assert all(isinstance(c["is_listed"], bool) for c in companies)


def test_csv_parses_with_stdlib(written, small_dataset):
    with open(written / "edges" / "Account_TRANSFERS_TO_Account.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(small_dataset.graph.edges[("Account", "TRANSFERS_TO", "Account")])
    assert set(rows[0]) == set(schema.EDGE_TYPES[("Account", "TRANSFERS_TO", "Account")].columns)
    float(rows[0]["typical_amount"])


def test_parquet_has_schema_types(written):
    table = pq.read_table(written / "nodes" / "Person.parquet")
    created = table.schema.field("created_at").type
    assert created.tz == "UTC" and created.unit in ("s", "ms")  # Parquet has no second unit
    assert str(table.schema.field("date_of_birth").type) == "date32[day]"


def test_special_characters_survive_every_format(tmp_path):
    from fraudgraph.graph import conform

    nt = schema.NODE_TYPES["Company"]
    frame = conform(nt, pd.DataFrame({
        "id": ["com_000000000001", "com_000000000002"],
        "name": ['Quote " and \\ backslash, comma', "Tab\there\nnewline é ü 日本"],
        "industry": ["retail", "grocery"], "country": ["US", "GB"], "city": ["A", "B"],
        "is_listed": [True, False], "ticker": ["ABC", None], "is_merchant": [False, True],
        "incorporated_at": pd.to_datetime(["1999-12-31T23:59:59", "2020-02-29T00:00:00"]),
    }))
    for fmt in ("csv", "jsonl", "parquet"):
        exporter = get_exporter(fmt)
        path = tmp_path / f"c.{fmt}"
        exporter.write_table(nt, frame, path)
        pd.testing.assert_frame_equal(exporter.read_table(nt, path), frame, check_dtype=False)
