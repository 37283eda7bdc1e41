"""Address rotation: users logging in through a small pool of addresses, each through several in turn."""

from __future__ import annotations

import numpy as np
import pandas as pd
from fraudgraph.patterns.kit.identities import Identities, pool_addresses
from fraudgraph.patterns.kit.instances import Draft
from fraudgraph.patterns.kit.keys import CONTEXT, SEEN_AT, USES_DEVICE, USES_IP, stem
from fraudgraph.patterns.kit.toolkit import Toolkit

from fraudgraph import schema
from fraudgraph.graph import isin
from fraudgraph.units import DAY, to_datetime, to_seconds


def rotate_addresses(kit: Toolkit, world: Identities, draft: Draft, users, devices: dict, kind: str, n_ip: int,
          reuse_prob: float, window: tuple[int, int], burst: bool, *, logins=(3, 12), user_role: str, ip_role: str,
          existing=None,
          city: str | None = None) -> dict:
    """``users`` log in through a pool of ``n_ip`` addresses of ``kind``, each through 2+ of them in rotation.

    Every user gets a subset of the pool (the pool is covered) and logs in ``logins`` times in
    ``window`` (in a burst as the timing knob says, or evenly spread), each login from one of
    their own devices through the next address of their subset. A login never comes before
    what it walks: the user, the device and the user's USES_DEVICE edge to it, the address,
    and the USES_IP and SEEN_AT edges that exist already, those of the call's earlier
    instances included (a login planned earlier moves to the latest of these; one pushed past
    the span is dropped). New USES_IP and SEEN_AT edges are first seen at the first such login;
    new addresses are first seen at their first use. Returns counts and each user's login times.
    """
    rng = kit.rng
    users = np.asarray(users, dtype=object)
    n = users.size
    n_ip = int(max(2, n_ip))
    who, t, ip_pos = _rotation(kit, world, users, n_ip, window, burst, logins)
    dev = np.array([devices[users[w]][0] if rng.random() < 0.75 or len(devices[users[w]]) == 1
                    else devices[users[w]][int(rng.integers(1, len(devices[users[w]])))] for w in who], dtype=object)
    # the device side exists before the address is picked (a new address is first seen at its first use)
    world.links.flush()  # edges buffered by the call's earlier instances (possibly the same pairs) count below
    t = np.maximum(t, edge_starts(kit, USES_DEVICE, users[who], dev))
    ips, new = pool_addresses(world, kind, n_ip, reuse_prob, ip_pos, t, city=city, existing=existing)
    # an existing address, and the user's or the device's edge to it, may be younger than the planned login
    t = np.maximum(t, edge_starts(kit, USES_IP, users[who], ips[ip_pos]))
    t = np.maximum(t, edge_starts(kit, SEEN_AT, dev, ips[ip_pos]))
    keep = t <= world.clamp(kit.ctx.end)  # a login pushed past the span does not happen
    order = np.lexsort((t[keep], who[keep]))
    who, t, ip_pos, dev = who[keep][order], t[keep][order], ip_pos[keep][order], dev[keep][order]
    _link_first_uses(world, draft, users, who, dev, ips, ip_pos, t, CONTEXT[kind])
    draft.member("Person", users, user_role)
    draft.member("IP", ips, ip_role)
    draft.member("Device", dev, "own_device")
    draft.schedule(t, "login", stem(SEEN_AT), dev, ips[ip_pos], detail=users[who])
    return {"new_ips": new, "logins": int(t.size), "login_times": {users[w]: t[who == w] for w in range(n)}}


def _rotation(kit: Toolkit, world: Identities, users, n_ip: int, window, burst: bool, logins):
    """Each user's subset of the pool (2+ addresses, the pool covered) and login times in ``window``, each
    login through the next address of the subset. Returns who logs in, when, and through which address."""
    rng, n = kit.rng, users.size
    first_ip = rng.permutation(np.arange(n) % n_ip)
    per_user = np.minimum(rng.integers(2, min(n_ip, 4) + 1, n), n_ip)
    subsets = []
    for k in range(n):
        rest = np.array([j for j in rng.permutation(n_ip) if j != first_ip[k]], dtype=int)
        subsets.append(np.r_[first_ip[k], rest[: per_user[k] - 1]])
    m = np.maximum(rng.integers(logins[0], logins[1] + 1, n), per_user)
    who = np.repeat(np.arange(n), m)
    start, end = window
    total = int(m.sum())
    t = kit.times(total, start, end, sort=False) if burst else start + (kit.fraction(start, end, total) * (end - start)).astype(np.int64)
    t = world.clamp(np.maximum(t, world.created("Person", users)[who] + DAY))
    order = np.lexsort((t, who))
    who, t = who[order], t[order]
    rank = np.arange(who.size) - np.repeat(np.r_[0, np.cumsum(m)[:-1]], m)
    ip_pos = np.array([subsets[w][r % subsets[w].size] for w, r in zip(who, rank)], dtype=int)
    return who, t, ip_pos


def _link_first_uses(world: Identities, draft: Draft, users, who, dev, ips, ip_pos, t, context: str) -> None:
    """USES_IP and SEEN_AT edges first seen at the first login per (person, address) and (device, address)."""
    pu, du = {}, {}
    for w, d, j, tt in zip(who, dev, ip_pos, t):
        pu[w, j] = min(tt, pu.get((w, j), tt))
        du[d, j] = min(tt, du.get((d, j), tt))
    pu_keys = sorted(pu)
    world.links.add(USES_IP, users[[w for w, _ in pu_keys]], ips[[j for _, j in pu_keys]], draft=draft, role="rotation",
                    context=context, first_seen=to_datetime([pu[k] for k in pu_keys]))
    du_keys = sorted(du)
    world.links.add(SEEN_AT, np.array([d for d, _ in du_keys], dtype=object), ips[[j for _, j in du_keys]], draft=draft,
                    role="rotation", first_seen=to_datetime([du[k] for k in du_keys]))


def edge_starts(kit: Toolkit, key, src, dst) -> np.ndarray:
    """When each ``src -> dst`` edge of ``key`` (or the later of its two endpoints) came to exist, in seconds.

    Pairs without an edge in the graph yet give the later endpoint's creation time: an edge is
    never older than its endpoints.
    """
    src, dst = np.asarray(src, dtype=object), np.asarray(dst, dtype=object)
    et = schema.edge_type(key)
    born = np.maximum(np.array([kit.created(et.src)[s] for s in src], dtype=np.int64),
                      np.array([kit.created(et.dst)[d] for d in dst], dtype=np.int64))
    table = kit.graph.edges[key]
    table = table[isin(table["src"], pd.Series(np.unique(src.astype(str)), dtype="str"))]
    if table.empty:
        return born
    since = pd.Series(to_seconds(table[et.time_property]), index=pd.MultiIndex.from_arrays([table["src"], table["dst"]]))
    since = since.groupby(level=[0, 1]).min().reindex(pd.MultiIndex.from_arrays([src.astype(str), dst.astype(str)]))
    return np.maximum(born, since.fillna(np.iinfo(np.int64).min).to_numpy(dtype=np.int64))
