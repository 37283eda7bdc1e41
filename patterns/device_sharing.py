"""Device farms: one device (often an emulator) shared by many unrelated persons who open accounts within days.

Fraud: a new device (an Android or iOS emulator, sometimes a desktop browser)
logged into by 6-20 unrelated persons, a mix of recruited ordinary persons
and synthetic identities created for the farm within a few days; each opens a
new account within days, and the farm connects through 1-3 VPN or hosting
addresses that all its users share. The farm device is nobody's primary device:
a primary device belongs to one person, so each synthetic identity also gets a
phone of its own (and a home address, a home IP), as every legitimate person has.
Decoys share the farm's defining trait, many persons on one device: a desktop
or tablet shared by a household (sometimes through a commercial VPN), an office
desktop shared by up to a dozen coworkers behind their employer's gateway or
VPN, an emulator used by one or two developers (often over the company VPN), and
a branch or shop sign-up tablet on which as many walk-in customers as a farm
holds, existing and brand new, open accounts within days over the venue's network
(at times leaving through a cloud security gateway, a hosting address). What tells a farm
apart lies in its relations: unrelated users from anywhere, fresh identities
that then camouflage, exits shared with other farms.

Synthetic identities are built with :mod:`fraudgraph.patterns.kit.identities`,
which the other identity typologies use too.
"""

from __future__ import annotations

import numpy as np
from fraudgraph.patterns.base import (
    Injector,
    InjectorConfig,
)
from fraudgraph.patterns.kit import (
    KNOWS,
    SEEN_AT,
    SPENDING,
    USES_DEVICE,
    USES_IP,
    Draft,
    Identities,
    Toolkit,
    attach_proxies,
    camouflage,
    logins,
    open_accounts,
)
from pydantic import Field

from fraudgraph.units import DAY, to_datetime


class DeviceSharingConfig(InjectorConfig):
    min_persons: int = Field(6, ge=2, le=500, description="Fewest persons on one farm device.")
    max_persons: int = Field(20, ge=2, le=500, description="Most persons on one farm device.")
    synthetic_share: float = Field(0.5, ge=0.0, le=1.0, description="Share of farm users who are synthetic identities made for the farm.")
    emulator_prob: float = Field(0.7, ge=0.0, le=1.0, description="Chance that the farm device is an emulator (else a desktop browser).")
    max_ips: int = Field(3, ge=1, le=20, description="Most VPN/hosting addresses behind one farm.")
    reuse_ip_prob: float = Field(0.4, ge=0.0, le=1.0, description="Chance that a farm address is an existing VPN/hosting exit rather than a new one.")
    min_days: float = Field(3.0, gt=0.0, le=365.0, description="Shortest farm campaign, in days.")
    max_days: float = Field(14.0, gt=0.0, le=365.0, description="Longest farm campaign, in days.")


class DeviceSharing(Injector):
    name = "device_sharing"
    config_model = DeviceSharingConfig
    persons_per_instance = 10.0

    def inject(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        world = Identities(kit)
        lo, hi = config.min_persons, config.max_persons
        sizes = rng.integers(lo, hi + 1, count)
        n_syn = np.clip(rng.binomial(sizes, config.synthetic_share), 0, sizes)
        if 0.0 < config.synthetic_share < 1.0:
            n_syn = np.clip(n_syn, 1, np.maximum(sizes - 1, 1))
        recruits = kit.recruit_persons(int((sizes - n_syn).sum()), before=ctx.start)
        offsets = np.r_[0, np.cumsum(sizes - n_syn)]
        drafts, requests, synthetic = [], [], []
        for i in range(count):
            rec = recruits[offsets[i]:offsets[i + 1]]
            start, end = kit.window(rng.uniform(config.min_days, config.max_days))
            end = int(world.clamp(end))
            draft = Draft(self.name, True, start, end)
            city, country = world.random_place()
            created = np.sort(start + (rng.random(int(n_syn[i])) * min(3 * DAY, (end - start) / 2)).astype(np.int64))
            syn = kit.new_persons(int(n_syn[i]), created, country=country, city=city) if n_syn[i] else np.empty(0, object)
            world.enroll(draft, syn, created, city)
            draft.member("Person", rec, "farm_user")
            users = np.concatenate([rec, syn]).astype(object)
            if users.size < 2:
                continue
            born = np.concatenate([world.created("Person", rec), created])
            first = world.clamp(np.maximum(kit.times(users.size, start, end, sort=False), born + 10 * 60))
            emulator = rng.random() < config.emulator_prob
            dtype = ("android" if rng.random() < 0.75 else "ios") if emulator else "web_desktop"
            device = kit.new_devices(1, dtype, int(first.min()), emulator=emulator)[0]
            world.links.add(USES_DEVICE, users, device, draft=draft, role="farm_login", is_primary=False,
                            first_seen=to_datetime(first))
            draft.member("Device", device, "farm_device")
            via, ip_info = attach_proxies(world, draft, users, device, first, config.max_ips, config.reuse_ip_prob,
                                          vpn_prob=0.8, role="farm_ip")
            logins(kit, draft, users, device, first, end, via=via)
            acc_types = np.array(["wallet", "checking", "credit_card"], dtype=object)[
                rng.choice(3, users.size, p=[0.5, 0.35, 0.15])]
            opened = world.clamp(first + (rng.random(users.size) * 2 * DAY).astype(np.int64))
            first_req = len(requests)
            requests += [(draft, u, t, int(o), "farm_account") for u, t, o in zip(users, acc_types, opened)]
            synthetic.append((draft, syn, first_req + rec.size, acc_types[rec.size:], start, city))
            draft.parameters = {"persons": int(users.size), "recruited": int(rec.size), "synthetic": int(syn.size),
                                "device_type": dtype, "emulator": bool(emulator), **ip_info,
                                "accounts_opened": int(users.size), "days": round((end - start) / DAY, 1)}
            drafts.append(draft)
        accounts = open_accounts(kit, requests)
        camouflage(world, [(d, syn, accounts[r: r + syn.size], types, start, city)
                           for d, syn, r, types, start, city in synthetic if syn.size])
        world.close()
        return [d.build() for d in drafts]

    def inject_decoys(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        world = Identities(kit)
        kinds = rng.choice(4, count, p=[0.25, 0.25, 0.1, 0.4])
        families = iter([(h, None) for h in world.households(int((kinds == 0).sum()), 3, 6)])
        crews = iter(_coworker_groups(kit, world, int((kinds == 1).sum()), 3, 12))
        devs = iter(_developers(kit, world, int((kinds == 2).sum())))
        groups = [(int(kind), next({0: families, 1: crews, 2: devs}[int(kind)], None)) for kind in kinds if kind != 3]
        groups = [(kind, g) for kind, g in groups if g is not None] + [(3, None)] * int((kinds == 3).sum())
        homes = world.home_ip([g[0][0] for kind, g in groups if g is not None and g[1] is None])
        drafts, requests, newcomers = [], [], []
        for kind, group in groups:
            days = rng.uniform(config.min_days, config.max_days) if kind == 3 else rng.uniform(20, 80)
            start, end = kit.window(days)
            end = int(world.clamp(end))
            variant = ("household_device", "office_desktop", "developer_emulator", "signup_tablet")[kind]
            draft = Draft(self.name, False, start, end, variant=variant)
            if kind == 3:
                users, born, city = _walk_ins(kit, world, draft, config, start, end)
                spread = max(min(3 * DAY, (end - start) // 2), 1)
            else:
                users, place = group
                born = world.created("Person", users)
                spread = 20 * DAY
            if users.size < 2 and kind != 2:
                continue
            first = world.clamp(np.maximum(start + (kit.fraction(start, start + spread, users.size) * spread).astype(np.int64),
                                           born + (10 * 60 if kind == 3 else DAY)))
            if kind == 3:  # the venue's guest network, first seen with its first walk-in
                place = kit.new_ips(1, "public_wifi", int(first.min()), city=city)[0]
            device, dtype, emulator = _shared_device(world, draft, kind, users, first,
                                                     homes.get(users[0]) if place is None else place)
            if kind == 1:  # coworkers who share a desk know each other
                ties = [(a, b) for x, a in enumerate(users) for b in users[x + 1:]]
                world.links.add(KNOWS, [a for a, _ in ties], [b for _, b in ties], draft=draft, role="coworkers",
                                new_only=True, kind="coworker", since=to_datetime(np.full(len(ties), start)))
            via = None
            if kind == 3:  # the walk-ins join the venue's guest network
                via = place
                world.links.add(USES_IP, users, place, draft=draft, role="venue_network", context="public",
                                first_seen=to_datetime(first))
            via = _tunnel(world, draft, kind, users, device, first, via)
            logins(kit, draft, users, device, first, end, per_user=(1, 6), via=via)
            if kind == 3:  # signing up is what the tablet is for; the newcomers then live ordinary lives
                newcomers.append(_sign_ups(world, draft, users, born, first, start, city, requests))
            elif rng.random() < 0.5:  # e.g. a family switching banks, or an employer's payroll-card programme
                acc_type = "wallet" if kind == 1 else str(rng.choice(["checking", "wallet", "savings"]))
                opened = world.clamp(first + (rng.random(users.size) * 3 * DAY).astype(np.int64))
                requests += [(draft, u, acc_type, int(o), "new_account") for u, o in zip(users, opened)]
            draft.parameters.update({"persons": int(users.size), "device_type": dtype, "emulator": bool(emulator),
                                     "decoy_of": self.name})
            drafts.append(draft)
        accounts = open_accounts(kit, requests)
        camouflage(world, [(d, who, accounts[rows], types, start, city)
                           for d, who, rows, types, start, city in newcomers if who.size])
        world.close()
        return [d.build() for d in drafts]


def _shared_device(world: Identities, draft: Draft, kind: int, users, first, place):
    """The device a household (0), office (1), developer team (2) or sign-up desk (3) shares, seen where its
    users meet (their home, their employer's gateway, the venue's network). Returns it, its type and whether it
    is an emulator."""
    rng = world.kit.rng
    if kind == 0:
        dtype = "web_desktop" if rng.random() < 0.6 else ("ios" if rng.random() < 0.5 else "android")
        emulator = False
    elif kind == 1:
        dtype, emulator = "web_desktop", False
    elif kind == 2:
        dtype, emulator = ("android" if rng.random() < 0.7 else "ios"), True
    else:
        dtype, emulator = ("ios" if rng.random() < 0.5 else "android"), False
    device = world.kit.new_devices(1, dtype, int(first.min()), emulator=emulator)[0]
    world.links.add(USES_DEVICE, users, device, draft=draft, role="shared_login", is_primary=False,
                    first_seen=to_datetime(first))
    draft.member("Person", users, ("family_member", "coworker", "developer", "walk_in_customer")[kind])
    draft.member("Device", device, ("family_device", "office_device", "test_emulator", "signup_tablet")[kind])
    if place is not None:
        world.links.add(SEEN_AT, device, place, draft=draft, role="shared_login", first_seen=to_datetime([first.min()]))
        draft.member("IP", place, ("home_ip", "office_ip", "home_ip", "venue_ip")[kind])
    return device, dtype, emulator


def _tunnel(world: Identities, draft: Draft, kind: int, users, device, first, via):
    """Sometimes the group connects through a tunnel: a household through a commercial VPN, coworkers and
    developers through their company's VPN, a venue's guest network through a cloud security gateway (a
    hosting address of its own). Returns the address each user logs in from (``via`` without a tunnel)."""
    if world.kit.rng.random() >= (0.35, 0.6, 0.6, 0.5)[kind]:
        return via
    venue = kind == 3
    tunnel, info = attach_proxies(world, draft, users, device, first, 2, 0.0 if venue else 1.0,
                                  vpn_prob=0.0 if venue else 1.0, role="gateway_ip" if venue else "vpn_ip")
    draft.parameters.update(info)
    return via if tunnel is None else tunnel


def _sign_ups(world: Identities, draft: Draft, users, born, first, start: int, city: str, requests: list):
    """Every walk-in opens an account within two days of using the tablet (appended to ``requests``). Returns
    the camouflage plan of those new to the platform whose account is one they spend from."""
    rng = world.kit.rng
    acc_types = np.array(["checking", "savings", "wallet", "credit_card"], dtype=object)[
        rng.choice(4, users.size, p=[0.45, 0.2, 0.2, 0.15])]
    opened = world.clamp(first + (rng.random(users.size) * 2 * DAY).astype(np.int64))
    new = (born >= start) & np.isin(acc_types, SPENDING)
    plan = (draft, users[new], len(requests) + np.flatnonzero(new), acc_types[new], start, city)
    requests += [(draft, u, t, int(o), "new_account") for u, t, o in zip(users, acc_types, opened)]
    return plan


def _walk_ins(kit: Toolkit, world: Identities, draft: Draft, config, start: int, end: int):
    """Customers of one city who sign up on a venue's tablet during a campaign: as many as a farm holds, about
    the farm's share of them new to the platform (enrolled here). Returns them, when each was created and the
    city."""
    rng = kit.rng
    size = int(rng.integers(config.min_persons, config.max_persons + 1))
    n_new = int(np.clip(rng.binomial(size, config.synthetic_share), 0, size))
    wifi = kit.snapshot("IP")
    wifi = wifi[(wifi["kind"] == "public_wifi").to_numpy()]
    if len(wifi):  # a venue of a city whose guest network exists
        row = wifi.iloc[int(rng.integers(0, len(wifi)))]
        city, country = str(row["city"]), str(row["country"])
    else:
        city, country = world.random_place()
    regulars = kit.recruit_persons(size - n_new, city=city, before=start)
    created = np.sort(start + (rng.random(n_new) * max(end - start - DAY, 1)).astype(np.int64))
    newcomers = kit.new_persons(n_new, created, country=country, city=city) if n_new else np.empty(0, object)
    world.enroll(draft, newcomers, created, city, role="new_customer")
    users = np.concatenate([regulars, newcomers]).astype(object)
    born = np.concatenate([world.created("Person", regulars), created]).astype(np.int64)
    return users, born, city


def _coworker_groups(kit: Toolkit, world: Identities, n: int, lo: int, hi: int) -> list[tuple[np.ndarray, str]]:
    """``n`` groups of coworkers who connect through the same employer gateway: (persons, gateway IP)."""
    if n == 0:
        return []
    rng = kit.rng
    e = kit.graph.edges[USES_IP]
    e = e[(e["context"] == "work").to_numpy()][["src", "dst"]]
    emp = world.employees().drop_duplicates("src").set_index("src")["dst"]
    e = e.assign(employer=emp.reindex(e["src"]).to_numpy())
    e = e[e["employer"].notna()]
    e = e[world.free(e["src"])]
    groups = e.groupby(["dst", "employer"])["src"].apply(lambda s: sorted(set(s.tolist())))
    groups = groups[groups.map(len) >= lo]
    out = []
    for i in rng.permutation(len(groups)):
        if len(out) == n:
            break
        members = [m for m in groups.iloc[i] if m not in kit.ctx.used_persons]
        members = np.array(members, dtype=object)[rng.permutation(len(members))[: int(rng.integers(lo, hi + 1))]]
        if members.size >= lo:
            kit.ctx.used_persons.update(members.tolist())
            out.append((members, str(groups.index[i][0])))
    return out


def _developers(kit: Toolkit, world: Identities, n: int) -> list[tuple[np.ndarray, None]]:
    """``n`` groups of one or two developers (employees of one technology company, else of any company)."""
    if n == 0:
        return []
    rng = kit.rng
    w = world.employees()
    w = w[world.free(w["src"])]
    tech = w[w["industry"] == "technology"]
    w = tech if len(tech) else w
    by_company = w.groupby("dst")["src"].apply(lambda s: sorted(set(s.tolist())))
    out = []
    for i in rng.permutation(len(by_company)):
        if len(out) == n:
            break
        staff = [s for s in by_company.iloc[i] if s not in kit.ctx.used_persons]
        if not staff:
            continue
        k = min(len(staff), int(rng.integers(1, 3)))
        members = np.array(staff, dtype=object)[rng.permutation(len(staff))[:k]]
        kit.ctx.used_persons.update(members.tolist())
        out.append((members, None))
    return out
