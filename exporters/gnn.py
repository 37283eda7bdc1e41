"""Graph-learning arrays: ``gnn/`` with one ``.npz`` per node type and per edge type, and their metadata.

No torch is needed to write or read them, and nothing is pickled:
``numpy.load(path, allow_pickle=False)`` reads every file. ``gnn/metadata.json``
names the feature columns, the training statistics they were standardised with,
the category vocabularies, the typologies of ``y_typology`` and the split
cut-offs. See :mod:`fraudgraph.gnn.arrays` for what each array holds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fraudgraph.exporters.base import Capabilities, Exporter, WrittenFile

from fraudgraph.gnn.arrays import graph_arrays, save_npz
from fraudgraph.gnn.splits import cutoffs

FOLDER = "gnn"


class GNNExporter(Exporter):
    """Writes ``gnn/``. Options: ``train`` and ``valid``, the shares of the span (default 0.6 and 0.2)."""

    name = "gnn"
    extension = "npz"
    capabilities = Capabilities(folder=FOLDER)

    def write(self, dataset, out: Path, **options: Any) -> list[WrittenFile]:
        scenario = dataset.scenario
        cut = cutoffs(scenario.start_date, scenario.days, train=options.get("train", 0.6),
                      valid=options.get("valid", 0.2))
        arrays = graph_arrays(dataset.graph, dataset.truth, cut, dataset.seed)
        root = Path(out) / FOLDER
        (root / "nodes").mkdir(parents=True, exist_ok=True)
        (root / "edges").mkdir(parents=True, exist_ok=True)
        written = []
        for label, values in arrays.nodes.items():
            rel = f"{FOLDER}/nodes/{label}.npz"
            save_npz(Path(out) / rel, values)
            written.append(WrittenFile.of(out, rel, "nodes", label, len(values["ids"])))
        for (src, rel_type, dst), values in arrays.edges.items():
            stem = f"{src}_{rel_type}_{dst}"
            rel = f"{FOLDER}/edges/{stem}.npz"
            save_npz(Path(out) / rel, values)
            written.append(WrittenFile.of(out, rel, "edges", stem, values["edge_index"].shape[1]))
        metadata = {"format": "fraudgraph-gnn", "version": 1, "seed": dataset.seed, **arrays.metadata}
        (root / "metadata.json").write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(WrittenFile.of(out, f"{FOLDER}/metadata.json", "metadata", "metadata", None))
        return written
