"""Where an attacker connects from: proxy exits away from the victim's city."""

from __future__ import annotations

import numpy as np
from fraudgraph.patterns.kit.identities import Identities


def remote_exits(world: Identities, cities, t0, *, vpn_prob: float, reuse_prob: float):
    """Proxy exits away from home: per victim city, the kind of proxy (a VPN with ``vpn_prob``, else hosting;
    None where the world has neither), an exit in another city (an existing one with ``reuse_prob``, else a new
    one located like its kind, first seen at ``t0``) and that city.

    Returns
    -------
    kinds : list, ips : ndarray of object, ip_city : ndarray of object
    """
    kit, rng = world.kit, world.kit.rng
    kinds = [world.pick_proxy_kind(vpn_prob) for _ in cities]
    ips = np.full(len(cities), None, dtype=object)
    ip_city = np.full(len(cities), None, dtype=object)
    fresh: dict[str, list[int]] = {}
    ip_cities = kit.snapshot("IP").set_index("id")["city"]
    for i, (city, kind) in enumerate(zip(cities, kinds)):
        if kind is None:
            continue
        elsewhere = world.ips_of_kind(kind, not_city=city)
        if elsewhere.size and rng.random() < reuse_prob:
            ips[i] = elsewhere[rng.integers(0, elsewhere.size)]
            ip_city[i] = ip_cities.get(ips[i])
        else:
            fresh.setdefault(kind, []).append(i)
    for kind in sorted(fresh):
        ips[fresh[kind]] = kit.new_ips(len(fresh[kind]), kind, t0[fresh[kind]])
    if fresh:
        located = kit.graph.nodes["IP"].set_index("id")["city"]
        for i in (i for idx in fresh.values() for i in idx):
            ip_city[i] = located.get(ips[i])
    return kinds, ips, ip_city
