"""Checks of a written dataset's event streams, reading one part file at a time.

A dataset's ``events/``, ``truth/events/`` and ``features/transactions/`` hold
part files ``part-NNNNN.<ext>`` in every written format. :func:`stream_problems`
reads each part in batches of about :data:`BATCH_ROWS` rows (CSV and JSON Lines
in blocks of :data:`BLOCK_BYTES`), so memory is one batch of rows plus:

* **8 bytes per event** for the uniqueness and truth checks. An event id is a
  canonical UUID, i.e. 128 bits; its two 64-bit halves are folded into one
  ``uint64`` (a mixed high half XOR the low half). The keys of one format (the
  first of Parquet, CSV, JSON Lines present for each part) are gathered in one
  array and sorted in place. Equal neighbours are only *candidate* duplicates:
  the parts are read again for those keys and the id strings compared, so a
  hash collision is never reported as a duplicate. A truth row's event id is
  looked up by binary search among the sorted keys; a missing event goes
  unnoticed only if its key collides with another event's, which for ``n``
  events and ``m`` truth rows has probability below ``n * m / 2**64``.
* **8 bytes per transaction event** for the transaction ids of the
  ``transactions`` family payloads (kept sorted and unique), against which
  every feature row's ``transaction_id`` is looked up the same way.

The formats are compared part by part through a SHA-256 digest of the key
column (event ids, truth event ids, feature transaction ids); only when two
digests differ are the two key columns read again to name the first differing
row. Event order is checked on ``(timestamp, event_id)`` with the last row of
the previous part carried over, per format.

Every problem is one line that starts with the file it was found in (or a
``part-*`` pattern for checks over a whole stream). Row numbers count data rows
from 1 within the part file (a CSV header is not a row).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudgraph import schema

#: Columns every event carries.
ENVELOPE = ("event_id", "event_type", "event_version", "timestamp", "source_service", "correlation_id", "payload")
#: Manifest kind of each stream -> the column that keys its rows.
KEYS = {"events": "event_id", "event_truth": "event_id", "features": "transaction_id"}
#: Formats whose part files can be read back here.
READABLE = ("parquet", "csv", "jsonl")
#: Rows per batch read from a Parquet part.
BATCH_ROWS = 32_768
#: Bytes per block read from a CSV or JSON Lines part.
BLOCK_BYTES = 8 << 20
#: Most duplicated event ids listed one by one.
MAX_DUPLICATES_LISTED = 20

_UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
_HEX_COLUMNS = np.array([i for i in range(36) if i not in (8, 13, 18, 23)])
_NIBBLE = np.zeros(256, np.uint8)
_NIBBLE[np.frombuffer(b"0123456789abcdef", np.uint8)] = np.arange(16, dtype=np.uint8)
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_TRANSACTION_TYPES = pa.array(sorted(n for n, et in schema.EVENT_TYPES.items() if et.family == "transactions"),
                              pa.large_string())


class _Unreadable(Exception):
    """A part file that a parser refused; the message says why."""


# -- problems ------------------------------------------------------------------
@dataclass
class _Problems:
    """Problems found so far: one line per (file, check), counting how many rows each hit."""

    found: dict[tuple[str, str], list] = field(default_factory=dict)

    def add(self, where: str, check: str, rows: int, message: str) -> None:
        entry = self.found.get((where, check))
        if entry is None:
            self.found[(where, check)] = [rows, message]
        else:
            entry[0] += rows

    def lines(self) -> list[str]:
        return [f"{where}: {message}" + (f" ({rows:,} rows in all)" if rows > 1 else "")
                for (where, _), (rows, message) in self.found.items()]


# -- reading part files ----------------------------------------------------------
def _large(table: pa.Table) -> pa.Table:
    """Combine each column into one array, strings as ``large_string``."""
    columns = []
    for column in table.columns:
        array = _single(column)
        if not pa.types.is_struct(array.type) and not pa.types.is_boolean(array.type):
            array = array.cast(pa.large_string())
        columns.append(array)
    return pa.table(columns, names=table.column_names)


def _single(column: pa.ChunkedArray) -> pa.Array:
    """The column as one array (without a copy when it already is one chunk)."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def _col(table: pa.Table, name: str) -> pa.Array:
    return _single(table.column(name))


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


def _jsonl_tables(path: Path, columns: pa.Schema, problems: _Problems, rel: str) -> Iterator[pa.Table]:
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


def _jsonl_by_line(block: bytes, columns: pa.Schema, problems: _Problems, rel: str, line0: int) -> pa.Table:
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
            problems.add(rel, "json", 1, f"line {number:,} is not a JSON object: {_clip(text.decode(errors='replace'))}")
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
    missing = [n for n in names if n not in file.schema_arrow.names]
    if missing:
        raise _Unreadable(f"no column {', '.join(missing)}")
    for batch in file.iter_batches(batch_size=BATCH_ROWS, columns=list(names)):
        yield _large(pa.Table.from_batches([batch]))


def _tables(path: Path, fmt: str, names: tuple[str, ...], problems: _Problems, rel: str,
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
                payload = _col(table, "payload")
                table = table.drop_columns("payload").append_column(
                    "payload_ok", pa.array(payload.is_valid().to_numpy(zero_copy_only=False)))
                table = table.append_column("transaction_id", pc.struct_field(payload, "transaction_id"))
                table = table.append_column("payload_text", pa.nulls(table.num_rows, pa.large_string()))
            yield table
        return
    reader = _parquet_tables if fmt == "parquet" else _csv_tables
    for table in reader(path, names):
        if events:
            payload = _col(table, "payload")
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
    offsets, data = _string_buffers(payload)
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
    line_offsets, line_data = _string_buffers(lines)
    options = pajson.ParseOptions(explicit_schema=pa.schema([("transaction_id", pa.large_string())]),
                                  unexpected_field_behavior="ignore")
    try:
        blob = pa.py_buffer(line_data[line_offsets[0]: line_offsets[-1]])
        parsed = pajson.read_json(pa.BufferReader(blob), parse_options=options)
        if parsed.num_rows != n:
            raise pa.ArrowInvalid("the payloads gave another number of rows")
        tx = _single(parsed.column(0))
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


def _string_buffers(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (``len + 1``) and bytes of a ``large_string`` array, without copying."""
    n = len(values)
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int64)[values.offset: values.offset + n + 1]
    data = values.buffers()[2]
    return offsets, (np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8))


# -- keys ------------------------------------------------------------------------------
def uuid_keys(ids: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """64-bit keys of the canonical UUIDs among ``ids``.

    Parameters
    ----------
    ids : pyarrow.Array
        Strings.

    Returns
    -------
    keys : numpy.ndarray of uint64
        One key per canonical (lowercase, hyphenated) UUID, in order: the
        128-bit value's high half, mixed, XOR its low half.
    canonical : numpy.ndarray of bool
        Which of ``ids`` are canonical UUIDs (and so have a key).

    Examples
    --------
    >>> import pyarrow as pa
    >>> keys, ok = uuid_keys(pa.array(["0d184cbe-7293-4dd7-8d58-c8c3f3317753", "x"]))
    >>> len(keys), ok.tolist()
    (1, [True, False])
    """
    ids = ids.cast(pa.large_string())
    return _keys(ids, pc.match_substring_regex(ids, _UUID).fill_null(False).to_numpy(zero_copy_only=False))


def _keys(ids: pa.Array, canonical: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    good = ids.filter(pa.array(canonical))
    n = len(good)
    if n == 0:
        return np.zeros(0, np.uint64), canonical
    offsets, data = _string_buffers(good)
    chars = data[offsets[0]: offsets[0] + 36 * n].reshape(n, 36)[:, _HEX_COLUMNS]
    nibbles = _NIBBLE[chars]
    packed = np.ascontiguousarray((nibbles[:, 0::2] << 4) | nibbles[:, 1::2])  # the UUID's 16 bytes
    halves = packed.view(">u8").astype(np.uint64)
    return _mix(halves[:, 0]) ^ halves[:, 1], canonical


def _mix(x: np.ndarray) -> np.ndarray:
    """The SplitMix64 finaliser: a bijection of uint64 that spreads every input bit."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


class _Keys:
    """A growable uint64 array (keys gathered part by part, sorted once at the end)."""

    def __init__(self, capacity: int = 0):
        self.data = np.empty(max(int(capacity), 1024), np.uint64)
        self.size = 0

    def add(self, keys: np.ndarray) -> None:
        need = self.size + len(keys)
        if need > len(self.data):
            grown = np.empty(max(need, 2 * len(self.data)), np.uint64)
            grown[: self.size] = self.data[: self.size]
            self.data = grown
        self.data[self.size: need] = keys
        self.size = need

    def sorted(self, unique: bool = False) -> np.ndarray:
        keys = self.data[: self.size]
        keys.sort()
        return np.unique(keys) if unique else keys


def _found(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    if sorted_keys.size == 0:
        return np.zeros(len(keys), bool)
    at = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
    return sorted_keys[at] == keys


class _Digest:
    """SHA-256 of a string column, independent of how the rows were batched."""

    def __init__(self):
        self.text, self.lengths, self.rows = hashlib.sha256(), hashlib.sha256(), 0

    def update(self, values: pa.Array) -> None:
        values = values.cast(pa.large_string())
        n = len(values)
        if n == 0:
            return
        offsets, data = _string_buffers(values)
        lengths = np.diff(offsets)
        lengths[values.is_null().to_numpy(zero_copy_only=False)] = -1
        self.text.update(data[offsets[0]: offsets[-1]])
        self.lengths.update(lengths.tobytes())
        self.rows += n

    def value(self) -> tuple[str, str, int]:
        return self.text.hexdigest(), self.lengths.hexdigest(), self.rows


# -- the checks of one batch of events ---------------------------------------------
@dataclass
class _Order:
    """The last (seconds, event id, file) seen in one format's event stream."""

    last: tuple[int, str, str] | None = None


def _seconds(timestamps: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Epoch seconds of ``YYYY-MM-DDTHH:MM:SSZ`` strings, and which rows are exactly that (a real UTC time)."""
    parsed = pc.strptime(timestamps, format=_TIME_FORMAT, unit="s", error_is_null=True)
    again = pc.replace_substring(pc.cast(parsed, pa.large_string()), " ", "T", max_replacements=1)
    again = pc.binary_join_element_wise(again, pa.scalar("Z", pa.large_string()), pa.scalar("", pa.large_string()))
    valid = pc.equal(again, timestamps).fill_null(False).to_numpy(zero_copy_only=False)
    seconds = pc.cast(parsed, pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
    return seconds, valid


def _check_events(table: pa.Table, start: int, rel: str, order: _Order,
                  problems: _Problems) -> tuple[Counter, np.ndarray]:
    """Check one batch of events (rows ``start + 1 ...`` of the part ``rel``).

    Returns the batch's events per type and which event ids are canonical UUIDs.
    """
    n = table.num_rows
    ids = _col(table, "event_id")
    for name in ENVELOPE[:-1]:
        missing = _col(table, name).is_null()
        if pc.any(missing).as_py():
            row = pc.index(missing, True).as_py()
            problems.add(rel, f"null {name}", pc.sum(missing).as_py(), f"row {start + row + 1:,} has no {name}")
    canonical = pc.match_substring_regex(ids, _UUID).fill_null(False).to_numpy(zero_copy_only=False)
    bad_ids = ~canonical & ids.is_valid().to_numpy(zero_copy_only=False)
    if bad_ids.any():
        row = int(np.argmax(bad_ids))
        problems.add(rel, "uuid", int(bad_ids.sum()),
                     f"event_id {ids[row].as_py()!r} on row {start + row + 1:,} is not a canonical lowercase UUID")

    # type and service, per distinct pair
    pairs = pa.table({"t": _col(table, "event_type"), "s": _col(table, "source_service"),
                      "i": pa.array(np.arange(n))}).group_by(["t", "s"]).aggregate([("i", "min"), ("i", "count")])
    counts: Counter = Counter()
    for etype, service, first, rows in zip(*(pairs.column(c).to_pylist() for c in ("t", "s", "i_min", "i_count"))):
        if etype is None:
            continue
        counts[etype] += rows
        known = schema.EVENT_TYPES.get(etype)
        if known is None:
            problems.add(rel, f"type {etype}", rows, f"unknown event_type {etype!r} on row {start + first + 1:,}; "
                         f"expected one of fraudgraph.schema.EVENT_TYPES")
        elif service is not None and service != known.service:
            problems.add(rel, f"service {etype} {service}", rows,
                         f"event_type {etype!r} on row {start + first + 1:,} has source_service {service!r}, "
                         f"expected {known.service!r}")

    # timestamps, then (timestamp, event_id) order among the rows whose time parses
    timestamps = _col(table, "timestamp")
    seconds, valid = _seconds(timestamps)
    bad_time = ~valid & timestamps.is_valid().to_numpy(zero_copy_only=False)
    if bad_time.any():
        row = int(np.argmax(bad_time))
        problems.add(rel, "timestamp", int(bad_time.sum()),
                     f"timestamp {timestamps[row].as_py()!r} on row {start + row + 1:,} is not ISO-8601 UTC "
                     "(expected YYYY-MM-DDTHH:MM:SSZ)")
    _check_order(seconds, valid, ids, timestamps, start, rel, order, problems)
    _check_payloads(table, start, rel, problems)
    return counts, canonical


def _check_payloads(table: pa.Table, start: int, rel: str, problems: _Problems) -> None:
    ok = _col(table, "payload_ok").to_numpy(zero_copy_only=False)
    if not ok.all():
        row = int(np.argmin(ok))
        text = _col(table, "payload_text")[row].as_py()
        shown = f": {_clip(text)}" if text is not None else ""
        problems.add(rel, "payload", int((~ok).sum()), f"payload of row {start + row + 1:,} "
                     f"(event_id {_col(table, 'event_id')[row].as_py()!r}) is not a JSON object{shown}")


def _check_order(seconds, valid, ids, timestamps, start, rel, order: _Order, problems: _Problems) -> None:
    rows = np.flatnonzero(valid & ids.is_valid().to_numpy(zero_copy_only=False))
    if rows.size == 0:
        return
    secs = seconds[rows]
    these = ids if rows.size == len(ids) else ids.take(pa.array(rows))
    if order.last is not None:
        secs = np.concatenate([[order.last[0]], secs])
        these = pa.concat_arrays([pa.array([order.last[1]], pa.large_string()), these])
    if len(secs) > 1:
        earlier = pc.less(these.slice(1), these.slice(0, len(these) - 1)).to_numpy(zero_copy_only=False)
        bad = (secs[1:] < secs[:-1]) | ((secs[1:] == secs[:-1]) & earlier)
        if bad.any():
            k = int(np.argmax(bad))  # element k + 1 sorts before element k
            carried = order.last is not None
            row = int(rows[k + 1 - carried])
            if carried and k == 0 and order.last[2] != rel:
                before = f"the last row of {order.last[2]}"
            else:
                before = "the row before it"
            problems.add(rel, "order", int(bad.sum()),
                         f"row {start + row + 1:,} ({timestamps[row].as_py()}, {ids[row].as_py()}) sorts before "
                         f"{before} ({_iso(int(secs[k]))}, {these[k].as_py()}); "
                         "events must be in (timestamp, event_id) order")
    order.last = (int(secs[-1]), these[len(these) - 1].as_py(), rel)


def _iso(seconds: int) -> str:
    return np.datetime_as_string(np.datetime64(int(seconds), "s")) + "Z"


def _clip(text: str, width: int = 60) -> str:
    return repr(text if len(text) <= width else text[:width] + "...")


# -- the whole check ------------------------------------------------------------------
def _parts(manifest: dict[str, Any], kind: str) -> list[tuple[str, dict[str, dict]]]:
    """The part files of one stream: (path without extension, {format: manifest entry}), in order."""
    groups: dict[str, dict[str, dict]] = {}
    for entry in manifest.get("files", []):
        if entry.get("kind") == kind:
            groups.setdefault(entry["path"].rsplit(".", 1)[0], {})[entry["format"]] = entry
    return sorted(groups.items())


@dataclass
class _Scan:
    """What reading one part file in one format gave."""

    rel: str
    fmt: str
    digest: tuple[str, str, int] | None = None  # of the key column; None: the file could not be read through
    payloads: tuple[str, str, int] | None = None  # of the payload text (CSV, Parquet)


def stream_problems(path: str | Path, manifest: dict[str, Any],
                    preference: tuple[str, ...] = READABLE) -> tuple[list[str], dict[str, Any]]:
    """Check the event streams of a written dataset.

    Checks, per format: row counts per part against the manifest; events in
    ``(timestamp, event_id)`` order across part boundaries; every envelope
    column present, event ids canonical UUIDs, event types known and emitted
    by their type's service, timestamps ISO-8601 UTC, payloads JSON objects;
    events per type against the manifest's ``counts.events``; every truth
    row's ``event_id`` an event and every feature row's ``transaction_id``
    named by a transaction event's payload. Across the dataset: event ids
    unique, and the same keys in the same order in every format, part by part.

    Parameters
    ----------
    path : str or Path
        The dataset folder.
    manifest : dict
        Its manifest.
    preference : tuple of str
        Formats in the order in which one is picked, per part, as the
        reference for the uniqueness and membership checks.

    Returns
    -------
    problems : list of str
        One line per problem, naming the file and the offending value;
        empty when the streams are sound.
    summary : dict
        ``events`` (rows of the reference format) and ``parts`` (event parts).
    """
    path = Path(path)
    problems = _Problems()
    written = sorted({f["format"] for f in manifest.get("files", []) if f.get("kind") in KEYS})
    formats = [f for f in preference if f in written] + [f for f in written if f in READABLE and f not in preference]
    event_parts = _parts(manifest, "events")
    orders = {fmt: _Order() for fmt in formats}
    counts = {fmt: Counter() for fmt in formats}
    complete = dict.fromkeys(formats, True)
    capacity = max([sum(e[fmt]["rows"] for _, e in event_parts if isinstance(e.get(fmt, {}).get("rows"), int))
                    for fmt in formats] or [0])
    event_keys = _Keys(min(capacity, 1 << 27))
    tx_keys, odd_tx = _Keys(), set()
    references: list[tuple[Path, str, str]] = []
    events = 0

    for stem, entries in event_parts:
        reference = None
        scans = []
        parsed = None  # digest of the first payload text column that was parsed in this part
        for fmt in formats:
            entry = entries.get(fmt)
            if entry is None or not (path / entry["path"]).is_file():  # a missing file is reported by verify_files
                complete[fmt] = False
                orders[fmt].last = None
                if entry is None:
                    problems.add(f"{stem}.{fmt}", "unlisted", 1, "missing from the manifest, present in other formats")
                continue
            is_reference = reference is None
            # the same payload text as an already parsed format needs no parsing again
            parse = fmt == "jsonl" or parsed is None
            scan = _scan_events(path, entry, orders[fmt], counts[fmt], problems,
                                (event_keys, tx_keys, odd_tx) if is_reference else None, parse)
            if scan.digest is None:
                complete[fmt] = False
                orders[fmt].last = None
            elif scan.payloads is not None:
                if parse:
                    parsed = scan.payloads
                elif scan.payloads != parsed:
                    _recheck_payloads(path, entry, problems)
            if is_reference and scan.digest is not None:  # else the next format gives this part's keys
                reference = scan
                references.append((path / entry["path"], fmt, entry["path"]))
                events += scan.digest[2]
            scans.append(scan)
        _compare_formats(path, scans, "event_id", problems)

    sorted_events = event_keys.sorted()
    _duplicates(sorted_events, references, problems)
    del event_keys

    _check_counts(manifest, formats, counts, complete, bool(event_parts), problems)
    sorted_tx = tx_keys.sorted(unique=True)
    for kind, known, odd, what in (("event_truth", sorted_events, set(), "is not an event"),
                                   ("features", sorted_tx, odd_tx, "appears in no transaction event's payload")):
        for _stem, entries in _parts(manifest, kind):
            scans = [_scan_keys(path, entries[fmt], KEYS[kind], known, odd, what, problems)
                     for fmt in formats if fmt in entries and (path / entries[fmt]["path"]).is_file()]
            _compare_formats(path, scans, KEYS[kind], problems)
    _unlisted_parts(path, manifest, formats, problems)
    return problems.lines(), {"events": events, "parts": len(event_parts)}


def _scan_events(path: Path, entry: dict, order: _Order, counts: Counter, problems: _Problems,
                 collect: tuple[_Keys, _Keys, set] | None, parse_payload: bool) -> _Scan:
    """Check one events part; with ``collect``, add its event keys and transaction keys."""
    rel, fmt = entry["path"], entry["format"]
    scan = _Scan(rel, fmt)
    digest, payloads = _Digest(), _Digest()
    tx_parts, odd_tx = [], set()
    kept = collect[0].size if collect is not None else 0
    try:
        for table in _tables(path / rel, fmt, ENVELOPE, problems, rel, parse_payload):
            batch_counts, canonical = _check_events(table, digest.rows, rel, order, problems)
            counts.update(batch_counts)
            ids = _col(table, "event_id")
            digest.update(ids)
            if fmt != "jsonl":
                payloads.update(_col(table, "payload_text"))
            if collect is not None:
                keys, _ = _keys(ids, canonical)
                collect[0].add(keys)
                is_tx = pc.is_in(_col(table, "event_type"), value_set=_TRANSACTION_TYPES).fill_null(False)
                tx = _col(table, "transaction_id").filter(is_tx).drop_null()
                keys, canonical = uuid_keys(tx)
                tx_parts.append(np.unique(keys))
                if not canonical.all():
                    odd_tx.update(tx.filter(pa.array(~canonical)).to_pylist())
    except (_Unreadable, pa.ArrowException, OSError, ValueError) as exc:
        problems.add(rel, "read", 1, f"cannot be read as {fmt}: {_one_line(exc)}")
        if collect is not None:
            collect[0].size = kept  # drop this part's keys: another format will give them
        return scan
    if collect is not None and tx_parts:
        collect[1].add(np.unique(np.concatenate(tx_parts)))
        collect[2].update(odd_tx)
    scan.digest = digest.value()
    scan.payloads = payloads.value() if fmt != "jsonl" else None
    _check_rows(entry, digest.rows, problems)
    return scan


def _recheck_payloads(path: Path, entry: dict, problems: _Problems) -> None:
    """Parse the payloads of a part whose payload text differs from the format checked first."""
    rows = 0
    try:
        for table in _tables(path / entry["path"], entry["format"], ("event_id", "payload"), problems, entry["path"]):
            _check_payloads(table, rows, entry["path"], problems)
            rows += table.num_rows
    except (_Unreadable, pa.ArrowException, OSError, ValueError):
        pass  # already reported by the first reading


def _scan_keys(path: Path, entry: dict, column: str, known: np.ndarray, odd: set, what: str,
               problems: _Problems) -> _Scan:
    """Read the key column of a truth or features part; every key must be in ``known`` (or ``odd``)."""
    rel, fmt = entry["path"], entry["format"]
    scan = _Scan(rel, fmt)
    digest = _Digest()
    try:
        for table in _tables(path / rel, fmt, (column,), problems, rel):
            values = _col(table, column)
            keys, canonical = uuid_keys(values)
            present = np.zeros(len(values), bool)
            present[canonical] = _found(known, keys)
            if odd and not present.all():
                rest = np.flatnonzero(~present)
                present[rest] = [v in odd for v in values.take(pa.array(rest)).to_pylist()]
            if not present.all():
                row = int(np.argmin(present))
                problems.add(rel, "unknown key", int((~present).sum()),
                             f"{column} {values[row].as_py()!r} on row {digest.rows + row + 1:,} {what}")
            digest.update(values)
    except (_Unreadable, pa.ArrowException, OSError, ValueError) as exc:
        problems.add(rel, "read", 1, f"cannot be read as {fmt}: {_one_line(exc)}")
        return scan
    scan.digest = digest.value()
    _check_rows(entry, digest.rows, problems)
    return scan


def _check_rows(entry: dict, rows: int, problems: _Problems) -> None:
    if entry.get("rows") != rows:
        problems.add(entry["path"], "rows", 1, f"{rows:,} rows, the manifest says {entry.get('rows')}")


def _compare_formats(path: Path, scans: list[_Scan], column: str, problems: _Problems) -> None:
    """Every format's part must hold the same keys in the same order; the largest agreeing group is the reference."""
    scans = [s for s in scans if s.digest is not None]
    groups: dict[tuple, list[_Scan]] = {}
    for scan in scans:
        groups.setdefault(scan.digest, []).append(scan)
    if len(groups) < 2:
        return
    majority = max(groups.values(), key=len)  # ties: the group of the preferred format (dicts keep order)
    names = " and ".join(s.rel for s in majority)
    for scan in scans:
        if scan in majority:
            continue
        a = _key_column(path / majority[0].rel, majority[0].fmt, column)
        b = _key_column(path / scan.rel, scan.fmt, column)
        n = min(len(a), len(b))
        differ = pc.not_equal(a.slice(0, n), b.slice(0, n)).fill_null(True)
        differ = pc.or_(differ, pc.xor(a.slice(0, n).is_null(), b.slice(0, n).is_null()))
        if pc.any(differ).as_py():
            row = pc.index(differ, True).as_py()
            detail = f"from row {row + 1:,}: {b[row].as_py()!r} where they have {a[row].as_py()!r}"
        else:
            detail = f"in length: {len(b):,} rows where they have {len(a):,}"
        problems.add(scan.rel, "formats", 1, f"{column} column differs from {names} {detail}")


def _key_column(file: Path, fmt: str, column: str) -> pa.Array:
    chunks = [_col(t, column) for t in _tables(file, fmt, (column,), _Problems(), str(file))]
    return pa.concat_arrays(chunks) if chunks else pa.array([], pa.large_string())


def _duplicates(sorted_keys: np.ndarray, references: list[tuple[Path, str, str]], problems: _Problems) -> None:
    """Report event ids that occur more than once; equal keys are confirmed on the id strings."""
    if sorted_keys.size < 2:
        return
    candidates = np.unique(sorted_keys[1:][sorted_keys[1:] == sorted_keys[:-1]])
    if candidates.size == 0:
        return
    listed, rest = candidates[:MAX_DUPLICATES_LISTED], candidates.size - MAX_DUPLICATES_LISTED
    seen: dict[str, list[str]] = {}
    for file, fmt, rel in references:
        ids = _key_column(file, fmt, "event_id")
        keys, canonical = uuid_keys(ids)
        rows = np.flatnonzero(canonical)[np.isin(keys, listed)]
        for row, value in zip(rows, ids.take(pa.array(rows)).to_pylist()):
            seen.setdefault(value, []).append(f"{rel} row {row + 1:,}")
    for value, places in seen.items():
        if len(places) > 1:
            problems.add(places[0].split(" row ")[0], f"duplicate {value}", 1,
                         f"event_id {value!r} is not unique: {', '.join(places)}")
    if rest > 0:
        problems.add("events/part-*", "more duplicates", 1, f"{rest:,} more event ids occur more than once")


def _check_counts(manifest: dict, formats: list[str], counts: dict[str, Counter], complete: dict[str, bool],
                  has_events: bool, problems: _Problems) -> None:
    """Events per type, per format, against ``counts.events``; formats that agree share one line."""
    expected = manifest.get("counts", {}).get("events")
    if expected is None:
        if has_events:
            problems.add("manifest.json", "counts.events", 1, "counts.events is missing while events/ holds parts")
        return
    checked = [fmt for fmt in formats if complete[fmt]]
    for etype in sorted(set(expected) | {t for fmt in checked for t in counts[fmt]}):
        want = expected.get(etype, 0)
        wrong: dict[int, list[str]] = {}
        for fmt in checked:
            if counts[fmt][etype] != want:
                wrong.setdefault(counts[fmt][etype], []).append(fmt)
        for got, fmts in wrong.items():
            where = f"events/part-*.{fmts[0]}" if len(fmts) == 1 else f"events/part-*.{{{','.join(fmts)}}}"
            problems.add(where, f"count {etype}", 1,
                         f"{got:,} {etype!r} events, the manifest's counts.events says {want:,}")


def _unlisted_parts(path: Path, manifest: dict, formats: list[str], problems: _Problems) -> None:
    listed = {f["path"] for f in manifest.get("files", [])}
    for kind in KEYS:
        folders = {e["path"].rsplit("/", 1)[0] for _, entries in _parts(manifest, kind) for e in entries.values()}
        for folder in sorted(folders):
            for fmt in formats:
                for file in sorted((path / folder).glob(f"part-*.{fmt}")):
                    rel = file.relative_to(path).as_posix()
                    if rel not in listed:
                        problems.add(rel, "unlisted", 1, "a part file on disk that the manifest does not list")


def _one_line(exc: BaseException, width: int = 200) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= width else text[:width] + "..."
