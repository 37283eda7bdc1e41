"""JSON Lines: one JSON object per row, keys in schema order.

The lines are assembled with Arrow string kernels, column by column, rather
than by serialising row objects in Python.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson
from fraudgraph.exporters.streams import BlockedPart
from fraudgraph.exporters.tables import (
    TableExporter,
    arrow_schema,
    as_text,
    dtype_of,
    from_arrow,
    to_arrow,
)

from fraudgraph import schema

BLOCK_ROWS = 262_144
_CONTROL = r"[\x00-\x1f]"


def _lit(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def _json_strings(arr: pa.Array) -> pa.Array:
    """Quote and escape a string column as JSON literals (null -> ``null``)."""
    arr = arr.cast(pa.large_string())
    if pc.any(pc.match_substring_regex(arr, _CONTROL)).as_py():
        encoded = [None if v is None else json.dumps(v, ensure_ascii=False) for v in arr.to_pylist()]
        return pa.array(encoded, type=pa.large_string()).fill_null("null")
    arr = pc.replace_substring(arr, "\\", "\\\\")
    arr = pc.replace_substring(arr, '"', '\\"')
    return pc.binary_join_element_wise(_lit('"'), arr, _lit('"'), _lit("")).fill_null("null")


def _quoted(arr: pa.Array) -> pa.Array:
    """Quote strings that cannot hold a quote, a backslash or a control character."""
    return pc.binary_join_element_wise(_lit('"'), arr.cast(pa.large_string()), _lit('"'), _lit("")).fill_null("null")


def _json_values(arr: pa.Array, kind: str, plain: bool = False) -> pa.Array:
    if kind in ("datetime", "date") or (kind == "string" and plain):
        return _quoted(arr)
    if kind == "string":
        return _json_strings(arr)
    if kind == "float":
        finite = pc.is_finite(arr)
        arr = pc.if_else(finite, arr, pa.scalar(None, pa.float64()))
    return pc.cast(arr, pa.large_string()).fill_null("null")


def write_lines(lines: pa.Array, fh) -> None:
    """Write Arrow strings back to back to a binary file object (no separator added)."""
    lines = lines.cast(pa.large_string())
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset: lines.offset + len(lines) + 1]
    data = lines.buffers()[2]
    if data is not None and len(lines):
        fh.write(memoryview(data)[int(offsets[0]): int(offsets[-1])])


# envelope fields and ids hold no character that needs escaping
_SAFE_STREAM_COLUMNS = (set(schema.ENVELOPE) - {"payload"}) | {
    "transaction_id", "user_id", "account_id", "person_id", "pattern_id", "tx_type", "fraud_type"}


def stream_lines(table: pa.Table) -> pa.Array:
    """One JSON line (with its newline) per row of a stream table; ``payload`` is embedded as is."""
    parts: list[Any] = []
    for i, field in enumerate(table.schema):
        parts.append(_lit(("{" if i == 0 else ",") + json.dumps(field.name) + ":"))
        column = table.column(field.name).combine_chunks()
        if field.name == "payload":
            parts.append(column.cast(pa.large_string()))
        elif pa.types.is_boolean(field.type):
            parts.append(pc.if_else(column, _lit("true"), _lit("false")).fill_null("null"))
        elif pa.types.is_integer(field.type) or pa.types.is_floating(field.type):
            parts.append(_json_values(column, "float" if pa.types.is_floating(field.type) else "int"))
        else:
            parts.append(_json_values(column, "string", plain=field.name in _SAFE_STREAM_COLUMNS))
    parts.append(_lit("}\n"))
    return pc.binary_join_element_wise(*parts, _lit(""))


class JSONLExporter(TableExporter):
    """Write every node and edge table as ``.jsonl``."""

    name = "jsonl"
    extension = "jsonl"

    def write_table(self, table_type, frame: pd.DataFrame, path: Path, **options: Any) -> None:
        table = as_text(table_type, to_arrow(table_type, frame))
        columns = list(table.column_names)
        # ids and enumerated values come from the schema and need no escaping
        plain = {"id", "src", "dst"} | {p.name for p in table_type.properties if p.values}
        with open(path, "wb") as fh:
            for start in range(0, table.num_rows, BLOCK_ROWS):
                block = table.slice(start, BLOCK_ROWS)
                parts: list[Any] = []
                for i, column in enumerate(columns):
                    parts.append(_lit(("{" if i == 0 else ",") + json.dumps(column) + ":"))
                    parts.append(_json_values(block.column(column).combine_chunks(), dtype_of(table_type, column),
                                              plain=column in plain))
                parts.append(_lit("}\n"))
                write_lines(pc.binary_join_element_wise(*parts, _lit("")), fh)

    def open_part(self, stream: str, path: Path, schema: pa.Schema) -> JSONLPart:
        """A streaming sink for one part of an event stream; ``payload`` is embedded as a JSON object."""
        return JSONLPart(path)

    def read_table(self, table_type, path: Path) -> pd.DataFrame:
        schema = arrow_schema(table_type)
        explicit = pa.schema([
            pa.field(f.name, pa.large_string() if pa.types.is_timestamp(f.type) or pa.types.is_date32(f.type) else f.type)
            for f in schema
        ])
        if Path(path).stat().st_size == 0:
            table = explicit.empty_table()
        else:
            table = pajson.read_json(path, parse_options=pajson.ParseOptions(
                explicit_schema=explicit, unexpected_field_behavior="error"))
        return from_arrow(table_type, table)


class JSONLPart(BlockedPart):
    """One JSON Lines part, rendered and written block by block."""

    def __init__(self, path: Path):
        super().__init__(BLOCK_ROWS)
        self.fh = open(path, "wb")  # noqa: SIM115 - closed by _finish, after the last block

    def _write_block(self, table: pa.Table) -> None:
        write_lines(stream_lines(table), self.fh)

    def _finish(self) -> None:
        self.fh.close()
