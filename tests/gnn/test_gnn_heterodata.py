"""PyTorch Geometric views: a valid HeteroData per split whose edges are all before the split's cut-off."""

import os
import sys

import numpy as np
import pytest

from fraudgraph.errors import FraudGraphError
from fraudgraph.gnn import load_heterodata, load_temporal, metadata, node_ids
from fraudgraph.gnn.money import MONEY_FEATURES

if os.environ.get("FRAUDGRAPH_REQUIRE_GNN"):  # CI installs the gnn extra: these tests must run there
    import torch_geometric  # noqa: F401
else:
    pytest.importorskip("torch_geometric", reason="pip install 'fraudgraph[gnn]'")


@pytest.fixture(scope="module")
def folder(event_world, tmp_path_factory):
    out = tmp_path_factory.mktemp("heterodata") / "ds"
    event_world.write(out, formats=["gnn"], streams=["transactions"])
    return out


def cut(folder, name):
    return int(np.datetime64(metadata(folder)["cutoffs"][name].rstrip("Z"), "s").astype(np.int64))


@pytest.mark.parametrize("split, limit", [("train", "train_end"), ("valid", "valid_end"), ("test", "end")])
def test_each_split_is_a_valid_graph_of_the_past(folder, split, limit):
    data = load_heterodata(folder, split=split)
    assert data.validate(raise_on_error=True)
    meta = metadata(folder)
    for label, info in meta["nodes"].items():
        store = data[label]
        assert store.num_nodes == info["count"] == len(node_ids(folder, label))
        masks = store.train_mask.int() + store.valid_mask.int() + store.test_mask.int()
        assert bool((masks == 1).all())
        assert store.x.shape == (info["count"], len(info["numeric"]) + len(meta["activity"].get(label, [])))
    held = 0
    for edge_type in data.edge_types:
        store = data[edge_type]
        assert bool((store.time < cut(folder, limit)).all()), edge_type
        held += store.edge_index.shape[1]
    full = load_heterodata(folder, split="all")
    total = sum(full[t].edge_index.shape[1] for t in full.edge_types)
    assert 0 < held <= total
    if split == "train":
        assert held < total
    money = data["Account", "TRANSFERRED", "Account"]
    assert money.edge_index.shape[1] > 0 and money.edge_attr.shape == (money.edge_index.shape[1], len(MONEY_FEATURES))
    import torch

    assert bool(torch.isfinite(money.edge_attr).all())
    trained = money.edge_attr[money.split == 0]  # standardised with the training period's transfers
    assert torch.allclose(trained.mean(0)[trained.std(0) > 0], torch.zeros(1), atol=1e-4)
    assert bool((money.y_fraud_visible <= money.y_fraud).all())


def test_training_labels_are_the_visible_ones(folder):
    data = load_heterodata(folder, split="train")
    for label in ("Person", "Account"):
        assert bool((data[label].y_fraud_visible <= data[label].y_fraud).all()), label
    # some fraud is labelled by the training cut and some not yet (in a world this small, among persons or accounts)
    fraud = sum(int(data[label].y_fraud.sum()) for label in ("Person", "Account"))
    visible = sum(int(data[label].y_fraud_visible.sum()) for label in ("Person", "Account"))
    assert fraud > visible > 0


def test_temporal_view_of_the_money(folder):
    train = load_temporal(folder, split="train")
    everything = load_temporal(folder, split="all")
    assert 0 < train.num_events < everything.num_events
    assert bool((train.t < cut(folder, "train_end")).all()) and bool((everything.t[1:] >= everything.t[:-1]).all())
    assert int(everything.src.max()) < metadata(folder)["nodes"]["Account"]["count"]
    assert everything.msg.shape == (everything.num_events, len(MONEY_FEATURES))
    assert int(everything.y.sum()) > 0


def test_unknown_split_and_missing_folder_are_one_line(folder, tmp_path):
    with pytest.raises(FraudGraphError, match="unknown split 'later'"):
        load_heterodata(folder, split="later")
    with pytest.raises(FraudGraphError, match="no gnn/metadata.json"):
        load_heterodata(tmp_path, split="train")


def test_without_torch_geometric_the_error_names_the_extra(folder, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch_geometric.data", None)
    with pytest.raises(FraudGraphError, match=r"pip install 'fraudgraph\[gnn\]'"):
        load_heterodata(folder, split="train")
