"""The dataset as typed arrays for graph learning: per node type and per edge type, no torch needed.

Per node type: the string ``ids`` (row ``i`` is node index ``i``), ``x`` (float32
features), ``x_cat`` (int32 category indices), the targets ``y_fraud`` (exact
truth), ``y_fraud_visible`` (what training may see: fraud labelled and confirmed
before the training cut-off) and ``y_typology`` (0 for none, ``k`` for the
``k``-th typology of :attr:`GraphArrays.typologies`), and the disjoint
``train_mask``, ``valid_mask`` and ``test_mask`` of :mod:`fraudgraph.gnn.splits`.
Per ``(src, rel, dst)``: ``edge_index`` (2 x E, int64 node indices), ``edge_attr``,
``edge_cat`` and ``edge_time`` (seconds since the epoch, the edge's creation), so
that a split's graph keeps only the edges before its cut-off.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fraudgraph import schema
from fraudgraph.gnn.features import table_features
from fraudgraph.gnn.splits import (
    Cutoffs,
    exact_labels,
    instance_splits,
    node_splits,
    visible_labels,
)
from fraudgraph.graph import PropertyGraph
from fraudgraph.truth import Truth


@dataclass(frozen=True)
class GraphArrays:
    """Arrays per node type and per edge type, and what they mean (see the module's documentation)."""

    nodes: dict[str, dict[str, np.ndarray]]
    edges: dict[tuple[str, str, str], dict[str, np.ndarray]]
    metadata: dict


def graph_arrays(graph: PropertyGraph, truth: Truth, cut: Cutoffs, seed: int) -> GraphArrays:
    """Build every array of ``graph`` for the splits of ``cut`` (node placement drawn from ``seed``).

    Parameters
    ----------
    graph : PropertyGraph
    truth : Truth
    cut : Cutoffs
        Train, validation and test periods.
    seed : int
        Seed of the placement of nodes outside any instance.

    Returns
    -------
    GraphArrays
    """
    typologies = sorted(set(truth.patterns.loc[truth.patterns["is_fraud"], "typology"].astype(str)))
    nodes, meta_nodes, index = {}, {}, {}
    placed = instance_splits(truth, cut)
    for label, frame in graph.nodes.items():
        ids = frame["id"].to_numpy(dtype=str)
        index[label] = pd.Index(ids)
        split = node_splits(ids, label, truth, cut, seed, placed)
        features = table_features(schema.node_type(label), frame, split == 0)
        nodes[label] = {"ids": ids, "x": features.numeric, "x_cat": features.categorical,
                        "y_fraud": exact_labels(ids, label, truth).astype(np.int8),
                        "y_fraud_visible": visible_labels(ids, label, truth, cut.train_end).astype(np.int8),
                        "y_typology": _typologies(ids, label, truth, typologies),
                        "train_mask": split == 0, "valid_mask": split == 1, "test_mask": split == 2}
        meta_nodes[label] = {"count": len(ids), **_feature_meta(features)}
    edges, meta_edges = {}, {}
    for key, frame in graph.edges.items():
        et = schema.edge_type(key)
        src = index[et.src].get_indexer(frame["src"].to_numpy(dtype=str))
        dst = index[et.dst].get_indexer(frame["dst"].to_numpy(dtype=str))
        if (src < 0).any() or (dst < 0).any():
            raise ValueError(f"{et.file_stem}: an endpoint is not among the {et.src} or {et.dst} nodes")
        time = frame[et.time_property].to_numpy("datetime64[s]").astype(np.int64)
        train = time < cut.train_end.astype(np.int64)
        features = table_features(et, frame, train)
        edges[(et.src, et.rel, et.dst)] = {"edge_index": np.vstack([src, dst]).astype(np.int64),
                                           "edge_attr": features.numeric, "edge_cat": features.categorical,
                                           "edge_time": time}
        meta_edges[et.file_stem] = {"src": et.src, "rel": et.rel, "dst": et.dst, "count": len(frame),
                                    "time_property": et.time_property, **_feature_meta(features)}
    metadata = {"cutoffs": cut.to_dict(),
                "typologies": typologies, "nodes": meta_nodes, "edges": meta_edges}
    return GraphArrays(nodes, edges, metadata)


def _typologies(ids, label: str, truth: Truth, typologies: list[str]) -> np.ndarray:
    """The typology (1-based index) of the earliest fraud instance each node took part in; 0 for none."""
    rows = truth.node_labels[(truth.node_labels["label"] == label).to_numpy() & truth.node_labels["is_fraud"]]
    rows = rows.merge(truth.patterns[["pattern_id", "start"]], on="pattern_id").sort_values(
        ["start", "pattern_id"], kind="stable").drop_duplicates("id")
    code = pd.Series(rows["fraud_type"].astype(str).map({t: i + 1 for i, t in enumerate(typologies)}).to_numpy(),
                     index=rows["id"].to_numpy(object))
    return code.reindex(pd.Index(np.asarray(ids, dtype=object))).fillna(0).to_numpy(np.int16)


def _feature_meta(features) -> dict:
    return {"numeric": features.numeric_names, "categorical": features.categorical_names,
            "vocabularies": features.vocabularies, "statistics": features.statistics}


def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` as an uncompressed ``.npz`` that ``numpy.load(path, allow_pickle=False)`` reads,
    byte for byte the same on every run (the zip entries carry a fixed date)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(arrays):
            value = np.asarray(arrays[name])
            if value.dtype == object:
                raise TypeError(f"{name}: object arrays would need pickling")
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, value, allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), buffer.getvalue())
