"""Synthetic-identity fraud rings: made-up persons that share PII fragments, devices and IPs,
and open accounts that funnel money to a collector.

Fraud: 4-10 synthetic identities plus a collector, created within days in one
city (often seasoned for weeks before use): most share the leading groups of
one national id (area and group, or the NINO prefix), some share a phone
number, some a drop address; one or two ring devices (often an emulator) log
into all of them, through the same VPN or hosting addresses. Each identity
opens accounts and sends money, several times, to the collector's account
(``p2p`` between ring members, who know each other; ``household`` co-residents).
Decoys: a real household whose members share a device and a home IP and send
money to one member; a household that joins the platform together (new
persons at one address, created within days, sharing a tablet); and a house
share as large as a ring (students or co-living tenants who signed up within
days of moving in, share one or two house devices and pay the lead tenant
their rent share); some browse through a commercial VPN. Newcomers live
ordinary lives as ring identities pretend to (:func:`~fraudgraph.patterns.kit.camouflage`).
"""

from __future__ import annotations

import numpy as np
from fraudgraph.patterns.base import Injector, InjectorConfig
from fraudgraph.patterns.kit import (
    KNOWS,
    SEEN_AT,
    TRANSFERS,
    USES_DEVICE,
    Draft,
    Identities,
    Toolkit,
    attach_proxies,
    blend_with_pool,
    camouflage,
    loud_amounts,
    open_accounts,
    stem,
    typical_transfers,
)
from fraudgraph.patterns.kit.rings import (
    ring_addresses,
    ring_devices,
    shared_identities,
)
from pydantic import Field

from fraudgraph.units import DAY, to_datetime

EDGE = stem(TRANSFERS)


class FraudRingConfig(InjectorConfig):
    min_identities: int = Field(4, ge=2, le=50, description="Fewest synthetic identities besides the collector.")
    max_identities: int = Field(10, ge=2, le=50, description="Most synthetic identities besides the collector.")
    id_prefix_share: float = Field(0.8, ge=0.0, le=1.0, description="Share of identities whose national id shares the ring's prefix.")
    shared_phone_prob: float = Field(0.7, ge=0.0, le=1.0, description="Chance that some identities share a phone number.")
    shared_address_prob: float = Field(0.8, ge=0.0, le=1.0, description="Chance that some identities share a (drop) address.")
    max_devices: int = Field(2, ge=1, le=10, description="Most ring devices logging into the identities.")
    min_days: float = Field(20.0, gt=0.0, le=365.0, description="Shortest funnelling period, in days.")
    max_days: float = Field(60.0, gt=0.0, le=365.0, description="Longest funnelling period, in days.")
    max_seasoning_days: float = Field(540.0, ge=0.0, le=3650.0, description="Most days identities age before use (scaled by camouflage).")


class FraudRing(Injector):
    name = "fraud_ring"
    config_model = FraudRingConfig
    persons_per_instance = 7.0

    def inject(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        world = Identities(kit)
        quiet = typical_transfers(graph, "p2p")
        household_max = world.largest_household()  # share addresses only where households exist
        plans, requests = [], []
        for _ in range(count):
            k = int(rng.integers(config.min_identities, config.max_identities + 1))
            n = k + 1  # position 0 is the collector
            start, end = kit.window(rng.uniform(config.min_days, config.max_days))
            end = int(world.clamp(end))
            season = rng.uniform(2, 2 + config.max_seasoning_days * ctx.knobs.camouflage) * DAY
            born0 = int(max(start - season, ctx.start - 3 * 365 * DAY))
            created = np.minimum(np.sort(born0 + (rng.random(n) * 4 * DAY).astype(np.int64)), start - 3600)
            draft = Draft(self.name, True, start, end)
            ids, address, city, params = shared_identities(
                world, draft, created, household_max, id_prefix_share=config.id_prefix_share,
                shared_address_prob=config.shared_address_prob, shared_phone_prob=config.shared_phone_prob)
            use_t, ring = ring_devices(world, draft, ids, created, config.max_devices)
            params["devices"], params["emulators"] = ring["devices"].size, ring["emulators"]
            params["ips"], params["ip_kind"] = ring_addresses(world, draft, ids, use_t, ring)
            first_req = len(requests)
            opened, types = _account_requests(world, draft, ids, use_t, requests)
            params = {"identities": int(k), **params, "seasoning_days": round((start - created.max()) / DAY, 1)}
            plans.append(dict(draft=draft, ids=ids, address=address, opened=opened, types=types, start=start, end=end,
                              city=city, req=first_req, params=params))
        accounts = open_accounts(kit, requests)
        for plan in plans:
            _funnel(world, plan, accounts[plan["req"]: plan["req"] + plan["ids"].size], quiet)
        camouflage(world, [(p["draft"], p["ids"], accounts[p["req"]: p["req"] + p["ids"].size], p["types"],
                            p["start"], p["city"]) for p in plans])
        world.close()
        return [plan["draft"].build() for plan in plans]

    def inject_decoys(self, graph, rng, config, count, ctx):
        kit = Toolkit(graph, rng, ctx)
        world = Identities(kit)
        quiet = typical_transfers(graph, "household")
        # 0: an existing family, 1: a family new to the platform, 2: a house share the size of a ring
        variants = rng.choice(3, count, p=[0.2, 0.3, 0.5]) * (world.largest_household() >= 2)
        families = iter(world.households(int((variants == 0).sum()), 3, 6))
        plans, requests = [], []
        for variant in variants:
            start, end = kit.window(rng.uniform(40, 120) if variant < 2 else rng.uniform(config.min_days, config.max_days))
            end = int(world.clamp(end))
            draft = Draft(self.name, False, start, end, variant=("family", "new_household", "house_share")[variant])
            if variant:
                n = int(rng.integers(2, 6)) if variant == 1 else int(rng.integers(config.min_identities,
                                                                                  config.max_identities + 2))
                season = 0 if variant == 1 else rng.uniform(2, 2 + config.max_seasoning_days * ctx.knobs.camouflage) * DAY
                born0 = int(max(start - season, ctx.start - 3 * 365 * DAY))
                req = len(requests)
                people, ready, city, types = _newcomers(world, draft, born0, n,
                                                        ("family_member", "housemate")[variant - 1], requests)
            else:
                people = next(families, None)
                if people is None:
                    continue
                draft.member("Person", people, "family_member")
                req, ready, city, types = None, world.created("Person", people), None, None
            shared = [people] + ([people[rng.random(people.size) < 0.6]] if variant == 2 and rng.random() < 0.5 else [])
            devices = [_family_device(world, draft, who, start, ready[np.isin(people, who)], born0 if variant else None)
                       for who in shared if who.size >= 2]
            if devices and rng.random() < 0.35:  # a household or house share that browses through a commercial VPN
                first = world.clamp(np.maximum(devices[0][1], ready + 600) + (rng.random(people.size) * 5 * DAY).astype(np.int64))
                attach_proxies(world, draft, people, devices[0][0], first, 2, 1.0, vpn_prob=1.0, role="vpn_ip")
            plans.append(dict(draft=draft, people=people, req=req, start=start, end=end, ready=ready, devices=devices,
                              city=city, types=types))
        accounts = open_accounts(kit, requests)
        camouflage(world, [(p["draft"], p["people"], accounts[p["req"]: p["req"] + p["people"].size], p["types"],
                            p["start"], p["city"]) for p in plans if p["req"] is not None])
        world.close()  # the newcomers now have their home IP
        existing = [p["people"] for p in plans if p["req"] is None]
        held = np.empty(0, object)
        if existing:
            held = world.accounts_of(np.concatenate(existing), ("checking", "wallet", "savings"))
        out = _settle(world, plans, accounts, held, quiet)
        world.links.flush()
        return [d.build() for d in out]


def _settle(world: Identities, plans: list, accounts, held, quiet) -> list[Draft]:
    """The decoys' shared devices seen at home, and their shared bills. Returns the drafts that paid any."""
    homes = world.home_ip([p["people"][0] for p in plans])
    out, offset = [], 0
    for plan in plans:
        home = homes.get(plan["people"][0])
        if home is not None:  # seen at home
            for device, first in plan["devices"]:
                world.links.add(SEEN_AT, device, home, draft=plan["draft"], role="shared_login",
                                first_seen=to_datetime([first]))
            plan["draft"].member("IP", home, "home_ip")
        if plan["req"] is not None:
            acc = accounts[plan["req"]: plan["req"] + plan["people"].size]
        else:
            acc = held[offset: offset + plan["people"].size]
            offset += plan["people"].size
        if _share_bills(world, plan, acc, quiet):
            out.append(plan["draft"])
    return out


def _newcomers(world: Identities, draft: Draft, start: int, n: int, role: str, requests: list):
    """``n`` people who join together: new persons at one address, created within days of ``start``, opening
    accounts (appended to ``requests``). Returns them, when their accounts open, their city and account types."""
    kit, rng = world.kit, world.kit.rng
    city, country = world.random_place()
    created = np.sort(start + (rng.random(n) * 3 * DAY).astype(np.int64))
    people = kit.new_persons(n, created, country=country, city=city)
    world.enroll(draft, people, created, city, address_groups=np.zeros(n, int), role=role)
    opened = world.clamp(created + (rng.random(n) * 3 * DAY).astype(np.int64))
    types = np.array(["checking" if rng.random() < 0.7 else "wallet" for _ in range(n)], dtype=object)
    purpose = "family_account" if role == "family_member" else f"{role}_account"
    requests += [(draft, p, t, int(o), purpose) for p, t, o in zip(people, types, opened)]
    return people, opened, city, types


def _family_device(world: Identities, draft: Draft, people, start: int, ready, arrival: int | None = None):
    """A device the household shares, logged into during the window; used since ``arrival`` by people who moved
    in together, as ring identities use theirs from creation. Returns it and its first use."""
    kit, rng = world.kit, world.kit.rng
    first = world.clamp(np.maximum(start + (kit.fraction(start, start + 10 * DAY, people.size) * 10 * DAY).astype(np.int64),
                                   ready + 600))
    seen = first if arrival is None else np.minimum(first, world.clamp(
        np.maximum(arrival + (rng.random(people.size) * 3 * DAY).astype(np.int64), ready + 600)))
    dtype = "web_desktop" if rng.random() < 0.5 else ("ios" if rng.random() < 0.5 else "android")
    device = kit.new_devices(1, dtype, int(seen.min()))[0]
    world.links.add(USES_DEVICE, people, device, draft=draft, role="shared_login", is_primary=False,
                    first_seen=to_datetime(seen))
    draft.member("Device", device, "family_device")
    draft.schedule(first, "login", stem(USES_DEVICE), people, device)
    return device, int(seen.min())


def _share_bills(world: Identities, plan: dict, acc, quiet) -> bool:
    """The others send one member their share every month; False where the family cannot."""
    kit, rng = world.kit, world.kit.rng
    draft, people, start, end = plan["draft"], plan["people"], plan["start"], plan["end"]
    keep = np.array([a is not None for a in acc], dtype=bool)
    people, acc = people[keep], acc[keep]
    if people.size < 2:
        return False
    head = int(rng.integers(0, people.size))
    known = kit.pairs(TRANSFERS)
    senders = np.array([i for i in range(people.size) if i != head and f"{acc[i]}|{acc[head]}" not in known], dtype=int)
    if senders.size == 0:
        return False
    draft.member("Account", acc, "family_account")
    base = blend_with_pool(rng, np.round(rng.uniform(150, 1_200, senders.size), -1), quiet, 0.5)
    first_t = int(world.clamp(max(start, int(plan["ready"].max()) + DAY)))
    months = max(1, int((end - first_t) // (30 * DAY)))
    t0 = first_t + np.repeat(np.arange(months) * 30 * DAY, senders.size)
    t = world.clamp(t0 + (rng.random(t0.size) * 4 * DAY).astype(np.int64))
    amounts = np.round(np.tile(base, months) * rng.uniform(0.95, 1.05, t.size), 2)
    world.links.add(TRANSFERS, acc[senders], acc[head], draft=draft, role="household_share", kind="household",
                    typical_amount=np.round(base, 2), monthly_count=1.0, since=to_datetime(np.full(senders.size, first_t)))
    draft.schedule(t, "transfer", EDGE, np.tile(acc[senders], months), acc[head], amounts)
    draft.parameters = {"persons": int(people.size), "senders": int(senders.size), "decoy_of": "fraud_ring"}
    return True


def _account_requests(world: Identities, draft: Draft, ids, use_t, requests: list):
    """Accounts each identity opens within days of its first login (the collector a checking account), and the
    credit lines a ring later busts out, appended to ``requests``. Returns the opening times and the first types."""
    rng, n = world.kit.rng, ids.size
    opened = world.clamp(use_t + (rng.random(n) * 3 * DAY).astype(np.int64))
    types = np.array(["checking", "wallet", "credit_card"], dtype=object)[rng.choice(3, n, p=[0.5, 0.3, 0.2])]
    types[0] = "checking"
    requests += [(draft, ids[i], types[i], int(opened[i]), "collector_account" if i == 0 else "ring_account")
                 for i in range(n)]
    for i in range(1, n):
        others = [t for t in ("credit_card", "wallet", "savings") if t != types[i]]
        for t in rng.permutation(others)[: int(rng.choice(3, p=[0.3, 0.45, 0.25]))]:
            requests.append((draft, ids[i], str(t), int(world.clamp(opened[i] + rng.uniform(0, 5 * DAY))),
                             "ring_account"))
    return opened, types


def _funnel(world: Identities, plan: dict, acc, quiet) -> None:
    """Every identity sends money to the collector's account, several times, once every account is open
    (``p2p`` with a friends tie, ``household`` between co-residents); some are fed by another one first."""
    kit, rng, links = world.kit, world.kit.rng, world.links
    draft, ids, address, start, end = plan["draft"], plan["ids"], plan["address"], plan["start"], plan["end"]
    n, collector = ids.size, acc[0]
    flow_start = int(min(max(start, int(plan["opened"].max()) + DAY), end - DAY))
    away = np.array([i for i in range(1, n) if address[i] != address[0]], dtype=int)
    home = np.array([i for i in range(1, n) if address[i] == address[0]], dtype=int)
    links.add(KNOWS, ids[away], ids[0], draft=draft, role="ring_tie", new_only=True, kind="friend",
              since=to_datetime(np.full(away.size, flow_start - DAY)))
    senders = np.r_[away, home].astype(int)
    kinds = np.array(["p2p"] * away.size + ["household"] * home.size, dtype=object)
    base = blend_with_pool(rng, loud_amounts(rng, quiet, senders.size, 1.0, 4.0), quiet, kit.ctx.knobs.amount_blending)
    rounds = rng.integers(2, 7, senders.size)
    who = np.repeat(np.arange(senders.size), rounds)
    t = world.clamp(kit.times(who.size, flow_start, end, sort=False))
    amounts = np.round(base[who] * rng.uniform(0.85, 1.15, who.size), 2)
    first = np.array([t[who == s].min() for s in range(senders.size)], dtype=np.int64)
    months = max((end - flow_start) / (30 * DAY), 0.5)
    for kind in ("p2p", "household"):
        m = kinds == kind
        links.add(TRANSFERS, acc[senders[m]], collector, draft=draft, role="funnel", kind=kind,
                  typical_amount=np.round(base[m], 2), monthly_count=np.round(rounds[m] / months, 3),
                  since=to_datetime(first[m]))
    draft.schedule(t, "transfer", EDGE, acc[senders[who]], collector, amounts)
    layered = _feed(rng, world, draft, ids, acc, address, base, senders, flow_start, end)
    draft.parameters = {**plan["params"], "transfers": int(t.size), "layering_links": layered,
                        "total_amount": round(float(amounts.sum()), 2)}


def _feed(rng, world: Identities, draft: Draft, ids, acc, address, base, senders, start: int, end: int) -> int:
    """Half of the identities receive part of their share from another identity before passing it on."""
    members = np.arange(1, ids.size)
    if members.size < 2:
        return 0
    share = dict(zip(senders.tolist(), base.tolist()))
    pairs = [(int(rng.choice(members[members != i])), int(i)) for i in members if rng.random() < 0.5]
    if not pairs:
        return 0
    src = np.array([j for j, _ in pairs], dtype=int)
    dst = np.array([i for _, i in pairs], dtype=int)
    amount = np.round(np.array([share[i] for i in dst]) * rng.uniform(0.4, 0.9, dst.size), 2)
    apart = address[src] != address[dst]
    world.links.add(KNOWS, ids[src[apart]], ids[dst[apart]], draft=draft, role="ring_tie", new_only=True, kind="friend",
                    since=to_datetime(np.full(int(apart.sum()), start - DAY)))
    half = max(end - start, 1) * 0.5
    t = world.clamp(start + (world.kit.fraction(start, start + half, dst.size) * half).astype(np.int64))
    for kind, m in (("p2p", apart), ("household", ~apart)):
        world.links.add(TRANSFERS, acc[src[m]], acc[dst[m]], draft=draft, role="layering", kind=kind,
                        typical_amount=amount[m], monthly_count=np.full(int(m.sum()), 1.0), since=to_datetime(t[m]))
    draft.schedule(t, "transfer", EDGE, acc[src], acc[dst], amount)
    return len(pairs)
