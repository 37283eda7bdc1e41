"""The whole check of a dataset's streams (:func:`stream_problems`) and its checks against the manifest.

It reads every part of ``events/``, ``truth/events/`` and
``features/transactions/`` once per format, gathers the event and transaction
keys of one reference format, and then checks uniqueness, membership, counts
per event type (files the manifest does not list are reported by
:func:`fraudgraph.loading.verify_files`).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fraudgraph.checks.agreement import Digest, Scan, compare_formats
from fraudgraph.checks.arrays import col
from fraudgraph.checks.events import (
    ENVELOPE,
    TRANSACTION_TYPES,
    Order,
    check_events,
    check_partition,
    check_payloads,
    partition_of,
)
from fraudgraph.checks.keys import (
    Keys,
    canonical_keys,
    contains,
    folded_keys,
    report_duplicates,
)
from fraudgraph.checks.problems import Problems, one_line
from fraudgraph.checks.readers import READABLE, Unreadable, tables

#: Manifest kind of each stream -> the column that keys its rows.
KEYS = {"events": "event_id", "event_truth": "event_id", "features": "transaction_id"}


def _parts(manifest: dict[str, Any], kind: str) -> list[tuple[str, dict[str, dict]]]:
    """The part files of one stream: (path without extension, {format: manifest entry}), in order."""
    groups: dict[str, dict[str, dict]] = {}
    for entry in manifest.get("files", []):
        if entry.get("kind") == kind:
            groups.setdefault(entry["path"].rsplit(".", 1)[0], {})[entry["format"]] = entry
    return sorted(groups.items())


def stream_problems(path: str | Path, manifest: dict[str, Any], preference: tuple[str, ...] = READABLE,
                    order_across_parts: bool = True) -> tuple[list[str], dict[str, Any]]:
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
    order_across_parts : bool
        Whether the order runs on from one part to the next (one stream cut
        into parts) or holds within each part only (a sharded dataset's parts,
        each one shard's family on one date); each such part's rows must also
        fall on its ``date=`` and, under ``events/<family>/``, in its family.

    Returns
    -------
    problems : list of str
        One line per problem, naming the file and the offending value;
        empty when the streams are sound.
    summary : dict
        ``events`` (rows of the reference format) and ``parts`` (event parts).
    """
    path = Path(path)
    problems = Problems()
    written = sorted({f["format"] for f in manifest.get("files", []) if f.get("kind") in KEYS})
    formats = [f for f in preference if f in written] + [f for f in written if f in READABLE and f not in preference]
    event_parts = _parts(manifest, "events")
    orders = {fmt: Order() for fmt in formats}
    counts = {fmt: Counter() for fmt in formats}
    complete = dict.fromkeys(formats, True)
    capacity = max([sum(e[fmt]["rows"] for _, e in event_parts if isinstance(e.get(fmt, {}).get("rows"), int))
                    for fmt in formats] or [0])
    event_keys = Keys(min(capacity, 1 << 27))
    tx_keys, odd_tx = Keys(), set()
    references: list[tuple[Path, str, str]] = []
    events = 0

    for stem, entries in event_parts:
        if not order_across_parts:
            for order in orders.values():
                order.last = None
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
                                (event_keys, tx_keys, odd_tx) if is_reference else None, parse,
                                None if order_across_parts else partition_of(entry["path"]))
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
        compare_formats(path, scans, "event_id", problems)

    sorted_events = event_keys.sorted()
    report_duplicates(sorted_events, references, problems)
    del event_keys

    _check_counts(manifest, formats, counts, complete, bool(event_parts), problems)
    sorted_tx = tx_keys.sorted(unique=True)
    for kind, known, odd, what in (("event_truth", sorted_events, set(), "is not an event"),
                                   ("features", sorted_tx, odd_tx, "appears in no transaction event's payload")):
        for _stem, entries in _parts(manifest, kind):
            scans = [_scan_keys(path, entries[fmt], KEYS[kind], known, odd, what, problems)
                     for fmt in formats if fmt in entries and (path / entries[fmt]["path"]).is_file()]
            compare_formats(path, scans, KEYS[kind], problems)
    return problems.lines(), {"events": events, "parts": len(event_parts)}


def _scan_events(path: Path, entry: dict, order: Order, counts: Counter, problems: Problems,
                 collect: tuple[Keys, Keys, set] | None, parse_payload: bool,
                 partition: tuple[str | None, str | None] | None = None) -> Scan:
    """Check one events part; with ``collect``, add its event keys and transaction keys; with ``partition``
    (family, date), check that its rows belong there."""
    rel, fmt = entry["path"], entry["format"]
    scan = Scan(rel, fmt)
    digest, payloads = Digest(), Digest()
    tx_parts, odd_tx = [], set()
    kept = collect[0].size if collect is not None else 0
    try:
        for table in tables(path / rel, fmt, ENVELOPE, problems, rel, parse_payload):
            batch_counts, canonical = check_events(table, digest.rows, rel, order, problems)
            if partition is not None:
                check_partition(table, digest.rows, rel, *partition, problems)
            counts.update(batch_counts)
            ids = col(table, "event_id")
            digest.update(ids)
            if fmt != "jsonl":
                payloads.update(col(table, "payload_text"))
            if collect is not None:
                keys, _ = canonical_keys(ids, canonical)
                collect[0].add(keys)
                is_tx = pc.is_in(col(table, "event_type"), value_set=TRANSACTION_TYPES).fill_null(False)
                tx = col(table, "transaction_id").filter(is_tx).drop_null()
                keys, canonical = folded_keys(tx)
                tx_parts.append(np.unique(keys))
                if not canonical.all():
                    odd_tx.update(tx.filter(pa.array(~canonical)).to_pylist())
    except (Unreadable, pa.ArrowException, OSError, ValueError) as exc:
        problems.add(rel, "read", 1, f"cannot be read as {fmt}: {one_line(exc)}")
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


def _recheck_payloads(path: Path, entry: dict, problems: Problems) -> None:
    """Parse the payloads of a part whose payload text differs from the format checked first."""
    rows = 0
    try:
        for table in tables(path / entry["path"], entry["format"], ("event_id", "payload"), problems, entry["path"]):
            check_payloads(table, rows, entry["path"], problems)
            rows += table.num_rows
    except (Unreadable, pa.ArrowException, OSError, ValueError):
        pass  # already reported by the first reading


def _scan_keys(path: Path, entry: dict, column: str, known: np.ndarray, odd: set, what: str,
               problems: Problems) -> Scan:
    """Read the key column of a truth or features part; every key must be in ``known`` (or ``odd``)."""
    rel, fmt = entry["path"], entry["format"]
    scan = Scan(rel, fmt)
    digest = Digest()
    try:
        for table in tables(path / rel, fmt, (column,), problems, rel):
            values = col(table, column)
            keys, canonical = folded_keys(values)
            present = np.zeros(len(values), bool)
            present[canonical] = contains(known, keys)
            if odd and not present.all():
                rest = np.flatnonzero(~present)
                present[rest] = [v in odd for v in values.take(pa.array(rest)).to_pylist()]
            if not present.all():
                row = int(np.argmin(present))
                problems.add(rel, "unknown key", int((~present).sum()),
                             f"{column} {values[row].as_py()!r} on row {digest.rows + row + 1:,} {what}")
            digest.update(values)
    except (Unreadable, pa.ArrowException, OSError, ValueError) as exc:
        problems.add(rel, "read", 1, f"cannot be read as {fmt}: {one_line(exc)}")
        return scan
    scan.digest = digest.value()
    _check_rows(entry, digest.rows, problems)
    return scan


def _check_rows(entry: dict, rows: int, problems: Problems) -> None:
    if entry.get("rows") != rows:
        problems.add(entry["path"], "rows", 1, f"{rows:,} rows, the manifest says {entry.get('rows')}")


def _check_counts(manifest: dict, formats: list[str], counts: dict[str, Counter], complete: dict[str, bool],
                  has_events: bool, problems: Problems) -> None:
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

