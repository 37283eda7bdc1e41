"""PyTorch Geometric views of ``gnn/``: a ``HeteroData`` per split, and the money movements as ``TemporalData``.

Needs ``pip install 'fraudgraph[gnn]'`` (torch and torch_geometric); the files
themselves need neither. A split's graph holds only the edges created before its
cut-off (``train``: the training cut-off, ``valid``: the validation cut-off,
``test`` and ``all``: the end of the span); every node is present, with its
masks, so a model trains on ``train_mask`` nodes with ``y_fraud_visible`` and is
scored on ``valid_mask`` or ``test_mask`` nodes with ``y_fraud``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from fraudgraph.errors import DatasetError, FraudGraphError
from fraudgraph.gnn.money import money_features, read_money
from fraudgraph.gnn.splits import Cutoffs

INSTALL_HINT = "graph-learning loaders need torch and torch_geometric: pip install 'fraudgraph[gnn]'"
SPLITS = {"train": "train_end", "valid": "valid_end", "test": "end", "all": "end"}
#: The money movements' edge type in a HeteroData.
MONEY = ("Account", "TRANSFERRED", "Account")
NODE_ARRAYS = ("x", "x_cat", "y_fraud", "y_fraud_visible", "y_typology", "train_mask", "valid_mask", "test_mask")


def _torch():
    try:
        import torch
        import torch_geometric.data as pyg_data
    except ImportError:
        raise FraudGraphError(INSTALL_HINT) from None
    return torch, pyg_data


def _folder(path) -> Path:
    folder = Path(path)
    folder = folder / "gnn" if (folder / "gnn" / "metadata.json").is_file() else folder
    if not (folder / "metadata.json").is_file():
        raise DatasetError(f"{path}: no gnn/metadata.json (write the dataset with --format gnn, or run "
                           f"'fraudgraph export gnn')")
    return folder


def _arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def metadata(path) -> dict:
    """``gnn/metadata.json`` of the dataset (or ``gnn`` folder) at ``path``."""
    return json.loads((_folder(path) / "metadata.json").read_text(encoding="utf-8"))


def node_ids(path, label: str) -> np.ndarray:
    """The string id of each node index of type ``label`` (the way back from a prediction to the data)."""
    return _arrays(_folder(path) / "nodes" / f"{label}.npz")["ids"]


def cutoff(meta: dict, split: str) -> int:
    """Seconds since the epoch before which a split's edges were created."""
    if split not in SPLITS:
        raise FraudGraphError(f"unknown split {split!r}; expected one of: {', '.join(SPLITS)}")
    return int(getattr(Cutoffs.from_dict(meta["cutoffs"]), SPLITS[split]).astype(np.int64))


def load_heterodata(path, *, split: str, money: bool = True):
    """The graph of one split as a ``torch_geometric.data.HeteroData``.

    Parameters
    ----------
    path : str or Path
        A dataset folder with ``gnn/``, or the ``gnn`` folder itself.
    split : {"train", "valid", "test", "all"}
        Keep only the edges created before this split's cut-off.
    money : bool, default True
        Add the account-to-account transfers of ``money.parquet`` as the edge type
        ``(Account, TRANSFERRED, Account)`` with ``time``, ``edge_attr`` (:data:`MONEY_FEATURES`), ``y_typology``,
        ``y_fraud``, ``y_fraud_visible`` and ``split``.

    Returns
    -------
    torch_geometric.data.HeteroData
        Node stores hold ``x`` (the table's features, then for accounts, persons, devices and IPs
        their own activity before the split's cut-off: ``metadata["activity"]`` names it), ``x_cat``, ``y_fraud``, ``y_fraud_visible``, ``y_typology`` and the
        three masks; edge stores ``edge_index``, ``edge_attr``, ``edge_cat`` and ``time``.
    """
    torch, pyg_data = _torch()
    folder = _folder(path)
    meta = metadata(folder)
    limit = cutoff(meta, split)
    data = pyg_data.HeteroData()
    snapshot = "test" if split == "all" else split
    for label in meta["nodes"]:
        arrays = _arrays(folder / "nodes" / f"{label}.npz")
        activity = folder / "activity" / f"{label}.npz"
        if activity.is_file():  # own past activity up to this split's cut-off, after the table's features
            arrays["x"] = np.hstack([arrays["x"], _arrays(activity)[snapshot]])
        store = data[label]
        store.num_nodes = len(arrays["ids"])
        for name in NODE_ARRAYS:
            store[name] = torch.from_numpy(np.ascontiguousarray(arrays[name]))
    for stem, info in meta["edges"].items():
        arrays = _arrays(folder / "edges" / f"{stem}.npz")
        keep = arrays["edge_time"] < limit
        store = data[info["src"], info["rel"], info["dst"]]
        store.edge_index = torch.from_numpy(np.ascontiguousarray(arrays["edge_index"][:, keep]))
        store.edge_attr = torch.from_numpy(np.ascontiguousarray(arrays["edge_attr"][keep]))
        store.edge_cat = torch.from_numpy(np.ascontiguousarray(arrays["edge_cat"][keep]))
        store.time = torch.from_numpy(np.ascontiguousarray(arrays["edge_time"][keep]))
    if money and (folder / "money.parquet").is_file():
        flows = read_money(folder, limit)
        store = data[MONEY]
        store.edge_index = torch.from_numpy(np.vstack([flows["src"], flows["dst"]]))
        store.edge_attr = torch.from_numpy(money_features(flows))
        store.time = torch.from_numpy(flows["time"])
        for name in ("y_fraud", "y_fraud_visible", "y_typology", "split"):
            store[name] = torch.from_numpy(flows[name])
    return data


def load_temporal(path, *, split: str):
    """The account-to-account transfers before a split's cut-off as ``torch_geometric.data.TemporalData``
    (TGN-style): ``src``, ``dst``, ``t``, ``msg`` (:data:`MONEY_FEATURES`), ``y`` (exact), ``y_visible`` and
    ``split``."""
    torch, pyg_data = _torch()
    folder = _folder(path)
    flows = read_money(folder, cutoff(metadata(folder), split))
    return pyg_data.TemporalData(
        src=torch.from_numpy(flows["src"]), dst=torch.from_numpy(flows["dst"]), t=torch.from_numpy(flows["time"]),
        msg=torch.from_numpy(money_features(flows)),
        y=torch.from_numpy(flows["y_fraud"]), y_visible=torch.from_numpy(flows["y_fraud_visible"]),
        split=torch.from_numpy(flows["split"]))
