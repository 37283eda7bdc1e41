import numpy as np
import pandas as pd
import pytest

from fraudgraph import schema
from fraudgraph.errors import GraphIntegrityError
from fraudgraph.graph import PropertyGraph, random_ids


def test_random_ids_unique_prefixed_and_avoid_taken():
    rng = np.random.default_rng(0)
    ids, keys = random_ids("per_", 50_000, rng)
    assert len(set(ids)) == 50_000
    assert all(i.startswith("per_") and len(i) == 16 for i in ids[:100])
    more, more_keys = random_ids("per_", 50_000, rng, taken=keys)
    assert not set(more) & set(ids)


def test_ids_do_not_follow_row_order(small_dataset):
    # ids are random, and finalize sorts rows by id: creation order is invisible
    persons = small_dataset.graph.nodes["Person"]
    assert persons["id"].is_monotonic_increasing
    assert not persons["created_at"].is_monotonic_increasing


def test_metadata_counts_and_validate(small_dataset):
    g = small_dataset.graph
    labels, keys = g.metadata()
    assert set(labels) == set(schema.NODE_TYPES) and set(keys) == set(schema.EDGE_TYPES)
    assert g.validate() == []
    # persons.count is the legitimate population; synthetic identities of fraud patterns come on top
    synthetic = small_dataset.truth.node_labels.query("label == 'Person'")["id"].nunique()
    assert 600 <= g.counts()["nodes"]["Person"] <= 600 + synthetic
    assert all(len(t) > 0 for t in g.edges.values())


def _copy(g):
    h = PropertyGraph()
    h.nodes = {k: v.copy() for k, v in g.nodes.items()}
    h.edges = {k: v.copy() for k, v in g.edges.items()}
    return h


def test_validate_finds_dangling_duplicate_and_enum_problems(small_dataset):
    g = _copy(small_dataset.graph)
    key = ("Person", "OWNS", "Account")
    t = g.edges[key]
    t.loc[0, "dst"] = "acc_doesnotexist"
    g.edges[key] = pd.concat([t, t.iloc[[1]]], ignore_index=True)
    g.nodes["Device"].loc[0, "device_type"] = "toaster"
    problems = g.validate(raise_on_error=False)
    text = "\n".join(problems)
    assert "dst ids are not Account nodes" in text
    assert "duplicate (src, dst)" in text
    assert "toaster" in text
    with pytest.raises(GraphIntegrityError):
        g.validate()


def test_validate_finds_missing_values_and_bad_prefix(small_dataset):
    g = _copy(small_dataset.graph)
    g.nodes["Person"].loc[0, "email"] = None
    g.nodes["Company"].loc[0, "id"] = "xyz_1"
    text = "\n".join(g.validate(raise_on_error=False))
    assert "Person.email: 1 missing" in text
    assert "lack the prefix 'com_'" in text


def test_add_nodes_rejects_wrong_columns():
    g = PropertyGraph()
    with pytest.raises(GraphIntegrityError, match="missing columns"):
        g.add_nodes("Person", pd.DataFrame({"id": ["per_1"]}))


def test_to_networkx(small_dataset):
    nxg = small_dataset.to_networkx()
    g = small_dataset.graph
    assert nxg.number_of_nodes() == g.num_nodes()
    assert nxg.number_of_edges() == g.num_edges()
    pid = g.nodes["Person"]["id"].iloc[0]
    assert nxg.nodes[pid]["label"] == "Person"
    any_edge = next(iter(nxg.edges(keys=True, data=True)))
    assert any_edge[2] in {et.rel for et in schema.EDGE_TYPES.values()}


def test_validate_finds_missing_endpoints(small_dataset):
    g = _copy(small_dataset.graph)
    key = ("Account", "PAYS", "Company")
    g.edges[key].loc[0, "dst"] = None
    text = "\n".join(g.validate(raise_on_error=False))
    assert "Account_PAYS_Company: 1 rows have no dst id" in text
