"""Graph-learning arrays: ``gnn/`` with one ``.npz`` per node type and per edge type, and their metadata.

No torch is needed to write or read them, and nothing is pickled:
``numpy.load(path, allow_pickle=False)`` reads every file. ``gnn/metadata.json``
names the feature columns, the training statistics they were standardised with,
the category vocabularies, the typologies of ``y_typology`` and the split
cut-offs. See :mod:`fraudgraph.gnn.arrays` for what each array holds. The money
movements come as a temporal edge list too, ``gnn/money.parquet`` (see
:class:`MoneyEdges`), built from the event windows while they are simulated.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from fraudgraph.exporters.base import Capabilities, Exporter, WrittenFile

from fraudgraph.event_payloads import iso_times, payload_fields
from fraudgraph.gnn.activity import ACTIVITY, ActivityCounter
from fraudgraph.gnn.activity import FIELDS as ACTIVITY_FIELDS
from fraudgraph.gnn.arrays import graph_arrays, save_npz
from fraudgraph.gnn.money import POINT_IN_TIME, SCHEMA
from fraudgraph.gnn.splits import Cutoffs, cutoffs

FOLDER = "gnn"
TRANSFER = "transaction-initiated"


class GNNExporter(Exporter):
    """Writes ``gnn/``. Options: ``train`` and ``valid``, the shares of the span (default 0.6 and 0.2)."""

    name = "gnn"
    extension = "npz"
    capabilities = Capabilities(folder=FOLDER, windows=True)

    def open_windows(self, root: Path, **options: Any) -> EventWindows:
        return EventWindows(root)

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
        metadata = {"format": "fraudgraph-gnn", "version": 1, "seed": dataset.seed, "activity": ACTIVITY,
                    **arrays.metadata}
        (root / "metadata.json").write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(WrittenFile.of(out, f"{FOLDER}/metadata.json", "metadata", "metadata", None))
        return written


class EventWindows:
    """What ``gnn/`` takes from the event windows: the money edges and each node's past activity.

    Both read the cut-offs and node indexes that ``write`` put in ``gnn/``, and the
    transfers' payloads of each window, parsed once for both.
    """

    def __init__(self, out: Path):
        root = Path(out) / FOLDER
        meta = json.loads((root / "metadata.json").read_text(encoding="utf-8"))
        cut = Cutoffs.from_dict(meta["cutoffs"])
        index, masks = {}, {}
        for label in ACTIVITY:
            with np.load(root / "nodes" / f"{label}.npz", allow_pickle=False) as data:
                index[label], masks[label] = pd.Index(data["ids"]), data["train_mask"]
        self.money = MoneyEdges(out, cut, index["Account"], meta["typologies"])
        self.activity = ActivityFiles(out, ActivityCounter(index, cut), masks)

    def write(self, events: pa.Table, truth: pa.Table, features: pa.Table) -> None:
        fields = sorted(set(MoneyEdges.FIELDS) | set(ACTIVITY_FIELDS[TRANSFER]))
        transfers = payload_fields(events, TRANSFER, fields)
        self.money.write(transfers, truth, features)
        self.activity.counter.add(events, {TRANSFER: transfers})

    def close(self) -> list[WrittenFile]:
        return self.money.close() + self.activity.close()


class ActivityFiles:
    """``gnn/activity/<Type>.npz``: each node's own activity before each cut-off (see
    :mod:`fraudgraph.gnn.activity`), as ``train``, ``valid`` and ``test`` matrices."""

    def __init__(self, out: Path, counter: ActivityCounter, masks: dict[str, np.ndarray]):
        self.out, self.counter, self.masks = Path(out), counter, masks

    def close(self) -> list[WrittenFile]:
        (self.out / FOLDER / "activity").mkdir(exist_ok=True)
        written = []
        for label in ACTIVITY:
            rel = f"{FOLDER}/activity/{label}.npz"
            arrays = self.counter.features(label, self.masks[label])
            save_npz(self.out / rel, arrays)
            written.append(WrittenFile.of(self.out, rel, "activity", label, len(self.masks[label])))
        return written


class MoneyEdges:
    """``gnn/money.parquet`` (see :mod:`fraudgraph.gnn.money`), written from the event windows.

    Rows are in initiation order (ties by ``transaction_id``), in row groups of :attr:`ROW_GROUP` rows however
    the stream was cut into windows.
    """

    ROW_GROUP = 1_000_000
    #: The transfer payload fields it reads.
    FIELDS = ("transaction_id", "account_id", "counterparty_account_id", "amount", "currency", "type", "initiated_at")

    def __init__(self, out: Path, cut: Cutoffs, accounts: pd.Index, typologies: list[str]):
        self.out, self.cut, self.accounts = Path(out), cut, accounts
        self.typologies = pd.Index(typologies)
        self.writer = pq.ParquetWriter(self.out / FOLDER / "money.parquet", SCHEMA)
        self.buffer: list[pa.Table] = []
        self.buffered = self.rows = 0

    def write(self, transfers: pd.DataFrame, truth: pa.Table, features: pa.Table) -> None:
        """Take one window's ``transaction-initiated`` payloads (:data:`FIELDS`), event truth and features."""
        moved = transfers[transfers["account_id"].notna().to_numpy()
                          & transfers["counterparty_account_id"].notna().to_numpy()]
        if not len(moved):
            return
        labels = truth.select(["event_id", "is_fraud", "fraud_type", "fraud_confirmed_at"]).to_pandas().set_index("event_id")
        labels = labels.reindex(moved["event_id"].to_numpy(object))
        fraud = labels["is_fraud"].astype(str).str.lower().eq("true").to_numpy()
        typology = np.where(fraud, self.typologies.get_indexer(labels["fraud_type"].to_numpy(object)) + 1, 0)
        confirmed = iso_times(labels["fraud_confirmed_at"])
        time = iso_times(moved["initiated_at"])
        past = self._point_in_time(features, moved["transaction_id"].to_numpy(object))
        table = pa.table({
            "transaction_id": pa.array(moved["transaction_id"].to_numpy(object), pa.large_string()),
            "src": self.accounts.get_indexer(moved["account_id"].to_numpy(object)).astype(np.int64),
            "dst": self.accounts.get_indexer(moved["counterparty_account_id"].to_numpy(object)).astype(np.int64),
            "time": time.astype(np.int64), "amount": pd.to_numeric(moved["amount"]).to_numpy(np.float64),
            "currency": pa.array(moved["currency"].to_numpy(object), pa.large_string()),
            "type": pa.array(moved["type"].to_numpy(object), pa.large_string()),
            "split": self.cut.period(time), **past, "y_fraud": fraud.astype(np.int8),
            "y_typology": typology.astype(np.int8),
            "y_fraud_visible": (fraud & (confirmed < self.cut.train_end)).astype(np.int8)}, schema=SCHEMA)
        # ties in time are ordered by id: the stream's order among them depends on which families ran
        table = table.sort_by([("time", "ascending"), ("transaction_id", "ascending")])
        self.buffer.append(table)
        self.buffered += table.num_rows
        self._flush(final=False)

    def _point_in_time(self, features: pa.Table, ids: np.ndarray) -> dict[str, np.ndarray]:
        """The feature columns of the transfers ``ids``, which the window's features hold (one row each)."""
        table = features.select(["transaction_id", *POINT_IN_TIME]).to_pandas().set_index("transaction_id")
        rows = table.index.get_indexer(ids)
        if (rows < 0).any():
            missing = ids[rows < 0][0]
            raise ValueError(f"transaction {missing!r} has no point-in-time features in its window")
        return {name: table[name].to_numpy()[rows].astype(SCHEMA.field(name).type.to_pandas_dtype())
                for name in POINT_IN_TIME}

    def close(self) -> list[WrittenFile]:
        self._flush(final=True)
        self.writer.close()
        return [WrittenFile.of(self.out, f"{FOLDER}/money.parquet", "edges", "money", self.rows)]

    def _flush(self, final: bool) -> None:
        """Write whole row groups (and, at the end, the rest), so the file does not depend on the windows."""
        if self.buffered < self.ROW_GROUP and not (final and self.buffered):
            return
        table = pa.concat_tables(self.buffer)
        whole = table.num_rows if final else table.num_rows - table.num_rows % self.ROW_GROUP
        for start in range(0, whole, self.ROW_GROUP):
            self.writer.write_table(table.slice(start, min(self.ROW_GROUP, whole - start)),
                                    row_group_size=self.ROW_GROUP)
        self.rows += whole
        rest = table.slice(whole)
        self.buffer, self.buffered = ([rest] if rest.num_rows else []), rest.num_rows
