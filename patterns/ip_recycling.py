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
    USES_IP,
    Draft,
    Identities,
    Toolkit,
    open_accounts,
)
from fraudgraph.patterns.kit.rotation import rotate_addresses
from pydantic import Field

from fraudgraph.units import DAY


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
            info = rotate_addresses(kit, world, draft, users, devices, kind, n_ip, 1.0 - config.new_ip_prob, (start, end), True,
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
        info = rotate_addresses(kit, world, draft, users, devices, "vpn", n_ip, 1.0, (start, end), False, logins=(3, 15),
                     user_role="vpn_customer", ip_role="vpn_exit", existing=exits)
        draft.parameters = {"persons": int(users.size), "ips": n_ip, "ip_kind": "vpn", "provider": str(provider),
                            "new_ips": info["new_ips"], "logins": info["logins"], "decoy_of": self.name}
        drafts.append(draft)

    def _office(self, kit, world, rng, size, drafts) -> bool:
        """Coworkers of one employer, logging in through its several gateways."""
        staff = world.employees()
        staff = staff[world.free(staff["src"])]
        companies, bounds, members = world.staff_by_company(staff, 3)
        if not companies.size:
            return False
        k = int(rng.integers(0, companies.size))
        company, people = companies[k], members[bounds[k]:bounds[k + 1]]
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
        info = rotate_addresses(kit, world, draft, users, devices, "corporate", n_ip, 1.0, (start, end), False, logins=(3, 15),
                     user_role="employee", ip_role="office_gateway", existing=gateways, city=city)
        draft.member("Company", company, "employer")
        draft.parameters = {"persons": int(users.size), "ips": n_ip, "ip_kind": "corporate",
                            "new_ips": info["new_ips"], "logins": info["logins"], "decoy_of": self.name}
        drafts.append(draft)
        return True


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
