"""Devices: a primary device per person, a few extra ones, and household devices shared by members."""

from __future__ import annotations

import binascii
import itertools

import numpy as np
import pandas as pd

from fraudgraph import schema
from fraudgraph.graph import PropertyGraph
from fraudgraph.population.sampling import choice_from_weights, later_than
from fraudgraph.population.world import World
from fraudgraph.units import to_datetime

APP = "CircleApp"
_IOS = ("16.7", "17.4", "17.6", "18.1", "18.3")
_IOS_MODELS = ("iPhone13,2", "iPhone14,5", "iPhone15,2", "iPhone16,1", "iPad13,4")
_ANDROID = ("12", "13", "14", "15")
_ANDROID_MODELS = ("SM-S918B", "Pixel 8", "moto g84 5G", "SM-A546E", "Redmi Note 13")
_DESKTOP = (
    ("Windows 11", "Windows NT 10.0; Win64; x64"), ("Windows 10", "Windows NT 10.0; Win64; x64"),
    ("macOS 14", "Macintosh; Intel Mac OS X 14_5"), ("macOS 15", "Macintosh; Intel Mac OS X 15_1"),
    ("Ubuntu 22.04", "X11; Linux x86_64"), ("ChromeOS 124", "X11; CrOS x86_64 15823.0.0"),
)
_BROWSERS = (
    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
    "Gecko/20100101 Firefox/127.0",
)


def _client_table() -> pd.DataFrame:
    """Every (device type, os, user agent, emulator) combination a device can have."""
    rows = []
    for v, model in itertools.product(_IOS, _IOS_MODELS):
        rows.append(("ios", f"iOS {v}", f"{APP}/5.{_IOS.index(v)}.0 ({model}; iOS {v}; Scale/3.00)", False))
    for v in _IOS[2:]:
        rows.append(("ios", f"iOS {v}", f"{APP}/5.{_IOS.index(v)}.0 (iPhone Simulator; iOS {v}; Scale/3.00)", True))
    for v, model in itertools.product(_ANDROID, _ANDROID_MODELS):
        rows.append(("android", f"Android {v}", f"{APP}/5.{_ANDROID.index(v)}.1 (Linux; Android {v}; {model})", False))
    for v in _ANDROID[1:]:
        rows.append(("android", f"Android {v}", f"{APP}/5.{_ANDROID.index(v)}.1 (Linux; Android {v}; sdk_gphone64_x86_64)", True))
    for (os_name, platform), browser in itertools.product(_DESKTOP, _BROWSERS):
        rows.append(("web_desktop", os_name, f"Mozilla/5.0 ({platform}) {browser}", False))
    for v in _IOS:
        rows.append(("web_mobile", f"iOS {v}", f"Mozilla/5.0 (iPhone; CPU iPhone OS {v.replace('.', '_')} like Mac OS X) "
                     f"AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{v.split('.')[0]}.0 Mobile/15E148 Safari/604.1", False))
    for v, model in itertools.product(_ANDROID, _ANDROID_MODELS[:3]):
        rows.append(("web_mobile", f"Android {v}", f"Mozilla/5.0 (Linux; Android {v}; {model}) AppleWebKit/537.36 "
                     "(KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36", False))
    return pd.DataFrame(rows, columns=["device_type", "os", "user_agent", "is_emulator"])


CLIENTS = _client_table()


def fingerprints(rng: np.random.Generator, n: int) -> np.ndarray:
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    return np.frombuffer(binascii.hexlify(raw.tobytes()), dtype="S32").astype(str)


def assign_clients(rng: np.random.Generator, device_type: np.ndarray, emulator: np.ndarray) -> np.ndarray:
    """Row of :data:`CLIENTS` for each device, matching its type and emulator flag."""
    key = CLIENTS["device_type"].map({t: i for i, t in enumerate(schema.DEVICE_TYPES)}).to_numpy() * 2 + CLIENTS["is_emulator"].to_numpy()
    order = np.argsort(key, kind="stable")
    counts = np.bincount(key, minlength=2 * len(schema.DEVICE_TYPES))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    want = device_type * 2 + emulator.astype(np.int64)
    want = np.where(counts[want] > 0, want, device_type * 2)  # no emulator build of this type
    return order[starts[want] + (rng.random(want.size) * counts[want]).astype(np.int64)]


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
