"""Dataset: what a run produces (graph, scenario, seed) and how it is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fraudgraph import schema
from fraudgraph._version import __version__
from fraudgraph.config import Scenario
from fraudgraph.graph import PropertyGraph
from fraudgraph.truth import Truth, graph_labels

MANIFEST_VERSION = 1


class Dataset:
    """The result of :func:`fraudgraph.generate`.

    Attributes
    ----------
    graph : PropertyGraph
        Every node and edge table.
    scenario : Scenario
        The fully resolved parameters of the run.
    seed : int
        The root seed.
    """

    def __init__(self, graph: PropertyGraph, scenario: Scenario, seed: int, files: list[dict] | None = None,
                 truth: Truth | None = None, labels_on_graph: bool = False):
        self.graph = graph
        self.scenario = scenario
        self.seed = int(seed)
        self.files: list[dict] = list(files or [])
        self.truth = truth if truth is not None else Truth.empty()
        self.labels_on_graph = labels_on_graph
        self.event_counts: dict[str, int] = {}
        self.labels_on_events = False

    def table_items(self, labels_on_graph: bool = False):
        """Every table to write: ``(folder, table type, frame)`` for nodes, edges and truth.

        With ``labels_on_graph`` the node and edge tables also carry the
        :data:`~fraudgraph.schema.LABEL_PROPERTIES` columns (for demos).
        """
        for label, frame in self.graph.nodes.items():
            nt = schema.node_type(label)
            if labels_on_graph:
                yield "nodes", schema.with_labels(nt), graph_labels(self.truth, nt, frame)
            else:
                yield "nodes", nt, frame
        for key, frame in self.graph.edges.items():
            et = schema.edge_type(key)
            if labels_on_graph:
                yield "edges", schema.with_labels(et), graph_labels(self.truth, et, frame)
            else:
                yield "edges", et, frame
        for spec, frame in self.truth.tables().values():
            yield "truth", spec, frame

    @property
    def manifest(self) -> dict[str, Any]:
        """Version, seed, full scenario, counts per type and (once written) every file with its sha256."""
        return {
            "manifest_version": MANIFEST_VERSION,
            "fraudgraph_version": __version__,
            "seed": self.seed,
            "scenario": self.scenario.to_dict(),
            "counts": {**self.graph.counts(), "truth": {name: len(t) for name, (_, t) in self.truth.tables().items()},
                       "events": dict(sorted(self.event_counts.items()))},
            "labels_on_graph": self.labels_on_graph,
            "labels_on_events": self.labels_on_events,
            "files": self.files,
        }

    def to_networkx(self):
        """A ``networkx.MultiDiGraph`` view of the graph (see :meth:`PropertyGraph.to_networkx`)."""
        return self.graph.to_networkx()

    def timeline(self, streams: list[str] | None = None, labels_on_events: bool = False):
        """The event streams of this dataset (a :class:`~fraudgraph.timeline.Timeline`).

        Parameters
        ----------
        streams : list of str, optional
            Families to produce; defaults to the scenario's ``events.streams``.
        labels_on_events : bool
            Also put ``is_fraud``, ``fraud_type`` and ``pattern_id`` on each event.
        """
        from fraudgraph.seeding import SeedTree
        from fraudgraph.timeline import Timeline

        return Timeline(self.graph, self.truth, self.scenario, SeedTree(self.seed), streams=streams,
                        labels_on_events=labels_on_events)

    def write(self, out: str | Path, formats: list[str] | str | None = None, *, force: bool = False,
              labels_on_graph: bool = False, streams: list[str] | None = None, labels_on_events: bool = False,
              progress=None) -> Path:
        """Write the dataset to the folder ``out``.

        Parameters
        ----------
        out : str or Path
            Output folder. It must be absent or empty, unless ``force``; its
            parent must exist. Files go to a temporary sibling folder that is
            renamed into place only when everything is written.
        formats : list of str or str, optional
            Format names (``"csv"``, ``"jsonl"``, ``"parquet"``, or a
            comma-separated string); defaults to the scenario's ``output.formats``.
        force : bool, default False
            Replace an existing dataset folder.
        labels_on_graph : bool, default False
            Also put ``is_fraud``, ``fraud_type``, ``pattern_id`` and ``role`` on the
            node and edge tables (for demos; ``truth/`` always has them).
        streams : list of str, optional
            Event families to write under ``events/`` (defaults to the scenario's
            ``events.streams``; an empty list writes no events).
        labels_on_events : bool, default False
            Also put the labels on each event (``truth/events/`` always has them).

        Returns
        -------
        Path
            The output folder.
        """
        from fraudgraph.pipeline import write_dataset

        return write_dataset(self, out, formats=formats, force=force, labels_on_graph=labels_on_graph,
                             streams=streams, labels_on_events=labels_on_events, progress=progress)

    @classmethod
    def read(cls, path: str | Path, format: str | None = None) -> Dataset:
        """Read a written dataset back (see :func:`fraudgraph.loading.read_dataset`)."""
        from fraudgraph.loading import read_dataset

        return read_dataset(path, format=format)

    def __repr__(self) -> str:
        return f"Dataset(scenario={self.scenario.name!r}, seed={self.seed}, {self.graph!r})"
