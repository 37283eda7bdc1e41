"""Writing a Dataset: every exporter, the event streams part by part, and the manifest, all or nothing.

The exporters write side by side into a staging folder (see
:mod:`fraudgraph.output`), the streams are simulated window by window while the
previous window is written, and ``manifest.json`` records the scenario as
written, the counts and every file with its sha256. The Dataset is only read.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import gc
import json
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.compute as pc

from fraudgraph import stageclock
from fraudgraph._version import __version__
from fraudgraph.errors import ConfigError
from fraudgraph.exporters import ExporterError, WrittenFile, check_formats, get_exporter
from fraudgraph.output import MANIFEST, atomic_folder
from fraudgraph.queries import copy_pack

#: The manifest format of the investigation pack's copy (kind ``query``).
QUERY_FORMAT = "cypher-pack"

if TYPE_CHECKING:
    from fraudgraph.dataset import Dataset

MANIFEST_VERSION = 1
Progress = Callable[[str], None] | None


class Manifest(dict):
    """What ``manifest.json`` of a written dataset holds (a dict), and where the dataset is (:attr:`path`)."""

    def __init__(self, data: dict[str, Any], path: Path | str):
        super().__init__(data)
        from fraudgraph.remote import is_url

        self.path = path if is_url(path) else Path(path)  # a URL stays text

    @property
    def files(self) -> list[dict[str, Any]]:
        """Every file with its format, kind, table, rows, bytes and sha256."""
        return self["files"]

    @property
    def event_counts(self) -> dict[str, int]:
        """Events written per event type."""
        return self["counts"]["events"]


def write_dataset(dataset: Dataset, out: str | Path, formats: list[str] | str | None = None, *,
                  force: bool = False, labels_on_graph: bool = False, streams: list[str] | None = None,
                  labels_on_events: bool = False, graph_events: str = "relationships", blind: bool = False,
                  options: dict[str, Any] | None = None, progress: Progress = None) -> Manifest:
    """Write ``dataset`` to ``out`` in ``formats`` with a manifest, all or nothing (see :meth:`Dataset.write`).

    ``out`` may be a URL (``s3://bucket/prefix``): the dataset is written to a local staging folder and
    then published there, its manifest last (:mod:`fraudgraph.remote`).
    """
    from fraudgraph.event_graph import MODES
    from fraudgraph.remote import check_url_target, is_url, publish

    if is_url(out):
        import tempfile

        check_url_target(out, force)  # before the work
        with tempfile.TemporaryDirectory(prefix="fraudgraph-upload-") as tmp:
            manifest = write_dataset(dataset, Path(tmp) / "dataset", formats, labels_on_graph=labels_on_graph,
                                     streams=streams, labels_on_events=labels_on_events, graph_events=graph_events,
                                     blind=blind, options=options, progress=progress)
            if progress is not None:
                progress("upload")
            with stageclock.stage("upload"):
                publish(manifest.path, out, force)
        return Manifest(dict(manifest), out)

    if graph_events not in MODES:
        raise ConfigError(f"graph_events: expected one of {', '.join(MODES)}, got {graph_events!r}")
    if formats is None:
        formats = dataset.scenario.output.formats
    elif isinstance(formats, str):
        formats = [f.strip().lower() for f in formats.split(",") if f.strip()]
    formats = check_formats(sorted(set(formats)))
    exporters = [get_exporter(name) for name in formats]
    if streams is None:
        streams = dataset.scenario.events.streams
    scenario = dataset.scenario.override({"output.formats": formats, "events.streams": list(streams)})
    out = Path(out)
    write_options = {**(options or {}), "labels_on_graph": labels_on_graph, "blind": blind,
                     "graph_events": graph_events, "part_rows": dataset.scenario.events.part_rows,
                     "typed_events": dataset.scenario.output.typed_events}
    with atomic_folder(out, force=force) as tmp:
        # Formats write disjoint files, and Arrow releases the GIL, so they run side by side;
        # the files' bytes do not depend on how many run at once.
        lock = threading.Lock()

        def write_one(exporter) -> list[dict[str, Any]]:
            if progress is not None:
                with lock:
                    progress(f"write {exporter.name}")
            with stageclock.stage(f"write graph {exporter.name}"):
                written = exporter.write(dataset, tmp, **write_options)
            return [f.manifest_entry(exporter.name) for f in _checked(exporter, tmp, written)]

        pool = ThreadPoolExecutor(max_workers=max(1, min(len(exporters), os.cpu_count() or 1)))
        try:
            files = [f for written in pool.map(write_one, exporters) for f in written]
            graph = EventSinks(exporters, tmp, graph_events, blind, write_options)
            stream_files, event_counts = _write_streams(dataset, tmp, exporters, pool, scenario.events.streams,
                                                        labels_on_events, progress, graph)
            files += stream_files
            with stageclock.stage("write query pack"):
                files += [WrittenFile.of(tmp, rel, "query", Path(rel).stem, None).manifest_entry(QUERY_FORMAT)
                          for rel in copy_pack(tmp)]
        finally:
            # on failure or a signal, drop the writes not yet started; the running ones end before cleanup
            pool.shutdown(wait=True, cancel_futures=True)
        if progress is not None:
            progress("manifest")
        manifest = {
            "manifest_version": MANIFEST_VERSION,
            "fraudgraph_version": __version__,
            "seed": dataset.seed,
            "scenario": scenario.to_dict(),
            "counts": {**dataset.graph.counts(),
                       "truth": {name: len(t) for name, (_, t) in dataset.truth.tables().items()},
                       "events": dict(sorted(event_counts.items()))},
            "labels_on_graph": labels_on_graph,
            "labels_on_events": labels_on_events,
            **({"graph_database": {"events": graph_events, "blind": blind}} if graph.formats else {}),
            "files": sorted(files, key=lambda f: f["path"]),
        }
        (tmp / MANIFEST).write_text(manifest_text(manifest), encoding="utf-8")
    return Manifest(manifest, out)


class EventSinks:
    """The formats that take the event windows as they are simulated: as graph elements (one conversion
    feeds every such format) or as the raw windows."""

    def __init__(self, exporters, root: Path, mode: str, blind: bool, options: dict | None = None):
        from fraudgraph.event_graph import EventGraph

        takers = [e for e in exporters if e.capabilities.graph_events]
        self.formats = [e.name for e in takers]
        self.root = root
        self.sinks = [] if mode == "none" else [(e, e.open_graph_events(root, mode, blind)) for e in takers]
        self.graph = EventGraph(mode, blind) if self.sinks else None
        opened = [(e, e.open_windows(root, **(options or {}))) for e in exporters if e.capabilities.windows]
        self.windows = [(e, sink) for e, sink in opened if sink is not None]  # None: the options ask for nothing

    @property
    def active(self) -> bool:
        return self.graph is not None or bool(self.windows)

    def write(self, window) -> None:
        for exporter, sink in self.windows:
            with stageclock.stage(f"write events {exporter.name}"):
                sink.write(window.events, window.truth, window.features)
        if self.graph is not None:
            with stageclock.stage("write events as graph elements"):
                self._send(self.graph.add(window.events, window.truth))

    def close(self) -> list[dict]:
        files = [f.manifest_entry(e.name) for e, sink in self.windows for f in _checked(e, self.root, sink.close())]
        if self.graph is None:
            return files
        self._send(self.graph.close())
        return files + [f.manifest_entry(e.name) for e, sink in self.sinks for f in _checked(e, self.root, sink.close())]

    def abort(self) -> None:
        """Let go of what the sinks hold open, for a failed run."""
        from fraudgraph.exporters.streams import abort_sink

        for _, sink in self.windows + self.sinks:
            abort_sink(sink)

    def _send(self, chunk) -> None:
        for _, sink in self.sinks:
            sink.write(chunk)


def _write_streams(dataset: Dataset, root: Path, exporters, pool, streams, labels_on_events, progress=None,
                   graph: EventSinks | None = None) -> tuple[list[dict], dict[str, int]]:
    """Simulate the event streams window by window and write them as part files in every format.

    Writing window ``k`` overlaps with simulating window ``k + 1``; each format's
    writer, and the graph-event conversion, sees the windows in order, so the bytes
    do not depend on the overlap.
    """
    from fraudgraph.exporters.streams import PartWriter
    from fraudgraph.timeline.engine import stream_schemas

    if graph is None:
        graph = EventSinks([], root, "none", False)
    if not streams:
        return graph.close(), {}
    part_rows = dataset.scenario.events.part_rows
    with stageclock.stage("return freed memory"):
        _return_freed_memory()
    schemas = stream_schemas(labels_on_events)
    exporters = [e for e in exporters if e.capabilities.streams]
    writers = {}
    for exporter in exporters:
        for name, stream_schema in schemas.items():
            writers[(exporter.name, name)] = PartWriter(exporter, root, name, part_rows, stream_schema)
    timeline = dataset.timeline(streams=streams, labels_on_events=labels_on_events)
    scenario = dataset.scenario
    counts: dict[str, int] = {}
    pending = []
    done_days = 0
    try:
        for window in timeline.windows():
            for future in pending:
                future.result()
            tables = {"events": window.events, "event_truth": window.truth, "features": window.features}
            count_event_types(counts, window.events)
            if progress is not None:
                released = min(scenario.events.window_days, scenario.days - done_days)
                total = sum(counts.values())
                for i in range(done_days, done_days + released):
                    progress(f"events {scenario.start_date + dt.timedelta(days=i)} · {total:,} events")
                done_days += released
            pending = [pool.submit(_write_window, exporter.name, [w for (fmt, _), w in writers.items()
                                                                  if fmt == exporter.name], tables)
                       for exporter in exporters]
            if graph.active:
                pending.append(pool.submit(graph.write, window))
        for future in pending:
            future.result()
        files = []
        for (fmt, _), writer in writers.items():
            with stageclock.stage(f"write events {fmt}"):
                files += [f.manifest_entry(fmt) for f in writer.close()]
        return files + graph.close(), counts
    except BaseException:
        # close every open part now: the staging folder is removed next, and a file still open would keep its
        # blocks on the disk until the process ends
        wait(pending)
        for writer in writers.values():
            writer.abort()
        graph.abort()
        raise


def _return_freed_memory() -> None:
    """Give the heap that building the graph freed back to the system before the long stream phase.

    glibc keeps freed small blocks for reuse (about a third of the resident
    memory after generating 100k persons); ``malloc_trim`` returns them. A no-op
    where the C library has no such call.
    """
    gc.collect()
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _write_window(fmt: str, writers, tables) -> None:
    with stageclock.stage(f"write events {fmt}"):
        for writer in writers:
            writer.write(tables[writer.stream])


def _checked(exporter, root: Path, written) -> list:
    """The files an exporter says it wrote, held to its contract: real files, inside its folder if it has one."""
    folder = exporter.capabilities.folder
    out = []
    for f in written:
        if not isinstance(f, WrittenFile):
            raise ExporterError(f"format {exporter.name!r} returned {f!r} from write(); expected WrittenFile records")
        if folder is not None and not f.path.startswith(folder.rstrip("/") + "/"):
            raise ExporterError(f"format {exporter.name!r} wrote {f.path!r} outside its folder {folder!r}")
        if not (root / f.path).is_file():
            raise ExporterError(f"format {exporter.name!r} listed {f.path!r}, which it did not write")
        out.append(f)
    return out


def manifest_text(manifest: dict[str, Any]) -> str:
    """``manifest.json``'s text: indented JSON, one trailing newline."""
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def count_event_types(counts: dict[str, int], events) -> None:
    """Add the events of an envelope table to ``counts`` (events per type)."""
    for row in pc.value_counts(events["event_type"]).to_pylist():
        counts[row["values"]] = counts.get(row["values"], 0) + row["counts"]


def amend_manifest(out: str | Path, files: list[tuple[str, str, str, str]]) -> None:
    """Record files added to or rewritten in a written dataset: ``(path, format, kind, table)`` each.

    Their sizes and sha256 are taken now; the manifest is replaced in one rename,
    so a reader sees either the old list or the new one.
    """
    out = Path(out)
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    entries = {f["path"]: f for f in manifest["files"]}
    for rel, fmt, kind, table in files:
        entries[rel] = WrittenFile.of(out, rel, kind, table, None).manifest_entry(fmt)
    manifest["files"] = sorted(entries.values(), key=lambda f: f["path"])
    staged = out / f".{MANIFEST}.{os.getpid()}.tmp"
    staged.write_text(manifest_text(manifest), encoding="utf-8")
    os.replace(staged, out / MANIFEST)
