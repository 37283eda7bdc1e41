"""LDBC-style temporal consistency of the legitimate world: nothing happens before its endpoints exist."""

import pandas as pd
import pytest
from population_world import generate_legit

from fraudgraph import schema


@pytest.fixture(scope="module")
def dataset():
    return generate_legit("default", seed=11, persons=3000)


@pytest.fixture(scope="module")
def created(dataset):
    """Creation time of every node, by id."""
    graph = dataset.graph
    return {label: graph.nodes[label].set_index("id")[nt.time_property] for label, nt in schema.NODE_TYPES.items()}


@pytest.mark.parametrize("label", list(schema.NODE_TYPES))
def test_nodes_created_before_end(dataset, label):
    table = dataset.graph.nodes[label]
    assert len(table) > 0
    assert (table[schema.NODE_TYPES[label].time_property] < pd.Timestamp(dataset.scenario.end_date)).all()


@pytest.mark.parametrize("key", list(schema.EDGE_TYPES), ids=lambda k: "_".join(k))
def test_edges_after_both_endpoints_and_before_end(dataset, created, key):
    et = schema.EDGE_TYPES[key]
    table = dataset.graph.edges[key]
    assert len(table) > 0
    t = table[et.time_property]
    src_t = created[et.src].loc[table["src"]].to_numpy()
    dst_t = created[et.dst].loc[table["dst"]].to_numpy()
    early_src = table[t.to_numpy() < src_t]
    early_dst = table[t.to_numpy() < dst_t]
    assert early_src.empty, f"{len(early_src)} {et.file_stem} edges predate their {et.src}"
    assert early_dst.empty, f"{len(early_dst)} {et.file_stem} edges predate their {et.dst}"
    assert (t < pd.Timestamp(dataset.scenario.end_date)).all()


def test_time_properties_are_second_resolution(dataset):
    for key, et in schema.EDGE_TYPES.items():
        assert str(dataset.graph.edges[key][et.time_property].dtype) == "datetime64[s]", key


def test_no_pile_up_at_the_last_second(dataset):
    """Times that would pass the end are redrawn inside the span, not clipped to its last second."""
    end = pd.Timestamp(dataset.scenario.end_date) - pd.Timedelta(seconds=1)
    opened = dataset.graph.nodes["Account"]["opened_at"]
    assert (opened == end).mean() < 0.005
    for key, et in schema.EDGE_TYPES.items():
        times = dataset.graph.edges[key][et.time_property]
        if len(times):
            assert (times == end).mean() < 0.01, et.file_stem
