"""Parquet: one file per table with the schema's exact Arrow types (zstd-compressed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
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

    def write_table(self, table_type, frame: pd.DataFrame, path: Path, **options: Any) -> None:
        import pyarrow.parquet as pq

        pq.write_table(to_arrow(table_type, frame), path, compression="zstd", row_group_size=ROW_GROUP_SIZE)

    def open_part(self, stream: str, path: Path, schema) -> ParquetPart:
        """A streaming sink for one part of an event stream (``payload`` a JSON string column)."""
        return ParquetPart(path, schema)

    def read_table(self, table_type, path: Path) -> pd.DataFrame:
        import pyarrow.parquet as pq

        return from_arrow(table_type, pq.read_table(path))


class ParquetPart(BlockedPart):
    """One Parquet part written row group by row group (:data:`STREAM_ROW_GROUP` rows each)."""

    def __init__(self, path: Path, schema):
        import pyarrow.parquet as pq

        super().__init__(STREAM_ROW_GROUP)
        # ids, timestamps and payloads are (nearly) all distinct: trying a dictionary for them is wasted work
        few = [f.name for f in schema if f.name in _REPEATING or not pa.types.is_large_string(f.type)]
        self.writer = pq.ParquetWriter(path, schema, compression="zstd", use_dictionary=few)

    def _write_block(self, table) -> None:
        self.writer.write_table(table, row_group_size=self.block_rows)

    def _finish(self) -> None:
        self.writer.close()
