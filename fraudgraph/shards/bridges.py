"""Friendships between shards, drawn once every shard is written, from the shards' own tables.

A shard is a community: its persons know each other and nobody outside. A real
population is not cut that way, so after the shards a share of friendships
(``social.cross_shard_share``) is drawn between persons of different shards, as
``build_social`` draws friends inside one: one end in proportion to how sociable
a person already is (its KNOWS degree), the other, as often as
``social.same_city_prob`` says, in the same city. The ties depend only on the
seed and on the shards' Person and KNOWS parts, never on where the shards ran,
and are written as one more part of the KNOWS table::

    edges/Person_KNOWS_Person/part-bridges.parquet

They carry no events: payments, tips and pattern recruiting stay inside a
shard (see the README's "Sharded generation").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from fraudgraph import schema
from fraudgraph.config import Scenario
from fraudgraph.exporters import WrittenFile, get_exporter
from fraudgraph.population.sampling import (
    group_index,
    later_than,
    pick_in_groups,
    pick_weighted,
)
from fraudgraph.seeding import SeedTree
from fraudgraph.shards.layout import KINDS, folder_for, part_name
from fraudgraph.shards.plan import ShardPlan
from fraudgraph.stageclock import stage
from fraudgraph.units import epoch_seconds, to_datetime

KNOWS = ("Person", "KNOWS", "Person")
#: The part holding the ties between shards, beside the shards' own parts of the KNOWS table.
BRIDGE_PART = "part-bridges.parquet"
#: Rounds of redrawing an end that fell in the other end's own shard before such a pair is dropped.
REDRAWS = 8


def write_bridges(plan: ShardPlan, root: Path) -> tuple[list[WrittenFile], dict[str, dict[str, int]]]:
    """Draw the friendships between the shards written under ``root`` and write them as one KNOWS part.

    Parameters
    ----------
    plan : ShardPlan
        The run's shards (all of them written).
    root : Path
        The dataset's staging folder.

    Returns
    -------
    files : list of WrittenFile
        The bridge part (none when there is one shard or the share is 0).
    counts : dict
        ``{"edges": {"Person_KNOWS_Person": rows}}``, to add to the shards' counts.
    """
    ties = draw_bridges(plan, root)
    if ties is None or not len(ties):
        return [], {}
    et = schema.edge_type(KNOWS)
    rel = Path("edges") / et.file_stem / BRIDGE_PART
    with stage("write graph bridges"):
        get_exporter("parquet").write_table(et, ties, folder_for(root, rel))
    return [WrittenFile.of(root, rel, KINDS["edges"], et.file_stem, len(ties))], {"edges": {et.file_stem: len(ties)}}


def draw_bridges(plan: ShardPlan, root: Path) -> pd.DataFrame | None:
    """The ties between shards as a KNOWS table (``src`` the smaller id), or None when there are none to draw.

    Parameters
    ----------
    plan : ShardPlan
        The run's shards.
    root : Path
        Where their parts are.
    """
    scenario: Scenario = plan.scenario
    share = scenario.social.cross_shard_share
    if plan.count < 2 or share <= 0:
        return None
    with stage("shards bridges"):
        ids, shard, city, created, degree = _persons(plan, root)
        friends = sum(round(n * scenario.social.friends_mean / 2) for n in plan.sizes)
        m = int(round(friends * share / (1 - share)))
        if m == 0 or len(ids) < 2:
            return None
        rng = SeedTree(scenario.seed).rng("shards", "bridges")
        weight = 1.0 + degree
        a = pick_weighted(rng, weight, m)
        cities, city_code = np.unique(city, return_inverse=True)
        order, starts, sizes = group_index(city_code, len(cities))
        local = rng.random(m) < scenario.social.same_city_prob

        def partners(rows: np.ndarray) -> np.ndarray:
            near = pick_in_groups(rng, city_code[a[rows]], order, starts, sizes, weight)
            return np.where(local[rows], near, pick_weighted(rng, weight, rows.size))

        b = partners(np.arange(m))
        for _ in range(REDRAWS):  # an end in its partner's own shard is drawn again, as near
            again = np.flatnonzero(shard[a] == shard[b])
            if not again.size:
                break
            b[again] = partners(again)
        keep = shard[a] != shard[b]
        a, b = a[keep], b[keep]
        swap = ids[a] > ids[b]
        a, b = np.where(swap, b, a), np.where(swap, a, b)
        pairs = pd.DataFrame({"a": a, "b": b}).drop_duplicates().sort_values(["a", "b"]).to_numpy()
        a, b = pairs[:, 0], pairs[:, 1]
        since = later_than(rng, np.maximum(created[a], created[b]), epoch_seconds(scenario.end_date), 90)
        ties = pd.DataFrame({"src": pd.array(ids[a], dtype="str"), "dst": pd.array(ids[b], dtype="str"),
                             "kind": np.full(len(a), "friend", dtype=object), "since": to_datetime(since)})
        return ties.sort_values(["src", "dst"], kind="stable").reset_index(drop=True)


def _persons(plan: ShardPlan, root: Path) -> tuple[np.ndarray, ...]:
    """Every shard's persons: ids (sorted), shard, city, creation time, and KNOWS degree inside the shard."""
    person = schema.node_type("Person")
    stem = schema.edge_type(KNOWS).file_stem
    tables = []
    for k in range(plan.count):
        t = pq.read_table(root / "nodes" / "Person" / part_name(k), columns=["id", "city", person.time_property])
        tables.append(t.append_column("shard", pa.array(np.full(t.num_rows, k, np.int32))))
    persons = pa.concat_tables(tables)
    persons = persons.take(pc.sort_indices(persons, [("id", "ascending")]))
    ids = persons["id"].combine_chunks().cast(pa.large_string())
    degree = np.zeros(len(ids), np.float64)
    for k in range(plan.count):
        knows = pq.read_table(root / "edges" / stem / part_name(k), columns=["src", "dst"])
        for end in ("src", "dst"):
            at = pc.index_in(knows[end], value_set=ids).to_numpy(zero_copy_only=False)
            degree += np.bincount(at, minlength=len(ids))
    created = persons[person.time_property].cast(pa.timestamp("s")).cast(pa.int64()).to_numpy()
    return (np.asarray(ids.to_numpy(zero_copy_only=False), dtype=object), persons["shard"].to_numpy(),
            persons["city"].to_numpy(zero_copy_only=False), created, degree)
