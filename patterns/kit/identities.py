"""Synthetic identities and the persons they live beside (shared by the identity typologies)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from fraudgraph.patterns.kit.edges import Links
from fraudgraph.patterns.kit.instances import Draft
from fraudgraph.patterns.kit.keys import (
    CONTEXT,
    KNOWS,
    OWNS,
    PAYS,
    SEEN_AT,
    USES_DEVICE,
    USES_IP,
    WORKS_AT,
    stem,
)
from fraudgraph.patterns.kit.toolkit import Toolkit

from fraudgraph.graph import isin
from fraudgraph.units import DAY, HOUR, YEAR, to_datetime, to_seconds
from fraudgraph.vocab import pii


class Identities:
    """Lookups over the legitimate world, synthetic persons that live like legitimate ones, buffered edges.

    One per injector call; :meth:`close` ends the call. ``Toolkit.new_persons`` draws each
    field from a donor row, which (as of this writing) puts a new person at the donor's
    address (joining that household without its family ties), may repeat a phone number
    already in use, and may make a person younger than 18 when they join. :meth:`enroll`
    registers new persons; :meth:`close` gives each a fresh address (shared only inside
    ``address_groups``), a phone nobody else has (shared only inside ``phone_groups``), an
    adult birth date, a primary device, a home IP seen from it, and family ties between
    co-residents, which is what every legitimate person has.
    """

    def __init__(self, kit: Toolkit):
        self.kit = kit
        self.links = Links(kit)
        self._enrolled: list[tuple] = []
        self._type_weights = None

    # -- time ------------------------------------------------------------------------------
    def clamp(self, t) -> np.ndarray:
        """Times kept inside the simulated span (every element must be created before its end)."""
        return np.minimum(np.asarray(t, dtype=np.int64), self.kit.ctx.end - 120)

    def created(self, label: str, ids) -> np.ndarray:
        table = self.kit.created(label)
        return np.array([table[i] for i in ids], dtype=np.int64)

    # -- lookups -------------------------------------------------------------------------------
    def random_place(self) -> tuple[str, str]:
        """(city, country) of a random existing person: where a synthetic identity claims to live."""
        p = self.kit.snapshot("Person")
        row = p.iloc[int(self.kit.rng.integers(0, len(p)))]
        return str(row["city"]), str(row["country"])

    def proxy_kinds(self) -> list[str]:
        """VPN and hosting kinds that the legitimate world uses (a kind nobody uses would be a giveaway)."""
        kinds = set(self.kit.snapshot("IP")["kind"].unique().tolist())
        return [k for k in ("vpn", "hosting") if k in kinds]

    def pick_proxy_kind(self, vpn_prob: float) -> str | None:
        kinds = self.proxy_kinds()
        if not kinds:
            return None
        if len(kinds) == 1:
            return kinds[0]
        return "vpn" if self.kit.rng.random() < vpn_prob else "hosting"

    def ips_of_kind(self, kind: str, *, not_city: str | None = None) -> np.ndarray:
        ips = self.kit.snapshot("IP")
        mask = np.array(ips["kind"] == kind, dtype=bool)
        if not_city is not None:
            elsewhere = np.array(ips["city"] != not_city, dtype=bool)
            if (mask & elsewhere).any():
                mask &= elsewhere
        return ips["id"].to_numpy(dtype=object)[mask]

    def other_city(self, kind: str, city: str) -> str | None:
        """A city, other than ``city``, where addresses of ``kind`` are located."""
        ips = self.kit.snapshot("IP")
        cities = np.unique(ips.loc[(ips["kind"] == kind) & (ips["city"] != city), "city"].to_numpy(dtype=object))
        return str(cities[self.kit.rng.integers(0, cities.size)]) if cities.size else None

    def devices_of(self, persons) -> dict[str, list[str]]:
        """Each person's devices, primary first."""
        e = self.kit.graph.edges[USES_DEVICE]
        e = e[isin(e["src"], pd.Series(list(persons), dtype="str"))]
        e = e.sort_values(["src", "is_primary", "dst"], ascending=[True, False, True])
        out: dict[str, list[str]] = {}
        for s, d in zip(e["src"].tolist(), e["dst"].tolist()):
            out.setdefault(s, []).append(d)
        return out

    def home_ip(self, persons) -> dict[str, str]:
        e = self.kit.graph.edges[USES_IP]
        e = e[isin(e["src"], pd.Series(list(persons), dtype="str")) & (e["context"] == "home").to_numpy()]
        return dict(zip(e["src"].tolist(), e["dst"].tolist()))

    def accounts_of(self, persons, types=("checking", "wallet", "savings", "credit_card")) -> np.ndarray:
        """For each person, a primary-held account of the first available type in ``types`` (or None)."""
        owns = self.kit.graph.edges[OWNS]
        owns = owns[isin(owns["src"], pd.Series(list(persons), dtype="str")) & (owns["role"] == "primary").to_numpy()]
        types_of = self.kit.lookup("Account", "account_type")
        kind = [types_of.get(a) for a in owns["dst"].tolist()]
        rank = {t: i for i, t in enumerate(types)}
        best: dict[str, tuple[int, str]] = {}
        for p, a, t in zip(owns["src"].tolist(), owns["dst"].tolist(), kind):
            if t in rank and (p not in best or (rank[t], a) < best[p]):
                best[p] = (rank[t], a)
        return np.array([best[p][1] if p in best else None for p in persons], dtype=object)

    def primary_types(self) -> tuple[np.ndarray, np.ndarray]:
        """Device types of legitimate primary devices and their shares."""
        if self._type_weights is None:
            e = self.kit.graph.edges[USES_DEVICE]
            devices = self.kit.snapshot("Device").set_index("id")["device_type"]
            types = devices.reindex(e.loc[e["is_primary"], "dst"]).dropna().value_counts().sort_index()
            if types.empty:
                types = pd.Series({"android": 1.0})
            self._type_weights = (types.index.to_numpy(dtype=object), (types / types.sum()).to_numpy())
        return self._type_weights

    def largest_household(self) -> int:
        """Most persons sharing one address in the legitimate world (1: nobody shares, so sharing would stand out)."""
        p = self.kit.snapshot("Person")
        return int(p.groupby(["address", "city"]).size().max()) if len(p) else 1

    def households(self, n: int, min_size: int, max_size: int) -> list[np.ndarray]:
        """``n`` legitimate households (persons sharing an address) of a size in range, not recruited yet."""
        p = self.kit.snapshot("Person")
        key = p["address"].astype(str) + "|" + p["city"].astype(str)
        size = key.map(key.value_counts()).to_numpy()
        used = self.kit.ctx.used_persons
        taken = np.asarray(isin(p["id"], pd.Series(sorted(used), dtype="str")), dtype=bool) if used else np.zeros(len(p), bool)
        busy = pd.Series(taken).groupby(key.to_numpy()).transform("any").to_numpy()
        ok = (size >= min_size) & (size <= max_size) & ~busy
        # households in address order, each one's members in id order
        cand = pd.DataFrame({"key": key[ok].to_numpy(), "id": p.loc[ok, "id"].to_numpy()}).sort_values(["key", "id"])
        if cand.empty or n == 0:
            return []
        keys = cand["key"].to_numpy()
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        bounds = np.r_[starts, len(keys)]
        ids = cand["id"].to_numpy(object)
        chosen = [ids[bounds[i]:bounds[i + 1]].copy() for i in self.kit.rng.permutation(len(starts))[:n]]
        for h in chosen:
            used.update(h.tolist())
        return chosen

    def employees(self) -> pd.DataFrame:
        """WORKS_AT rows (person, company) with the company's city and industry."""
        w = self.kit.graph.edges[WORKS_AT][["src", "dst"]]
        c = self.kit.snapshot("Company").set_index("id")
        return w.assign(city=c["city"].reindex(w["dst"]).to_numpy(), industry=c["industry"].reindex(w["dst"]).to_numpy())

    @staticmethod
    def staff_by_company(staff: pd.DataFrame, fewest: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Employers (``dst``, in id order) with at least ``fewest`` distinct employees (``src``), and
        their employees in id order: ``members[bounds[k]:bounds[k + 1]]`` work at ``companies[k]``."""
        rows = staff[["dst", "src"]].drop_duplicates().sort_values(["dst", "src"])
        dst, src = rows["dst"].to_numpy(object), rows["src"].to_numpy(object)
        starts = np.flatnonzero(np.r_[True, dst[1:] != dst[:-1]]) if dst.size else np.zeros(0, np.int64)
        sizes = np.diff(np.r_[starts, dst.size])
        keep = sizes >= fewest
        return dst[starts[keep]], np.r_[0, np.cumsum(sizes[keep])], src[np.repeat(keep, sizes)]

    def free(self, persons) -> np.ndarray:
        """Mask of persons not recruited yet (or recruited, where the overlap knob allows it)."""
        persons = pd.Series(list(persons), dtype="str")
        used = self.kit.ctx.used_persons
        taken = np.zeros(len(persons), bool)
        if used:
            taken = np.asarray(isin(persons, pd.Series(sorted(used), dtype="str")), dtype=bool)
        return ~taken | (self.kit.rng.random(len(persons)) < self.kit.ctx.knobs.member_overlap)

    # -- synthetic persons ---------------------------------------------------------------------
    def enroll(self, draft: Draft, ids, created, city: str, *, address_groups=None, phone_groups=None,
               role: str = "synthetic_identity") -> None:
        """Register new persons (all in ``city``) for :meth:`close`; co-residents share an ``address_groups`` label."""
        ids = np.asarray(ids, dtype=object)
        if ids.size == 0:
            return
        created = np.broadcast_to(np.asarray(created, dtype=np.int64), ids.shape).copy()
        groups = np.arange(ids.size) if address_groups is None else np.asarray(address_groups)
        phones = None if phone_groups is None else np.asarray(phone_groups)
        draft.member("Person", ids, role)
        self._enrolled.append((draft, ids, created, city, groups, phones))

    def close(self) -> None:
        """Onboard the enrolled persons, add every buffered edge, write the person fixes."""
        self._onboard()
        self.links.flush()
        self._settle()
        self._enrolled = []

    def _onboard(self) -> None:
        if not self._enrolled:
            return
        kit, rng = self.kit, self.kit.rng
        ids = np.concatenate([e[1] for e in self._enrolled])
        created = np.concatenate([e[2] for e in self._enrolled])
        n = ids.size
        # a primary device each, of the types legitimate primaries have
        types, weights = self.primary_types()
        dtype = types[rng.choice(types.size, size=n, p=weights)]
        dev_seen = self.clamp(created + rng.exponential(0.3 * DAY, n).astype(np.int64))
        devices = np.empty(n, dtype=object)
        for t in sorted(set(dtype.tolist())):
            m = dtype == t
            devices[m] = kit.new_devices(int(m.sum()), t, dev_seen[m])
        # a home IP per household, in its city, first seen at its first use
        hh = np.concatenate([np.unique(e[4], return_inverse=True)[1] + 1_000_000 * i for i, e in enumerate(self._enrolled)])
        hh_keys, hh_of = np.unique(hh, return_inverse=True)
        home_use = self.clamp(created + rng.exponential(0.2 * DAY, n).astype(np.int64))
        first = np.full(hh_keys.size, np.iinfo(np.int64).max)
        np.minimum.at(first, hh_of, home_use)
        city_of_hh = np.empty(hh_keys.size, dtype=object)
        city_of_hh[hh_of] = np.concatenate([np.full(e[1].size, e[3], dtype=object) for e in self._enrolled])
        home_of_hh = np.empty(hh_keys.size, dtype=object)
        for c in sorted(set(city_of_hh.tolist())):
            m = city_of_hh == c
            home_of_hh[m] = kit.new_ips(int(m.sum()), "residential", first[m], city=c)
        homes = home_of_hh[hh_of]
        offset = 0
        for draft, who, born, _, groups, _ in self._enrolled:
            sl = slice(offset, offset + who.size)
            offset += who.size
            draft.member("Device", devices[sl], "personal_device")
            draft.member("IP", homes[sl], "home_ip")
            self.links.add(USES_DEVICE, who, devices[sl], draft=draft, role="personal_device", is_primary=True,
                           first_seen=to_datetime(dev_seen[sl]))
            self.links.add(USES_IP, who, homes[sl], draft=draft, role="home", context="home",
                           first_seen=to_datetime(home_use[sl]))
            self.links.add(SEEN_AT, devices[sl], homes[sl], draft=draft, role="home",
                           first_seen=to_datetime(np.maximum(dev_seen[sl], home_use[sl])))
            a, b, since = [], [], []
            for g in _ordered_unique(groups):  # every pair of co-residents is family, as in legitimate households
                idx = np.flatnonzero(groups == g)
                for x in range(idx.size):
                    for y in range(x + 1, idx.size):
                        a.append(who[idx[x]])
                        b.append(who[idx[y]])
                        since.append(max(born[idx[x]], born[idx[y]]))
            if a:
                self.links.add(KNOWS, a, b, draft=draft, role="household", kind="family",
                               since=to_datetime(np.array(since)))

    def _settle(self) -> None:
        """Fresh addresses and phones and adult birth dates for this call's new persons (one pass over the table)."""
        if not self._enrolled:
            return
        rng = self.kit.rng
        table = self.kit.graph.nodes["Person"]
        ids = np.concatenate([e[1] for e in self._enrolled])
        pos = pd.Index(table["id"].astype(str)).get_indexer(pd.Index(ids.astype(str)))
        rows = table.iloc[pos]
        address = rows["address"].to_numpy(dtype=object).copy()
        phone = rows["phone"].to_numpy(dtype=object).copy()
        country = rows["country"].to_numpy(dtype=object)
        taken_address = set(table["address"].tolist())
        others = np.ones(len(table), bool)
        others[pos] = False
        taken_phone = set(table["phone"][others].tolist())
        pools: dict[str, list] = {}

        def fresh_phone(code: str, fallback: str) -> str:
            """A number nobody has (drawn in batches: each draw shuffles the whole fictional range)."""
            draw = pii.PHONES.get(code, pii.nanp_phones)
            for _ in range(3):
                pool = pools.setdefault(code, [])
                while pool:
                    candidate = pool.pop()
                    if candidate not in taken_phone:
                        taken_phone.add(candidate)
                        return candidate
                pools[code] = list(draw(rng, 4 * ids.size + 64))[::-1]
            return fallback  # the fictional range is exhausted: numbers repeat, as they do in the population

        offset = 0
        for _, chunk, _, _, groups, phone_groups in self._enrolled:
            k = chunk.size
            for g in _ordered_unique(groups):
                idx = offset + np.flatnonzero(groups == g)
                street = re.sub(r"^\d+ ", "", str(address[idx[0]]))
                for _ in range(1000):
                    candidate = f"{int(rng.integers(1, 10_000))} {street}"
                    if candidate not in taken_address:
                        break
                taken_address.add(candidate)
                address[idx] = candidate
            labels = np.arange(k) if phone_groups is None else phone_groups
            for g in _ordered_unique(labels):
                idx = offset + np.flatnonzero(labels == g)
                phone[idx] = fresh_phone(str(country[idx[0]]), str(phone[idx[0]]))
            offset += k
        dob = to_seconds(rows["date_of_birth"])
        created = to_seconds(rows["created_at"])
        young = dob > created - 18 * YEAR - 3 * DAY
        dob[young] = created[young] - 18 * YEAR - 3 * DAY - (rng.random(int(young.sum())) * 25 * YEAR).astype(np.int64)
        dob = (dob // DAY) * DAY
        table["address"] = _put(table["address"], pos, address)
        table["phone"] = _put(table["phone"], pos, phone)
        table["date_of_birth"] = _put(table["date_of_birth"], pos, dob.astype("datetime64[s]"))


def _ordered_unique(values) -> list:
    seen, out = set(), []
    for v in np.asarray(values).tolist():
        if v not in seen:
            seen.add(v)
            out.append(v)
    return out


def _put(column: pd.Series, pos: np.ndarray, values: np.ndarray) -> pd.Series:
    if column.dtype.kind == "M":
        arr = column.to_numpy(copy=True)
    else:
        arr = column.to_numpy(dtype=object, copy=True)
    arr[pos] = values
    return pd.Series(arr, index=column.index, name=column.name).astype(column.dtype)


def camouflage(world: Identities, entries) -> None:
    """Ordinary activity for new members (merchant payments, a few friends), as the camouflage knob says.

    ``entries``: (draft, persons, spending account per person, its type, start, city). Like
    ``Toolkit.camouflage``, with differences that keep population invariants: the payment channel
    fits the account type (``wallet`` exactly for wallets), times stay inside the span, friends
    come mostly from the member's city. The edges go to ``world.links`` (recorded as ``camouflage``).
    """
    kit = world.kit
    level = kit.ctx.knobs.camouflage
    if level <= 0 or not entries:
        return
    rng, end = kit.rng, kit.ctx.end - 120
    pays = kit.graph.edges[PAYS]
    wallet_rows = np.flatnonzero((pays["channel"] == "wallet").to_numpy())
    other_rows = np.flatnonzero((pays["channel"] != "wallet").to_numpy())
    p = kit.snapshot("Person")
    person_ids = p["id"].to_numpy(dtype=object)
    by_city: dict[str, np.ndarray] = {}
    for draft, persons, accounts, acc_types, start, city in entries:
        persons = np.asarray(persons, dtype=object)
        accounts = np.asarray(accounts, dtype=object)
        wal = np.asarray(acc_types, dtype=object) == "wallet"
        k = rng.poisson(6 * level, persons.size)
        src, w = np.repeat(accounts, k), np.repeat(wal, k)
        ok = np.array([s is not None for s in src], dtype=bool) & np.where(w, wallet_rows.size > 0, other_rows.size > 0)
        src, w = src[ok], w[ok]
        if src.size:
            rows = np.where(w, wallet_rows[rng.integers(0, max(wallet_rows.size, 1), src.size) % max(wallet_rows.size, 1)]
                            if wallet_rows.size else 0,
                            other_rows[rng.integers(0, max(other_rows.size, 1), src.size) % max(other_rows.size, 1)]
                            if other_rows.size else 0)
            donor = pays.iloc[rows]
            since = np.minimum(start + (rng.random(src.size) * 30 * DAY).astype(np.int64), end)
            world.links.add(PAYS, src, donor["dst"].to_numpy(dtype=object), draft=draft, role="camouflage", new_only=True,
                            channel=donor["channel"].to_numpy(dtype=object), typical_amount=donor["typical_amount"].to_numpy(),
                            monthly_count=donor["monthly_count"].to_numpy(), since=to_datetime(since))
        n_friends = rng.poisson(3 * level, persons.size)
        who = np.repeat(persons, n_friends)
        if who.size:
            if city not in by_city:
                by_city[city] = person_ids[(p["city"] == city).to_numpy()]
            local = by_city[city]
            dst = person_ids[rng.integers(0, person_ids.size, who.size)]
            near = rng.random(who.size) < 0.8
            if local.size:
                dst = np.where(near, local[rng.integers(0, local.size, who.size)], dst)
            world.links.add(KNOWS, who, dst, draft=draft, role="camouflage", new_only=True, kind="friend",
                            since=to_datetime(np.full(who.size, min(start, end))))


def open_accounts(kit: Toolkit, requests: list[tuple[Draft, str, str, int, str]]) -> np.ndarray:
    """Open the requested accounts in one Toolkit call per type: (draft, owner, type, opened, role).

    Records each account, its OWNS edge and an ``account_open`` schedule row in its draft;
    returns the account ids in request order.
    """
    out = np.empty(len(requests), dtype=object)
    by_type: dict[str, list[int]] = {}
    for i, (_, _, acc_type, _, _) in enumerate(requests):
        by_type.setdefault(acc_type, []).append(i)
    for acc_type in sorted(by_type):
        idx = by_type[acc_type]
        owners = np.array([requests[i][1] for i in idx], dtype=object)
        opened = np.array([requests[i][3] for i in idx], dtype=np.int64)
        accounts = kit.new_accounts(owners, acc_type, opened)
        out[idx] = accounts
        for i, acc in zip(idx, accounts):
            draft, owner, _, t, role = requests[i]
            draft.member("Account", acc, role)
            draft.edge(OWNS, owner, acc, "account_opening")
            draft.schedule([t], "account_open", stem(OWNS), owner, acc, detail=acc_type)
    return out


def logins(kit: Toolkit, draft: Draft, users, device, first, end: int, per_user=(1, 5), via=None) -> None:
    """Login rows on USES_DEVICE: each user's first login at ``first``, then a few more before ``end``
    (placed along the scenario's drift)."""
    rng = kit.rng
    users = np.asarray(users, dtype=object)
    first = np.asarray(first, dtype=np.int64)
    k = rng.integers(per_user[0], per_user[1] + 1, users.size)
    who = np.repeat(np.arange(users.size), k)
    extra = np.repeat(np.r_[0, np.cumsum(k)[:-1]], k) != np.arange(who.size)  # all but each user's first
    room = np.maximum(end - first[who], 1)
    t = first[who] + np.where(extra, (kit.fraction(first[who], first[who] + room, who.size) * room).astype(np.int64), 0)
    dev = np.broadcast_to(np.asarray(device, dtype=object), users.shape)[who]
    detail = "" if via is None else np.broadcast_to(np.asarray(via, dtype=object), users.shape)[who]
    draft.schedule(t, "login", stem(USES_DEVICE), users[who], dev, detail=detail)


def first_login(links: Links, draft: Draft, person, device, ip, kind: str | None, t: int, *,
                roles: tuple[str, str, str]) -> None:
    """``person``'s first login from ``device`` at ``t``, through ``ip`` (an address of ``kind``) when given: the
    device and the address as members, USES_DEVICE, USES_IP and SEEN_AT first seen then, and the login row.
    ``roles`` are the device's, the address's and the edges'."""
    device_role, ip_role, edge_role = roles
    seen = to_datetime([t])
    draft.member("Device", device, device_role)
    links.add(USES_DEVICE, person, device, draft=draft, role=edge_role, is_primary=False, first_seen=seen)
    if ip is not None:
        draft.member("IP", ip, ip_role)
        links.add(USES_IP, person, ip, draft=draft, role=edge_role, context=CONTEXT[kind], first_seen=seen)
        links.add(SEEN_AT, device, ip, draft=draft, role=edge_role, first_seen=seen)
    draft.schedule([t], "login", stem(USES_DEVICE), person, device, detail="" if ip is None else ip)


def action_sessions(world: Identities, draft: Draft, person, device, ip, actions) -> None:
    """Logins of ``person`` from ``device`` (through ``ip``) minutes before ``actions`` (links, transfers, identity
    changes): one session per four-hour stretch of them."""
    actions = np.sort(np.asarray(actions, dtype=np.int64))
    actions = actions[np.unique(actions // (4 * HOUR), return_index=True)[1]]
    lead = world.kit.rng.uniform(60, 20 * 60, actions.size).astype(np.int64)
    t = np.maximum(actions - lead, draft.start)
    draft.schedule(t, "login", stem(USES_DEVICE), person, device, detail="" if ip is None else ip)


def attach_proxies(world: Identities, draft: Draft, users, device, first, max_ips: int, reuse_prob: float, *,
                   vpn_prob: float, role: str) -> tuple[np.ndarray | None, dict]:
    """Connect ``users`` of ``device`` through 1..max_ips shared VPN/hosting addresses (new or existing).

    Each user connects through one address of the pool (a second one sometimes), first at their
    ``first`` time; the device is seen at every address of the pool. Returns the address of each
    user's first connection (or None without any VPN/hosting in the world) and parameters.
    """
    rng = world.kit.rng
    kind = world.pick_proxy_kind(vpn_prob)
    if kind is None:
        return None, {"ips": 0}
    users = np.asarray(users, dtype=object)
    n_ip = int(min(rng.integers(1, max_ips + 1), users.size))
    primary = np.arange(users.size) % n_ip
    rng.shuffle(primary)
    second = (primary + 1 + rng.integers(0, max(n_ip - 1, 1), users.size)) % n_ip
    extra = (rng.random(users.size) < 0.4) & (n_ip > 1)
    u = np.r_[np.arange(users.size), np.flatnonzero(extra)]
    j = np.r_[primary, second[extra]]
    t = world.clamp(np.r_[first, first[extra] + (rng.random(int(extra.sum())) * 2 * DAY).astype(np.int64)])
    ips, new = pool_addresses(world, kind, n_ip, reuse_prob, j, t)
    world.links.add(USES_IP, users[u], ips[j], draft=draft, role="proxy", context=CONTEXT[kind], first_seen=to_datetime(t))
    seen_at = np.array([t[j == k].min() for k in range(n_ip)], dtype=np.int64)
    world.links.add(SEEN_AT, np.full(n_ip, device, dtype=object), ips, draft=draft, role="proxy",
                    first_seen=to_datetime(seen_at))
    draft.member("IP", ips, role)
    return ips[primary], {"ips": n_ip, "ip_kind": kind, "new_ips": new}


def pool_addresses(world: Identities, kind: str, n_ip: int, reuse_prob: float, use_ip, use_time, *,
                   city: str | None = None, existing: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """``n_ip`` addresses of ``kind``: existing ones (chance ``reuse_prob``) or new ones first seen at their first use.

    ``use_ip`` (pool positions) and ``use_time`` list every planned use; each position must be used.
    Returns the addresses and how many are new.
    """
    kit, rng = world.kit, world.kit.rng
    use_ip, use_time = np.asarray(use_ip), np.asarray(use_time, dtype=np.int64)
    existing = world.ips_of_kind(kind) if existing is None else np.asarray(existing, dtype=object)
    n_reuse = min(int((rng.random(n_ip) < reuse_prob).sum()), existing.size)
    ips = np.empty(n_ip, dtype=object)
    ips[:n_reuse] = existing[rng.permutation(existing.size)[:n_reuse]]
    if n_ip > n_reuse:
        fresh = np.arange(n_reuse, n_ip)
        seen = np.array([use_time[use_ip == k].min() for k in fresh], dtype=np.int64)
        ips[fresh] = kit.new_ips(fresh.size, kind, seen, city=city)
    return ips, int(n_ip - n_reuse)
