"""Checks of the typed event tables (``events/<family>/date=<YYYY-MM-DD>/part-*.parquet``).

Each part must have its family's declared schema (:func:`fraudgraph.event_tables.family_schema`),
the rows the manifest lists, only events of its family and of its date, in
``(timestamp, event_id)`` order; and each family's parts together must hold as
many events of each type as the manifest counts. Only the ``timestamp``,
``event_id`` and ``event_type`` columns are read, one row group at a time.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudgraph import schema
from fraudgraph.checks.problems import Problems, one_line
from fraudgraph.event_tables import family_schema

KIND = "event_table"


def event_table_problems(path: str | Path, manifest: dict[str, Any]) -> list[str]:
    """Problems of the typed event tables a dataset's manifest lists (none listed: nothing to check)."""
    import pyarrow.parquet as pq

    path = Path(path)
    entries = sorted((e for e in manifest.get("files", []) if e.get("kind") == KIND), key=lambda e: e["path"])
    if not entries:
        return []
    problems = Problems()
    labels = bool(manifest.get("labels_on_events"))
    counted: dict[str, Counter] = {}
    for entry in entries:
        rel, family = entry["path"], entry["table"]
        date = Path(rel).parent.name.removeprefix("date=")
        counts = counted.setdefault(family, Counter())
        try:
            expected = family_schema(family, labels)
            reader = pq.ParquetFile(path / rel)
            if not reader.schema_arrow.equals(expected):
                problems.add(rel, "schema", 1, f"columns {reader.schema_arrow.names} of types not those declared for "
                                               f"family {family!r} (fraudgraph.event_tables.family_schema)")
                continue
            rows, last = 0, None
            for batch in reader.iter_batches(columns=["timestamp", "event_id", "event_type"]):
                rows += batch.num_rows
                types = batch.column("event_type")
                for row in pc.value_counts(types).to_pylist():
                    counts[row["values"]] += row["counts"]
                wrong = [t for t in pc.unique(types).to_pylist() if schema.EVENT_TYPES.get(t) is None
                         or schema.EVENT_TYPES[t].family != family]
                if wrong:
                    problems.add(rel, "family", 1, f"events of types {wrong} in the table of family {family!r}")
                days = pc.strftime(batch.column("timestamp"), format="%Y-%m-%d").to_numpy(zero_copy_only=False)
                if (days != date).any():
                    problems.add(rel, "date", int((days != date).sum()), f"events dated {days[days != date][0]} "
                                                                         f"in the partition of {date}")
                last = _order(batch, last, rel, problems)
            if rows != entry.get("rows"):
                problems.add(rel, "rows", 1, f"{rows:,} rows, the manifest says {entry.get('rows')}")
        except Exception as exc:  # noqa: BLE001 - a parser's own error: report which file
            problems.add(rel, "read", 1, f"cannot be read as a typed event table: {one_line(exc)}")
    written = manifest.get("counts", {}).get("events", {})
    for family, counts in sorted(counted.items()):
        for event_type, et in schema.EVENT_TYPES.items():
            if et.family == family and counts.get(event_type, 0) != written.get(event_type, 0):
                problems.add(f"events/{family}/date=*/part-*.parquet", f"count {event_type}", 1,
                             f"{counts.get(event_type, 0):,} {event_type!r} events, the manifest's counts.events "
                             f"says {written.get(event_type, 0):,}")
    return problems.lines()


def _order(batch: pa.RecordBatch, last, rel: str, problems: Problems):
    """Check ``(timestamp, event_id)`` order within the batch and from ``last`` (the previous row) on."""
    time = batch.column("timestamp").cast(pa.int64()).to_numpy(zero_copy_only=False)
    ids = np.asarray(batch.column("event_id").to_numpy(zero_copy_only=False), dtype=object)
    if last is not None:
        time, ids = np.r_[last[0], time], np.r_[np.array([last[1]], dtype=object), ids]
    if len(time) > 1:
        earlier = (time[1:] < time[:-1]) | ((time[1:] == time[:-1]) & (ids[1:] < ids[:-1]))
        if earlier.any():
            problems.add(rel, "order", int(earlier.sum()), "events out of (timestamp, event_id) order")
    return (time[-1], ids[-1]) if len(time) else last
