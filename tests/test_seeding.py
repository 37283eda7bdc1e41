import numpy as np

from fraudgraph.seeding import SeedTree


def test_same_path_same_stream_and_order_independent():
    a = SeedTree(5)
    first = a.rng("population", "persons").random(4)
    a.rng("population", "devices").random(100)  # drawing elsewhere changes nothing
    assert np.array_equal(first, SeedTree(5).rng("population", "persons").random(4))


def test_paths_and_seeds_differ():
    t = SeedTree(5)
    assert not np.array_equal(t.rng("a").random(4), t.rng("b").random(4))
    assert not np.array_equal(t.rng("a").random(4), SeedTree(6).rng("a").random(4))
