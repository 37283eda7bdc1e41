"""Event streams on disk: time-ordered, size-bounded part files.

A stream (events, their truth, transaction features) arrives as a sequence of
Arrow tables already in global order. :class:`PartWriter` cuts it into parts
of at most ``part_rows`` rows, ``<folder>/part-00000.<ext>``, so the files'
bytes depend only on the stream and ``part_rows``, never on how the stream was
batched.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

#: Stream name -> (manifest kind, folder).
STREAMS = {
    "events": ("events", "events"),
    "event_truth": ("event_truth", "truth/events"),
    "features": ("features", "features/transactions"),
}


class PartWriter:
    """Accumulate rows of one stream and write full parts through ``exporter.write_part``.

    Parameters
    ----------
    exporter : Exporter
        Must provide ``extension`` and ``write_part(stream, table, path)``.
    root : Path
        Dataset folder (the temporary one while writing).
    stream : str
        One of :data:`STREAMS`.
    part_rows : int
        Most rows per part.
    schema : pyarrow.Schema
        Columns of the stream (for the one empty part of a stream without rows).
    """

    def __init__(self, exporter, root: Path, stream: str, part_rows: int, schema: pa.Schema):
        self.exporter = exporter
        self.root = Path(root)
        self.stream = stream
        self.kind, self.folder = STREAMS[stream]
        self.part_rows = int(part_rows)
        self.schema = schema
        self.buffer: list[pa.Table] = []
        self.buffered = 0
        self.written: list[tuple[Path, int]] = []

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        self.buffer.append(table)
        self.buffered += table.num_rows
        while self.buffered >= self.part_rows:
            whole = pa.concat_tables(self.buffer)
            self._flush(whole.slice(0, self.part_rows))
            rest = whole.slice(self.part_rows)
            self.buffer, self.buffered = ([rest] if rest.num_rows else []), rest.num_rows

    def close(self) -> list[tuple[Path, int]]:
        """Write the last, partial part (or one empty part if the stream had no rows)."""
        if self.buffered or not self.written:
            self._flush(pa.concat_tables(self.buffer) if self.buffer else self.schema.empty_table())
        self.buffer, self.buffered = [], 0
        return self.written

    def _flush(self, table: pa.Table) -> None:
        rel = Path(self.folder) / f"part-{len(self.written):05d}.{self.exporter.extension}"
        (self.root / rel).parent.mkdir(parents=True, exist_ok=True)
        self.exporter.write_part(self.stream, table.combine_chunks(), self.root / rel)
        self.written.append((rel, table.num_rows))
