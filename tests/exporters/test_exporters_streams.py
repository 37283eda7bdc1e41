"""Part files of event streams: bounded, batch-independent bytes, readable back."""

import hashlib
import itertools
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from fraudgraph.exporters import get_exporter
from fraudgraph.exporters.base import Capabilities, Exporter
from fraudgraph.exporters.streams import PartWriter

N = 300_000


@pytest.fixture(scope="module")
def stream():
    rng = np.random.default_rng(11)
    ids = [f"{i:08x}-0000-4000-8000-000000000000" for i in range(N)]
    payload = [json.dumps({"amount": f"{a:.2f}", "note": 'say "hi"\\'}) for a in rng.random(N) * 100]
    return pa.table({"event_id": pa.array(ids, pa.large_string()),
                     "payload": pa.array(payload, pa.large_string()),
                     "score": pa.array(rng.random(N))})


def _write(tmp_path, fmt, table, cuts, part_rows=120_000):
    writer = PartWriter(get_exporter(fmt), tmp_path, "events", part_rows, table.schema)
    bounds = [0, *cuts, table.num_rows]
    for a, b in itertools.pairwise(bounds):
        writer.write(table.slice(a, b - a))
    parts = writer.close()
    assert all(f.sha256 == hashlib.sha256((tmp_path / f.path).read_bytes()).hexdigest() for f in parts)
    return [(Path(f.path), f.rows, f.sha256) for f in parts]


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_parts_are_bounded_and_bytes_do_not_depend_on_batching(tmp_path, stream, fmt):
    whole = _write(tmp_path / "a", fmt, stream, [])
    rng = np.random.default_rng(3)
    ragged = _write(tmp_path / "b", fmt, stream, sorted(set(rng.integers(1, N, 40).tolist())))
    small = _write(tmp_path / "c", fmt, stream, list(range(997, N, 997)))
    assert whole == ragged == small
    assert [rows for _, rows, _ in whole] == [120_000, 120_000, 60_000]


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_parts_read_back_in_order(tmp_path, stream, fmt):
    parts = _write(tmp_path, fmt, stream, [5, 77_777])
    ids = []
    for rel, rows, _ in parts:
        path = tmp_path / rel
        if fmt == "parquet":
            table = pq.read_table(path)
        elif fmt == "csv":
            table = pacsv.read_csv(path)
        else:
            table = pa.Table.from_pylist([json.loads(line) for line in path.read_text().splitlines()])
        assert table.num_rows == rows
        ids += table["event_id"].to_pylist()
    assert ids == stream["event_id"].to_pylist()
    first = tmp_path / parts[0][0]
    if fmt == "jsonl":
        assert json.loads(first.read_text().splitlines()[0])["payload"] == json.loads(stream["payload"][0].as_py())


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_an_empty_stream_writes_one_empty_part(tmp_path, stream, fmt):
    writer = PartWriter(get_exporter(fmt), tmp_path, "events", 1_000, stream.schema)
    [part] = writer.close()
    rel, rows = Path(part.path), part.rows
    assert rows == 0 and part.kind == "events" and part.bytes == (tmp_path / rel).stat().st_size and rel.name == f"part-00000.{get_exporter(fmt).extension}"
    if fmt == "parquet":
        assert pq.read_table(tmp_path / rel).schema.names == stream.schema.names
    if fmt == "csv":
        assert pacsv.read_csv(tmp_path / rel).column_names == stream.schema.names


class _WholePartExporter(Exporter):
    """A plug-in that only knows how to write whole parts."""

    name = "whole"
    extension = "txt"
    capabilities = Capabilities(streams=True)

    def write(self, dataset, out, **options):
        return []

    def write_part(self, stream, table, path):
        path.write_text("\n".join(table["event_id"].to_pylist()))


def test_exporters_with_only_write_part_still_get_whole_parts(tmp_path, stream):
    writer = PartWriter(_WholePartExporter(), tmp_path, "events", 100_000, stream.schema)
    for start in range(0, 250_000, 30_000):
        writer.write(stream.slice(start, 30_000))
    parts = writer.close()
    assert [f.rows for f in parts] == [100_000, 100_000, 70_000]
    assert (tmp_path / parts[1].path).read_text().splitlines() == stream["event_id"].to_pylist()[100_000:200_000]
