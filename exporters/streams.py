"""Event streams on disk: time-ordered, size-bounded part files.

A stream (events, their truth, transaction features) arrives as a sequence of
Arrow tables already in global order. :class:`PartWriter` cuts it into parts
of at most ``part_rows`` rows, ``<folder>/part-00000.<ext>``, and feeds each
part to a sink of the format (``exporter.open_part``) batch by batch, so no
part is ever held in memory whole. Sinks cut their own blocks (Parquet row
groups, JSON Lines blocks) at fixed row counts, so a file's bytes depend only
on the stream and ``part_rows``, never on how the stream was batched.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from fraudgraph.exporters.base import WrittenFile

#: Stream name -> (manifest kind, folder).
STREAMS = {
    "events": ("events", "events"),
    "event_truth": ("event_truth", "truth/events"),
    "features": ("features", "features/transactions"),
}


class PartWriter:
    """Cut one stream into part files and stream each through the format's sink.

    Parameters
    ----------
    exporter : Exporter
        Must provide ``extension`` and ``open_part(stream, path, schema)``.
    root : Path
        Dataset folder (the temporary one while writing).
    stream : str
        One of :data:`STREAMS`.
    part_rows : int
        Most rows per part.
    schema : pyarrow.Schema
        Columns of the stream.
    """

    def __init__(self, exporter, root: Path, stream: str, part_rows: int, schema: pa.Schema):
        self.exporter = exporter
        self.root = Path(root)
        self.stream = stream
        self.kind, self.folder = STREAMS[stream]
        self.part_rows = int(part_rows)
        self.schema = schema
        self.sink = None
        self.in_part = 0
        self.written: list[WrittenFile] = []

    def write(self, table: pa.Table) -> None:
        start = 0
        while start < table.num_rows:
            if self.sink is None:
                self._open()
            take = min(self.part_rows - self.in_part, table.num_rows - start)
            self.sink.write(table.slice(start, take))
            self.in_part += take
            start += take
            if self.in_part == self.part_rows:
                self._close_part()

    def close(self) -> list[WrittenFile]:
        """Finish the last part (or write one empty part if the stream had no rows); every part written."""
        if self.sink is None and not self.written:
            self._open()
        if self.sink is not None:
            self._close_part()
        return self.written

    def abort(self) -> None:
        """Let go of the open part without finishing it (the run failed; its folder is being removed)."""
        if self.sink is not None:
            abort_sink(self.sink)
        self.sink = None

    def _open(self) -> None:
        rel = Path(self.folder) / f"part-{len(self.written):05d}.{self.exporter.extension}"
        (self.root / rel).parent.mkdir(parents=True, exist_ok=True)
        self.sink = self.exporter.open_part(self.stream, self.root / rel, self.schema)
        self.rel = rel

    def _close_part(self) -> None:
        self.sink.close()
        self.written.append(WrittenFile.of(self.root, self.rel, self.kind, self.stream, self.in_part))
        self.sink, self.in_part = None, 0


class BlockedPart:
    """A sink that hands its format fixed-size blocks of rows.

    Subclasses implement ``_write_block(table)`` (one contiguous, single-chunk
    table of ``block_rows`` rows, fewer only for the last) and ``_finish()``.
    Cutting at fixed row counts keeps the bytes independent of batching.
    """

    def __init__(self, block_rows: int):
        self.block_rows = int(block_rows)
        self.buffer: list[pa.Table] = []
        self.buffered = 0

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        self.buffer.append(table)
        self.buffered += table.num_rows
        if self.buffered < self.block_rows:
            return
        whole = pa.concat_tables(self.buffer)
        start = 0
        while whole.num_rows - start >= self.block_rows:
            self._write_block(whole.slice(start, self.block_rows).combine_chunks())
            start += self.block_rows
        rest = whole.slice(start)
        self.buffer, self.buffered = ([rest] if rest.num_rows else []), rest.num_rows

    def close(self) -> None:
        if self.buffered:
            self._write_block(pa.concat_tables(self.buffer).combine_chunks())
        self.buffer, self.buffered = [], 0
        self._finish()

    def abort(self) -> None:
        """Drop the rows not yet written and close the file, whatever the state it is in."""
        self.buffer, self.buffered = [], 0
        try:
            self._finish()
        except Exception:  # noqa: BLE001 - the run already failed (a full disk, say): its error is the one to report
            pass

    def _write_block(self, table: pa.Table) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        raise NotImplementedError


def abort_sink(sink) -> None:
    """Close an open sink of a failed run: its ``abort()`` if it has one, else nothing (it holds no file)."""
    abort = getattr(sink, "abort", None)
    if abort is not None:
        abort()

