"""Friendships between shards: where they go, what they join, and when they appear."""

import datetime as dt

import networkx as nx
import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from fraudgraph.errors import ConfigError
from fraudgraph.shards import ShardPlan, write_sharded
from fraudgraph.shards.bridges import BRIDGE_PART, draw_bridges

from .world import sharded_scenario

KNOWS = "edges/Person_KNOWS_Person"


def _persons(out):
    """Shard, creation time and city of every person, by id."""
    shard, created, city = {}, {}, {}
    for k in range(3):
        t = pq.read_table(out / "nodes" / "Person" / f"part-{k:05d}.parquet", columns=["id", "created_at", "city"])
        for i, c, y in zip(t["id"].to_pylist(), t["created_at"].to_pylist(), t["city"].to_pylist()):
            shard[i], created[i], city[i] = k, c, y
    return shard, created, city


def test_bridges_join_persons_of_different_shards_once_each_after_both_exist(sharded):
    out, manifest = sharded
    ties = pq.read_table(out / KNOWS / BRIDGE_PART)
    shard, created, _ = _persons(out)
    src, dst, since = ties["src"].to_pylist(), ties["dst"].to_pylist(), ties["since"].to_pylist()
    assert all(shard[a] != shard[b] for a, b in zip(src, dst))
    assert all(a < b for a, b in zip(src, dst))  # KNOWS is stored once per pair, smaller id first
    assert len(set(zip(src, dst))) == len(src)
    assert all(t >= max(created[a], created[b]) for a, b, t in zip(src, dst, since))
    end = dt.datetime.combine(sharded_scenario().end_date, dt.time(), tzinfo=dt.timezone.utc)
    assert max(since) < end
    assert set(ties["kind"].to_pylist()) == {"friend"}
    entry = next(f for f in manifest.files if f["path"] == f"{KNOWS}/{BRIDGE_PART}")
    assert entry["rows"] == len(src)


def test_the_share_of_friendships_across_shards_is_what_the_scenario_says(sharded):
    out, manifest = sharded
    social = sharded_scenario().social
    wanted = round(3 * round(1000 * social.friends_mean / 2) * social.cross_shard_share / (1 - social.cross_shard_share))
    rows = pq.read_metadata(out / KNOWS / BRIDGE_PART).num_rows
    assert 0.95 * wanted <= rows <= wanted  # a few pairs drawn twice are kept once
    shard_rows = sum(pq.read_metadata(out / KNOWS / f"part-{k:05d}.parquet").num_rows for k in range(3))
    assert manifest["counts"]["edges"]["Person_KNOWS_Person"] == shard_rows + rows


def test_most_bridges_stay_in_a_city_and_the_shards_become_one_network(sharded):
    out, _ = sharded
    _, _, city = _persons(out)
    ties = pq.read_table(out / KNOWS / BRIDGE_PART)
    same_city = np.mean([city[a] == city[b] for a, b in zip(ties["src"].to_pylist(), ties["dst"].to_pylist())])
    assert same_city > 0.6  # social.same_city_prob is 0.8; an end redrawn out of its shard may land elsewhere
    knows = ds.dataset(out / KNOWS, format="parquet").to_table(columns=["src", "dst"])
    g = nx.Graph(zip(knows["src"].to_pylist(), knows["dst"].to_pylist()))
    giant = max(nx.connected_components(g), key=len)
    shard, _, _ = _persons(out)
    assert {shard[p] for p in giant} == {0, 1, 2}
    assert len(giant) > 0.8 * g.number_of_nodes()


def test_bridges_follow_sociability(sharded):
    out, _ = sharded
    inside = pa.concat_tables(pq.read_table(out / KNOWS / f"part-{k:05d}.parquet", columns=["src", "dst"])
                              for k in range(3))
    bridges = pq.read_table(out / KNOWS / BRIDGE_PART)
    on_bridge = set(bridges["src"].to_pylist()) | set(bridges["dst"].to_pylist())
    degree = {}
    for a, b in zip(inside["src"].to_pylist(), inside["dst"].to_pylist()):
        degree[a] = degree.get(a, 0) + 1
        degree[b] = degree.get(b, 0) + 1
    with_bridge = np.mean([d for p, d in degree.items() if p in on_bridge])
    without = np.mean([d for p, d in degree.items() if p not in on_bridge])
    assert with_bridge > without


def test_no_bridges_with_one_shard_or_a_share_of_zero(tmp_path):
    assert draw_bridges(ShardPlan(sharded_scenario(**{"persons.per_shard": 3000})), tmp_path) is None
    out = tmp_path / "alone"
    manifest = write_sharded(sharded_scenario(**{"social.cross_shard_share": 0.0, "days": 1,
                                                 "events.streams": []}), out)
    assert not (out / KNOWS / BRIDGE_PART).exists()
    assert all(not f["path"].endswith(BRIDGE_PART) for f in manifest.files)


@pytest.mark.parametrize("value", [1.0, -0.1])
def test_a_share_out_of_range_is_refused(value):
    with pytest.raises(ConfigError, match="cross_shard_share"):
        sharded_scenario(**{"social.cross_shard_share": value})
