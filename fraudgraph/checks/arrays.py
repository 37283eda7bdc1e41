"""Access to Arrow columns and string buffers without copies, shared by the checks."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def single(column: pa.ChunkedArray) -> pa.Array:
    """The column as one array (without a copy when it already is one chunk)."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def col(table: pa.Table, name: str) -> pa.Array:
    """The column ``name`` of ``table`` as one array."""
    return single(table.column(name))


def string_buffers(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (``len + 1``) and bytes of a ``large_string`` array, without copying."""
    n = len(values)
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int64)[values.offset: values.offset + n + 1]
    data = values.buffers()[2]
    return offsets, (np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8))
