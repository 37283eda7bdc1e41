"""Devices: a primary device per person, a few extra ones, and household devices shared by members."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fraudgraph import schema
from fraudgraph.graph import PropertyGraph
from fraudgraph.population.sampling import choice_from_weights, later_than
from fraudgraph.population.world import World
from fraudgraph.units import to_datetime
from fraudgraph.vocab.devices import CLIENTS, assign_clients, fingerprints


def build_devices(world: World, graph: PropertyGraph) -> None:
    """Add ``Device`` nodes and ``USES_DEVICE`` edges."""
    cfg = world.scenario.devices
    rng = world.rng("devices")
    created = world["person_created"]
    n = created.size
    types = schema.DEVICE_TYPES

    # personal devices: one primary each, plus a geometric number of extras
    extra = rng.geometric(1.0 / (1.0 + cfg.extra_devices_mean), size=n) - 1
    owner = np.concatenate([np.arange(n), np.repeat(np.arange(n), extra)])
    primary = np.concatenate([np.ones(n, bool), np.zeros(int(extra.sum()), bool)])
    dtype = np.concatenate([
        choice_from_weights(rng, cfg.primary_type_weights, types, n),
        rng.integers(0, len(types), int(extra.sum())),
    ])
    personal_seen = np.where(primary, later_than(rng, created[owner], world.end, 2), later_than(rng, created[owner], world.end, 120))

    # household devices: a desktop or tablet that every member logs in from
    sizes = world["household_size"]
    hh_start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    shared_hh = np.flatnonzero((sizes >= 2) & (rng.random(sizes.size) < cfg.household_shared_device_prob))
    shared_type = np.where(rng.random(shared_hh.size) < 0.7, types.index("web_desktop"),
                           np.where(rng.random(shared_hh.size) < 0.5, types.index("ios"), types.index("android")))
    hh_first = np.minimum.reduceat(created, hh_start)[shared_hh]
    shared_seen = later_than(rng, hh_first, world.end, 60)

    n_personal, n_shared = owner.size, shared_hh.size
    device_type = np.concatenate([dtype, shared_type])
    first_seen = np.concatenate([personal_seen, shared_seen])
    emulator = (rng.random(device_type.size) < cfg.emulator_share) & np.isin(device_type, [0, 1])
    client = assign_clients(rng, device_type, emulator)
    ids = graph.new_ids("Device", device_type.size, rng)
    graph.add_nodes("Device", pd.DataFrame({
        "id": ids,
        "fingerprint": fingerprints(rng, device_type.size),
        "device_type": np.array(types)[device_type],
        "os": CLIENTS["os"].to_numpy()[client],
        "user_agent": CLIENTS["user_agent"].to_numpy()[client],
        "first_seen": to_datetime(first_seen),
        "is_emulator": CLIENTS["is_emulator"].to_numpy()[client],
    }))

    shared_sizes = sizes[shared_hh]
    member_hh = np.repeat(np.arange(n_shared), shared_sizes)
    member = hh_start[shared_hh][member_hh] + (np.arange(member_hh.size) - np.repeat(np.cumsum(shared_sizes) - shared_sizes, shared_sizes))
    shared_device = n_personal + member_hh
    user = np.concatenate([owner, member])
    device = np.concatenate([np.arange(n_personal), shared_device])
    edge_seen = np.concatenate([
        personal_seen,
        later_than(rng, np.maximum(created[member], shared_seen[member_hh]), world.end, 20),
    ])
    graph.add_edges(("Person", "USES_DEVICE", "Device"), pd.DataFrame({
        "src": world["person_id"][user],
        "dst": ids[device],
        "is_primary": np.concatenate([primary, np.zeros(member.size, bool)]),
        "first_seen": to_datetime(edge_seen),
    }))
    world["device_id"] = ids
    world["device_type"] = device_type
    world["uses_device_person"] = user
    world["uses_device_device"] = device
    world["uses_device_seen"] = edge_seen
