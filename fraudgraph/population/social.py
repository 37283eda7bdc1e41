"""KNOWS ties: family within households, friends with homophily by city, coworkers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fraudgraph.graph import PropertyGraph
from fraudgraph.population.sampling import (
    group_index,
    later_than,
    pairs_within_groups,
    pick_in_groups,
    pick_weighted,
)
from fraudgraph.population.world import World
from fraudgraph.units import to_datetime

KINDS = ("family", "coworker", "friend")  # earlier kinds win when a pair has several reasons


def build_social(world: World, graph: PropertyGraph) -> None:
    """Add ``KNOWS`` edges, stored once per pair with the smaller id as ``src``."""
    cfg = world.scenario.social
    rng = world.rng("social")
    n = world["person_id"].size
    city = world["person_city"]

    # family: every pair inside a household
    sizes = world["household_size"]
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    fa, fb = pairs_within_groups(np.arange(n), starts, sizes)

    # friends: Chung-Lu with Pareto sociability, most ties inside the city
    sociability = 1.0 + rng.pareto(cfg.degree_tail - 1.0, n)  # degree density ~ k^-degree_tail
    sociability = np.minimum(sociability, np.sqrt(n) * 4)
    m = int(round(n * cfg.friends_mean / 2))
    a = pick_weighted(rng, sociability, m)
    order, c_starts, c_sizes = group_index(city, len(world.geo))
    local = rng.random(m) < cfg.same_city_prob
    b = np.where(local, pick_in_groups(rng, city[a], order, c_starts, c_sizes, sociability), pick_weighted(rng, sociability, m))

    # coworkers: a few ties to random colleagues
    emp, company = world["employee_person"], world["employee_company"]
    k = rng.poisson(cfg.coworkers_mean, emp.size)
    who = np.repeat(np.arange(emp.size), k)
    e_order, e_starts, e_sizes = group_index(company, world["company_id"].size)
    mate = pick_in_groups(rng, company[who], e_order, e_starts, e_sizes)
    ca, cb = emp[who], emp[mate]

    src = np.concatenate([fa, ca, a])
    dst = np.concatenate([fb, cb, b])
    kind = np.concatenate([np.zeros(fa.size, np.int8), np.ones(ca.size, np.int8), np.full(a.size, 2, np.int8)])
    keep = src != dst
    src, dst, kind = src[keep], dst[keep], kind[keep]
    ids = world["person_id"]
    swap = np.asarray(ids[src] > ids[dst], dtype=bool)
    src, dst = np.where(swap, dst, src), np.where(swap, src, dst)
    ties = pd.DataFrame({"src": src, "dst": dst, "kind": kind}).sort_values("kind", kind="stable")
    ties = ties.drop_duplicates(["src", "dst"], keep="first")
    s, d = ties["src"].to_numpy(), ties["dst"].to_numpy()
    created = world["person_created"]
    since = later_than(rng, np.maximum(created[s], created[d]), world.end, 90)
    graph.add_edges(("Person", "KNOWS", "Person"), pd.DataFrame({
        "src": ids[s],
        "dst": ids[d],
        "kind": np.array(KINDS)[ties["kind"].to_numpy()],
        "since": to_datetime(since),
    }))
    world["knows_a"] = s
    world["knows_b"] = d
