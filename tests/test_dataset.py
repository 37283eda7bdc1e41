"""Dataset is a record: writing reads it and changes nothing; its events come without writing files."""

import dataclasses
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fraudgraph
from fraudgraph.dataset import Dataset


@pytest.fixture(scope="module")
def dataset():
    return fraudgraph.generate("demo", seed=5, persons=200, days=4)


def test_the_record_cannot_be_rebound(dataset):
    assert [f.name for f in dataclasses.fields(Dataset)] == ["graph", "truth", "scenario", "seeds"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        dataset.scenario = None
    assert dataset.seed == dataset.scenario.seed == 5


def test_write_returns_the_manifest_and_changes_nothing(dataset, tmp_path):
    before = {k: v for k, v in vars(dataset).items()}
    counts = dataset.graph.counts()
    manifest = dataset.write(tmp_path / "a", formats="parquet", streams=["transactions"], labels_on_graph=True)
    assert vars(dataset) == before and dataset.graph.counts() == counts
    assert dataset.scenario.output.formats == ["csv", "jsonl", "parquet"]   # the record's, not the write's
    assert manifest == json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest.path == tmp_path / "a"
    # the manifest's scenario is what was written: it regenerates this folder
    assert manifest["scenario"]["output"]["formats"] == ["parquet"]
    assert manifest["scenario"]["events"]["streams"] == ["transactions"]
    assert manifest["labels_on_graph"] is True and sum(manifest.event_counts.values()) > 0


def test_events_are_the_written_events(dataset, tmp_path):
    manifest = dataset.write(tmp_path / "b", formats="parquet")
    batches = list(dataset.events(window_days=2))
    assert len(batches) == 2  # four days in windows of two
    ids = pa.concat_arrays([b.events["event_id"].combine_chunks() for b in batches]).to_pylist()
    parts = sorted(f["path"] for f in manifest.files if f["kind"] == "events")
    written = [i for p in parts for i in pq.read_table(tmp_path / "b" / p, columns=["event_id"])["event_id"].to_pylist()]
    assert ids == written and len(ids) == sum(manifest.event_counts.values())
    truth = sum(b.truth.num_rows for b in batches)
    assert truth == sum(f["rows"] for f in manifest.files if f["kind"] == "event_truth")


def test_the_events_use_the_runs_seed_tree(dataset):
    assert dataset.timeline().seeds is dataset.seeds
