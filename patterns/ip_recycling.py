"""IP recycling: many unrelated persons cycling through a small pool of VPN/proxy addresses.

Fraud: a pool of 2-6 VPN or hosting addresses (mostly new, sometimes existing
exits) through which 8-25 unrelated persons log in, each from their own devices
and through two or more addresses of the pool, rotating between them login after
login within a few weeks; some open an account through the pool.
Decoys: legitimate customers of one commercial VPN provider, whose exits rotate
too, over months; and coworkers whose employer has several gateways.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from fraudgraph.patterns.base import Injector, InjectorConfig
from fraudgraph.patterns.kit import (
    CONTEXT,
    SEEN_AT,
    USES_DEVICE,
    USES_IP,
    Draft,
    Identities,
    Toolkit,
    open_accounts,
    pool_addresses,
    stem,
)
from pydantic import Field

from fraudgraph import schema
from fraudgraph.graph import isin
from fraudgraph.units import DAY, to_datetime, to_seconds


class IPRecyclingConfig(InjectorConfig):
    min_ips: int = Field(2, ge=2, le=50, description="Smallest address pool.")
    max_ips: int = Field(6, ge=2, le=50, description="Largest address pool.")
    min_persons: int = Field(8, ge=2, le=500, description="Fewest persons cycling through one pool.")
    max_persons: int = Field(25, ge=2, le=500, description="Most persons cycling through one pool.")
    min_days: float = Field(10.0, gt=0.0, le=365.0, description="Shortest campaign, in days.")
    max_days: float = Field(45.0, gt=0.0, le=365.0, description="Longest campaign, in days.")
    new_ip_prob: float = Field(0.7, ge=0.0, le=1.0, description="Chance that a pool address is new rather than an existing exit.")
    account_open_prob: float = Field(0.3, ge=0.0, le=1.0, description="Chance that a member opens an account through the pool.")


class IPRecycling(Injector):
    name = "ip_recycling"
    config_model = IPRecyclingConfig
    persons_per_instance = 12.0

    def inject(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        world = Identities(kit)
        if not world.proxy_kinds():
            return []  # nobody in this world uses a VPN or a host: a proxy pool would be a giveaway
        lo, hi = config.min_persons, config.max_persons
        sizes = rng.integers(lo, hi + 1, count)
        recruits = _few_addresses(kit, int(sizes.sum()))
        offsets = np.r_[0, np.cumsum(sizes)]
        devices = world.devices_of(recruits)
        drafts, requests = [], []
        for i in range(count):
            users = np.array([u for u in recruits[offsets[i]:offsets[i + 1]] if devices.get(u)], dtype=object)
            if users.size < 3:
                continue
            kind = world.pick_proxy_kind(0.65)
            start, end = kit.window(rng.uniform(config.min_days, config.max_days))
            end = int(world.clamp(end))
            n_ip = int(rng.integers(config.min_ips, config.max_ips + 1))
            draft = Draft(self.name, True, start, end)
            info = cycle(kit, world, draft, users, devices, kind, n_ip, 1.0 - config.new_ip_prob, (start, end), True,
                         logins=(3, 12), user_role="proxy_user", ip_role="proxy_ip")
            opening = np.flatnonzero(rng.random(users.size) < config.account_open_prob)
            for u in opening:  # opened during one of the member's logins through the pool
                t = info["login_times"][users[u]]
                requests.append((draft, users[u], "wallet" if rng.random() < 0.6 else "checking",
                                 int(t[rng.integers(0, t.size)]), "new_account"))
            draft.parameters = {"persons": int(users.size), "ips": n_ip, "ip_kind": kind, "new_ips": info["new_ips"],
                                "logins": info["logins"], "accounts_opened": int(opening.size),
                                "days": round((end - start) / DAY, 1)}
            drafts.append(draft)
        open_accounts(kit, requests)
        world.close()
        return [d.build() for d in drafts]

    def inject_decoys(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        world = Identities(kit)
        lo, hi = config.min_persons, config.max_persons
        drafts = []
        for _ in range(count):
            size = int(rng.integers(lo, hi + 1))
            office = rng.random() < 0.5 and self._office(kit, world, rng, size, drafts)
            if not office and world.proxy_kinds() and "vpn" in world.proxy_kinds():
                self._commercial_vpn(kit, world, rng, size, drafts)
        world.close()
        return [d.build() for d in drafts]

    def _commercial_vpn(self, kit, world, rng, size, drafts) -> None:
        """Customers of one commercial VPN provider, whose exits rotate, over months."""
        users = kit.recruit_persons(size, before=kit.ctx.start)
        devices = world.devices_of(users)
        users = np.array([u for u in users if devices.get(u)], dtype=object)
        if users.size < 3:
            return
        ips = kit.snapshot("IP")
        vpn = ips[ips["kind"] == "vpn"]
        by_provider = vpn.groupby("provider")["id"].apply(lambda s: sorted(s.tolist()))
        provider = by_provider.index[int(rng.integers(0, len(by_provider)))]
        exits = np.array(by_provider[provider], dtype=object)
        n_ip = int(min(rng.integers(2, 7), max(exits.size, 2)))
        start, end = kit.window(rng.uniform(45, 150))
        end = int(world.clamp(end))
        draft = Draft(self.name, False, start, end, variant="commercial_vpn")
        info = cycle(kit, world, draft, users, devices, "vpn", n_ip, 1.0, (start, end), False, logins=(3, 15),
                     user_role="vpn_customer", ip_role="vpn_exit", existing=exits)
        draft.parameters = {"persons": int(users.size), "ips": n_ip, "ip_kind": "vpn", "provider": str(provider),
                            "new_ips": info["new_ips"], "logins": info["logins"], "decoy_of": self.name}
        drafts.append(draft)

    def _office(self, kit, world, rng, size, drafts) -> bool:
        """Coworkers of one employer, logging in through its several gateways."""
        staff = world.employees()
        staff = staff[world.free(staff["src"])]
        per_company = staff.groupby("dst")["src"].apply(lambda s: sorted(set(s.tolist())))
        per_company = per_company[per_company.map(len) >= 3]
        if per_company.empty:
            return False
        company = per_company.index[int(rng.integers(0, len(per_company)))]
        people = np.array(per_company[company], dtype=object)
        users = people[rng.permutation(people.size)[:size]]
        devices = world.devices_of(users)
        users = np.array([u for u in users if devices.get(u)], dtype=object)
        if users.size < 3:
            return False
        city = str(staff.loc[staff["dst"] == company, "city"].iloc[0])
        uses = kit.graph.edges[USES_IP]
        gateways = uses.loc[(uses["context"] == "work").to_numpy() & uses["src"].isin(people).to_numpy(), "dst"]
        gateways = np.array(sorted(set(gateways.tolist())), dtype=object)
        if gateways.size == 0:
            return False  # an employer without a gateway in this world (or a world without any)
        kit.ctx.used_persons.update(users.tolist())
        n_ip = int(max(rng.integers(2, 5), min(gateways.size, 4)))
        start, end = kit.window(rng.uniform(30, 120))
        end = int(world.clamp(end))
        draft = Draft(self.name, False, start, end, variant="corporate_gateways")
        info = cycle(kit, world, draft, users, devices, "corporate", n_ip, 1.0, (start, end), False, logins=(3, 15),
                     user_role="employee", ip_role="office_gateway", existing=gateways, city=city)
        draft.member("Company", company, "employer")
        draft.parameters = {"persons": int(users.size), "ips": n_ip, "ip_kind": "corporate",
                            "new_ips": info["new_ips"], "logins": info["logins"], "decoy_of": self.name}
        drafts.append(draft)
        return True


def cycle(kit: Toolkit, world: Identities, draft: Draft, users, devices: dict, kind: str, n_ip: int,
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
    dev = np.array([devices[users[w]][0] if rng.random() < 0.75 or len(devices[users[w]]) == 1
                    else devices[users[w]][int(rng.integers(1, len(devices[users[w]])))] for w in who], dtype=object)
    # the device side exists before the address is picked (a new address is first seen at its first use)
    world.links.flush()  # edges buffered by the call's earlier instances (possibly the same pairs) count below
    t = np.maximum(t, _starts(kit, USES_DEVICE, users[who], dev))
    ips, new = pool_addresses(world, kind, n_ip, reuse_prob, ip_pos, t, city=city, existing=existing)
    # an existing address, and the user's or the device's edge to it, may be younger than the planned login
    t = np.maximum(t, _starts(kit, USES_IP, users[who], ips[ip_pos]))
    t = np.maximum(t, _starts(kit, SEEN_AT, dev, ips[ip_pos]))
    keep = t <= world.clamp(kit.ctx.end)  # a login pushed past the span does not happen
    order = np.lexsort((t[keep], who[keep]))
    who, t, ip_pos, dev = who[keep][order], t[keep][order], ip_pos[keep][order], dev[keep][order]
    # first use per (person, address) and per (device, address)
    pu, du = {}, {}
    for w, d, j, tt in zip(who, dev, ip_pos, t):
        pu[w, j] = min(tt, pu.get((w, j), tt))
        du[d, j] = min(tt, du.get((d, j), tt))
    pu_keys = sorted(pu)
    world.links.add(USES_IP, users[[w for w, _ in pu_keys]], ips[[j for _, j in pu_keys]], draft=draft, role="rotation",
                    context=CONTEXT[kind], first_seen=to_datetime([pu[k] for k in pu_keys]))
    du_keys = sorted(du)
    world.links.add(SEEN_AT, np.array([d for d, _ in du_keys], dtype=object), ips[[j for _, j in du_keys]], draft=draft,
                    role="rotation", first_seen=to_datetime([du[k] for k in du_keys]))
    draft.member("Person", users, user_role)
    draft.member("IP", ips, ip_role)
    draft.member("Device", dev, "own_device")
    draft.schedule(t, "login", stem(SEEN_AT), dev, ips[ip_pos], detail=users[who])
    return {"new_ips": new, "logins": int(t.size), "login_times": {users[w]: t[who == w] for w in range(n)}}


def _starts(kit: Toolkit, key, src, dst) -> np.ndarray:
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


def _few_addresses(kit: Toolkit, n: int) -> np.ndarray:
    """``n`` ordinary persons, preferring those who use few addresses so far (so that, with the pool's
    addresses added, their address count stays in the legitimate range)."""
    before = set(kit.ctx.used_persons)
    candidates = kit.recruit_persons(3 * n, before=kit.ctx.start)
    uses = kit.graph.edges[USES_IP]
    degree = pd.Series(uses["src"]).value_counts().reindex(candidates.astype(str), fill_value=0).to_numpy()
    order = np.lexsort((kit.rng.random(candidates.size), degree > 2))
    # unrelated persons: at most one per household (address)
    address = kit.persons().set_index("id")["address"].reindex(candidates[order].astype(str)).to_numpy()
    order = order[~pd.Series(address).duplicated().to_numpy()]
    picked = np.zeros(candidates.size, dtype=bool)
    picked[order[:n]] = True
    chosen, spare = candidates[order[:n]], candidates[~picked]
    for person in spare:
        if person not in before:
            kit.ctx.used_persons.discard(person)
    return chosen
