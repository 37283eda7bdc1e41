"""The dataset as a labelled property graph, as graph databases hold it.

One model behind the three ways into Neo4j (bulk-import files, a Cypher script,
a live Bolt load): which labels and relationship types there are, their typed
properties, and the rows of each, taken from a dataset's graph and truth tables.
Labels, types and property keys come only from :mod:`fraudgraph.schema`, so no
value of the data ever becomes part of a query's text.

The truth is a subgraph: a ``:Pattern`` node per instance and
``(member)-[:IN_PATTERN {role}]->(:Pattern)`` for every node it touched, and
``is_fraud`` on every relationship an instance used. ``blind`` leaves all of it
out, so that one database can be scored against another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np
import pandas as pd

from fraudgraph import schema
from fraudgraph.graph import PropertyGraph
from fraudgraph.schema import Property
from fraudgraph.truth import PATTERNS, Truth

#: Label of the truth's instance nodes, and the type of their membership relationships.
PATTERN = "Pattern"
IN_PATTERN = "IN_PATTERN"

#: Neo4j's name of each schema dtype (bulk-import header types and ``valueType()`` alike).
NEO4J_TYPES = {"string": "string", "int": "long", "float": "double", "bool": "boolean", "datetime": "datetime",
               "date": "date"}

_P = Property
#: A Pattern node holds its truth row but the member list (its IN_PATTERN relationships say it).
PATTERN_PROPERTIES = tuple(p for p in PATTERNS.properties if p.name not in ("pattern_id", "members"))
IN_PATTERN_PROPERTIES = (_P("role", "string", "The member's role in the instance."),)
EDGE_TRUTH = _P("is_fraud", "bool", "Whether a fraud instance used the relationship (absent when no instance did).",
                nullable=True)


@dataclass(frozen=True)
class NodeSet:
    """The nodes of one label: ``frame`` has ``id`` and one column per property."""

    label: str
    properties: tuple[Property, ...]
    frame: pd.DataFrame

    @property
    def name(self) -> str:
        return self.label

    @property
    def columns(self) -> tuple[str, ...]:
        return ("id",) + tuple(p.name for p in self.properties)


@dataclass(frozen=True)
class RelSet:
    """The relationships of one ``(src)-[:TYPE]->(dst)`` triple: ``frame`` has ``src``, ``dst`` and the properties.

    A pair of nodes has at most one relationship of a graph triple, so ``(src, dst)`` identifies it;
    relationships that repeat between a pair (events) name the property that identifies them in ``key``.
    """

    src: str
    type: str
    dst: str
    properties: tuple[Property, ...]
    frame: pd.DataFrame
    key: str | None = None

    @property
    def name(self) -> str:
        return f"{self.src}_{self.type}_{self.dst}"

    @property
    def columns(self) -> tuple[str, ...]:
        return ("src", "dst") + tuple(p.name for p in self.properties)


@dataclass(frozen=True)
class GraphModel:
    """Every node set and relationship set of a dataset, in load order (nodes first)."""

    nodes: tuple[NodeSet, ...]
    relationships: tuple[RelSet, ...]

    def labels(self) -> list[str]:
        return [n.label for n in self.nodes]

    def types(self) -> list[str]:
        return sorted({r.type for r in self.relationships})

    def counts(self) -> dict[str, dict[str, int]]:
        """Rows per label and per relationship type, as a database counts them."""
        rels: dict[str, int] = {}
        for r in self.relationships:
            rels[r.type] = rels.get(r.type, 0) + len(r.frame)
        return {"nodes": {n.label: len(n.frame) for n in self.nodes}, "relationships": dict(sorted(rels.items()))}


def graph_model(graph: PropertyGraph, truth: Truth | None, *, blind: bool = False) -> GraphModel:
    """The property graph a database should hold for ``graph`` and ``truth``.

    Parameters
    ----------
    graph : PropertyGraph
        The node and edge tables (without label columns).
    truth : Truth or None
        Ground truth; ignored with ``blind``.
    blind : bool, default False
        Leave every trace of the truth out: no Pattern nodes, no IN_PATTERN, no ``is_fraud``.

    Returns
    -------
    GraphModel
    """
    nodes = [NodeSet(label, schema.node_type(label).properties, _columns(frame, schema.node_type(label).columns))
             for label, frame in graph.nodes.items()]
    fraud_edges = None if blind or truth is None else _fraud_edges(truth)
    rels = []
    for key, frame in graph.edges.items():
        et = schema.edge_type(key)
        frame = _columns(frame, et.columns)
        props = et.properties
        if fraud_edges is not None:
            flag = fraud_edges.get(et.file_stem)
            column = np.full(len(frame), None, dtype=object)
            if flag is not None:
                index = pd.MultiIndex.from_arrays([frame["src"].astype(str), frame["dst"].astype(str)])
                found = flag.reindex(index)
                column = np.where(found.isna().to_numpy(), None, found.to_numpy(object))
            frame = frame.assign(is_fraud=column)
            props = props + (EDGE_TRUTH,)
        rels.append(RelSet(et.src, et.rel, et.dst, props, frame))
    if not blind and truth is not None:
        nodes.append(NodeSet(PATTERN, PATTERN_PROPERTIES, _pattern_nodes(truth.patterns)))
        rels += list(_memberships(truth.node_labels))
    return GraphModel(tuple(nodes), tuple(rels))


def _columns(frame: pd.DataFrame, columns) -> pd.DataFrame:
    return frame.loc[:, list(columns)].reset_index(drop=True)


def _pattern_nodes(patterns: pd.DataFrame) -> pd.DataFrame:
    frame = patterns.rename(columns={"pattern_id": "id"})
    frame = frame.loc[:, ["id"] + [p.name for p in PATTERN_PROPERTIES]].reset_index(drop=True)
    variant = frame["variant"].astype(object)
    frame["variant"] = variant.where(variant.notna() & (variant != ""), None)
    return frame


def _memberships(node_labels: pd.DataFrame) -> Iterator[RelSet]:
    """``(member)-[:IN_PATTERN {role}]->(:Pattern)``: one set per member label, in schema order."""
    for label in schema.NODE_TYPES:
        rows = node_labels[(node_labels["label"] == label).to_numpy()]
        rows = rows.drop_duplicates(["id", "pattern_id"])
        frame = pd.DataFrame({"src": rows["id"].to_numpy(object), "dst": rows["pattern_id"].to_numpy(object),
                              "role": rows["role"].to_numpy(object)})
        if len(frame):
            yield RelSet(label, IN_PATTERN, PATTERN, IN_PATTERN_PROPERTIES, frame)


def _fraud_edges(truth: Truth) -> dict[str, pd.Series]:
    """Per edge file stem, ``is_fraud`` by (src, dst): true where any fraud instance used the edge."""
    e = truth.edge_labels
    out = {}
    for stem, rows in e.groupby("edge_type", sort=True):
        flag = rows.groupby([rows["src"].astype(str), rows["dst"].astype(str)])["is_fraud"].any()
        out[str(stem)] = flag
    return out
