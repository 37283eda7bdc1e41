"""Reading a written dataset back, and checking it."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fraudgraph import schema
from fraudgraph.checks import stream_problems
from fraudgraph.checks.events import partition_of
from fraudgraph.checks.tables import event_table_problems
from fraudgraph.config import Scenario
from fraudgraph.dataset import Dataset
from fraudgraph.errors import DatasetError, FraudGraphError
from fraudgraph.event_tables import envelope_table, is_family_table
from fraudgraph.exporters import get_exporter
from fraudgraph.graph import PropertyGraph, isin
from fraudgraph.output import MANIFEST
from fraudgraph.seeding import SeedTree
from fraudgraph.truth import TABLES as TRUTH_TABLES
from fraudgraph.truth import Truth

FORMAT_PREFERENCE = ("parquet", "csv", "jsonl")


def read_manifest(path: str | Path) -> dict[str, Any]:
    """Load ``manifest.json`` of the dataset folder ``path``.

    Raises
    ------
    DatasetError
        If the folder or its manifest is missing or unreadable.
    """
    path = Path(path)
    if not path.is_dir():
        raise DatasetError(f"The dataset folder {str(path)!r} does not exist")
    manifest = path / MANIFEST
    if not manifest.is_file():
        raise DatasetError(f"The folder {str(path)!r} holds no {MANIFEST}; is it a fraudgraph dataset?")
    try:
        return json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DatasetError(f"The manifest {str(manifest)!r} cannot be read: {exc}") from None


def manifest_formats(manifest: dict[str, Any]) -> list[str]:
    """Every format the manifest lists files of."""
    return sorted({f["format"] for f in manifest.get("files", [])})


def readable_formats(manifest: dict[str, Any]) -> list[str]:
    """The formats of the manifest whose exporter is installed and reads its tables back.

    Files of other formats (a sink's own folder, a plugin that is not
    installed here) are checked against their sha256 only.
    """
    readable = []
    for fmt in manifest_formats(manifest):
        try:
            capabilities = get_exporter(fmt).capabilities
        except FraudGraphError:
            continue
        if capabilities.readable and capabilities.tables:
            readable.append(fmt)
    return readable


def verify_files(path: str | Path, manifest: dict[str, Any]) -> list[str]:
    """Check that the folder holds exactly the files the manifest lists, with their recorded sizes and sha256.

    A file the manifest does not list (an edited copy, a report written into
    the folder, a part left by another run) is a problem too: the manifest is
    the whole description of the dataset.
    """
    path = Path(path)
    problems = [f"{rel}: present in the folder but not listed in the manifest"
                for rel in unlisted_files(path, manifest)]
    for entry in manifest.get("files", []):
        file = path / entry["path"]
        if not file.is_file():
            problems.append(f"{entry['path']}: listed in the manifest but missing")
            continue
        if file.stat().st_size != entry.get("bytes"):
            problems.append(f"{entry['path']}: {file.stat().st_size} bytes, the manifest says {entry.get('bytes')}")
            continue
        digest = hashlib.sha256()
        with open(file, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != entry.get("sha256"):
            problems.append(f"{entry['path']}: sha256 differs from the manifest (file changed or corrupt)")
    return problems


def unlisted_files(path: str | Path, manifest: dict[str, Any]) -> list[str]:
    """Files and links under ``path``, other than the manifest, that the manifest does not list (sorted)."""
    path = Path(path)
    listed = {entry["path"] for entry in manifest.get("files", [])} | {MANIFEST}
    found = []
    for folder, dirs, files in os.walk(path):
        dirs.sort()
        base = Path(folder).relative_to(path)
        for name in sorted(files) + [d for d in dirs if (Path(folder) / d).is_symlink()]:
            rel = (base / name).as_posix()
            if rel not in listed:
                found.append(rel)
    return sorted(found)


def read_graph(path: str | Path, fmt: str, manifest: dict[str, Any]) -> PropertyGraph:
    """Read every node and edge table of format ``fmt`` listed in the manifest into a PropertyGraph."""
    graph, _ = read_tables(path, fmt, manifest)
    return graph


def read_tables(path: str | Path, fmt: str, manifest: dict[str, Any]) -> tuple[PropertyGraph, Truth]:
    """Read the graph and the truth tables of format ``fmt`` (label columns on the graph are dropped)."""
    path = Path(path)
    exporter = get_exporter(fmt)
    if not (exporter.capabilities.readable and exporter.capabilities.tables):
        raise DatasetError(f"format {fmt!r} cannot be read back; readable here: "
                           f"{', '.join(readable_formats(manifest)) or 'none'}")
    labelled = bool(manifest.get("labels_on_graph"))
    label_columns = [p.name for p in schema.LABEL_PROPERTIES]
    graph = PropertyGraph()
    truth = Truth.empty()
    by_stem = {et.file_stem: et for et in schema.EDGE_TYPES.values()}
    truth_specs = {spec.name: spec for spec in TRUTH_TABLES}
    parts: dict[tuple[str, str], list[pd.DataFrame]] = {}  # a sharded dataset has one part per shard
    for entry in manifest.get("files", []):
        if entry["format"] != fmt:
            continue
        stem = entry["table"]
        if entry["kind"] not in ("node", "edge", "truth"):
            continue
        try:
            if entry["kind"] == "truth":
                frame = exporter.read_table(truth_specs[stem], path / entry["path"])
            else:
                spec = schema.node_type(stem) if entry["kind"] == "node" else by_stem[stem]
                frame = exporter.read_table(schema.with_labels(spec) if labelled else spec, path / entry["path"])
                if labelled:
                    frame = frame.drop(columns=label_columns)
            parts.setdefault((entry["kind"], stem), []).append(frame)
        except FraudGraphError:
            raise
        except Exception as exc:  # noqa: BLE001 - a parser's own error: report which file
            raise DatasetError(f"{entry['path']}: cannot be parsed as {fmt}: {exc}") from None
    for (kind, stem), frames in parts.items():
        frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        if kind == "truth":
            setattr(truth, stem, frame)
        elif kind == "node":
            graph.nodes[stem] = frame
        else:
            graph.edges[by_stem[stem].key] = frame
    return graph, truth


def truth_problems(graph: PropertyGraph, truth: Truth) -> list[str]:
    """Every labelled node and edge must exist in the graph; every label must name a listed pattern; every trip
    names a person and addresses of the graph, and its four times are in order."""
    problems = []
    for label, rows in truth.node_labels.groupby("label"):
        known = graph.nodes.get(label)
        missing = ~isin(rows["id"], known["id"] if known is not None else pd.Series([], dtype="str"))
        if missing.any():
            problems.append(f"truth/node_labels: {int(missing.sum())} {label} ids are not in the graph, e.g. {rows['id'][missing].iloc[0]!r}")
    stems = {et.file_stem: k for k, et in schema.EDGE_TYPES.items()}
    for stem, rows in truth.edge_labels.groupby("edge_type"):
        table = graph.edges.get(stems.get(stem))
        known = table["src"] + "|" + table["dst"] if table is not None else pd.Series([], dtype="str")
        missing = ~isin(rows["src"] + "|" + rows["dst"], known)
        if missing.any():
            problems.append(f"truth/edge_labels: {int(missing.sum())} {stem} edges are not in the graph")
    patterns = truth.patterns["pattern_id"]
    for name in ("node_labels", "edge_labels", "schedule"):
        unknown = ~isin(getattr(truth, name)["pattern_id"], patterns)
        if unknown.any():
            problems.append(f"truth/{name}: {int(unknown.sum())} rows name a pattern missing from truth/patterns")
    return problems + _trip_problems(graph, truth.trips)


def _trip_problems(graph: PropertyGraph, trips: pd.DataFrame) -> list[str]:
    if trips.empty:
        return []
    problems = []
    persons = graph.nodes.get("Person")
    ips = graph.nodes.get("IP")
    empty = pd.Series([], dtype="str")
    missing = ~isin(trips["person_id"], persons["id"] if persons is not None else empty)
    if missing.any():
        problems.append(f"truth/trips: {int(missing.sum())} trips name a person not in the graph, "
                        f"e.g. {trips['person_id'][missing].iloc[0]!r}")
    named = pd.concat([trips["hotel_ip_id"], trips["roaming_ip_id"].dropna()], ignore_index=True).astype("str")
    missing = ~isin(named, ips["id"] if ips is not None else empty)
    if missing.any():
        problems.append(f"truth/trips: {int(missing.sum())} addresses are not in the graph, e.g. {named[missing].iloc[0]!r}")
    times = trips[["departs_at", "arrives_at", "leaves_at", "returns_at"]].to_numpy(dtype="datetime64[s]")
    unordered = ~(np.diff(times.astype(np.int64), axis=1) > 0).all(axis=1)
    if unordered.any():
        problems.append(f"truth/trips: {int(unordered.sum())} trips do not depart < arrive < leave < return, "
                        f"e.g. {trips['trip_id'].iloc[int(np.flatnonzero(unordered)[0])]!r}")
    overlap = (trips["person_id"].to_numpy()[1:] == trips["person_id"].to_numpy()[:-1]) & (times[1:, 0] < times[:-1, 3])
    if overlap.any():
        problems.append(f"truth/trips: {int(overlap.sum())} trips start before the same person's previous trip is over")
    return problems


@contextlib.contextmanager
def _local_copy(path):
    """The dataset's local folder: ``path`` itself, or for a URL a downloaded copy removed afterwards."""
    from fraudgraph.remote import fetch, is_url

    if not is_url(path):
        yield Path(path)
        return
    with tempfile.TemporaryDirectory(prefix="fraudgraph-fetch-") as tmp:
        yield fetch(path, Path(tmp) / "dataset")


def read_dataset(path: str | Path, format: str | None = None) -> Dataset:
    """Read a dataset back into a :class:`Dataset` (a folder, or a URL such as ``s3://bucket/prefix``)."""
    with _local_copy(path) as local:
        return _read_dataset(local, format)


def _read_classmethod(cls, path: str | Path, format: str | None = None) -> Dataset:
    """Read a written dataset back: a folder, or a URL (``s3://bucket/prefix``, ``gs://...``, ``file://...``).

    The same as :func:`fraudgraph.read_dataset`.
    """
    return read_dataset(path, format)


#: ``Dataset.read(path)``: defined here, where reading lives, since the dataset module may not import this one.
Dataset.read = classmethod(_read_classmethod)


def _read_dataset(path: str | Path, format: str | None = None) -> Dataset:
    """Read a dataset folder back into a :class:`Dataset`.

    Parameters
    ----------
    path : str or Path
        A folder written by :meth:`Dataset.write` or ``fraudgraph generate``.
    format : str, optional
        Which written format to read; by default the fastest one present
        (Parquet, then CSV, then JSONL).
    """
    manifest = read_manifest(path)
    formats = readable_formats(manifest)
    if format is None:
        format = next((f for f in FORMAT_PREFERENCE if f in formats), formats[0] if formats else None)
    if format not in formats:
        raise DatasetError(f"The 'format' {format!r} cannot be read from {str(path)!r}; "
                           f"readable there: {', '.join(formats) or 'none'}")
    graph, truth = read_tables(path, format, manifest)
    scenario = Scenario.from_dict(manifest["scenario"], source="manifest scenario")
    return Dataset(graph, truth, scenario, SeedTree(manifest["seed"]))


def read_event_parts(path: str | Path, format: str | None = None, truth_columns: tuple[str, ...] = ("event_id", "is_fraud")):
    """The written event streams, part by part and in time order: ``(events, event_truth)`` Arrow tables.

    A sharded dataset's parts come day by day (each in time order, a day's
    families and shards one after another).

    Every column is text, the payload a JSON object's text, as the timeline
    releases them. ``truth/events`` lists only the events that carry a label and
    is cut into parts of its own, so each events part comes with the truth rows
    (``truth_columns``: by default ``event_id`` and ``is_fraud``) of its events. A dataset written without
    events yields nothing; one whose parts hold fewer events than its manifest
    counts is an error.
    """
    import pyarrow.compute as pc

    path = Path(path)
    manifest = read_manifest(path)
    formats = readable_formats(manifest)
    if format is None:
        format = next((f for f in FORMAT_PREFERENCE if f in formats), formats[0] if formats else None)
    expected = sum(manifest.get("counts", {}).get("events", {}).values())
    if format is None and expected:
        raise DatasetError(f"{path}: its events were written only in {', '.join(manifest_formats(manifest))}; "
                           f"events are read back from csv, jsonl or parquet")
    parts = {kind: _part_paths(manifest, format, kind) for kind in ("events", "event_truth")}
    truth = _read_parts(path, format, parts["event_truth"], list(truth_columns))
    seen = 0
    for part in parts["events"]:
        events = _read_parts(path, format, [part])
        seen += events.num_rows
        ids = events.column("event_id").combine_chunks()
        yield events, truth.filter(pc.is_in(truth.column("event_id"), value_set=ids))
    if seen != expected:
        raise DatasetError(f"{path}: the {format} event parts hold {seen:,} events, the manifest counts {expected:,}")


def _part_paths(manifest: dict[str, Any], fmt: str, kind: str) -> list[str]:
    """The part files of one stream in format ``fmt``, in order (a sharded dataset's day by day)."""
    return sorted((e["path"] for e in manifest.get("files", []) if e["format"] == fmt and e["kind"] == kind),
                  key=_day_first)


def _day_first(rel: str) -> tuple[str, str]:
    """Sort key of a part: its ``date=`` partition first (a sharded dataset's parts), then its path."""
    return partition_of(rel)[1] or "", rel


def _read_parts(path: Path, fmt: str, parts: list[str], columns: list[str] | None = None):
    """The rows of ``parts`` (files of one event stream) as one Arrow table of text columns."""
    import pyarrow as pa

    tables = []
    for part in parts:
        try:
            table = _event_table(path / part, fmt)
        except Exception as exc:  # noqa: BLE001 - a parser's own error: report which file
            raise DatasetError(f"{part}: cannot be parsed as {fmt}: {exc}") from None
        tables.append(table.select(columns) if columns else table)
    if not tables:
        return pa.table({c: pa.array([], pa.large_string()) for c in columns or ["event_id"]})
    return pa.concat_tables(tables, promote_options="permissive")


def _event_table(path: Path, fmt: str):
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if fmt == "parquet":
        table = pq.read_table(path)
        # a sharded dataset's event parts are typed tables by family: their envelope rows, byte for byte
        return envelope_table(table) if is_family_table(table.column_names) else table
    if fmt == "csv":
        names = pacsv.read_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 16),
                               convert_options=pacsv.ConvertOptions(include_columns=[])).column_names
        return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            column_types={n: pa.large_string() for n in names}, strings_can_be_null=True))
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    if rows and isinstance(rows[0].get("payload"), dict):
        for row in rows:
            row["payload"] = json.dumps(row["payload"], separators=(",", ":"))
    return pa.Table.from_pylist(rows)


def validate_folder(path: str | Path) -> tuple[list[str], dict[str, Any]]:
    """Check a written dataset, in a folder or at a URL (downloaded first); see :func:`_validate_folder`."""
    with _local_copy(path) as local:
        return _validate_folder(local)


def _validate_folder(path: str | Path) -> tuple[list[str], dict[str, Any]]:
    """Check a written dataset: files against the manifest, each format against the schema
    and referential integrity, row counts, and that all formats hold the same data.

    The event streams (events, their truth, transaction features) are checked
    part file by part file with bounded memory, see
    :func:`fraudgraph.checks.stream_problems`: global (timestamp,
    event_id) order, unique event ids, counts per event type, the envelope's
    values, truth and feature rows that point at real events, and the same
    events in the same order in every format.

    Returns
    -------
    problems : list of str
        Empty when the dataset is sound; one line per problem, naming the file.
    summary : dict
        Formats, row counts and event counts checked.
    """
    manifest = read_manifest(path)
    problems = verify_files(path, manifest)
    formats = readable_formats(manifest)
    counts = manifest.get("counts", {})
    reference: PropertyGraph | None = None
    rows = 0
    for fmt in formats:
        try:
            graph, truth = read_tables(path, fmt, manifest)
        except FraudGraphError as exc:
            problems.append(f"[{fmt}] {exc}")
            continue
        problems += [f"[{fmt}] {p}" for p in graph.validate(raise_on_error=False)]
        problems += [f"[{fmt}] {p}" for p in truth_problems(graph, truth)]
        for label, table in graph.nodes.items():
            expected = counts.get("nodes", {}).get(label)
            if expected != len(table):
                problems.append(f"[{fmt}] {label}: {len(table)} rows, the manifest says {expected}")
        for key, table in graph.edges.items():
            stem = schema.edge_type(key).file_stem
            expected = counts.get("edges", {}).get(stem)
            if expected != len(table):
                problems.append(f"[{fmt}] {stem}: {len(table)} rows, the manifest says {expected}")
        missing = [nt for nt in schema.NODE_TYPES if nt not in graph.nodes]
        missing += [et.file_stem for et in schema.EDGE_TYPES.values() if et.key not in graph.edges]
        if missing:
            problems.append(f"[{fmt}] tables missing: {', '.join(missing)}")
        if reference is None:
            reference = graph
            rows = graph.num_nodes() + graph.num_edges()
        else:
            problems += [f"[{fmt}] {p}" for p in _differences(reference, graph, formats[0])]
    sharded = manifest.get("layout", {}).get("kind") == "sharded"
    stream_lines, streams = stream_problems(path, manifest, FORMAT_PREFERENCE, order_across_parts=not sharded)
    problems += stream_lines
    problems += event_table_problems(path, manifest)
    return problems, {"formats": manifest_formats(manifest), "read_back": formats, "rows": rows,
                      "tables": len(manifest.get("files", [])),
                      "events": streams["events"], "event_parts": streams["parts"]}


def _differences(a: PropertyGraph, b: PropertyGraph, a_name: str) -> list[str]:
    out = []
    for label in a.nodes:
        if label in b.nodes and not _same(a.nodes[label], b.nodes[label]):
            out.append(f"{label}: content differs from the {a_name} files")
    for key in a.edges:
        if key in b.edges and not _same(a.edges[key], b.edges[key]):
            out.append(f"{schema.edge_type(key).file_stem}: content differs from the {a_name} files")
    return out


def _same(x: pd.DataFrame, y: pd.DataFrame) -> bool:
    try:
        pd.testing.assert_frame_equal(x, y, check_dtype=False, check_exact=False, rtol=1e-9)
        return True
    except AssertionError:
        return False


def stream_parts(path: str | Path, kind: str, format: str, manifest: dict[str, Any] | None = None):
    """The part files of one stream (``events``, ``event_truth``, ``features``) of format ``format``, read one at a
    time in order, as Arrow tables (the events as envelope rows)."""
    path = Path(path)
    for part in _part_paths(manifest or read_manifest(path), format, kind):
        yield _read_parts(path, format, [part])


def postgres_load(path: str | Path, dsn: str, name: str | None = None, mode: str = "create") -> dict[str, int]:
    """Load the written dataset at ``path`` into PostgreSQL (see :mod:`fraudgraph.exporters.postgres`).

    Returns the rows of each table read back; they must equal the manifest's counts, or nothing is published.
    """
    from fraudgraph.exporters.postgres import (
        PostgresLoader,
        dataset_tables,
        schema_name,
    )

    path = Path(path)
    manifest = read_manifest(path)
    formats = readable_formats(manifest)
    fmt = next((f for f in FORMAT_PREFERENCE if f in formats), None)
    if fmt is None:
        raise DatasetError(f"{path}: written only in {', '.join(manifest_formats(manifest))}; PostgreSQL loads "
                           f"from csv, jsonl or parquet")
    loader = PostgresLoader(dsn, name or schema_name(path), mode)
    loader.check()
    graph, truth = read_tables(path, fmt, manifest)
    streams = {kind: stream_parts(path, kind, fmt, manifest) for kind in ("events", "event_truth", "features")
               if any(e["kind"] == kind for e in manifest.get("files", []))}
    counts = manifest.get("counts", {})
    expected = {**counts.get("nodes", {}), **counts.get("edges", {}),
                **{f"truth_{k}": v for k, v in counts.get("truth", {}).items()}}
    for event_type, n in counts.get("events", {}).items():
        table = f"events_{schema.EVENT_TYPES[event_type].family}"
        expected[table] = expected.get(table, 0) + n
    for kind, table in (("event_truth", "event_truth"), ("features", "features_transactions")):
        if kind in streams:
            expected[table] = sum(e["rows"] for e in manifest["files"] if e["kind"] == kind and e["format"] == fmt)
    return loader.load(dataset_tables(graph, truth, streams, labels=bool(manifest.get("labels_on_events"))), expected)
