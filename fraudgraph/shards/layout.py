"""The partitioned Parquet layout of a sharded dataset, written one shard at a time.

Every shard writes only its own part files, so shards can run anywhere and in
any order::

    nodes/<Label>/part-<shard>.parquet
    edges/<Src>_<REL>_<Dst>/part-<shard>.parquet
    edges/Person_KNOWS_Person/part-bridges.parquet   (ties between shards: bridges.py)
    truth/<table>/part-<shard>.parquet
    events/<family>/date=<YYYY-MM-DD>/part-<shard>.parquet   (typed with output.typed_events)
    event_truth/date=<YYYY-MM-DD>/part-<shard>.parquet
    features/date=<YYYY-MM-DD>/part-<shard>.parquet

A table's folder is one dataset to Spark, Dask, DuckDB and pyarrow
(``date`` is a Hive partition key they prune by); within a part, events are in
(timestamp, event id) order.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fraudgraph import schema
from fraudgraph.dataset import Dataset
from fraudgraph.event_tables import family_schema, family_table
from fraudgraph.exporters import WrittenFile, get_exporter
from fraudgraph.graph import conform, sort_rows
from fraudgraph.stageclock import stage
from fraudgraph.writing import count_event_types

#: Manifest kind of each folder of the layout.
KINDS = {"nodes": "node", "edges": "edge", "truth": "truth", "events": "events", "event_truth": "event_truth",
         "features": "features"}


def part_name(shard: int) -> str:
    return f"part-{shard:05d}.parquet"


def folder_for(root: Path, rel: Path) -> Path:
    """Create the folder of ``root / rel`` below ``root``, never ``root`` itself.

    A shard still running on a cluster after its run was abandoned (its
    staging folder removed) then fails instead of leaving folders behind.
    """
    if not root.is_dir():
        raise FileNotFoundError(f"the dataset's staging folder {str(root)!r} is gone; the run was abandoned")
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    return root / rel


def write_tables(dataset: Dataset, root: Path, shard: int, extra_edges: dict | None = None) -> list[WrittenFile]:
    """Write the shard's node, edge and truth tables, one part file each.

    ``extra_edges`` (``{edge key: rows}``) are written with the shard's own edges of that type, in
    the same canonical order: edges to other shards, which the shard's graph does not hold.
    """
    parquet = get_exporter("parquet")
    written = []
    for folder, table_type, frame in dataset.table_items():
        extra = (extra_edges or {}).get(getattr(table_type, "key", None)) if folder == "edges" else None
        if extra is not None and len(extra):
            frame = sort_rows(pd.concat([frame, conform(table_type, extra)], ignore_index=True), ["src", "dst"])
        rel = Path(folder) / table_type.file_stem / part_name(shard)
        with stage(f"write graph {folder}"):
            parquet.write_table(table_type, frame, folder_for(root, rel))
        written.append(WrittenFile.of(root, rel, KINDS[folder], table_type.file_stem, len(frame)))
    return written


class StreamParts:
    """The shard's event streams, cut into part files by family (events only) and date as windows arrive.

    Windows end on day boundaries (their ``horizon``) and no later window
    holds a row before it, so the parts of every date before a window's
    horizon are closed as that window is written: a part's rows are held only
    while their window is.
    """

    def __init__(self, root: Path, shard: int, schemas: dict[str, pa.Schema], typed: bool = False):
        self.root = root
        self.shard = shard
        self.schemas = schemas
        self.typed = typed  # events as typed tables (fraudgraph.event_tables) rather than the envelope
        self.parquet = get_exporter("parquet")
        self.open: dict[tuple[str, str, str], _Part] = {}
        self.written: list[WrittenFile] = []
        self.counts: dict[str, int] = {}

    def write(self, window) -> None:
        """Route one window's events, event truth and features to their parts."""
        for stream, table in (("events", window.events), ("event_truth", window.truth),
                              ("features", window.features)):
            if table.num_rows:
                with stage("events partitioning"):
                    groups = list(_groups(stream, table))
                for key, rows in groups:
                    if stream == "events" and self.typed:  # the family's payload fields as columns
                        with stage("events typed tables"):
                            rows = family_table(rows, key.rpartition("/")[0])
                    self._part(stream, key).write(rows)
        count_event_types(self.counts, window.events)
        # every row of a date comes in one window, so its parts are complete (and their buffers freed) now
        self._close_before(_day_of(window.horizon))

    def close(self) -> tuple[list[WrittenFile], dict[str, int]]:
        self._close_before("9999-12-31")
        return sorted(self.written, key=lambda f: f.path), dict(sorted(self.counts.items()))

    def _part(self, stream: str, key: str) -> _Part:
        family, _, date = key.rpartition("/")
        ident = (stream, family, date)
        if ident not in self.open:
            folder = Path(stream, family) if family else Path(stream)
            rel = folder / f"date={date}" / part_name(self.shard)
            path = folder_for(self.root, rel)
            if stream == "events" and self.typed:
                sink = self.parquet.open_event_table(path, family_schema(family, "is_fraud" in self.schemas[stream].names))
            else:
                sink = self.parquet.open_part(stream, path, self.schemas[stream])
            self.open[ident] = _Part(sink, rel)
        return self.open[ident]

    def _close_before(self, date: str) -> None:
        for ident in sorted(k for k in self.open if k[2] < date):
            part = self.open.pop(ident)
            with stage("write events parquet"):
                part.sink.close()
            stream, family, _ = ident
            self.written.append(WrittenFile.of(self.root, part.rel, KINDS[stream], family or stream, part.rows))


class _Part:
    """One open part file and the rows written to it."""

    def __init__(self, sink, rel: Path):
        self.sink, self.rel, self.rows = sink, rel, 0

    def write(self, table: pa.Table) -> None:
        with stage("write events parquet"):
            self.sink.write(table)
        self.rows += table.num_rows


def _groups(stream: str, table: pa.Table):
    """``(family/date or date, rows)`` of one window's stream, each group's rows in their (time, id) order."""
    dates = pc.utf8_slice_codeunits(table["timestamp"], 0, 10)
    if stream == "events":
        keys = pc.binary_join_element_wise(_families_of(table["event_type"]), dates,
                                           pa.scalar("/", pa.large_string()))
    else:
        keys = dates
    keys = keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys
    encoded = keys.dictionary_encode()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    order = np.argsort(codes, kind="stable")
    ordered = table.take(pa.array(order))  # one gather; the groups are slices of it
    bounds = np.r_[0, np.flatnonzero(np.diff(codes[order])) + 1, len(order)]
    for start, end in zip(bounds[:-1], bounds[1:]):
        yield encoded.dictionary[int(codes[order[start]])].as_py(), ordered.slice(int(start), int(end - start))


def _day_of(horizon: int | None) -> str:
    """The first date a window's horizon leaves open (``YYYY-MM-DD``); past every date at the last window."""
    if horizon is None or horizon >= _LAST:
        return "9999-12-31"
    return dt.datetime.fromtimestamp(horizon, dt.timezone.utc).date().isoformat()


_LAST = int(dt.datetime(9999, 1, 1, tzinfo=dt.timezone.utc).timestamp())


def _families_of(event_types) -> pa.Array:
    """The family of each event type."""
    types = pc.unique(event_types)
    names = pa.array([schema.EVENT_TYPES[t].family for t in types.to_pylist()], pa.large_string())
    return names.take(pc.index_in(event_types, value_set=types))
