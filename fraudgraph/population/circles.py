"""Savings circles (sou-sou / ROSCA): an organizer and 5-12 members from one community."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fraudgraph import schema
from fraudgraph.graph import PropertyGraph
from fraudgraph.population.sampling import (
    choice_from_weights,
    group_index,
    later_than,
    pick_in_groups,
    rank_in_groups,
)
from fraudgraph.population.world import World
from fraudgraph.units import DAY, to_datetime
from fraudgraph.vocab.geography import COUNTRY_CURRENCY

PERIOD_DAYS = np.array(schema.PERIOD_DAYS)
NAME_WORDS = ("Sou-Sou", "Savings Circle", "Sol", "Susu", "Partner Hand", "Tontine", "Kès", "Box Hand")
NAME_PREFIXES = ("Lakay", "Family", "Unity", "Friends", "Neighbors", "Sisters", "Church", "Hope",
                 "Harvest", "Solidarity", "Cornerstone", "Sunrise", "Heritage", "Village", "Kombit")


def build_circles(world: World, graph: PropertyGraph) -> None:
    """Add ``Circle`` nodes with ``MEMBER_OF`` and ``ORGANIZES`` edges."""
    cfg = world.scenario.circles
    rng = world.rng("circles")
    n = world["person_id"].size
    city = world["person_city"]
    order, starts, sizes = group_index(city, len(world.geo))

    mean_size = (cfg.min_members + cfg.max_members) / 2
    n_circles = int(round(n * cfg.participation / mean_size))
    if n_circles == 0:
        _write(world, graph, rng, *(np.empty(0, np.int64) for _ in range(3)), cfg)
        return
    organizer = rng.integers(0, n, n_circles)
    target = rng.integers(cfg.min_members, cfg.max_members + 1, n_circles)
    target = np.minimum(target, sizes[city[organizer]])  # a tiny town caps its circles

    # candidates from the organizer's city, oversampled, then deduplicated within the circle
    draws = target * 2 + 4
    circle = np.repeat(np.arange(n_circles), draws)
    candidate = pick_in_groups(rng, city[organizer][circle], order, starts, sizes)
    pool = pd.DataFrame({"circle": np.r_[np.arange(n_circles), circle], "person": np.r_[organizer, candidate]})
    pool = pool.drop_duplicates(["circle", "person"], keep="first")
    rank = pool.groupby("circle").cumcount().to_numpy()
    pool = pool[rank < target[pool["circle"].to_numpy()]]
    _write(world, graph, rng, organizer, pool["circle"].to_numpy(), pool["person"].to_numpy(), cfg)


def _write(world, graph, rng, organizer, member_circle, member_person, cfg) -> None:
    n_circles = organizer.size
    created_person = world["person_created"]
    frequency = choice_from_weights(rng, cfg.frequency_weights, schema.FREQUENCIES, n_circles)
    rotation = choice_from_weights(rng, cfg.rotation_weights, schema.ROTATION_ORDERS, n_circles)
    size = np.bincount(member_circle, minlength=n_circles)

    window = 400 * DAY
    earliest = np.maximum(created_person[organizer], world.start - (rng.random(n_circles) * window).astype(np.int64))
    lag = rng.random(n_circles)
    created = earliest + (lag * 30 * DAY).astype(np.int64)
    # a circle that would be created after the end is created in what is left of the span instead
    # (the same draw, scaled), so that short spans do not pile circles up on their last second
    room = np.maximum(world.end - earliest, 1)
    created = np.where(created >= world.end, earliest + (lag * room).astype(np.int64), created)
    start_day = (created + (3 + rng.random(n_circles) * 25).astype(np.int64) * DAY) // DAY * DAY
    duration = size * PERIOD_DAYS[frequency] * DAY
    ended = start_day + duration <= world.start
    status = np.where(start_day > world.start, "pending", np.where(ended, "completed", "active")).astype(object)
    failed = ended & (rng.random(n_circles) < cfg.failure_rate)
    status[failed] = "failed"

    step = 25.0 if cfg.contribution_max - cfg.contribution_min >= 50 else 1.0
    raw = cfg.contribution_min + rng.random(n_circles) * (cfg.contribution_max - cfg.contribution_min)
    amount = np.clip(np.round(raw / step) * step, cfg.contribution_min, cfg.contribution_max)
    extra_seats = np.minimum(rng.geometric(0.6, n_circles) - 1, np.maximum(cfg.max_members - size, 0))
    country = world["person_country"][organizer]
    prefix = np.array(NAME_PREFIXES, dtype=object)[rng.integers(0, len(NAME_PREFIXES), n_circles)]
    word = np.array(NAME_WORDS, dtype=object)[rng.integers(0, len(NAME_WORDS), n_circles)]
    city_name = world.geo.city[world["person_city"][organizer]]
    use_city = rng.random(n_circles) < 0.4
    name = pd.Series(np.where(use_city, city_name, prefix), dtype=str) + " " + pd.Series(word, dtype=str)

    ids = graph.new_ids("Circle", n_circles, rng)
    graph.add_nodes("Circle", pd.DataFrame({
        "id": ids,
        "name": name.to_numpy(dtype=object),
        "contribution_amount": amount,
        "currency": pd.Series(country, dtype=object).map(COUNTRY_CURRENCY).to_numpy(dtype=object),
        "frequency": np.array(schema.FREQUENCIES)[frequency],
        "max_members": (size + extra_seats).astype(np.int64),
        "start_date": to_datetime(start_day),
        "rotation_order": np.array(schema.ROTATION_ORDERS)[rotation],
        "status": status,
        "created_at": to_datetime(created),
    }))
    position = rank_in_groups(rng, member_circle) + 1
    is_organizer = member_person == organizer[member_circle]
    earliest = np.maximum(created[member_circle], created_person[member_person])
    joined = np.where(is_organizer, earliest, later_than(rng, earliest, world.end, 7))
    person_ids = world["person_id"]
    graph.add_edges(("Person", "MEMBER_OF", "Circle"), pd.DataFrame({
        "src": person_ids[member_person],
        "dst": ids[member_circle],
        "position": position,
        "joined_at": to_datetime(joined),
    }))
    graph.add_edges(("Person", "ORGANIZES", "Circle"), pd.DataFrame({
        "src": person_ids[organizer],
        "dst": ids,
        "since": to_datetime(created),
    }))
