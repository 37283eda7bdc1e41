"""New entities built like legitimate ones: ids from the graph, values from donor rows, safe PII."""

from __future__ import annotations

import numpy as np
import pandas as pd
from fraudgraph.patterns.kit.keys import EdgeKey
from fraudgraph.patterns.kit.view import GraphView

from fraudgraph import schema
from fraudgraph.graph import isin
from fraudgraph.units import DAY, to_datetime, to_seconds
from fraudgraph.vocab import pii
from fraudgraph.vocab.devices import CLIENTS, assign_clients, fingerprints
from fraudgraph.vocab.draw import unique_integers
from fraudgraph.vocab.geography import COUNTRY_CURRENCY
from fraudgraph.vocab.networks import (
    CGNAT_BASE,
    CGNAT_SIZE,
    RESERVED_BASE,
    RESERVED_SIZE,
    dotted,
)


def shared_prefix_ids(rng: np.random.Generator, template: str, n: int, taken: set[str]) -> np.ndarray:
    """``n`` national ids that share ``template``'s leading groups (area and group, or NI prefix)."""
    if "-" in template:
        head, tail_len = template.rsplit("-", 1)[0] + "-", len(template.rsplit("-", 1)[1])
    else:
        head, tail_len = template[:4], len(template) - 4
    out = []
    low = 1 if template[0] == "9" else 0
    for serial in rng.permutation(10**min(tail_len, 4) - low)[: n * 3] + low:
        if template[0] == "Q":
            candidate = f"{head}{serial % 10**(tail_len - 1):0{tail_len - 1}d}{template[-1]}"
        else:
            candidate = f"{head}{serial:0{tail_len}d}"
        if candidate not in taken and candidate not in out:
            out.append(candidate)
        if len(out) == n:
            break
    return np.array(out, dtype=object)


class Entities(GraphView):
    """New persons, accounts, devices and addresses, and new edges."""

    # -- creating entities ------------------------------------------------------------
    def new_persons(self, n: int, created_at, *, country: str | None = None, city: str | None = None,
                    address: str | None = None, phone: str | None = None, id_prefix_of: str | None = None) -> np.ndarray:
        """Synthetic persons whose fields are drawn like legitimate ones (donor rows, fresh safe PII).

        ``address``, ``phone`` or ``id_prefix_of`` (a national id whose first two groups are reused)
        make the new persons share PII fragments.
        """
        p = self.snapshot("Person")
        pool = p if country is None else p[p["country"] == country]
        if city is not None and (pool["city"] == city).any():
            pool = pool[pool["city"] == city]
        donors = pool.iloc[self.rng.integers(0, len(pool), size=(3, n))[0]]
        name_a = pool.iloc[self.rng.integers(0, len(pool), n)]["name"].str.split(" ").str[0].to_numpy()
        name_b = pool.iloc[self.rng.integers(0, len(pool), n)]["name"].str.split(" ").str[-1].to_numpy()
        names = pd.Series(name_a, dtype="str") + " " + pd.Series(name_b, dtype="str")
        slug = lambda s: s.str.lower().str.replace(r"[^a-z]", "", regex=True)  # noqa: E731
        emails = pii.emails(self.rng, slug(pd.Series(name_a, dtype="str")).to_numpy(object), slug(pd.Series(name_b, dtype="str")).to_numpy(object))
        taken = self.taken("email")
        for i, e in enumerate(emails):
            while e in taken:
                e = e.replace("@", f"{int(self.rng.integers(100, 999))}@", 1)
            emails[i] = e
            taken.add(e)
        countries = donors["country"].to_numpy()
        phones = np.empty(n, dtype=object)
        national = np.empty(n, dtype=object)
        existing_ids = self.taken("national_id")
        taken_phones = self.taken("phone")
        for code in sorted(set(countries.tolist())):
            m = np.flatnonzero(countries == code)
            drawn = [x for x in pii.PHONES[code](self.rng, m.size * 4 + 8) if x not in taken_phones]
            # past the fictional range's capacity numbers repeat, as they do for legitimate persons
            drawn = drawn if len(drawn) >= m.size else list(pii.PHONES[code](self.rng, m.size))
            phones[m] = drawn[: m.size]
            fresh = [x for x in pii.NATIONAL_IDS[code](self.rng, m.size * 2 + 4) if x not in existing_ids]
            national[m] = fresh[: m.size]
        if phone is not None:
            phones[:] = phone
        if id_prefix_of is not None:  # share the leading groups of one national id, with distinct serials
            national = shared_prefix_ids(self.rng, id_prefix_of, n, existing_ids)
        created = np.broadcast_to(np.asarray(created_at, dtype=np.int64), (n,))
        # adults at creation, like every legitimate person
        dob = np.minimum(to_seconds(donors["date_of_birth"]), created - int(18 * 365.25 * DAY) - DAY)
        if address is None:  # a home of their own: the donor's street, a house number nobody lives at
            addresses = self._fresh_addresses(donors["address"].to_numpy())
        else:
            addresses = np.full(n, address, dtype=object)
        taken_phones.update(phones.tolist())
        self.taken("address").update(addresses.tolist())
        ids = self.graph.new_ids("Person", n, self.rng)
        self.graph.add_nodes("Person", pd.DataFrame({
            "id": ids,
            "name": names.to_numpy(object),
            "email": emails,
            "phone": phones,
            "date_of_birth": to_datetime(dob),
            "address": addresses,
            "city": donors["city"].to_numpy(),
            "state": donors["state"].to_numpy(),
            "country": countries,
            "national_id": national,
            "segment": donors["segment"].to_numpy(),
            "kyc_level": donors["kyc_level"].to_numpy(),
            "created_at": to_datetime(created),
        }))
        out = np.asarray(ids, dtype=object)
        existing_ids.update(national.tolist())
        self.ctx.used_persons.update(out.tolist())
        return out

    def _fresh_addresses(self, donor_addresses: np.ndarray) -> np.ndarray:
        """Addresses on the donors' streets with a house number no one in the world has."""
        taken = self.taken("address")
        out = []
        for donor in donor_addresses:
            street = donor.split(",")[0].split(" ", 1)[-1]
            while True:
                candidate = f"{int(self.rng.integers(1, 9_999))} {street}"
                if candidate not in taken:
                    break
            taken.add(candidate)
            out.append(candidate)
        return np.array(out, dtype=object)

    def new_accounts(self, owners, account_type: str, opened_at, *, institution=None) -> np.ndarray:
        """Accounts of ``account_type`` for ``owners`` (person ids, or company ids for ``business``), with OWNS edges."""
        owners = np.asarray(owners, dtype=object)
        n = owners.size
        a = self.snapshot("Account")
        same = self._rows_of_type(account_type)
        donor = a.iloc[same[self.rng.integers(0, len(same), n)]]
        if institution is None:
            inst = a["institution"].take(self.rng.integers(0, len(a), n)).to_numpy()
        else:
            inst = np.broadcast_to(np.asarray(institution, dtype=object), (n,))
        opened = np.broadcast_to(np.asarray(opened_at, dtype=np.int64), (n,))
        ids = self.graph.new_ids("Account", n, self.rng)
        number = pd.Series(unique_integers(self.rng, 0, 10**12, n)).astype(str).str.zfill(12)
        self.graph.add_nodes("Account", pd.DataFrame({
            "id": ids,
            "account_number": number.to_numpy(object),
            "institution": inst,
            "account_type": np.full(n, account_type, dtype=object),
            "currency": self._currencies(owners, account_type),
            "opened_at": to_datetime(opened),
            "status": np.full(n, "active", dtype=object),
            "opening_balance": donor["opening_balance"].to_numpy(),
            "credit_limit": donor["credit_limit"].to_numpy() if account_type == "credit_card" else np.zeros(n),
        }))
        out = np.asarray(ids, dtype=object)
        if account_type == "business":
            self.link(("Company", "OWNS", "Account"), owners, ids, since=to_datetime(opened))
        else:
            self.link(("Person", "OWNS", "Account"), owners, ids, role="primary", since=to_datetime(opened))

        self.ctx.used_accounts.update(out.tolist())
        return out

    def _rows_of_type(self, account_type: str) -> np.ndarray:
        """Positions of the snapshot's accounts of ``account_type`` (all accounts if there are none)."""
        cache = self.__dict__.setdefault("_account_rows", {})
        if account_type not in cache:
            a = self.snapshot("Account")
            rows = np.flatnonzero((a["account_type"] == account_type).to_numpy())
            cache[account_type] = rows if rows.size else np.arange(len(a))
        return cache[account_type]

    def _currencies(self, owners: np.ndarray, account_type: str) -> np.ndarray:
        """The currency of each owner's country (persons, or companies for business accounts)."""
        country = self.lookup("Company" if account_type == "business" else "Person", "country")
        return np.array([COUNTRY_CURRENCY.get(country.get(o)) for o in owners], dtype=object)

    def new_devices(self, n: int, device_type: str, first_seen, *, emulator: bool = False) -> np.ndarray:
        types = np.full(n, schema.DEVICE_TYPES.index(device_type))
        client = assign_clients(self.rng, types, np.full(n, emulator))
        seen = np.broadcast_to(np.asarray(first_seen, dtype=np.int64), (n,))
        ids = self.graph.new_ids("Device", n, self.rng)
        self.graph.add_nodes("Device", pd.DataFrame({
            "id": ids,
            "fingerprint": fingerprints(self.rng, n),
            "device_type": np.full(n, device_type, dtype=object),
            "os": CLIENTS["os"].to_numpy()[client],
            "user_agent": CLIENTS["user_agent"].to_numpy()[client],
            "first_seen": to_datetime(seen),
            "is_emulator": CLIENTS["is_emulator"].to_numpy()[client],
        }))
        out = np.asarray(ids, dtype=object)
        return out

    def new_devices_each(self, device_types: np.ndarray, emulator: np.ndarray, first_seen: np.ndarray) -> np.ndarray:
        """One new device per row (its type, emulator flag and first sighting), one call per (type, emulator) pair."""
        out = np.empty(device_types.size, dtype=object)
        for t in sorted(set(device_types.tolist())):
            for e in (False, True):
                m = (device_types == t) & (emulator == e)
                if m.any():
                    out[m] = self.new_devices(int(m.sum()), t, first_seen[m], emulator=e)
        return out

    def new_ips(self, n: int, kind: str, first_seen, *, city: str | None = None) -> np.ndarray:
        """Addresses of ``kind`` whose operator and location are taken from existing ones of that kind."""
        ips = self.snapshot("IP")
        same = ips[ips["kind"] == kind]
        same = same if len(same) else ips
        if city is not None and (same["city"] == city).any():
            same = same[same["city"] == city]
        donor = same.iloc[self.rng.integers(0, len(same), n)]
        if "ip_address" not in self._taken:
            self._taken["ip_address"] = set(self.graph.nodes["IP"]["address"].tolist())
        existing = self._taken["ip_address"]
        base, size = (CGNAT_BASE, CGNAT_SIZE) if kind == "mobile" else (RESERVED_BASE, RESERVED_SIZE)
        address = [a for a in dotted(base + unique_integers(self.rng, 0, size, n * 2 + 4)) if a not in existing][:n]
        existing.update(address)
        seen = np.broadcast_to(np.asarray(first_seen, dtype=np.int64), (n,))
        ids = self.graph.new_ids("IP", n, self.rng)
        self.graph.add_nodes("IP", pd.DataFrame({
            "id": ids,
            "address": np.array(address, dtype=object),
            "kind": np.full(n, kind, dtype=object),
            "asn": donor["asn"].to_numpy(),
            "provider": donor["provider"].to_numpy(),
            "country": donor["country"].to_numpy(),
            "city": donor["city"].to_numpy(),
            "lat": np.round(donor["lat"].to_numpy() + self.rng.normal(0, 0.03, n), 4),
            "lon": np.round(donor["lon"].to_numpy() + self.rng.normal(0, 0.03, n), 4),
            "first_seen": to_datetime(seen),
        }))
        out = np.asarray(ids, dtype=object)
        return out

    # -- edges -------------------------------------------------------------------------
    def link(self, key: EdgeKey, src, dst, **props) -> np.ndarray:
        """Add edges ``src -> dst`` with ``props`` (scalars broadcast); pairs that already exist are kept as they are.

        Returns a boolean mask of the pairs that were new.
        """
        src = np.asarray(src, dtype=object)
        dst = np.asarray(dst, dtype=object)
        n = src.size
        if n == 0:
            return np.zeros(0, bool)
        et = schema.edge_type(key)
        frame = pd.DataFrame({"src": src, "dst": dst})
        for p in et.properties:
            value = props[p.name]
            frame[p.name] = value if np.ndim(value) else np.full(n, value, dtype=object if isinstance(value, str) else None)
        if key == ("Person", "KNOWS", "Person"):  # stored once per pair, smaller id first
            swap = frame["src"].to_numpy().astype(str) > frame["dst"].to_numpy().astype(str)
            s, d = frame["src"].to_numpy(), frame["dst"].to_numpy()
            frame["src"], frame["dst"] = np.where(swap, d, s), np.where(swap, s, d)
        # an edge is never older than its endpoints (the invariant every legitimate edge keeps)
        t = to_seconds(frame[et.time_property])
        for end, label in (("src", et.src), ("dst", et.dst)):
            created = self.created(label)
            t = np.maximum(t, np.array([created[i] for i in frame[end]], dtype=np.int64))
        frame[et.time_property] = to_datetime(t)
        known = self._existing_pairs(et.key, frame["src"])
        pair = (frame["src"].astype(str) + "|" + frame["dst"].astype(str)).tolist()
        new = np.array([p not in known for p in pair], dtype=bool) & ~pd.Series(pair).duplicated().to_numpy()
        new &= (frame["src"] != frame["dst"]).to_numpy()
        if new.any():
            self.graph.add_edges(et.key, frame[new])
        return new

    def _existing_pairs(self, key: EdgeKey, sources: pd.Series) -> set[str]:
        """``"src|dst"`` of the ``key`` edges leaving ``sources``: one vectorised pass over the table
        per call, where a lookup of every pair would cost a hundred bytes per edge of the world."""
        table = self.graph.edges.get(key)
        if table is None or not len(table):
            return set()
        rows = table.loc[np.asarray(isin(table["src"], pd.Series(sources.unique(), dtype="str")), dtype=bool), ["src", "dst"]]
        return set((rows["src"] + "|" + rows["dst"]).tolist())

    def camouflage(self, person_ids, start: int) -> None:
        """Give new members ordinary activity (merchant payments, a friend), as the camouflage knob says."""
        level = self.ctx.knobs.camouflage
        person_ids = np.asarray(person_ids, dtype=object)
        if level <= 0 or person_ids.size == 0:
            return
        pays = self.graph.edges[("Account", "PAYS", "Company")]
        if len(pays):
            accounts = self.account_of(person_ids, ("checking", "credit_card", "wallet"))
            per_person = len(pays) / max(self.graph.num_nodes("Person"), 1)  # the world's own rate
            k = self.rng.poisson(per_person * level, person_ids.size)
            src = np.repeat(accounts, k)
            donor = pays.iloc[self.rng.integers(0, len(pays), src.size)]
            ok = np.array([s is not None for s in src], dtype=bool)
            type_of = self.lookup("Account", "account_type")
            types = np.array([type_of.get(a) for a in src[ok].tolist()], dtype=object)
            channel = np.where(types == "wallet", "wallet", np.where(donor["channel"].to_numpy()[ok] == "wallet", "card",
                                                                      donor["channel"].to_numpy()[ok]))
            since = np.minimum(start + (self.rng.random(int(ok.sum())) * 30 * DAY).astype(np.int64), self.ctx.end - 1)
            self.link(("Account", "PAYS", "Company"), src[ok], donor["dst"].to_numpy()[ok],
                      channel=channel, typical_amount=donor["typical_amount"].to_numpy()[ok],
                      monthly_count=donor["monthly_count"].to_numpy()[ok], since=to_datetime(since))
        friends_n = self.rng.poisson(4 * level, person_ids.size)
        src = np.repeat(person_ids, friends_n)
        if src.size:
            p = self.persons()
            dst = p["id"].to_numpy()[self.rng.integers(0, len(p), src.size)]
            self.link(("Person", "KNOWS", "Person"), src, dst, kind="friend",
                      since=to_datetime(np.full(src.size, start)))
