"""Cutting a scenario into shards: sizes, pattern counts, seed branches and id ranges from the scenario alone."""

import numpy as np
import pytest

from fraudgraph.config import resolve_scenario
from fraudgraph.graph import random_ids
from fraudgraph.injection import plan_counts
from fraudgraph.seeding import SeedTree
from fraudgraph.shards import DEFAULT_PER_SHARD, ShardPlan


def _scenario(**values):
    return resolve_scenario("default").override(values)


@pytest.mark.parametrize("persons, per_shard, sizes", [
    (2500, 1000, (834, 833, 833)),
    (3000, 1000, (1000, 1000, 1000)),
    (999, 1000, (999,)),
    (1_000_001, 100_000, (90_910,) * 2 + (90_909,) * 9),
])
def test_sizes_are_as_equal_as_whole_persons_allow(persons, per_shard, sizes):
    plan = ShardPlan(_scenario(**{"persons.count": persons, "persons.per_shard": per_shard}))
    assert plan.sizes == sizes and sum(plan.sizes) == persons
    assert max(plan.sizes) <= per_shard and plan.count == len(sizes)


def test_default_shard_size_applies_when_the_scenario_does_not_say():
    plan = ShardPlan(_scenario(**{"persons.count": 250_000}))
    assert plan.per_shard == DEFAULT_PER_SHARD and plan.count == 3


def test_fixed_pattern_counts_are_shared_out_and_add_up():
    scenario = _scenario(**{"persons.count": 5000, "persons.per_shard": 1000,
                            "fraud.patterns": {"kiting_cycle": {"count": 7}, "fraud_ring": {"count": 2}}})
    plan = ShardPlan(scenario)
    kiting = [plan_counts(plan.scenario_of(k))["kiting_cycle"][0] for k in range(plan.count)]
    rings = [plan_counts(plan.scenario_of(k)).get("fraud_ring", (0, 0))[0] for k in range(plan.count)]
    assert sum(kiting) == 7 and max(kiting) - min(kiting) <= 1
    assert sum(rings) == 2
    assert [plan.scenario_of(k).persons.count for k in range(plan.count)] == list(plan.sizes)


def test_each_shard_draws_from_its_own_branch_and_a_lone_shard_from_the_root():
    draws = [SeedTree(5, shard=(k, 3)).rng("population", "persons").integers(0, 2**62, 4) for k in range(3)]
    assert len({tuple(d) for d in draws}) == 3
    lone = ShardPlan(_scenario(**{"persons.count": 900, "persons.per_shard": 1000, "seed": 5})).seeds(0)
    assert (lone.rng("a").integers(0, 2**62, 4) == SeedTree(5).rng("a").integers(0, 2**62, 4)).all()
    with pytest.raises(ValueError, match="shard index 3"):
        SeedTree(5, shard=(3, 3))


def test_shards_draw_disjoint_ids_and_the_whole_world_keeps_its_ids():
    keys = [random_ids("per_", 5000, np.random.default_rng(1), space=(k, 4))[1] for k in range(4)]
    for k, shard_keys in enumerate(keys):
        assert (shard_keys % np.uint64(4) == k).all() and len(np.unique(shard_keys)) == 5000
    assert len(np.unique(np.concatenate(keys))) == 20_000
    whole, _ = random_ids("per_", 10, np.random.default_rng(1))
    reference = np.random.default_rng(1).integers(0, 2**48, size=10, dtype=np.uint64)
    assert list(whole) == [f"per_{k:012x}" for k in reference]


def test_the_layout_record_names_the_cut_not_the_workers():
    plan = ShardPlan(_scenario(**{"persons.count": 2500, "persons.per_shard": 1000}))
    assert plan.layout() == {"kind": "sharded", "shards": 3, "per_shard": 1000, "persons": [834, 833, 833]}
