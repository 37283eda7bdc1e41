"""The partitioned Parquet a sharded run writes, read back with real parsers and checked whole."""

import hashlib
import json

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from fraudgraph import schema
from fraudgraph.config import STREAMS
from fraudgraph.errors import DatasetError
from fraudgraph.event_tables import envelope_table, family_schema
from fraudgraph.loading import read_dataset, validate_folder
from fraudgraph.pipeline import build
from fraudgraph.shards import ShardPlan, write_sharded
from fraudgraph.writing import write_dataset

from .world import sharded_scenario


def test_the_whole_dataset_validates(sharded):
    out, manifest = sharded
    problems, summary = validate_folder(out)
    assert problems == []
    assert summary["events"] == sum(manifest.event_counts.values()) > 10_000


def test_every_listed_part_is_there_with_its_rows_and_digest(sharded):
    out, manifest = sharded
    listed = {f["path"] for f in manifest.files}
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*.parquet")}
    assert listed == on_disk
    for entry in manifest.files:
        data = (out / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert pq.ParquetFile(out / entry["path"]).metadata.num_rows == entry["rows"]
    assert manifest["layout"] == {"kind": "sharded", "shards": 3, "per_shard": 1000, "persons": [1000] * 3}


def test_ids_are_unique_across_shards_and_each_shard_keeps_its_residue(sharded):
    out, _ = sharded
    for label in ("Person", "Account", "Device"):
        table = ds.dataset(out / "nodes" / label, format="parquet").to_table(columns=["id"])
        ids = table["id"].to_pylist()
        assert len(ids) == len(set(ids))
        for k in range(3):
            part = pq.read_table(out / "nodes" / label / f"part-{k:05d}.parquet", columns=["id"])
            assert all(int(i.rsplit("_", 1)[1], 16) % 3 == k for i in part["id"].to_pylist())


def test_event_folders_prune_by_date_and_hold_one_family_each(sharded):
    out, manifest = sharded
    total = 0
    families = sorted(p.name for p in (out / "events").iterdir())
    assert families == sorted(STREAMS)
    for family in families:
        folder = out / "events" / family
        data = ds.dataset(folder, format="parquet", partitioning="hive")
        table = data.to_table()
        total += table.num_rows
        assert {schema.EVENT_TYPES[t].family for t in pc.unique(table["event_type"]).to_pylist()} == {family}
        assert data.schema.field("date").type == pa.string()  # the folder names are the partition key
        day = data.to_table(filter=ds.field("date") == "2025-01-02")
        assert set(pc.strftime(day["timestamp"], format="%Y-%m-%d").to_pylist()) <= {"2025-01-02"}
        assert data.schema.remove(data.schema.get_field_index("date")).equals(family_schema(family))  # typed
        assert day.num_rows or family not in ("transactions", "sessions")
    assert total == sum(manifest.event_counts.values())


def test_each_part_is_in_time_then_id_order(sharded):
    out, manifest = sharded
    for entry in manifest.files:
        if entry["kind"] != "events":
            continue
        table = pq.read_table(out / entry["path"], columns=["timestamp", "event_id"])
        rows = list(zip(table["timestamp"].to_pylist(), table["event_id"].to_pylist()))
        assert rows == sorted(rows), entry["path"]


def test_read_back_is_the_union_of_the_shards_and_refuses_to_resimulate(sharded):
    out, manifest = sharded
    dataset = read_dataset(out)
    assert dataset.graph.counts()["nodes"] == manifest["counts"]["nodes"]
    assert len(dataset.truth.patterns) == manifest["counts"]["truth"]["patterns"]
    assert dataset.truth.patterns["pattern_id"].is_unique
    with pytest.raises(DatasetError, match="union of several shards"):
        dataset.timeline()


def test_a_lone_shard_is_the_ordinary_world(tmp_path):
    scenario = sharded_scenario(**{"persons.count": 800})
    assert ShardPlan(scenario).count == 1
    manifest = write_sharded(scenario, tmp_path / "sharded")
    world = build(scenario, ShardPlan(scenario).seeds(0))
    whole = write_dataset(world, tmp_path / "whole", ["parquet"])
    digests = {f["table"]: f["sha256"] for f in whole.files if f["kind"] in ("node", "edge", "truth")}
    parts = {f["table"]: f["sha256"] for f in manifest.files if f["kind"] in ("node", "edge", "truth")}
    assert parts == digests
    assert manifest.event_counts == whole.event_counts


def test_a_failed_shard_leaves_no_dataset(tmp_path, monkeypatch):
    from fraudgraph.shards import engines

    real = engines.run_shard

    def failing(scenario, index, root, *rest):
        if index == 2:
            raise OSError(28, "No space left on device")
        return real(scenario, index, root, *rest)

    monkeypatch.setattr(engines, "run_shard", failing)
    out = tmp_path / "out"
    with pytest.raises(Exception, match="No space left"):
        write_sharded(sharded_scenario(**{"days": 1}), out)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_the_manifest_records_the_scenario_not_the_engine(sharded):
    out, manifest = sharded
    text = (out / "manifest.json").read_text()
    assert '"workers"' not in text and '"engine"' not in text and '"scheduler"' not in text
    assert json.loads(text)["scenario"]["persons"]["per_shard"] == 1000


def test_a_part_in_the_wrong_partition_is_reported(sharded, tmp_path):
    import shutil

    out, manifest = sharded
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    data = json.loads((copy / "manifest.json").read_text())
    entry = next(f for f in data["files"] if f["path"].startswith("events/transactions/date=2025-01-01/"))
    moved = entry["path"].replace("transactions/date=2025-01-01", "sessions/date=2025-01-03")
    (copy / moved).parent.mkdir(parents=True, exist_ok=True)
    (copy / entry["path"]).rename(copy / moved)
    entry["path"] = moved
    (copy / "manifest.json").write_text(json.dumps(data))
    problems, _ = validate_folder(copy)
    assert any(moved in p and "outside its partition date=2025-01-03" in p for p in problems), problems
    assert any(moved in p and "not of its folder events/sessions/" in p for p in problems), problems


def test_duckdb_and_dask_read_the_folders_directly_and_prune_by_date(sharded):
    duckdb = pytest.importorskip("duckdb")
    dd = pytest.importorskip("dask.dataframe")
    out, manifest = sharded
    events = (out / "events").as_posix() + "/*/*/*.parquet"
    total = duckdb.sql(f"SELECT count(*) FROM read_parquet('{events}', hive_partitioning=true)").fetchall()[0][0]
    assert total == sum(manifest.event_counts.values())
    per_day = dict(duckdb.sql(f"SELECT CAST(date AS VARCHAR), count(*) FROM read_parquet('{events}', "
                              "hive_partitioning=true) GROUP BY ALL").fetchall())
    written = {}
    for f in manifest.files:
        if f["kind"] == "events":
            day = f["path"].split("date=")[1][:10]
            written[day] = written.get(day, 0) + f["rows"]
    assert per_day == written
    persons = dd.read_parquet(out / "nodes" / "Person")
    assert len(persons) == manifest["counts"]["nodes"]["Person"]
    tx = dd.read_parquet(out / "events" / "transactions", filters=[("date", "==", "2025-01-03")])
    assert len(tx) == sum(f["rows"] for f in manifest.files
                          if f["path"].startswith("events/transactions/date=2025-01-03/"))


def test_the_event_parts_read_back_day_by_day(sharded):
    from fraudgraph.loading import read_event_parts

    out, manifest = sharded
    days, total = [], 0
    for events, truth in read_event_parts(out):
        stamps = events["timestamp"].to_pylist()
        assert stamps == sorted(stamps) and len({s[:10] for s in stamps}) == 1
        days.append(stamps[0][:10])
        total += events.num_rows
        assert set(truth["event_id"].to_pylist()) <= set(events["event_id"].to_pylist())
    assert days == sorted(days) and total == sum(manifest.event_counts.values())


def test_without_typed_events_the_parts_are_the_envelope_and_hold_the_same_events(sharded, tmp_path):
    out, manifest = sharded
    plain = tmp_path / "plain"
    written = write_sharded(sharded_scenario(**{"output.typed_events": False}), plain, workers=1)
    assert validate_folder(plain)[0] == []
    assert written.event_counts == manifest.event_counts
    for entry in (f for f in written.files if f["kind"] == "events"):
        envelope = pq.read_table(plain / entry["path"])
        assert envelope.schema.names == list(schema.ENVELOPE)
        typed = pq.read_table(out / entry["path"])
        assert "payload" not in typed.schema.names
        assert envelope_table(typed).equals(envelope.cast(envelope_table(typed).schema)), entry["path"]
