"""Shared tools of the injectors: recruit ordinary members, create look-alike entities, link them.

New entities are built the way the population builds legitimate ones (random
ids from the graph, property values sampled from existing rows of the same
type, safe synthetic PII), so that neither id format, id range, row order nor
property distributions give them away.
"""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd
from fraudgraph.patterns.base import InjectionContext

from fraudgraph import schema
from fraudgraph.graph import PropertyGraph, isin
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

EdgeKey = tuple[str, str, str]




def trend(t, ctx: InjectionContext):
    """The scenario's drift factor at times ``t`` (epoch seconds): 1 at the start of the span,
    ``1 + ctx.drift`` at its end, linear in between (times outside the span take the nearer end).

    The density of injected activity is proportional to it, as the timeline's legitimate
    rates are to its per-day ``drift_factor``.
    """
    x = np.clip((np.asarray(t, dtype=float) - ctx.start) / max(ctx.end - ctx.start, 1), 0.0, 1.0)
    return 1.0 + ctx.drift * x


def drifted(u, lo, hi, ctx: InjectionContext, length=0):
    """Bend uniform draws so that the times placed with them follow the scenario's drift.

    An injector that places a time at ``lo + u * (hi - lo)``, with ``u`` uniform in
    [0, 1), spreads it evenly over [lo, hi). Passing ``u`` through this function first
    makes the density of the placed times proportional to ``1 + ctx.drift * x``, where
    ``x`` is the position in the simulated span (0 at its start, 1 at its end): the
    linear trend the timeline gives legitimate activity. Every drawn start, window and
    burst of the injectors goes through here (choices among existing dated things weigh
    them by :func:`trend`), so these two functions are where fraud drift lives.

    Parameters
    ----------
    u : float or numpy.ndarray
        Uniform draws in [0, 1).
    lo, hi : int or float
        Range (epoch seconds) over which ``u`` places the times.
    ctx : InjectionContext
        Its ``start``, ``end`` and ``drift`` (direction times strength).
    length : int or float, default 0
        Length in seconds of the episode that begins at each placed time. The trend is
        applied at the episode's midpoint, so that the activity of episodes of any length
        follows it, and times drawn (through this function) inside an episode placed by it
        follow it too.

    Returns
    -------
    float or numpy.ndarray
        Draws in [0, 1), monotone in ``u``; ``u`` itself when ``ctx.drift`` is 0, so that
        a seed gives the same dataset as without drift.

    Notes
    -----
    With ``a`` and ``b`` the trend at the first and the last midpoint (positions clipped
    to the span), the density of the result ``y`` is proportional to ``a + (b - a) y``;
    its inverse CDF, written so that nothing cancels when ``a`` is close to ``b``, is
    ``y = u (a + b) / (a + sqrt(a**2 + u (b**2 - a**2)))``.

    Examples
    --------
    >>> ctx = InjectionContext(start=0, end=90 * DAY, knobs=None, drift=1.0)
    >>> y = drifted(np.random.default_rng(0).random(100_000), 0, 90 * DAY, ctx)
    >>> round(float((y < 1 / 3).mean()), 2), round(float((y >= 2 / 3).mean()), 2)  # 7/27 and 11/27
    (0.26, 0.41)
    """
    if ctx.drift == 0:
        return u
    a, b = trend(lo + length / 2, ctx), trend(hi + length / 2, ctx)
    x = np.asarray(u, dtype=float)
    den = a + np.sqrt(a * a + x * (b * b - a * a))
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(den > 0, x * (a + b) / den, x)
    y = np.minimum(y, np.nextafter(1.0, 0.0))
    return float(y) if np.ndim(u) == 0 else y


_CACHES: "weakref.WeakKeyDictionary[PropertyGraph, dict]" = weakref.WeakKeyDictionary()


def release_caches(graph: PropertyGraph) -> None:
    """Drop the lookups built for ``graph`` while patterns were injected.

    They are shared by every injector, but nothing reads them once injection
    is over, and at 100k persons they hold about half a gigabyte.
    """
    _CACHES.pop(graph, None)


def _synced(graph: PropertyGraph, name, table: pd.DataFrame, factory, add):
    """A lookup derived from ``table``, shared by every toolkit on ``graph`` and brought up to date
    from the rows appended since it was last used (tables only grow while patterns are injected;
    a table that shrank or was replaced by a shorter one is read again in full)."""
    cache = _CACHES.setdefault(graph, {})
    store, seen = cache.get(name, (None, 0))
    if store is None or seen > len(table):
        store, seen = factory(), 0
    if seen < len(table):
        add(table.iloc[seen:], store)
    cache[name] = (store, len(table))
    return store


class _View:
    """A frame built once plus rows appended later, concatenated when read."""

    def __init__(self):
        self.frame: pd.DataFrame | None = None
        self.extra: list[pd.DataFrame] = []

    def get(self) -> pd.DataFrame:
        if self.extra:
            self.frame = pd.concat([self.frame, *self.extra], ignore_index=True)
            self.extra = []
        return self.frame


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


class Toolkit:
    """Recruitment and construction helpers bound to one graph, RNG and context."""

    def __init__(self, graph: PropertyGraph, rng: np.random.Generator, ctx: InjectionContext):
        self.graph = graph
        self.rng = rng
        self.ctx = ctx
        self._snapshots: dict[str, pd.DataFrame] = {}
        self._taken: dict[str, set[str]] = {}

    def snapshot(self, label: str) -> pd.DataFrame:
        """Node rows as they were when first asked for: donors of property values for new entities."""
        if label not in self._snapshots:
            self._snapshots[label] = self.graph.nodes[label]
        return self._snapshots[label]

    def taken(self, column: str) -> set[str]:
        """Values of a Person column that new persons must not reuse (cached, kept current)."""
        if column not in self._taken:
            self._taken[column] = set(self.graph.nodes["Person"][column].tolist())
        return self._taken[column]

    # -- views ------------------------------------------------------------------
    def persons(self) -> pd.DataFrame:
        """Person rows with ``knows_degree`` and ``n_accounts`` (one view per graph; persons added
        later join it with zero degrees, as they have no ordinary history)."""
        def build(rows, view):
            if view.frame is None:
                p = rows.copy()
                knows = self.graph.edges[("Person", "KNOWS", "Person")]
                deg = pd.concat([knows["src"], knows["dst"]]).value_counts()
                p["knows_degree"] = p["id"].map(deg).fillna(0).astype(int).to_numpy()
                owns = self.graph.edges[("Person", "OWNS", "Account")]
                p["n_accounts"] = p["id"].map(owns["src"].value_counts()).fillna(0).astype(int).to_numpy()
                view.frame = p
            else:
                view.extra.append(rows.assign(knows_degree=0, n_accounts=0))

        return _synced(self.graph, ("persons_view",), self.graph.nodes["Person"], _View, build).get()

    def accounts(self) -> pd.DataFrame:
        """Account rows with ``owner`` (primary person owner, or empty) and ``owner_city`` (one view per graph)."""
        owners = _synced(self.graph, ("primary_owner",), self.graph.edges[("Person", "OWNS", "Account")], dict,
                         lambda rows, store: store.update(
                             (d, o) for o, d, r in zip(rows["src"].tolist(), rows["dst"].tolist(), rows["role"].tolist())
                             if r == "primary" and d not in store))
        cities = self.lookup("Person", "city")

        def build(rows, view):
            a = rows.copy()
            a["owner"] = pd.Series([owners.get(i) for i in a["id"].tolist()], dtype=object).to_numpy()
            a["owner_city"] = pd.Series([cities.get(o) for o in a["owner"]], dtype=object).to_numpy()
            if view.frame is None:
                view.frame = a
            else:
                view.extra.append(a)

        return _synced(self.graph, ("accounts_view",), self.graph.nodes["Account"], _View, build).get()

    def lookup(self, label: str, column: str) -> dict:
        """``{id: value of column}`` for a node type (shared per graph, synced on use)."""
        return _synced(self.graph, ("lookup", label, column), self.graph.nodes[label], dict,
                       lambda rows, store: store.update(zip(rows["id"].tolist(), rows[column].tolist())))

    def created(self, label: str) -> dict[str, int]:
        """``{id: creation time in seconds}`` for node type ``label`` (shared per graph, synced on use)."""
        nt = schema.NODE_TYPES[label]

        def add(rows, store):
            store.update(zip(rows["id"].tolist(), to_seconds(rows[nt.time_property]).tolist()))

        return _synced(self.graph, ("created", label), self.graph.nodes[label], dict, add)

    def pairs(self, key: EdgeKey) -> set[str]:
        """Existing ``"src|dst"`` pairs of an edge type (shared per graph, synced on use)."""
        table = self.graph.edges.get(key)
        if table is None:
            return set()

        def add(rows, store):
            store.update((rows["src"] + "|" + rows["dst"]).tolist())

        return _synced(self.graph, ("pairs", key), table, set, add)

    # -- time ---------------------------------------------------------------------
    def fraction(self, lo, hi, n: int | None = None, length=0):
        """``rng.random(n)`` bent by the scenario's drift for placing times (or episodes of
        ``length`` seconds) at ``lo + fraction * (hi - lo)``; see :func:`drifted`."""
        return drifted(self.rng.random(n), lo, hi, self.ctx, length)

    def pick_day(self, first: int, count: int, length=0) -> int:
        """One of ``count`` consecutive day numbers (days since the epoch) from ``first``, on which an
        episode of ``length`` seconds starts, placed along the scenario's drift (drawn with
        ``rng.integers`` when there is no drift, so that seeds keep their datasets)."""
        if not self.ctx.drift:
            return first + int(self.rng.integers(0, count))
        return first + min(int(self.fraction(first * DAY, (first + count) * DAY, length=length) * count), count - 1)

    def window(self, days: float) -> tuple[int, int]:
        """A window of ``days`` that lies inside the simulated span (shorter if the span is),
        placed along the scenario's drift."""
        span = self.ctx.end - self.ctx.start
        length = int(min(days * DAY, max(span - DAY, DAY)))
        room = max(span - length, 1)
        start = self.ctx.start + int(self.fraction(self.ctx.start, self.ctx.start + room, length=length) * room)
        return start, start + length

    def times(self, n: int, start: int, end: int, sort: bool = True) -> np.ndarray:
        """``n`` times in ``[start, end)``, spread by the timing knob (tight bursts at 0) and
        placed along the scenario's drift."""
        spread = max(self.ctx.knobs.timing_spread, 0.02)
        length = max(int((end - start) * spread), 60)
        room = max(end - start - length, 1)
        base = start + int(self.fraction(start, start + room, length=length) * room)
        t = base + (self.fraction(base, base + length, n) * length).astype(np.int64)
        return np.sort(t) if sort else t

    # -- recruitment ----------------------------------------------------------------
    def _free(self, ids: pd.Series, used: set[str]) -> np.ndarray:
        """Mask of ids not yet recruited (or, with member_overlap, recruited but allowed again)."""
        return eligible(self.rng, ids.tolist(), used, self.ctx.knobs.member_overlap)

    def _ordinary_pool(self) -> dict:
        """Ordinary persons of the legitimate world (not hubs: KNOWS degree up to the 90th
        percentile; holding an account), as arrays built once per graph."""
        cache = _CACHES.setdefault(self.graph, {})
        if "ordinary_pool" not in cache:
            p = self.persons()
            mask = (p["knows_degree"] <= max(p["knows_degree"].quantile(0.9), 1)).to_numpy() & (p["n_accounts"] > 0).to_numpy()
            ids = p["id"].to_numpy(dtype=object)[mask]
            cities = p["city"].to_numpy(dtype=object)[mask]
            by_city: dict[str, list[int]] = {}
            for i, c in enumerate(cities.tolist()):
                by_city.setdefault(c, []).append(i)
            cache["ordinary_pool"] = {
                "ids": ids, "created": to_seconds(p["created_at"])[mask],
                "by_city": {c: np.array(v, dtype=np.int64) for c, v in by_city.items()},
            }
        return cache["ordinary_pool"]

    def recruit_persons(self, n: int, *, city: str | None = None, exclude=(), before: int | None = None) -> np.ndarray:
        """``n`` ordinary persons: not hubs (KNOWS degree up to the 90th percentile), not recruited yet
        (unless the member_overlap knob lets them join another instance).

        Returns fewer when the pool is too small. Costs O(n), not O(persons), per call.
        """
        pool = self._ordinary_pool()
        if city is not None:
            candidates = pool["by_city"].get(city, np.empty(0, np.int64))
        else:
            candidates = np.arange(pool["ids"].size)
        if before is not None and candidates.size:
            candidates = candidates[pool["created"][candidates] < before]
        used, excluded, overlap = self.ctx.used_persons, set(exclude), self.ctx.knobs.member_overlap
        chosen = []
        for i in candidates[self.rng.permutation(candidates.size)]:
            person = pool["ids"][i]
            if person in excluded or (person in used and self.rng.random() >= overlap):
                continue
            chosen.append(person)
            if len(chosen) == n:
                break
        used.update(chosen)
        return np.array(chosen, dtype=object)

    def recruit_accounts(self, n: int, types=("checking",), *, distinct_owners: bool = True,
                         distinct_institutions: bool = False, city: str | None = None, status=("active",)) -> np.ndarray:
        """``n`` ordinary person-owned accounts of ``types`` (optionally at distinct institutions)."""
        a = self.accounts()
        mask = a["account_type"].isin(list(types)).to_numpy() & a["owner"].notna().to_numpy()
        mask &= a["status"].isin(list(status)).to_numpy()
        mask &= self._free(a["id"], self.ctx.used_accounts)
        owner_used = np.asarray(isin(a["owner"].fillna(""), pd.Series(sorted(self.ctx.used_persons), dtype="str")), dtype=bool) \
            if self.ctx.used_persons else np.zeros(len(a), bool)
        mask &= ~owner_used | (self.rng.random(len(a)) < self.ctx.knobs.member_overlap)
        if city is not None:
            mask &= (a["owner_city"] == city).to_numpy()
        pool = a[mask].iloc[self.rng.permutation(int(mask.sum()))]
        if distinct_owners:
            pool = pool.drop_duplicates("owner")
        if distinct_institutions:
            pool = pool.drop_duplicates("institution")
        chosen = pool.head(n)
        self.ctx.used_accounts.update(chosen["id"].tolist())
        self.ctx.used_persons.update(chosen["owner"].dropna().tolist())
        return chosen["id"].to_numpy(dtype=object)

    def holdings(self) -> dict[str, dict[str, str]]:
        """``{person id: {account type: account id}}`` (first primary account of each type; shared, synced)."""
        types = _synced(self.graph, ("account_type",), self.graph.nodes["Account"], dict,
                        lambda rows, store: store.update(zip(rows["id"].tolist(), rows["account_type"].tolist())))

        def add(rows, store):
            rows = rows[rows["role"] == "primary"]
            for owner, acc in zip(rows["src"].tolist(), rows["dst"].tolist()):
                store.setdefault(owner, {}).setdefault(types[acc], acc)

        return _synced(self.graph, ("holdings",), self.graph.edges[("Person", "OWNS", "Account")], dict, add)

    def account_of(self, person_ids, types=("checking", "wallet", "savings", "credit_card")) -> np.ndarray:
        """For each person, one account of the first available type in ``types`` (or None)."""
        held = self.holdings()
        return np.array([next((held.get(p, {}).get(t) for t in types if t in held.get(p, {})), None)
                         for p in person_ids], dtype=object)

    def owner_of(self, account_ids) -> np.ndarray:
        owners = self.accounts().set_index("id")["owner"]
        return np.array([owners.get(a) for a in account_ids], dtype=object)

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
        same = a[a["account_type"] == account_type]
        same = same if len(same) else a
        donor = same.iloc[self.rng.integers(0, len(same), n)]
        if institution is None:
            inst = a["institution"].to_numpy()[self.rng.integers(0, len(a), n)]
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
        known = self.pairs(et.key)
        pair = (frame["src"].astype(str) + "|" + frame["dst"].astype(str)).tolist()
        new = np.array([p not in known for p in pair], dtype=bool) & ~pd.Series(pair).duplicated().to_numpy()
        new &= (frame["src"] != frame["dst"]).to_numpy()
        if new.any():
            self.graph.add_edges(et.key, frame[new])
        return new

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
            types = self.graph.nodes["Account"].set_index("id")["account_type"].reindex(src[ok]).to_numpy()
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


class EdgeQueue:
    """Edges queued one at a time during a call and added in one ``Toolkit.link`` per edge type by ``flush``.

    ``since`` values are epoch seconds; other properties keep their Python type
    (strings become object columns).
    """

    def __init__(self, kit: Toolkit):
        self.kit = kit
        self._pending: dict[tuple, list] = {}

    def queue(self, key, src: str, dst: str, **props) -> None:
        self._pending.setdefault(key, []).append((src, dst, props))

    def flush(self) -> dict[tuple, tuple[list, np.ndarray]]:
        """Add the queued edges; per edge type, the queued ``(src, dst, props)`` rows and which pairs were new."""
        added = {}
        for key, rows in self._pending.items():
            props = {name: [r[2][name] for r in rows] for name in rows[0][2]}
            props = {name: to_datetime(v) if name == "since" else np.asarray(v, dtype=object if isinstance(v[0], str) else None)
                     for name, v in props.items()}
            added[key] = (rows, self.kit.link(key, [r[0] for r in rows], [r[1] for r in rows], **props))
        self._pending = {}
        return added


def eligible(rng: np.random.Generator, ids: list, used: set[str], overlap: float) -> np.ndarray:
    """Mask of ``ids`` not recruited yet (a recruited one stays eligible with probability ``overlap``)."""
    taken = np.fromiter((i in used for i in ids), bool, len(ids))
    return ~taken | (rng.random(len(ids)) < overlap)


def blend(loud, quiet, blending: float):
    """Move a typology's characteristic amount toward a legitimate one, in log space.

    ``blending`` 0 keeps ``loud``; 1 gives ``quiet``; in between the amount is the
    geometric interpolation, so half-blended kiting of 6,000 against a legitimate
    45 becomes about 520 rather than 3,000 (linear blending would still stand out).
    """
    loud = np.maximum(np.asarray(loud, dtype=float), 0.01)
    quiet = np.maximum(np.asarray(quiet, dtype=float), 0.01)
    return np.exp((1.0 - blending) * np.log(loud) + blending * np.log(quiet))


def monthly_rate(events: int, ctx: InjectionContext) -> float:
    """Events per month averaged over the whole simulated span (what an edge's ``monthly_count`` states)."""
    months = max((ctx.end - ctx.start) / (30 * DAY), 1.0)
    return round(events / months, 3)
