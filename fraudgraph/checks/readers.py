"""Reading part files (Parquet, CSV, JSON Lines) in bounded batches of string columns.

A Parquet part is read in batches of :data:`BATCH_ROWS` rows, a CSV or JSON
Lines part in blocks of :data:`BLOCK_BYTES`. Event payloads are turned into
whether each is a JSON object and the ``transaction_id`` it holds.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudgraph.checks.arrays import col, single, string_buffers
from fraudgraph.checks.problems import Problems, clip
from fraudgraph.event_tables import envelope_table, is_family_table

#: Formats whose part files can be read back here.
READABLE = ("parquet", "csv", "jsonl")
#: Rows per batch read from a Parquet part.
BATCH_ROWS = 32_768
#: Bytes per block read from a CSV or JSON Lines part.
BLOCK_BYTES = 8 << 20


class Unreadable(Exception):
    """A part file that a parser refused; the message says why."""


def _large(table: pa.Table) -> pa.Table:
    """Combine each column into one array, strings as ``large_string``."""
    columns = []
    for column in table.columns:
        array = single(column)
        if not pa.types.is_struct(array.type) and not pa.types.is_boolean(array.type):
            array = array.cast(pa.large_string())
        columns.append(array)
    return pa.table(columns, names=table.column_names)


def _line_blocks(path: Path) -> Iterator[tuple[bytes, int]]:
    """The file in blocks of whole lines of about :data:`BLOCK_BYTES`: ``(block, end)``, lines in ``block[:end]``."""
    with open(path, "rb") as fh:
        while True:
            block = fh.read(BLOCK_BYTES)
            if not block:
                return
            cut = len(block)
            if cut == BLOCK_BYTES:  # not at the end: stop after the last whole line, read the rest next time
                cut = block.rfind(b"\n") + 1
                while cut == 0:  # one line longer than a block
                    more = fh.read(BLOCK_BYTES)
                    block += more
                    cut = block.rfind(b"\n") + 1 if more else len(block)
                fh.seek(cut - len(block), os.SEEK_CUR)
            yield block, cut


def _jsonl_tables(path: Path, columns: pa.Schema, problems: Problems, rel: str) -> Iterator[pa.Table]:
    """Rows of a JSON Lines part with ``columns``; other keys are ignored.

    Arrow's JSON reader parses each block; a block it refuses (a line that is
    no JSON object, a column of the wrong JSON type) is parsed again line by
    line with :mod:`json` so that the bad lines can be named and the others kept.
    """
    import pyarrow.json as pajson

    options = pajson.ParseOptions(explicit_schema=columns, unexpected_field_behavior="ignore")
    at = 0  # byte offset of the block
    for block, end in _line_blocks(path):
        try:
            table = pajson.read_json(pa.BufferReader(pa.py_buffer(memoryview(block)[:end])), parse_options=options)
        except pa.ArrowInvalid:
            table = _jsonl_by_line(block[:end], columns, problems, rel, _lines_before(path, at))
        at += end
        yield _large(table)


def _lines_before(path: Path, offset: int) -> int:
    """How many lines the file has before byte ``offset`` (to number lines in messages)."""
    lines = 0
    with open(path, "rb") as fh:
        while offset > 0:
            block = fh.read(min(BLOCK_BYTES, offset))
            lines += block.count(b"\n")
            offset -= len(block)
    return lines


def _jsonl_by_line(block: bytes, columns: pa.Schema, problems: Problems, rel: str, line0: int) -> pa.Table:
    values: dict[str, list] = {f.name: [] for f in columns}
    for number, text in enumerate(block.split(b"\n"), start=line0 + 1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except ValueError as exc:
            problems.add(rel, "json", 1, f"line {number:,} is not valid JSON ({exc})")
            continue
        if not isinstance(row, dict):
            problems.add(rel, "json", 1, f"line {number:,} is not a JSON object: {clip(text.decode(errors='replace'))}")
            continue
        for f in columns:
            value = row.get(f.name)
            if pa.types.is_struct(f.type):  # the payload: keep only whether it is an object, and its transaction id
                tx = value.get("transaction_id") if isinstance(value, dict) else None
                value = {"transaction_id": tx if isinstance(tx, str) else None} if isinstance(value, dict) else None
            elif value is not None and not isinstance(value, str):
                value = json.dumps(value)
            values[f.name].append(value)
    return pa.table(values, schema=columns)


def _csv_tables(path: Path, names: tuple[str, ...]) -> Iterator[pa.Table]:
    import pyarrow.csv as pacsv

    reader = pacsv.open_csv(
        path, read_options=pacsv.ReadOptions(block_size=BLOCK_BYTES),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.large_string() for name in names}, include_columns=list(names),
            strings_can_be_null=True, null_values=[""], quoted_strings_can_be_null=False))
    for batch in reader:
        yield _large(pa.Table.from_batches([batch]))


def _parquet_tables(path: Path, names: tuple[str, ...]) -> Iterator[pa.Table]:
    import pyarrow.parquet as pq

    file = pq.ParquetFile(path)
    typed = "payload" in names and is_family_table(file.schema_arrow.names)  # a typed event table: envelope again
    missing = [n for n in names if n not in file.schema_arrow.names and not (typed and n == "payload")]
    if missing:
        raise Unreadable(f"no column {', '.join(missing)}")
    for batch in file.iter_batches(batch_size=BATCH_ROWS, columns=None if typed else list(names)):
        table = pa.Table.from_batches([batch])
        yield _large(envelope_table(table).select(list(names)) if typed else table)


def tables(path: Path, fmt: str, names: tuple[str, ...], problems: Problems, rel: str,
           parse_payload: bool = True) -> Iterator[pa.Table]:
    """Batches of the string columns ``names`` of one part file.

    With ``payload`` among ``names`` (events), the batch has ``payload_ok``
    (whether it is a JSON object), ``transaction_id`` (the payload's) and
    ``payload_text`` (the JSON text, null for JSON Lines) instead; without
    ``parse_payload`` a text payload is taken as sound and not parsed.
    """
    events = "payload" in names
    if fmt == "jsonl":
        fields = [pa.field(n, pa.large_string()) for n in names if n != "payload"]
        if events:
            fields.append(pa.field("payload", pa.struct([pa.field("transaction_id", pa.large_string())])))
        for table in _jsonl_tables(path, pa.schema(fields), problems, rel):
            if events:
                payload = col(table, "payload")
                table = table.drop_columns("payload").append_column(
                    "payload_ok", pa.array(payload.is_valid().to_numpy(zero_copy_only=False)))
                table = table.append_column("transaction_id", pc.struct_field(payload, "transaction_id"))
                table = table.append_column("payload_text", pa.nulls(table.num_rows, pa.large_string()))
            yield table
        return
    reader = _parquet_tables if fmt == "parquet" else _csv_tables
    for table in reader(path, names):
        if events:
            payload = col(table, "payload")
            if parse_payload:
                ok, tx = _payload_objects(payload)
            else:
                ok, tx = np.ones(len(payload), bool), pa.nulls(len(payload), pa.large_string())
            table = table.drop_columns("payload").append_column("payload_ok", pa.array(ok))
            table = table.append_column("transaction_id", tx).append_column("payload_text", payload)
        yield table


def _payload_objects(payload: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Which payload strings are JSON objects, and the ``transaction_id`` each holds.

    Payloads that start with ``{``, end with ``}`` and hold no line break go,
    one per line, through Arrow's JSON reader in one call; the others (and all
    of them, if the reader refuses the batch) are parsed row by row with :mod:`json`.
    """
    import pyarrow.json as pajson

    n = len(payload)
    if n == 0:
        return np.zeros(0, bool), pa.array([], pa.large_string())
    offsets, data = string_buffers(payload)
    fast = payload.is_valid().to_numpy(zero_copy_only=False) & (np.diff(offsets) > 0)
    if data.size:
        starts = np.minimum(offsets[:-1], data.size - 1)
        fast &= (data[starts] == ord("{")) & (data[np.maximum(offsets[1:] - 1, 0)] == ord("}"))
        text = data[offsets[0]: offsets[-1]]
        breaks = np.flatnonzero((text == ord("\n")) | (text == ord("\r")))
        if breaks.size:
            fast[np.searchsorted(offsets[1:] - offsets[0], breaks, side="right")] = False
    lines = payload if fast.all() else pc.if_else(pa.array(fast), payload, pa.scalar("{}", pa.large_string()))
    lines = pc.binary_join_element_wise(lines, pa.scalar("", pa.large_string()), pa.scalar("\n", pa.large_string()))
    line_offsets, line_data = string_buffers(lines)
    options = pajson.ParseOptions(explicit_schema=pa.schema([("transaction_id", pa.large_string())]),
                                  unexpected_field_behavior="ignore")
    try:
        blob = pa.py_buffer(line_data[line_offsets[0]: line_offsets[-1]])
        parsed = pajson.read_json(pa.BufferReader(blob), parse_options=options)
        if parsed.num_rows != n:
            raise pa.ArrowInvalid("the payloads gave another number of rows")
        tx = single(parsed.column(0))
        ok, slow = fast, np.flatnonzero(~fast & payload.is_valid().to_numpy(zero_copy_only=False))
    except pa.ArrowInvalid:
        ok, tx = np.zeros(n, bool), pa.nulls(n, pa.large_string())
        slow = np.flatnonzero(payload.is_valid().to_numpy(zero_copy_only=False))
    if slow.size:
        ok, ids = ok.copy(), tx.to_pylist()
        for i, text in zip(slow, payload.take(pa.array(slow)).to_pylist()):
            try:
                value = json.loads(text)
            except ValueError:
                ok[i] = False
                continue
            ok[i] = isinstance(value, dict)
            ids[i] = value.get("transaction_id") if ok[i] and isinstance(value.get("transaction_id"), str) else None
        tx = pa.array(ids, pa.large_string())
    return ok, tx


def key_column(file: Path, fmt: str, column: str) -> pa.Array:
    """One column of a whole part file, read again to name rows (problems found on the way are dropped)."""
    chunks = [col(t, column) for t in tables(file, fmt, (column,), Problems(), str(file))]
    return pa.concat_arrays(chunks) if chunks else pa.array([], pa.large_string())
