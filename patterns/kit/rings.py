"""Rings of identities one operator controls: shared PII fragments, shared devices, shared proxy addresses."""

from __future__ import annotations

import numpy as np
from fraudgraph.patterns.kit.identities import Identities, pool_addresses
from fraudgraph.patterns.kit.instances import Draft
from fraudgraph.patterns.kit.keys import CONTEXT, SEEN_AT, USES_DEVICE, USES_IP, stem

from fraudgraph.units import DAY, to_datetime
from fraudgraph.vocab import pii


def shared_identities(world: Identities, draft: Draft, created, household_max: int, *, id_prefix_share: float,
                      shared_address_prob: float, shared_phone_prob: float):
    """New identities, one per ``created`` time, enrolled in one city and sharing PII fragments.

    The leading groups of one national id (``id_prefix_share`` of them, at least two), a phone (with
    ``shared_phone_prob``, mostly among identities who do not live together) and a drop address (with
    ``shared_address_prob``, where households of two or more exist). The first is the ``collector``.

    Returns
    -------
    ids, address groups, city, and a dict of how many share each fragment.
    """
    kit, rng = world.kit, world.kit.rng
    n = created.size
    city, country = world.random_place()
    template = str(pii.NATIONAL_IDS.get(country, pii.us_national_ids)(rng, 1)[0])
    prefixed = rng.random(n) < id_prefix_share
    if prefixed.sum() < 2:
        prefixed[rng.permutation(n)[:2]] = True
    ids = np.empty(n, dtype=object)
    ids[prefixed] = kit.new_persons(int(prefixed.sum()), created[prefixed], country=country, city=city,
                                    id_prefix_of=template)
    if (~prefixed).any():
        ids[~prefixed] = kit.new_persons(int((~prefixed).sum()), created[~prefixed], country=country, city=city)
    address = np.arange(n)
    drop = np.empty(0, int)
    if household_max >= 2 and rng.random() < shared_address_prob:
        drop = rng.permutation(n)[: int(rng.integers(2, min(4, n, household_max) + 1))]
        address[drop] = drop[0]
    phones = np.arange(n)
    shared_phone = np.empty(0, int)
    if rng.random() < shared_phone_prob:  # mostly identities who do not live together
        outside = [i for i in rng.permutation(n) if i not in set(drop.tolist()[1:])]
        shared_phone = np.array(outside[: int(rng.integers(2, 4))], dtype=int)
        phones[shared_phone] = shared_phone[0]
    draft.member("Person", ids[0], "collector")
    world.enroll(draft, ids, created, city, address_groups=address, phone_groups=phones)
    return ids, address, city, {"id_prefix_members": int(prefixed.sum()), "shared_phone_members": int(shared_phone.size),
                                "shared_address_members": int(drop.size)}


def ring_devices(world: Identities, draft: Draft, ids, created, max_devices: int):
    """Up to ``max_devices`` devices (half of them emulators) an operator logs into every identity from, days
    after its creation.

    Returns
    -------
    The login times, and the ring: ``devices``, ``assign`` (each identity's devices), the login rows ``pu``
    (identity) and ``pdv`` (device), and the number of ``emulators``.
    """
    kit, rng, n = world.kit, world.kit.rng, ids.size
    n_dev = int(min(rng.integers(1, max_devices + 1), max(n // 2, 1)))
    on_device = rng.permutation(np.arange(n) % n_dev)
    assign = [sorted({int(on_device[i])} | ({int(rng.integers(0, n_dev))} if rng.random() < 0.3 else set()))
              for i in range(n)]
    use_t = world.clamp(created + 600 + (rng.random(n) * 2 * DAY).astype(np.int64))
    emulator = rng.random(n_dev) < 0.5
    devices = np.empty(n_dev, dtype=object)
    for d in range(n_dev):
        first = int(use_t[[i for i in range(n) if d in assign[i]]].min())
        dtype = ("android" if rng.random() < 0.8 else "ios") if emulator[d] else "web_desktop"
        devices[d] = kit.new_devices(1, dtype, first, emulator=bool(emulator[d]))[0]
    pu = np.array([i for i in range(n) for _ in assign[i]], dtype=int)
    pdv = np.array([d for i in range(n) for d in assign[i]], dtype=int)
    world.links.add(USES_DEVICE, ids[pu], devices[pdv], draft=draft, role="ring_login", is_primary=False,
                    first_seen=to_datetime(use_t[pu]))
    draft.member("Device", devices, "ring_device")
    return use_t, {"devices": devices, "assign": assign, "pu": pu, "pdv": pdv, "emulators": int(emulator.sum())}


def ring_addresses(world: Identities, draft: Draft, ids, use_t, ring: dict):
    """The VPN or hosting addresses every identity and ring device connects through (none where the world has
    no proxies), then the ring's logins. Returns the number of addresses and their kind."""
    rng, n = world.kit.rng, ids.size
    devices, assign, pu, pdv = ring["devices"], ring["assign"], ring["pu"], ring["pdv"]
    kind = world.pick_proxy_kind(0.8)
    n_ip = 0
    if kind is not None:
        n_ip = int(rng.integers(1, 3))
        ui, uj = np.repeat(np.arange(n), n_ip), np.tile(np.arange(n_ip), n)
        ut = world.clamp(use_t[ui] + (rng.random(ui.size) * DAY).astype(np.int64))
        ips, _ = pool_addresses(world, kind, n_ip, 0.3, uj, ut)
        world.links.add(USES_IP, ids[ui], ips[uj], draft=draft, role="ring_ip", context=CONTEXT[kind],
                        first_seen=to_datetime(ut))
        sd, sj = np.repeat(np.arange(devices.size), n_ip), np.tile(np.arange(n_ip), devices.size)
        st = np.array([ut[(uj == j) & np.isin(ui, [i for i in range(n) if d in assign[i]])].min()
                       for d, j in zip(sd, sj)], dtype=np.int64)
        world.links.add(SEEN_AT, devices[sd], ips[sj], draft=draft, role="ring_ip", first_seen=to_datetime(st))
        draft.member("IP", ips, "ring_ip")
    draft.schedule(use_t[pu], "login", stem(USES_DEVICE), ids[pu], devices[pdv])
    return n_ip, kind
