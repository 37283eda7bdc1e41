"""Exporter contract and the format registry.

An exporter has a ``name`` and ``write(dataset, out, **options)``, returning the
paths it wrote relative to ``out``. The registry maps names to dotted import
paths and imports an exporter only when it is asked for (as fsspec's registry
does), so a missing optional dependency fails with an install hint and only
for the format that needs it. Third-party exporters register through the
``fraudgraph.exporters`` entry-point group or :func:`register_exporter`.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from importlib.metadata import entry_points
from pathlib import Path
from types import MappingProxyType
from typing import Any

from fraudgraph.errors import FraudGraphError, UnknownNameError

ENTRY_POINT_GROUP = "fraudgraph.exporters"


class Exporter(ABC):
    """Writes a :class:`~fraudgraph.Dataset` to a folder in one format."""

    #: Registry name, e.g. ``"csv"``.
    name: str = ""

    #: File extension of the format's files.
    extension: str = ""

    @abstractmethod
    def write(self, dataset, out: Path, **options: Any) -> list[Path]:
        """Write ``dataset`` under ``out`` and return the written paths relative to ``out``."""

    def write_part(self, stream: str, table, path: Path) -> None:
        """Write one whole part file of an event stream (see :mod:`fraudgraph.exporters.streams`)."""
        raise NotImplementedError(f"format {self.name!r} cannot write event streams")

    def open_part(self, stream: str, path: Path, schema):
        """A sink that writes one part file of an event stream batch by batch.

        The default collects the part's rows and hands them to :meth:`write_part`
        on ``close()``; the built-in formats stream instead, so a part never sits
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
        from fraudgraph.exporters.streams import BufferedPart

        return BufferedPart(self, stream, path, schema)


# name -> (dotted class path, pip requirement hint or None)
_BUILTIN: dict[str, tuple[str, str | None]] = {
    "csv": ("fraudgraph.exporters.csv.CSVExporter", None),
    "jsonl": ("fraudgraph.exporters.jsonl.JSONLExporter", None),
    "parquet": ("fraudgraph.exporters.parquet.ParquetExporter", "pyarrow"),
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
