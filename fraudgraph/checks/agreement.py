"""Agreement between the formats of one part: digests of the key column, and the first differing row.

A :class:`Digest` does not depend on how the rows were batched; only when two
formats' digests differ are their key columns read again to name the row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudgraph.checks.arrays import string_buffers
from fraudgraph.checks.problems import Problems
from fraudgraph.checks.readers import key_column


class Digest:
    """SHA-256 of a string column, independent of how the rows were batched."""

    def __init__(self):
        self.text, self.lengths, self.rows = hashlib.sha256(), hashlib.sha256(), 0

    def update(self, values: pa.Array) -> None:
        values = values.cast(pa.large_string())
        n = len(values)
        if n == 0:
            return
        offsets, data = string_buffers(values)
        lengths = np.diff(offsets)
        lengths[values.is_null().to_numpy(zero_copy_only=False)] = -1
        self.text.update(data[offsets[0]: offsets[-1]])
        self.lengths.update(lengths.tobytes())
        self.rows += n

    def value(self) -> tuple[str, str, int]:
        return self.text.hexdigest(), self.lengths.hexdigest(), self.rows


@dataclass
class Scan:
    """What reading one part file in one format gave."""

    rel: str
    fmt: str
    digest: tuple[str, str, int] | None = None  # of the key column; None: the file could not be read through
    payloads: tuple[str, str, int] | None = None  # of the payload text (CSV, Parquet)


def compare_formats(path: Path, scans: list[Scan], column: str, problems: Problems) -> None:
    """Every format's part must hold the same keys in the same order; the largest agreeing group is the reference."""
    scans = [s for s in scans if s.digest is not None]
    groups: dict[tuple, list[Scan]] = {}
    for scan in scans:
        groups.setdefault(scan.digest, []).append(scan)
    if len(groups) < 2:
        return
    majority = max(groups.values(), key=len)  # ties: the group of the preferred format (dicts keep order)
    names = " and ".join(s.rel for s in majority)
    for scan in scans:
        if scan in majority:
            continue
        a = key_column(path / majority[0].rel, majority[0].fmt, column)
        b = key_column(path / scan.rel, scan.fmt, column)
        n = min(len(a), len(b))
        differ = pc.not_equal(a.slice(0, n), b.slice(0, n)).fill_null(True)
        differ = pc.or_(differ, pc.xor(a.slice(0, n).is_null(), b.slice(0, n).is_null()))
        if pc.any(differ).as_py():
            row = pc.index(differ, True).as_py()
            detail = f"from row {row + 1:,}: {b[row].as_py()!r} where they have {a[row].as_py()!r}"
        else:
            detail = f"in length: {len(b):,} rows where they have {len(a):,}"
        problems.add(scan.rel, "formats", 1, f"{column} column differs from {names} {detail}")
