"""IP addresses, who connects from them, and which devices were seen there.

Home addresses are shared by a household; carrier-NAT mobile addresses,
public Wi-Fi hotspots and corporate gateways are shared by many unrelated
persons; a minority of legitimate persons use commercial VPNs or hosting
providers. Addresses come from reserved blocks so that none points at a real
network: 240.0.0.0/4 (reserved, never assigned) and, for carrier NAT, the
shared address space 100.64.0.0/10. ASNs come from the private-use range.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fraudgraph import schema
from fraudgraph.graph import PropertyGraph
from fraudgraph.population.sampling import later_than
from fraudgraph.population.world import World
from fraudgraph.units import to_datetime
from fraudgraph.vocab.draw import unique_integers
from fraudgraph.vocab.networks import (
    ASN_BASE,
    CGNAT_BASE,
    CGNAT_SIZE,
    PROVIDERS,
    RESERVED_BASE,
    RESERVED_SIZE,
    dotted,
)

CONTEXTS = ("home", "mobile", "work", "public", "vpn", "hosting")
KIND_OF_CONTEXT = {"home": "residential", "mobile": "mobile", "work": "corporate", "public": "public_wifi",
                   "vpn": "vpn", "hosting": "hosting"}
#: Which device types connect in which context (rows: schema.DEVICE_TYPES, columns: CONTEXTS).
COMPATIBLE = np.array([
    [1, 1, 1, 1, 1, 1],  # ios
    [1, 1, 1, 1, 1, 1],  # android
    [1, 0, 1, 0, 1, 1],  # web_desktop
    [1, 1, 1, 1, 1, 1],  # web_mobile
], dtype=bool)
MOBILE_CAPABLE = np.array([True, True, False, True])

FIRST_USE_DAYS = {"home": 1, "mobile": 1, "work": 30, "public": 60, "vpn": 90, "hosting": 60}


class _Pools:
    """Accumulates IP pools (kind, city, provider) and person->IP uses."""

    def __init__(self):
        self.kind, self.city, self.provider = [], [], []
        self.use_person, self.use_ip, self.use_context = [], [], []
        self.n = 0

    def add_ips(self, kind: str, city: np.ndarray, provider: np.ndarray) -> int:
        first = self.n
        self.kind.append(np.full(city.size, schema.IP_KINDS.index(kind)))
        self.city.append(city)
        self.provider.append(provider)
        self.n += city.size
        return first

    def add_uses(self, context: str, person: np.ndarray, ip: np.ndarray) -> None:
        self.use_person.append(person)
        self.use_ip.append(ip)
        self.use_context.append(np.full(person.size, CONTEXTS.index(context)))


def providers_for(kind: str, countries: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Provider positions of ``kind`` for IPs in ``countries``."""
    out = np.empty(countries.size, dtype=np.int64)
    for code in np.unique(countries):
        choices = [i for i, (k, c, _) in enumerate(PROVIDERS) if k == kind and c in (code, "*")]
        mask = countries == code
        out[mask] = np.array(choices)[rng.integers(0, len(choices), int(mask.sum()))]
    return out




def ip_nodes(geo, rng: np.random.Generator, ids, address, kind, city: np.ndarray, provider: np.ndarray,
             first_seen: np.ndarray, jitter) -> pd.DataFrame:
    """IP node rows: each address at its ``city`` (positions in ``geo``), placed within ``jitter`` degrees of it,
    with its provider's ASN and name."""
    n = len(ids)
    return pd.DataFrame({
        "id": ids,
        "address": address,
        "kind": kind,
        "asn": ASN_BASE + provider,
        "provider": np.array([p[2] for p in PROVIDERS], dtype=object)[provider],
        "country": geo.country[city],
        "city": geo.city[city],
        "lat": np.round(geo.lat[city] + rng.normal(0, 1, n) * jitter, 4),
        "lon": np.round(geo.lon[city] + rng.normal(0, 1, n) * jitter, 4),
        "first_seen": to_datetime(first_seen),
    })


def _city_pool(rng, pools, world, kind, users, per_ip, picks_max):
    """Per-city shared pools sized by demand; each user picks 1..picks_max addresses of their city."""
    city = world["person_city"][users]
    n_cities = len(world.geo)
    demand = np.bincount(city, minlength=n_cities)
    size = np.ceil(demand / per_ip).astype(np.int64)
    pool_city = np.repeat(np.arange(n_cities), size)
    first = pools.add_ips(kind, pool_city, providers_for(kind, world.geo.country[pool_city], rng))
    start = first + np.concatenate([[0], np.cumsum(size)[:-1]])
    picks = rng.integers(1, picks_max + 1, users.size)
    who = np.repeat(users, picks)
    wc = world["person_city"][who]
    ip = start[wc] + (rng.random(who.size) * size[wc]).astype(np.int64)
    return who, ip


def build_networks(world: World, graph: PropertyGraph) -> None:
    """Add ``IP`` nodes, ``USES_IP`` and ``SEEN_AT`` edges."""
    cfg = world.scenario.ips
    rng = world.rng("ips")
    n = world["person_id"].size
    world["person_city"]
    pools = _Pools()

    # home: one residential address per household
    hh = world["person_household"]
    hh_city = world["household_city"]
    first = pools.add_ips("residential", hh_city, providers_for("residential", world.geo.country[hh_city], rng))
    pools.add_uses("home", np.arange(n), first + hh)

    # mobile carrier NAT and public Wi-Fi need a phone or mobile browser
    capable = np.zeros(n, dtype=bool)
    capable[world["uses_device_person"][MOBILE_CAPABLE[world["device_type"][world["uses_device_device"]]]]] = True
    mobile_users = np.flatnonzero(capable & (rng.random(n) < cfg.mobile_share))
    pools.add_uses("mobile", *_city_pool(rng, pools, world, "mobile", mobile_users, cfg.persons_per_mobile_ip, 2))
    wifi_users = np.flatnonzero(capable & (rng.random(n) < cfg.public_wifi_share))
    pools.add_uses("public", *_city_pool(rng, pools, world, "public_wifi", wifi_users, cfg.persons_per_public_wifi_ip, 3))

    # work: employer gateways, more of them for bigger workforces
    emp_person, emp_company = world["employee_person"], world["employee_company"]
    at_work = rng.random(emp_person.size) < cfg.work_ip_share
    wp, wc = emp_person[at_work], emp_company[at_work]
    n_comp = world["company_id"].size
    demand = np.bincount(wc, minlength=n_comp)
    gateways = np.where(demand > 0, 1 + (np.log2(np.maximum(demand, 1)) // 3).astype(np.int64), 0)
    gw_company = np.repeat(np.arange(n_comp), gateways)
    gw_city = world["company_city"][gw_company]
    first = pools.add_ips("corporate", gw_city, providers_for("corporate", world.geo.country[gw_city], rng))
    gw_start = first + np.concatenate([[0], np.cumsum(gateways)[:-1]])
    pools.add_uses("work", wp, gw_start[wc] + (rng.random(wp.size) * gateways[wc]).astype(np.int64))

    # VPN exits and hosting providers: small global pools shared by everyone who uses them
    for context, kind, share, pool_size, picks_max in (("vpn", "vpn", cfg.vpn_share, cfg.vpn_exit_ips, 2),
                                                       ("hosting", "hosting", cfg.hosting_share, cfg.hosting_ips, 1)):
        users = np.flatnonzero(rng.random(n) < share)
        pool_city = world.geo.sample(rng, pool_size)
        first = pools.add_ips(kind, pool_city, providers_for(kind, np.full(pool_size, "*"), rng))
        who = np.repeat(users, rng.integers(1, picks_max + 1, users.size))
        ip = first + np.minimum((rng.pareto(1.5, who.size) * pool_size / 8).astype(np.int64), pool_size - 1)
        pools.add_uses(context, who, ip)

    _write_tables(world, graph, rng, pools)


def _write_tables(world: World, graph: PropertyGraph, rng: np.random.Generator, pools: _Pools) -> None:
    kind = np.concatenate(pools.kind)
    ip_city = np.concatenate(pools.city)
    provider = np.concatenate(pools.provider)
    uses = pd.DataFrame({
        "person": np.concatenate(pools.use_person),
        "ip": np.concatenate(pools.use_ip),
        "context": np.concatenate(pools.use_context),
    }).drop_duplicates(["person", "ip"], ignore_index=True)
    delay = np.array([FIRST_USE_DAYS[c] for c in CONTEXTS], dtype=float)[uses["context"].to_numpy()]
    created = world["person_created"][uses["person"].to_numpy()]
    uses["seen"] = later_than(rng, created, world.end, 1.0 + delay)

    # keep only addresses somebody uses; first_seen is their first use
    used = np.zeros(kind.size, dtype=bool)
    used[uses["ip"].to_numpy()] = True
    keep = np.flatnonzero(used)
    remap = np.full(kind.size, -1, dtype=np.int64)
    remap[keep] = np.arange(keep.size)
    uses["ip"] = remap[uses["ip"].to_numpy()]
    kind, ip_city, provider = kind[keep], ip_city[keep], provider[keep]
    first_seen = np.full(keep.size, np.iinfo(np.int64).max)
    np.minimum.at(first_seen, uses["ip"].to_numpy(), uses["seen"].to_numpy())

    n_ips = keep.size
    is_mobile = kind == schema.IP_KINDS.index("mobile")
    address = np.empty(n_ips, dtype=np.int64)
    address[is_mobile] = CGNAT_BASE + unique_integers(rng, 0, CGNAT_SIZE, int(is_mobile.sum()))
    address[~is_mobile] = RESERVED_BASE + unique_integers(rng, 0, RESERVED_SIZE, int((~is_mobile).sum()))
    jitter = np.where(np.isin(kind, [schema.IP_KINDS.index("vpn"), schema.IP_KINDS.index("hosting")]), 0.02, 0.08)
    ids = graph.new_ids("IP", n_ips, rng)
    graph.add_nodes("IP", ip_nodes(world.geo, rng, ids, dotted(address), np.array(schema.IP_KINDS)[kind], ip_city,
                                   provider, first_seen, jitter))
    person_ids = world["person_id"]
    graph.add_edges(("Person", "USES_IP", "IP"), pd.DataFrame({
        "src": person_ids[uses["person"].to_numpy()],
        "dst": ids[uses["ip"].to_numpy()],
        "context": np.array(CONTEXTS)[uses["context"].to_numpy()],
        "first_seen": to_datetime(uses["seen"].to_numpy()),
    }))

    # SEEN_AT: a device is seen at the addresses its users connect from, where the device type fits
    devices = pd.DataFrame({
        "person": world["uses_device_person"],
        "device": world["uses_device_device"],
        "device_seen": world["uses_device_seen"],
    })
    seen = devices.merge(uses, on="person", how="inner")
    dtype = world["device_type"][seen["device"].to_numpy()]
    seen = seen[COMPATIBLE[dtype, seen["context"].to_numpy()]]
    seen = seen.assign(t=np.maximum(seen["device_seen"].to_numpy(), seen["seen"].to_numpy()))
    seen = seen.groupby(["device", "ip"], sort=True, as_index=False)["t"].min()
    graph.add_edges(("Device", "SEEN_AT", "IP"), pd.DataFrame({
        "src": world["device_id"][seen["device"].to_numpy()],
        "dst": ids[seen["ip"].to_numpy()],
        "first_seen": to_datetime(seen["t"].to_numpy()),
    }))
    world["ip_id"] = ids
