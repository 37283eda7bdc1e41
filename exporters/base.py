"""Exporter contract and the format registry.

An exporter is a sink with a ``name`` and declared :class:`Capabilities`: it
writes the graph and truth tables, writes event streams part by part, writes a
folder of its own, can be read back, loads into a server. ``write(dataset, out,
**options)`` returns a :class:`WrittenFile` for every file it wrote (path,
kind, rows, bytes, sha256), which the pipeline puts in the manifest as it is:
the pipeline never guesses what a file holds. What a sink cannot do it says
through its capabilities; the pipeline then never asks it.

The registry maps names to dotted import paths and imports an exporter only
when it is asked for (as fsspec's registry does), so a missing optional
dependency fails with an install hint and only for the format that needs it.
Third-party exporters register through the ``fraudgraph.exporters`` entry-point
group or :func:`register_exporter`.
"""

from __future__ import annotations

import hashlib
import importlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

import pyarrow as pa

from fraudgraph.errors import FraudGraphError, UnknownNameError

ENTRY_POINT_GROUP = "fraudgraph.exporters"


@dataclass(frozen=True)
class Capabilities:
    """What a sink does. The pipeline reads these and never asks a sink for more.

    Attributes
    ----------
    tables : bool
        Writes every node, edge and truth table (``nodes/``, ``edges/``, ``truth/``).
    streams : bool
        Writes the event streams (``events/``, ``truth/events/``, ``features/``) part by
        part through :meth:`Exporter.open_part`.
    folder : str or None
        The one folder of the dataset it writes into (``"neo4j"``), for sinks whose
        files are their own; ``None`` for the table formats.
    readable : bool
        Reads its tables back (``read_table``), so ``validate`` and
        :func:`fraudgraph.loading.read_dataset` can use its files.
    server : bool
        Loads into a server rather than (only) writing files.
    graph_events : bool
        Takes the event streams as graph elements (:mod:`fraudgraph.event_graph`)
        through :meth:`Exporter.open_graph_events`, for the graph-database formats.
    windows : bool
        Takes each window of the event streams as simulated (the events, their
        truth and the transactions' point-in-time features, in time order) through :meth:`Exporter.open_windows`.
    """

    tables: bool = False
    streams: bool = False
    folder: str | None = None
    readable: bool = False
    server: bool = False
    graph_events: bool = False
    windows: bool = False


@dataclass(frozen=True)
class WrittenFile:
    """One file an exporter wrote, as the manifest lists it.

    ``kind`` is ``node``, ``edge``, ``truth``, ``events``, ``event_truth`` or
    ``features`` for the standard tables, or what the exporter calls its own
    files (``"header"``, ``"script"`` ...); ``table`` names the table or file
    within its kind; ``rows`` is ``None`` for a file that holds no rows.
    """

    path: str
    kind: str
    table: str
    rows: int | None
    bytes: int
    sha256: str

    @classmethod
    def of(cls, root: Path, rel: Path | str, kind: str, table: str, rows: int | None) -> WrittenFile:
        """Describe the file ``root / rel`` that was just written: its size and sha256."""
        path = Path(root) / rel
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return cls(Path(rel).as_posix(), kind, table, None if rows is None else int(rows), path.stat().st_size,
                   digest.hexdigest())

    def manifest_entry(self, fmt: str) -> dict[str, Any]:
        """The manifest's record of this file."""
        return {"path": self.path, "format": fmt, "table": self.table, "kind": self.kind, "rows": self.rows,
                "bytes": self.bytes, "sha256": self.sha256}


class ExporterError(FraudGraphError):
    """A sink broke its own contract (wrote outside its folder, declared what it does not implement)."""


class Exporter(ABC):
    """Writes a :class:`~fraudgraph.Dataset` in one format, or into one server.

    Subclasses set :attr:`name`, :attr:`capabilities` (and :attr:`extension`
    for file formats) and implement :meth:`write`; a sink that writes event
    streams also implements :meth:`open_part` or :meth:`write_part`.
    """

    #: Registry name, e.g. ``"csv"``.
    name: ClassVar[str] = ""
    #: File extension of the format's files.
    extension: ClassVar[str] = ""
    #: What the sink does (see :class:`Capabilities`).
    capabilities: ClassVar[Capabilities] = Capabilities()

    @abstractmethod
    def write(self, dataset, out: Path, **options: Any) -> list[WrittenFile]:
        """Write ``dataset`` under the folder ``out``; return every file written (see :class:`WrittenFile`)."""

    def write_part(self, stream: str, table, path: Path) -> None:
        """Write one whole part file of an event stream (see :mod:`fraudgraph.exporters.streams`)."""
        raise ExporterError(f"format {self.name!r} declares event streams but implements neither open_part "
                            "nor write_part")

    def open_part(self, stream: str, path: Path, schema):
        """A sink that writes one part file of an event stream batch by batch.

        Called only when :attr:`capabilities` has ``streams``. The default
        collects the part's rows and hands them to :meth:`write_part` on
        ``close()``; the built-in formats stream instead, so a part never sits
        in memory whole.

        Parameters
        ----------
        stream : str
            ``"events"``, ``"event_truth"`` or ``"features"``.
        path : Path
            The part file to create.
        schema : pyarrow.Schema
            Columns of every batch (and of an empty part).

        Returns
        -------
        PartSink
            An object with ``write(table)`` and ``close()``.
        """
        return BufferedPart(self, stream, path, schema)

    def open_graph_events(self, root: Path, mode: str, blind: bool):
        """A sink for the events as graph elements, in time order (called only with ``graph_events``).

        Parameters
        ----------
        root : Path
            The dataset folder being written.
        mode : {"relationships", "nodes"}
            How events become graph elements (see :mod:`fraudgraph.event_graph`).
        blind : bool
            Whether the graph leaves the truth out.

        Returns
        -------
        GraphEventSink
            An object with ``write(chunk)`` taking each
            :class:`~fraudgraph.event_graph.EventChunk`, and ``close()`` returning
            the :class:`WrittenFile` records of what it wrote.
        """
        raise ExporterError(f"format {self.name!r} declares graph events but does not implement open_graph_events")

    def open_windows(self, root: Path, **options: Any):
        """A sink for the event windows, in time order (called only with ``windows``).

        Returns
        -------
        WindowSink or None
            None when ``options`` ask for nothing from the windows; else an object with ``write(events, truth, features)`` taking each window's
            events envelope, event-truth and point-in-time feature tables (text
            times, as in ``events/``, ``truth/events/`` and ``features/``), and ``close()``
            returning the :class:`WrittenFile` records of what it wrote.
        """
        raise ExporterError(f"format {self.name!r} declares event windows but does not implement open_windows")


class BufferedPart:
    """The fallback sink: collect a whole part, then call ``exporter.write_part`` once."""

    def __init__(self, exporter, stream: str, path: Path, schema: pa.Schema):
        self.exporter, self.stream, self.path, self.schema = exporter, stream, path, schema
        self.buffer: list[pa.Table] = []

    def write(self, table: pa.Table) -> None:
        self.buffer.append(table)

    def close(self) -> None:
        table = pa.concat_tables(self.buffer) if self.buffer else self.schema.empty_table()
        self.exporter.write_part(self.stream, table.combine_chunks(), self.path)
        self.buffer = []


# name -> (dotted class path, pip requirement hint or None)
_BUILTIN: dict[str, tuple[str, str | None]] = {
    "csv": ("fraudgraph.exporters.csv.CSVExporter", None),
    "cypher": ("fraudgraph.exporters.cypher.CypherExporter", None),
    "gnn": ("fraudgraph.exporters.gnn.GNNExporter", None),
    "jsonl": ("fraudgraph.exporters.jsonl.JSONLExporter", None),
    "neo4j-admin": ("fraudgraph.exporters.neo4j_admin.Neo4jAdminExporter", None),
    "parquet": ("fraudgraph.exporters.parquet.ParquetExporter", "pyarrow"),
    "report": ("fraudgraph.exporters.report.ReportExporter", None),
}
_registry: dict[str, tuple[str, str | None]] = dict(_BUILTIN)
_entry_points_loaded = False

#: Read-only view of the registered names and their import paths.
registry = MappingProxyType(_registry)


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name not in _registry:
            _registry[ep.name] = (ep.value.replace(":", "."), None)


def register_exporter(name: str, target: str, *, install_hint: str | None = None, clobber: bool = False) -> None:
    """Register an exporter class under ``name``.

    Parameters
    ----------
    name : str
        Format name users pass to ``--format``.
    target : str
        Dotted path of the :class:`Exporter` subclass (``"package.module.Class"``).
    install_hint : str, optional
        What to ``pip install`` when importing ``target`` fails.
    clobber : bool, default False
        Replace an existing registration instead of raising.
    """
    if name in _registry and not clobber and _registry[name][0] != target:
        raise ValueError(f"exporter {name!r} is already registered to {_registry[name][0]!r}; pass clobber=True to replace it")
    _registry[name] = (target, install_hint)


def available_formats() -> list[str]:
    """Names of every registered format."""
    _load_entry_points()
    return sorted(_registry)


def get_exporter(name: str) -> Exporter:
    """Instantiate the exporter registered as ``name``.

    Raises
    ------
    UnknownNameError
        If ``name`` is not registered; the message lists the valid names.
    FraudGraphError
        If the exporter's module cannot be imported; the message says what to install.
    """
    _load_entry_points()
    if name not in _registry:
        raise UnknownNameError(f"unknown format {name!r}; expected one of: {', '.join(available_formats())}")
    target, hint = _registry[name]
    module_name, _, class_name = target.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except ImportError as exc:
        extra = f"; install it with: pip install {hint}" if hint else ""
        raise FraudGraphError(f"format {name!r} needs a package that is not installed ({exc.name}){extra}") from None
    return cls()


def check_formats(names) -> list[str]:
    """Validate format names (without importing anything); raise listing the valid ones."""
    _load_entry_points()
    for name in names:
        if name not in _registry:
            raise UnknownNameError(f"unknown format {name!r}; expected one of: {', '.join(available_formats())}")
    return list(names)
