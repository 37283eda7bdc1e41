"""Dataset: the record a run produces (graph, truth, scenario, seed tree).

A Dataset is a value: nothing writes into it. Its event streams are derived
on demand (:meth:`Dataset.events`) with the run's own seed tree, so iterating
them in Python, streaming them to a server and writing them to files give the
same events. Writing (:mod:`fraudgraph.writing`) and reading back
(:mod:`fraudgraph.loading`) live in their own modules.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fraudgraph import schema
from fraudgraph.config import Scenario
from fraudgraph.errors import DatasetError
from fraudgraph.graph import PropertyGraph
from fraudgraph.seeding import SeedTree
from fraudgraph.truth import Truth, graph_labels

if TYPE_CHECKING:
    from fraudgraph.timeline import Timeline, Window
    from fraudgraph.writing import Manifest


@dataclass(frozen=True, eq=False)
class Dataset:
    """The result of :func:`fraudgraph.generate`, or of ``Dataset.read(path_or_url)`` (which
    :mod:`fraudgraph.loading` defines: reading lives there).

    Attributes
    ----------
    graph : PropertyGraph
        Every node and edge table.
    truth : Truth
        Pattern instances, labels and the scripted schedules.
    scenario : Scenario
        The fully resolved parameters of the run.
    seeds : SeedTree
        The run's one seed tree (its root is the scenario's seed).
    """

    graph: PropertyGraph
    truth: Truth
    scenario: Scenario
    seeds: SeedTree

    @property
    def seed(self) -> int:
        """The root seed."""
        return self.seeds.seed

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

    def to_networkx(self):
        """A ``networkx.MultiDiGraph`` view of the graph (see :meth:`PropertyGraph.to_networkx`)."""
        return self.graph.to_networkx()

    def timeline(self, streams: list[str] | None = None, labels_on_events: bool = False) -> Timeline:
        """The simulation behind :meth:`events` (a :class:`~fraudgraph.timeline.Timeline`)."""
        from fraudgraph.timeline import Timeline

        if self.seeds.shard[1] == 1 and _shard_count(self.scenario) > 1:
            raise DatasetError("this dataset is the union of several shards, each simulated from its own seeds: its "
                               "events are its part files under events/, and what simulates them again (export gnn, "
                               "stream) needs a dataset generated as one world (no --shard-persons)")

        return Timeline(self.graph, self.truth, self.scenario, self.seeds, streams=streams,
                        labels_on_events=labels_on_events)

    def events(self, streams: list[str] | None = None, *, labels_on_events: bool = False,
               window_days: int | None = None) -> Iterator[Window]:
        """The event streams, in time-ordered batches, without writing anything.

        Each batch (a :class:`~fraudgraph.timeline.Window`) holds ``events`` (the
        envelope, an Arrow table), ``truth`` (their ground-truth rows) and
        ``features`` (point-in-time transaction features). Across batches the
        events are in global (timestamp, event id) order; the batching never
        changes an event. File writers and server sinks consume the same batches.

        Parameters
        ----------
        streams : list of str, optional
            Event families (default: the scenario's ``events.streams``).
        labels_on_events : bool, default False
            Also put ``is_fraud``, ``fraud_type`` and ``pattern_id`` on each event.
        window_days : int, optional
            Days per batch (default: the scenario's ``events.window_days``).

        Examples
        --------
        >>> import fraudgraph
        >>> ds = fraudgraph.generate("demo", seed=1, persons=100, days=2)
        >>> batches = list(ds.events(streams=["transactions"]))
        >>> len(batches), batches[0].events.column_names[:3]
        (2, ['event_id', 'event_type', 'event_version'])
        """
        return self.timeline(streams=streams, labels_on_events=labels_on_events).windows(window_days)

    def write(self, out: str | Path, formats: list[str] | str | None = None, *, force: bool = False,
              labels_on_graph: bool = False, streams: list[str] | None = None, labels_on_events: bool = False,
              graph_events: str = "relationships", blind: bool = False, options: dict | None = None,
              progress=None) -> Manifest:
        """Write the dataset to the folder ``out`` and return its manifest.

        Parameters
        ----------
        out : str or Path
            Output folder. It must be absent or empty, unless ``force``; its
            parent must exist. Files go to a staging sibling folder that is
            renamed into place only when everything is written.
        formats : list of str or str, optional
            Format names (``"csv"``, ``"jsonl"``, ``"parquet"``, or a
            comma-separated string); defaults to the scenario's ``output.formats``.
        force : bool, default False
            Replace an existing dataset folder.
        labels_on_graph : bool, default False
            Also put ``is_fraud``, ``fraud_type``, ``pattern_id`` and ``fraud_role`` on the
            node and edge tables (for demos; ``truth/`` always has them).
        streams : list of str, optional
            Event families to write under ``events/`` (defaults to the scenario's
            ``events.streams``; an empty list writes no events).
        labels_on_events : bool, default False
            Also put the labels on each event (``truth/events/`` always has them).
        graph_events : {"relationships", "nodes", "none"}, default "relationships"
            How the graph-database formats (``neo4j-admin``, ``cypher``) hold the
            events: as TRANSFERRED and LOGGED_IN relationships, as Transaction and
            Session nodes, or not at all (see :mod:`fraudgraph.event_graph`).
        blind : bool, default False
            The graph-database formats leave every trace of the truth out (no
            Pattern nodes, no ``is_fraud``); ``truth/`` is written as always.
        options : dict, optional
            Further options for the formats that take them, e.g. ``{"train": 0.5,
            "valid": 0.25}``, the shares of the span for ``gnn``'s splits.
        progress : callable, optional
            Called with the name of each step as it starts.

        Returns
        -------
        Manifest
            What ``manifest.json`` holds: the scenario as written, counts and every file.
        """
        from fraudgraph.writing import write_dataset

        return write_dataset(self, out, formats=formats, force=force, labels_on_graph=labels_on_graph,
                             streams=streams, labels_on_events=labels_on_events, graph_events=graph_events,
                             blind=blind, options=options, progress=progress)

    def __repr__(self) -> str:
        return f"Dataset(scenario={self.scenario.name!r}, seed={self.seed}, {self.graph!r})"


def _shard_count(scenario) -> int:
    from fraudgraph.shards.plan import ShardPlan

    return ShardPlan(scenario).count if scenario.persons.per_shard is not None else 1
