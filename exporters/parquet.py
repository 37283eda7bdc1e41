"""Parquet: one file per table with the schema's exact Arrow types (zstd-compressed), and the events
also as typed tables per family, partitioned by date (:mod:`fraudgraph.event_tables`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from fraudgraph.exporters.base import Capabilities, WrittenFile
from fraudgraph.exporters.streams import BlockedPart
from fraudgraph.exporters.tables import TableExporter, from_arrow, to_arrow

ROW_GROUP_SIZE = 1_048_576
#: Rows per row group in event-stream parts: small enough to stream, large enough to compress well.
STREAM_ROW_GROUP = 131_072
#: String columns of the streams with few distinct values, worth dictionary-encoding.
_REPEATING = {"event_type", "event_version", "source_service", "fraud_type", "pattern_id", "person_id",
              "original_recipient", "fraud_started_at", "fraud_confirmed_at", "user_id", "account_id", "tx_type"}


class ParquetExporter(TableExporter):
    """Write every node and edge table as ``.parquet``."""

    name = "parquet"
    extension = "parquet"
    capabilities = Capabilities(tables=True, streams=True, readable=True, windows=True)

    def write_table(self, table_type, frame: pd.DataFrame, path: Path, **options: Any) -> None:
        import pyarrow.parquet as pq

        pq.write_table(to_arrow(table_type, frame), path, compression="zstd", row_group_size=ROW_GROUP_SIZE)

    def open_part(self, stream: str, path: Path, schema) -> ParquetPart:
        """A streaming sink for one part of an event stream (``payload`` a JSON string column)."""
        return ParquetPart(path, schema)

    def open_event_table(self, path: Path, schema: pa.Schema) -> TypedPart:
        """A streaming sink for one part of a typed event table (:func:`fraudgraph.event_tables.family_schema`)."""
        return TypedPart(path, schema)

    def open_windows(self, root: Path, **options: Any) -> EventTables | None:
        """The typed event tables, ``events/<family>/date=<YYYY-MM-DD>/part-<k>.parquet``, when
        ``typed_events`` asks for them (``output.typed_events``)."""
        if not options.get("typed_events"):
            return None
        return EventTables(root, int(options.get("part_rows", 1_000_000)))

    def read_table(self, table_type, path: Path) -> pd.DataFrame:
        import pyarrow.parquet as pq

        return from_arrow(table_type, pq.read_table(path))


class ParquetPart(BlockedPart):
    """One Parquet part written row group by row group (:data:`STREAM_ROW_GROUP` rows each).

    ``dictionary`` lists the columns worth a dictionary; by default the envelope's repeating ones.
    """

    def __init__(self, path: Path, schema, dictionary: list[str] | None = None):
        import pyarrow.parquet as pq

        super().__init__(STREAM_ROW_GROUP)
        if dictionary is None:
            # ids, timestamps and payloads are (nearly) all distinct: trying a dictionary for them is wasted work
            dictionary = [f.name for f in schema if f.name in _REPEATING or not pa.types.is_large_string(f.type)]
        self.file = pa.OSFile(str(path), "wb")
        self.writer = pq.ParquetWriter(self.file, schema, compression="zstd", use_dictionary=dictionary)

    def _write_block(self, table) -> None:
        self.writer.write_table(table, row_group_size=self.block_rows)

    def _finish(self) -> None:
        self.writer.close()
        self.file.close()

    def abort(self) -> None:
        self.buffer, self.buffered = [], 0
        _let_go(self.writer, self.file)


def _let_go(writer, file) -> None:
    """Close a Parquet writer of a failed run and its file, even when finishing the file fails (a full disk)."""
    try:
        writer.close()
    except Exception:  # noqa: BLE001 - the run already failed: its error is the one to report
        pass
    finally:
        writer.is_open = False  # or pyarrow tries to finish it again when it is collected
        try:
            file.close()
        except Exception:  # noqa: BLE001
            pass


class EventTables:
    """Writes each window's events into the typed table of their family, one folder per date.

    Windows arrive in time order, so a family's rows of a date end when a later
    date appears: at most one part per family is open at a time. Parts hold at
    most ``part_rows`` rows and are cut in fixed row groups, so their bytes
    depend only on the events.
    """

    def __init__(self, root: Path, part_rows: int):
        self.root = Path(root)
        self.part_rows = part_rows
        self.date: dict[str, str] = {}          # family -> date being written
        self.parts: dict[str, int] = {}         # family -> parts of that date so far
        self.open: dict[str, TypedPart] = {}   # family -> its open part
        self.written: list[WrittenFile] = []

    def write(self, events: pa.Table, truth, features) -> None:
        import pyarrow.compute as pc

        from fraudgraph.event_tables import families, family_table

        for family in families():
            table = family_table(events, family)
            if table.num_rows == 0:
                continue
            dates = pc.strftime(table["timestamp"], format="%Y-%m-%d").to_numpy(zero_copy_only=False)
            bounds = np.r_[0, np.flatnonzero(dates[1:] != dates[:-1]) + 1, len(dates)]
            for start, end in zip(bounds[:-1], bounds[1:]):
                self._write(family, str(dates[start]), table.slice(int(start), int(end - start)))

    def _write(self, family: str, date: str, rows: pa.Table) -> None:
        from fraudgraph.event_tables import family_schema

        if self.date.get(family) != date:
            self._close(family)
            self.date[family], self.parts[family] = date, 0
        start = 0
        while start < rows.num_rows:
            if family not in self.open:
                rel = Path("events", family, f"date={date}", f"part-{self.parts[family]:05d}.parquet")
                (self.root / rel).parent.mkdir(parents=True, exist_ok=True)
                self.open[family] = TypedPart(self.root / rel, family_schema(family, "is_fraud" in rows.column_names))
                self.parts[family] += 1
            part = self.open[family]
            take = min(self.part_rows - part.rows, rows.num_rows - start)
            part.write(rows.slice(start, take))
            start += take
            if part.rows == self.part_rows:
                self._close(family)

    def _close(self, family: str) -> None:
        part = self.open.get(family)
        if part is not None:
            part.close()
            del self.open[family]
            self.written.append(WrittenFile.of(self.root, part.path.relative_to(self.root), "event_table", family,
                                               part.rows))

    def close(self) -> list[WrittenFile]:
        for family in sorted(self.open):
            self._close(family)
        return sorted(self.written, key=lambda f: f.path)

    def abort(self) -> None:
        """Let go of the open parts of a failed run."""
        for part in self.open.values():
            part.abort()
        self.open.clear()


class TypedPart(ParquetPart):
    """One part of a typed event table: dictionaries for every column but the (nearly) unique ones."""

    def __init__(self, path: Path, schema: pa.Schema):
        from fraudgraph.event_tables import UNIQUE_COLUMNS

        super().__init__(path, schema, [f.name for f in schema if f.name not in UNIQUE_COLUMNS])
        self.path, self.rows = Path(path), 0

    def write(self, table: pa.Table) -> None:
        super().write(table)
        self.rows += table.num_rows
