"""The pipeline: scenario -> population -> (patterns) -> Dataset -> exporters.

It owns the seed tree (one :class:`~fraudgraph.seeding.SeedTree` per run) and
writes the manifest.
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow.compute as pc

from fraudgraph.config import Scenario, resolve_scenario
from fraudgraph.dataset import Dataset
from fraudgraph.exporters import ExporterError, WrittenFile, check_formats, get_exporter
from fraudgraph.injection import check_patterns, inject_patterns, plan_counts
from fraudgraph.output import MANIFEST, atomic_folder
from fraudgraph.population import STAGES, build_population
from fraudgraph.seeding import SeedTree
from fraudgraph.truth import build_truth
from fraudgraph.units import epoch_seconds

Progress = Callable[[str], None] | None


def plan(formats: list[str], scenario: Scenario | None = None) -> list[str]:
    """Names of the steps a full run reports to a progress callback, in order.

    The event phase, usually the longest, reports once per simulated day
    (``events <date>``; the callback's text also says how many events are
    written so far), so a progress bar moves through it.
    """
    patterns = [f"pattern {name}" for name in plan_counts(scenario)] if scenario is not None else []
    days = []
    if scenario is not None and scenario.events.streams:
        days = [f"events {scenario.start_date + dt.timedelta(days=i)}" for i in range(scenario.days)]
    return ([name for name, _ in STAGES] + patterns + ["truth", "validate"]
            + [f"write {f}" for f in formats] + days + ["manifest"])


def prepare(scenario: Scenario | str | Path | dict | None = None, *, seed: int | None = None,
            persons: int | None = None, days: int | None = None, formats: list[str] | str | None = None,
            streams: list[str] | str | None = None) -> Scenario:
    """Resolve a scenario and apply overrides; every value is validated, format and stream names included."""
    scenario = resolve_scenario(scenario)
    scenario = scenario.override({"seed": seed, "persons.count": persons, "days": days, "output.formats": formats,
                                  "events.streams": streams})
    check_formats(scenario.output.formats)
    check_patterns(scenario)
    return scenario


def generate(scenario: Scenario | str | Path | dict | None = None, seed: int | None = None, *,
             persons: int | None = None, days: int | None = None, progress: Progress = None) -> Dataset:
    """Generate a dataset.

    Parameters
    ----------
    scenario : Scenario, str, Path or dict, optional
        A Scenario, a preset name (``"default"``, ``"demo"``, ``"fraud_heavy"``,
        ``"stress"``), a YAML file, or a mapping. Defaults to ``"default"``.
    seed : int, optional
        Overrides the scenario's seed. The same seed and scenario always give
        the same dataset, byte for byte once written.
    persons, days : int, optional
        Override ``persons.count`` and ``days``.
    progress : callable, optional
        Called with the name of each step as it starts.

    Returns
    -------
    Dataset

    Examples
    --------
    >>> import fraudgraph
    >>> ds = fraudgraph.generate("demo", seed=7, persons=200)
    >>> ds.scenario.persons.count, ds.graph.num_nodes("Person")  # fraud patterns' synthetic identities on top
    (200, 220)
    """
    scenario = prepare(scenario, seed=seed, persons=persons, days=days)
    seeds = SeedTree(scenario.seed)
    graph = build_population(scenario, seeds, progress=progress)
    instances = inject_patterns(graph, scenario, seeds, progress=progress)
    if progress is not None:
        progress("truth")
    truth = build_truth(instances, seeds.rng("truth"), epoch_seconds(scenario.end_date),
                        scenario.fraud.unlabeled_share, scenario.fraud.label_delay_days_mean)
    if progress is not None:
        progress("validate")
    graph.finalize()
    graph.validate()
    return Dataset(graph, scenario, scenario.seed, truth=truth)


def write_dataset(dataset: Dataset, out: str | Path, formats: list[str] | str | None = None, *,
                  force: bool = False, labels_on_graph: bool = False, streams: list[str] | None = None,
                  labels_on_events: bool = False, progress: Progress = None) -> Path:
    """Write ``dataset`` to ``out`` in ``formats`` with a manifest, all or nothing (see :class:`Dataset.write`)."""
    if formats is None:
        formats = dataset.scenario.output.formats
    elif isinstance(formats, str):
        formats = [f.strip().lower() for f in formats.split(",") if f.strip()]
    formats = check_formats(sorted(set(formats)))
    exporters = [get_exporter(name) for name in formats]
    dataset.labels_on_graph = labels_on_graph
    out = Path(out)
    with atomic_folder(out, force=force) as tmp:
        # Formats write disjoint files, and Arrow releases the GIL, so they run side by side;
        # the files' bytes do not depend on how many run at once.
        lock = threading.Lock()

        def write_one(exporter) -> list[dict[str, Any]]:
            if progress is not None:
                with lock:
                    progress(f"write {exporter.name}")
            written = exporter.write(dataset, tmp, labels_on_graph=labels_on_graph)
            return [f.manifest_entry(exporter.name) for f in _checked(exporter, tmp, written)]

        pool = ThreadPoolExecutor(max_workers=max(1, min(len(exporters), os.cpu_count() or 1)))
        try:
            files = [f for written in pool.map(write_one, exporters) for f in written]
            files += _write_streams(dataset, tmp, exporters, pool, streams, labels_on_events, progress)
        finally:
            # on failure or a signal, drop the writes not yet started; the running ones end before cleanup
            pool.shutdown(wait=True, cancel_futures=True)
        if progress is not None:
            progress("manifest")
        dataset.files = sorted(files, key=lambda f: f["path"])
        text = json.dumps(dataset.manifest, indent=2, ensure_ascii=False) + "\n"
        (tmp / MANIFEST).write_text(text, encoding="utf-8")
    return out


def _write_streams(dataset: Dataset, root: Path, exporters, pool, streams, labels_on_events, progress) -> list[dict]:
    """Simulate the event streams window by window and write them as part files in every format.

    Writing window ``k`` overlaps with simulating window ``k + 1``; each format's
    writer sees the windows in order, so the bytes do not depend on the overlap.
    """
    from fraudgraph.exporters.streams import PartWriter
    from fraudgraph.timeline.engine import stream_schemas

    if streams is None:
        streams = dataset.scenario.events.streams
    dataset.event_counts = {}
    dataset.labels_on_events = labels_on_events
    if not streams:
        return []
    part_rows = dataset.scenario.events.part_rows
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
    for window in timeline.windows():
        for future in pending:
            future.result()
        tables = {"events": window.events, "event_truth": window.truth, "features": window.features}
        for row in pc.value_counts(window.events["event_type"]).to_pylist():
            counts[row["values"]] = counts.get(row["values"], 0) + row["counts"]
        if progress is not None:
            released = min(scenario.events.window_days, scenario.days - done_days)
            total = sum(counts.values())
            for i in range(done_days, done_days + released):
                progress(f"events {scenario.start_date + dt.timedelta(days=i)} · {total:,} events")
            done_days += released
        pending = [pool.submit(_write_window, [w for (fmt, _), w in writers.items() if fmt == exporter.name], tables)
                   for exporter in exporters]
    for future in pending:
        future.result()
    dataset.event_counts = counts
    return [f.manifest_entry(fmt) for (fmt, _), writer in writers.items() for f in writer.close()]


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


def _write_window(writers, tables) -> None:
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
