"""CSV: one RFC 4180 file per table, with a header row.

Times are ISO-8601 UTC, booleans ``true``/``false``, and a missing value is
an empty unquoted field (an empty string would be ``""``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from fraudgraph.exporters.streams import BlockedPart
from fraudgraph.exporters.tables import (
    TableExporter,
    arrow_schema,
    as_text,
    from_arrow,
    to_arrow,
)

_WRITE_OPTIONS = {"quoting_style": "needed", "batch_size": 65_536}


class CSVExporter(TableExporter):
    """Write every node and edge table as ``.csv``."""

    name = "csv"
    extension = "csv"

    def write_table(self, table_type, frame: pd.DataFrame, path: Path, **options: Any) -> None:
        table = as_text(table_type, to_arrow(table_type, frame))
        pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(**_WRITE_OPTIONS))

    def open_part(self, stream: str, path: Path, schema: pa.Schema) -> CSVPart:
        """A streaming sink for one part of an event stream; ``payload`` is a JSON string column."""
        return CSVPart(path, schema)

    def read_table(self, table_type, path: Path) -> pd.DataFrame:
        schema = arrow_schema(table_type)
        column_types = {
            f.name: (pa.large_string() if pa.types.is_timestamp(f.type) or pa.types.is_date32(f.type) else f.type)
            for f in schema
        }
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types=column_types, include_columns=list(schema.names), strings_can_be_null=True,
                null_values=[""], true_values=["true"], false_values=["false"], quoted_strings_can_be_null=False,
            ),
        )
        return from_arrow(table_type, table)


class CSVPart(BlockedPart):
    """One CSV part: the header once, then the rows block by block."""

    def __init__(self, path: Path, schema: pa.Schema):
        super().__init__(_WRITE_OPTIONS["batch_size"])
        self.writer = pacsv.CSVWriter(path, schema, write_options=pacsv.WriteOptions(**_WRITE_OPTIONS))

    def _write_block(self, table: pa.Table) -> None:
        self.writer.write_table(table)

    def _finish(self) -> None:
        self.writer.close()
