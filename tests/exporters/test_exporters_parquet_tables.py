"""The Parquet format's typed event tables: one per family, partitioned by date, read by DuckDB and pandas."""
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fraudgraph
from fraudgraph import schema
from fraudgraph.event_tables import families, family_schema
from fraudgraph.loading import validate_folder


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A small world written as Parquet with its typed event tables, and as JSON Lines to compare with."""
    scenario = fraudgraph.Scenario.from_preset("demo").override({"output.typed_events": True})
    out = tmp_path_factory.mktemp("typed") / "ds"
    fraudgraph.generate(scenario, seed=7, persons=600).write(out, formats=["jsonl", "parquet"])
    return out


@pytest.fixture(scope="module")
def typed(written):
    manifest = json.loads((written / "manifest.json").read_text())
    return [f for f in manifest["files"] if f["kind"] == "event_table"], manifest


def test_one_folder_per_family_and_date(written, typed):
    entries, manifest = typed
    assert entries and all(f["format"] == "parquet" for f in entries)
    for f in entries:
        rel = Path(f["path"])
        assert rel.parts[0] == "events" and rel.parts[1] == f["table"] in families()
        assert rel.parts[2].startswith("date=") and rel.name.startswith("part-")
        table = pq.read_table(written / rel)
        assert table.num_rows == f["rows"] > 0
        assert table.schema.equals(family_schema(f["table"]))
        days = {t.strftime("%Y-%m-%d") for t in table["timestamp"].to_pylist()}
        assert days == {rel.parts[2].removeprefix("date=")}
        keys = list(zip(table["timestamp"].to_pylist(), table["event_id"].to_pylist()))
        assert keys == sorted(keys)
    per_family = {}
    for f in entries:
        per_family[f["table"]] = per_family.get(f["table"], 0) + f["rows"]
    expected = {}
    for event_type, n in manifest["counts"]["events"].items():
        family = schema.EVENT_TYPES[event_type].family
        expected[family] = expected.get(family, 0) + n
    assert per_family == expected


def _envelope(written, event_type):
    rows = []
    for path in sorted((written / "events").glob("part-*.jsonl")):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            if row["event_type"] == event_type:
                payload = row["payload"] if isinstance(row["payload"], dict) else json.loads(row["payload"])
                rows.append({"date": row["timestamp"][:10], "type": payload["type"], "amount": Decimal(payload["amount"])})
    return pd.DataFrame(rows)


def test_duckdb_sums_amounts_by_date_without_parsing_json(written):
    got = duckdb.sql(f"""
        SELECT CAST(date AS VARCHAR) AS date, type, count(*) AS n, sum(amount) AS total
        FROM read_parquet('{written}/events/transactions/*/*.parquet', hive_partitioning = true)
        WHERE event_type = 'transaction-initiated'
        GROUP BY ALL ORDER BY date, type""").df()
    env = _envelope(written, "transaction-initiated")
    want = env.groupby(["date", "type"]).agg(n=("amount", "size"), total=("amount", "sum")).reset_index()
    assert len(want) > 5
    assert got["n"].tolist() == want["n"].tolist()
    assert [Decimal(str(x)).quantize(Decimal("0.01")) for x in got["total"]] == want["total"].tolist()


def test_readers_prune_by_date(written):
    dates = sorted(p.name.removeprefix("date=") for p in (written / "events" / "sessions").iterdir())
    assert len(dates) >= 3
    day = dates[1]
    frame = pd.read_parquet(written / "events" / "sessions", filters=[("date", "=", day)])
    assert len(frame) and (frame["timestamp"].dt.strftime("%Y-%m-%d") == day).all()
    assert str(frame["timestamp"].dtype) == "datetime64[us, UTC]"
    plan = duckdb.sql(f"""EXPLAIN ANALYZE SELECT count(*) FROM read_parquet('{written}/events/sessions/*/*.parquet',
                          hive_partitioning = true) WHERE date = '{day}'""").fetchall()[0][1]
    assert f"Scanning Files: 1/{len(dates)}" in plan  # the other dates' files are never opened


def test_validate_checks_the_typed_tables(written, tmp_path):
    import shutil

    copy = tmp_path / "ds"
    shutil.copytree(written, copy)
    assert validate_folder(copy)[0] == []
    part = sorted((copy / "events" / "identity").rglob("*.parquet"))[0]
    table = pq.read_table(part)
    pq.write_table(table.slice(1), part)   # a row lost: rows and counts no longer agree, the checksum neither
    problems = validate_folder(copy)[0]
    assert any(str(part.relative_to(copy)) in p and "manifest says" in p for p in problems)
    assert any("identity" in p and "the manifest's counts.events says" in p for p in problems)


def test_labels_on_events_are_typed_columns(tmp_path):
    scenario = fraudgraph.Scenario.from_preset("fraud_heavy").override({"output.typed_events": True})
    ds = fraudgraph.generate(scenario, seed=3, persons=300, days=5)
    ds.write(tmp_path / "l", formats="parquet", labels_on_events=True)
    table = pq.read_table(tmp_path / "l" / "events" / "transactions")
    assert table.schema.field("is_fraud").type == pa.bool_()
    assert 0 < sum(table["is_fraud"].to_pylist()) < table.num_rows


def test_none_unless_asked(tmp_path):
    ds = fraudgraph.generate("demo", seed=3, persons=200, days=3)
    manifest = ds.write(tmp_path / "plain", formats="parquet")
    assert not any(f["kind"] == "event_table" for f in manifest.files)
    assert sorted(p.name for p in (tmp_path / "plain" / "events").iterdir()) == ["part-00000.parquet"]
    assert manifest["scenario"]["output"]["typed_events"] is False
