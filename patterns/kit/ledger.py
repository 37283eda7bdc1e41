"""The scripted money ledger: accounts recruited for money typologies, and the transfers and payments they script."""

from __future__ import annotations

from collections import ChainMap

import numpy as np
import pandas as pd
from fraudgraph.patterns.base import (
    PatternInstance,
)
from fraudgraph.patterns.kit.instances import Draft
from fraudgraph.patterns.kit.keys import (
    EVERYDAY,
    KNOWS,
    PAYS,
    PAYS_STEM,
    TRANSFERS,
    TRANSFERS_STEM,
)
from fraudgraph.patterns.kit.timing import monthly_rate
from fraudgraph.patterns.kit.toolkit import Toolkit
from fraudgraph.patterns.kit.view import _CACHES, _synced, rows_by_value

from fraudgraph.units import DAY, HOUR, to_datetime, to_seconds


def _summarise(sched: pd.DataFrame, ctx) -> pd.DataFrame:
    """One row per (src, dst), in order of appearance: median amount, events per month averaged over
    the simulated span (``toolkit.monthly_rate``), first event."""
    groups: dict[tuple[str, str], list] = {}
    for s, d, t, a in zip(sched["src"].tolist(), sched["dst"].tolist(), sched["time"].tolist(), sched["amount"].tolist()):
        g = groups.setdefault((s, d), [t, []])
        g[0] = min(g[0], t)
        g[1].append(a)
    keys = list(groups)
    return pd.DataFrame({
        "src": np.array([k[0] for k in keys], dtype=object),
        "dst": np.array([k[1] for k in keys], dtype=object),
        "typical_amount": np.maximum(np.round([float(np.median(groups[k][1])) for k in keys], 2), 1.0),
        "monthly_count": np.array([monthly_rate(len(groups[k][1]), ctx) for k in keys], dtype=float),
        "since": np.array([groups[k][0] for k in keys], dtype=np.int64),
    })


def _add_homes(rows: pd.DataFrame, store: tuple[dict, dict]) -> None:
    ids = rows["id"].astype(str).tolist()
    store[0].update(zip(ids, (rows["address"].astype(str) + "|" + rows["city"].astype(str)).tolist()))
    store[1].update(zip(ids, rows["city"].astype(str).tolist()))


def _add_owners(rows: pd.DataFrame, store: tuple[dict, dict]) -> None:
    ids = rows["id"].astype(str).tolist()
    store[0].update(zip(ids, rows["owner"].tolist()))
    store[1].update(zip(ids, rows["account_type"].astype(str).tolist()))


def _ordinary(graph, persons: pd.DataFrame) -> set[str]:
    """Persons of the world who are no hub (KNOWS degree up to the 90th percentile) and hold an account.

    Persons added by patterns count in the percentile but are never ordinary (they have
    neither ties nor accounts in the view), so the set changes only when the percentile does.
    """
    degree = persons["knows_degree"].to_numpy()
    q90 = max(float(np.quantile(degree, 0.9)), 1.0) if degree.size else 1.0
    cache = _CACHES.setdefault(graph, {})
    if cache.get("ledger_ordinary", (None,))[0] != q90:
        mask = (degree <= q90) & (persons["n_accounts"].to_numpy() > 0)
        cache["ledger_ordinary"] = (q90, set(persons["id"].astype(str).to_numpy(object)[mask].tolist()))
    return cache["ledger_ordinary"][1]


class MoneyLedger:
    """Per-call bookkeeping: homes, acquaintances, account owners and types, existing edge times.

    Built once per ``inject`` call on top of a :class:`Toolkit`, and kept current for the
    persons and accounts this module creates.
    """

    def __init__(self, kit: Toolkit):
        self.kit = kit
        p = kit.persons()
        # the graph-wide lookups are shared by every call and synced on use; what this call
        # notes about its own persons and accounts goes into the first map of each chain
        home, city = _synced(kit.graph, ("ledger_homes",), p, lambda: ({}, {}), _add_homes)
        self._home, self._city = ChainMap({}, home), ChainMap({}, city)
        self._ordinary = _ordinary(kit.graph, p)
        owner, kind = _synced(kit.graph, ("ledger_owners",), kit.accounts(), lambda: ({}, {}), _add_owners)
        self._owner, self._type = ChainMap({}, owner), ChainMap({}, kind)
        kit.holdings()  # built now, so accounts created later are added to it
        self._nb_rows = None
        self._quiet = None
        # edges are linked in one batch per call (see flush): summaries, ties, and who asked for them
        self._pending: dict[tuple, list[pd.DataFrame]] = {TRANSFERS: [], PAYS: []}
        self._pending_ties: list[tuple[list, np.ndarray, PatternInstance | None]] = []

    def quiet_amounts(self) -> np.ndarray:
        """Typical amounts of legitimate p2p and household transfers (what mule edges claim to be)."""
        if self._quiet is None:
            edges = self.kit.graph.edges[TRANSFERS]
            self._quiet = edges.loc[edges["kind"].isin(["p2p", "household"]).to_numpy(), "typical_amount"].to_numpy(float)
        return self._quiet

    # lookups
    def city(self, person: str) -> str:
        return self._city.get(person, "")

    def home(self, person: str) -> str:
        return self._home.get(person, person)

    def owner(self, account: str):
        return self._owner.get(account)

    def account_type(self, account: str):
        return self._type.get(account)

    def neighbours(self, person: str) -> list[str]:
        """Acquaintances of ``person`` (KNOWS either way), as they were when first asked for."""
        if self._nb_rows is None:
            self._nb_rows = len(self.kit.graph.edges[KNOWS])
        ties = self.kit.ties()
        return ties.of(person, self._nb_rows)

    def _free(self, person: str) -> bool:
        used = person in self.kit.ctx.used_persons
        return person in self._ordinary and (not used or self.kit.rng.random() < self.kit.ctx.knobs.member_overlap)

    # recruitment
    def circle(self, n: int, types=EVERYDAY, centre_types=None, before: int | None = None) -> tuple[list[str], list[str]]:
        """``n`` ordinary persons with an account of ``types`` opened before ``before`` (default: the
        span's start): a centre (account of ``centre_types``), then its acquaintances, then locals.

        Returns fewer when the world is too small.
        """
        kit = self.kit
        before = kit.ctx.start if before is None else before
        people: list[str] = []
        accounts: list[str] = []
        for _ in range(6):
            seed = kit.recruit_persons(1)
            if not seed.size:
                return people, accounts
            self._extend(people, accounts, seed.tolist(), 1, centre_types or types, before)
            if people:
                break
        if not people:
            return people, accounts
        nbs = [q for q in self.neighbours(people[0]) if self.home(q) != self.home(people[0])]
        nbs = [nbs[i] for i in kit.rng.permutation(len(nbs))]
        take = 1 + int(kit.rng.binomial(n - 2, 0.6)) if n > 2 else n
        self._extend(people, accounts, [q for q in nbs if self._free(q)], take, types, before)
        for city in (self.city(people[0]), None):
            tries = 0
            while len(people) < n and tries < 3:
                more = kit.recruit_persons(n - len(people), city=city, exclude=people)
                if not more.size:
                    break
                self._extend(people, accounts, more.tolist(), n, types, before)
                tries += 1
        return people[:n], accounts[:n]

    def chain(self, n: int, types=EVERYDAY, before: int | None = None) -> tuple[list[str], list[str]]:
        """``n`` persons where each is, where possible, an acquaintance of the one before."""
        kit = self.kit
        before = kit.ctx.start if before is None else before
        people, accounts = self.circle(1, types, before=before)
        while people and len(people) < n:
            nbs = [q for q in self.neighbours(people[-1]) if q not in people and self._free(q)]
            pick = [nbs[i] for i in kit.rng.permutation(len(nbs))]
            size = len(people)
            self._extend(people, accounts, pick, size + 1, types, before)
            if len(people) == size:
                more = kit.recruit_persons(3, city=self.city(people[-1]), exclude=people)
                if not more.size:
                    more = kit.recruit_persons(3, exclude=people)
                if not more.size:
                    break
                self._extend(people, accounts, more.tolist(), size + 1, types, before)
                if len(people) == size:
                    break
        return people, accounts

    def opened(self, account: str) -> int:
        return self.kit.created("Account").get(account, 2**62)

    def _extend(self, people, accounts, candidates, limit, types, before) -> None:
        if not candidates or len(people) >= limit:
            return
        accs = self.kit.account_of(candidates, types)
        for p, a in zip(candidates, accs):
            if len(people) >= limit:
                break
            if a is not None and p not in people and self.opened(a) < before:
                people.append(p)
                accounts.append(a)
                self.kit.ctx.used_persons.add(p)
                self.kit.ctx.used_accounts.add(a)

    def merchants(self, industries, city: str, n: int) -> list[str]:
        """``n`` merchants of ``industries``, local ones first."""
        c = self.kit.snapshot("Company")
        c = c[c["is_merchant"].to_numpy() & c["industry"].isin(list(industries)).to_numpy()]
        if not len(c):
            c = self.kit.snapshot("Company")
            c = c[c["is_merchant"].to_numpy()]
        if not len(c):
            return []
        local = c[c["city"] == city]
        pool = local if len(local) >= n else c
        ids = pool["id"].astype(str).to_numpy(object)
        return ids[self.kit.rng.permutation(ids.size)[:n]].tolist()

    # time constraints of existing edges
    def existing_since(self, key, pairs) -> dict[str, int]:
        """``{"src|dst": since}`` for those of ``pairs`` that already exist as ``key`` edges."""
        known = self.kit.pairs(key)
        rows = {p: known.row_of(p) for p in {f"{s}|{d}" for s, d in pairs}}
        rows = {p: r for p, r in rows.items() if r is not None}
        if not rows:
            return {}
        from fraudgraph import schema

        times = to_seconds(self.kit.graph.edges[key][schema.edge_type(key).time_property].iloc[list(rows.values())])
        return {p: int(t) for p, t in zip(rows, times)}

    def needed_shift(self, key, triples) -> int:
        """Seconds to move a scheme so no event precedes the existing edge it flows on."""
        triples = [(s, d, int(t)) for s, d, t in triples if s is not None and d is not None]
        since = self.existing_since(key, [(s, d) for s, d, _ in triples])
        gap = [since[f"{s}|{d}"] - t for s, d, t in triples if f"{s}|{d}" in since]
        worst = max(gap, default=0)
        return worst + HOUR if worst > 0 else 0

    def after_existing(self, key, sched: pd.DataFrame) -> pd.DataFrame:
        """``sched`` without the events that would precede the existing edge they flow on, or the
        creation of either endpoint."""
        from fraudgraph import schema

        et = schema.edge_type(key)
        src_t, dst_t = self.kit.created(et.src), self.kit.created(et.dst)
        floor = np.array([max(src_t.get(s, 0), dst_t.get(d, 0)) for s, d in zip(sched["src"], sched["dst"])], dtype=np.int64)
        since = self.existing_since(key, zip(sched["src"], sched["dst"]))
        if since:
            k = (sched["src"].astype(str) + "|" + sched["dst"].astype(str)).to_numpy(object)
            floor = np.maximum(floor, np.array([since.get(x, -1) for x in k], dtype=np.int64))
        return sched[sched["time"].to_numpy() >= floor].reset_index(drop=True)

    # edges
    def link_transfers(self, sched: pd.DataFrame, kind=None, instance: PatternInstance | None = None) -> None:
        """TRANSFERS_TO edges summarising the transfer rows of ``sched``, linked at :meth:`flush`.

        The kind follows the owners: ``household`` at one home, else ``p2p`` between persons who
        know each other (a friends tie is added where they did not; ``instance`` gets the ties that
        were new in its edges). ``kind`` overrides it per row of the schedule (an empty string keeps
        the rule).
        """
        rows = sched[sched["edge_type"] == TRANSFERS_STEM]
        if rows.empty:
            return
        if kind is not None:
            forced = pd.Series(np.broadcast_to(np.asarray(kind, dtype=object), (len(sched),)), index=sched.index)[rows.index]
        else:
            forced = pd.Series("", index=rows.index, dtype=object)
        summary = _summarise(rows, self.kit.ctx)
        forced_of = dict(zip(zip(rows["src"], rows["dst"]), forced.to_numpy()))
        kinds, ties, first = [], [], {}
        for s, d, t in zip(summary["src"], summary["dst"], summary["since"]):
            f = forced_of.get((s, d), "")
            if f:
                kinds.append(f)
                continue
            a, b = self.owner(s), self.owner(d)
            if a is not None and b is not None and self.home(a) == self.home(b):
                kinds.append("household")
            else:
                kinds.append("p2p")
                if a is not None and b is not None and a != b:
                    tie = (a, b) if a < b else (b, a)  # as KNOWS stores it: smaller id first
                    first[tie] = min(first.get(tie, t), t)
                    if tie not in ties:
                        ties.append(tie)
        self._pending[TRANSFERS].append(summary.assign(kind=np.array(kinds, dtype=object)))
        if ties:
            since = np.array([first[tie] - int(self.kit.rng.uniform(20, 400) * DAY) for tie in ties], dtype=np.int64)
            self._pending_ties.append((ties, since, instance))

    def link_payments(self, sched: pd.DataFrame) -> None:
        """PAYS edges summarising the payment rows of ``sched`` (channel from the account type), linked at :meth:`flush`."""
        rows = sched[sched["edge_type"] == PAYS_STEM]
        if rows.empty:
            return
        summary = _summarise(rows, self.kit.ctx)
        types = [self.account_type(a) for a in summary["src"]]
        bills = set(rows.loc[rows["detail"].isin(["mortgage", "tuition", "bill"]), "src"])
        channel = ["wallet" if t == "wallet" else ("bank_transfer" if s in bills and t == "checking" else "card")
                   for t, s in zip(types, summary["src"])]
        self._pending[PAYS].append(summary.assign(channel=np.array(channel, dtype=object)))

    def flush(self) -> None:
        """Link every pending edge in one call per type. Where instances share a pair, the earliest
        summary wins, so that no edge postdates money that flows on it."""
        kit = self.kit
        if self._pending_ties:
            a = [t[0] for ties, _, _ in self._pending_ties for t in ties]
            b = [t[1] for ties, _, _ in self._pending_ties for t in ties]
            since = np.concatenate([s for _, s, _ in self._pending_ties])
            new = kit.link(KNOWS, np.array(a, dtype=object), np.array(b, dtype=object), kind="friend", since=to_datetime(since))
            i = 0
            for ties, _, inst in self._pending_ties:
                if inst is not None:
                    inst.edges += [(KNOWS, x, y, "acquaintance") for (x, y), is_new in zip(ties, new[i:i + len(ties)]) if is_new]
                i += len(ties)
        for key, props in ((TRANSFERS, ("kind", "typical_amount", "monthly_count")), (PAYS, ("channel", "typical_amount", "monthly_count"))):
            if not self._pending[key]:
                continue
            frame = pd.concat(self._pending[key], ignore_index=True).sort_values("since", kind="stable")
            kit.link(key, frame["src"].to_numpy(object), frame["dst"].to_numpy(object),
                     **{c: frame[c].to_numpy(object if c in ("kind", "channel") else float) for c in props},
                     since=to_datetime(frame["since"].to_numpy(np.int64)))
        self._pending = {TRANSFERS: [], PAYS: []}
        self._pending_ties = []

    def payments_of(self, account: str) -> pd.DataFrame:
        """The PAYS edges of ``account`` as they were when first asked for."""
        if not hasattr(self, "_pays"):
            pays = self.kit.graph.edges[PAYS]
            self._pays, self._pays_by_src = pays, rows_by_value(pays["src"])
        where, order, bounds = self._pays_by_src
        k = where.get(account)
        rows = order[bounds[k]:bounds[k + 1]] if k is not None else order[:0]
        return self._pays.iloc[rows]

    def recruit_account(self, account_type: str, opened_before: int) -> str | None:
        """An ordinary active person-owned account of ``account_type`` opened before ``opened_before``,
        not yet recruited (unless ``member_overlap`` allows); like ``Toolkit.recruit_accounts(1, ...)``
        but drawn from a pool shuffled once, so that recruiting one at a time stays cheap."""
        kit = self.kit
        pools = self.__dict__.setdefault("_pools", {})
        if account_type not in pools:
            a = kit.accounts()
            mask = (a["account_type"] == account_type).to_numpy() & a["owner"].notna().to_numpy() & (a["status"] == "active").to_numpy()
            ids = a["id"].astype(str).to_numpy(object)[mask]
            pools[account_type] = [ids[kit.rng.permutation(ids.size)].tolist(), 0]
        pool = pools[account_type]
        used_a, used_p, overlap = kit.ctx.used_accounts, kit.ctx.used_persons, kit.ctx.knobs.member_overlap
        while pool[1] < len(pool[0]):
            acc = pool[0][pool[1]]
            pool[1] += 1
            owner = self.owner(acc)
            if self.opened(acc) >= opened_before:
                continue
            if (acc in used_a or owner in used_p) and kit.rng.random() >= overlap:
                continue
            used_a.add(acc)
            used_p.add(owner)
            return acc
        return None

    def credit_limit(self, account: str) -> float:
        limits = self.__dict__.get("_limits")
        if limits is None or account not in limits:
            a = self.kit.graph.nodes["Account"]
            limits = self._limits = dict(zip(a["id"].astype(str).tolist(), a["credit_limit"].astype(float).tolist()))
        return limits[account]

    def note_account(self, account: str, owner: str, account_type: str) -> None:
        self._owner[account] = owner
        self._type[account] = account_type

    def note_person(self, person: str, city: str) -> None:
        """A person created here: a home of its own (so ``home`` is unique), in ``city``."""
        self._home[person] = person
        self._city[person] = city


def onboard(kit: Toolkit, led: MoneyLedger, created, cities, account_types,
             camouflage_after: int | None = None) -> tuple[list[str], list[list[str]]]:
    """Synthetic identities as the population builds persons: a home of their own in their city, a
    primary device, a home IP seen from it, and accounts of ``account_types`` opened soon after joining,
    with ``Toolkit.camouflage`` once the first ``camouflage_after`` accounts exist (default: all), so
    that its ordinary merchants land on the account that should have them.

    ``cities`` is one city or one per identity. Returns the person ids and, for each, its account
    ids (in the order of ``account_types``).
    """
    rng = kit.rng
    created = np.atleast_1d(np.asarray(created, dtype=np.int64))
    n = created.size
    cities = np.broadcast_to(np.asarray(cities, dtype=object), (n,))
    people_arr = np.empty(n, dtype=object)
    for city in sorted(set(cities.tolist())):  # a home of their own, on a street of their city
        m = cities == city
        people_arr[m] = kit.new_persons(int(m.sum()), created[m], city=city)
    people = people_arr.tolist()
    for pid, city in zip(people, cities):
        led.note_person(pid, city)
    # devices: a primary one of a type drawn like primary devices are
    uses = kit.graph.edges[("Person", "USES_DEVICE", "Device")]
    prim = uses.loc[uses["is_primary"].to_numpy(), "dst"]
    if len(prim):
        dev = kit.snapshot("Device").set_index("id")["device_type"]
        dtypes = dev.reindex(prim.iloc[rng.integers(0, len(prim), n)].to_numpy()).fillna("android").to_numpy(object)
    else:
        dtypes = np.full(n, "android", dtype=object)
    seen = created + (rng.exponential(1.0, n) * DAY).astype(np.int64)
    seen = np.minimum(seen, kit.ctx.end - HOUR)
    devices = np.empty(n, dtype=object)
    for t in sorted(set(dtypes.tolist())):
        m = dtypes == t
        devices[m] = kit.new_devices(int(m.sum()), t, seen[m])
    kit.link(("Person", "USES_DEVICE", "Device"), people_arr, devices, is_primary=True, first_seen=to_datetime(seen))
    ips = np.empty(n, dtype=object)
    for city in sorted(set(cities.tolist())):
        m = cities == city
        ips[m] = kit.new_ips(int(m.sum()), "residential", seen[m], city=city)
    kit.link(("Person", "USES_IP", "IP"), people_arr, ips, context="home", first_seen=to_datetime(seen))
    kit.link(("Device", "SEEN_AT", "IP"), devices, ips, first_seen=to_datetime(seen))
    accounts: list[list[str]] = [[] for _ in range(n)]
    after = len(account_types) if camouflage_after is None else camouflage_after
    for j, acc_type in enumerate(account_types):
        if j == after:
            for pid, t in zip(people, created):
                kit.camouflage([pid], int(t))
        opened = created + (rng.uniform(0.1, 5.0 + 10.0 * j, n) * DAY).astype(np.int64)
        opened = np.minimum(opened, kit.ctx.end - HOUR)
        new = kit.new_accounts(people_arr, acc_type, opened)
        for i, acc in enumerate(new):
            accounts[i].append(acc)
            led.note_account(acc, people[i], acc_type)
    if after >= len(account_types):
        for pid, t in zip(people, created):
            kit.camouflage([pid], int(t))
    return people, accounts


def balanced(rng: np.random.Generator, weights: dict[str, float], count: int) -> list[str]:
    """``count`` variant names in proportion to ``weights`` (quotas first, the remainder drawn), shuffled."""
    names = [k for k, w in weights.items() if w > 0]
    if not names or count <= 0:
        return []
    p = np.array([weights[k] for k in names], dtype=float)
    p /= p.sum()
    quota = np.floor(count * p).astype(int)
    rest = count - int(quota.sum())
    if rest:
        quota += np.bincount(rng.choice(len(names), rest, replace=rest > len(names), p=p), minlength=len(names))
    seq = np.repeat(np.array(names, dtype=object), quota)
    return seq[rng.permutation(seq.size)].tolist()


def scheduled_instance(led: MoneyLedger, name, sched, members, start, end, parameters, kind=None, is_fraud=False) -> PatternInstance:
    """An instance whose edges are the schedule's (TRANSFERS_TO and PAYS, role = the event detail),
    linked with the ledger's rules (and the KNOWS ties that brings, added to its edges at the flush)."""
    sched = sched.reset_index(drop=True)
    draft = Draft(name, is_fraud, int(start), int(end), parameters=parameters)
    for label, node, role in members:
        draft.member(label, node, role)
    for key, stem in ((TRANSFERS, TRANSFERS_STEM), (PAYS, PAYS_STEM)):
        pairs = sched[sched["edge_type"] == stem].drop_duplicates(["src", "dst"])
        for s, d, role in zip(pairs["src"], pairs["dst"], pairs["detail"]):
            draft.edge(key, s, d, role)
    draft.schedule_frame(sched)
    inst = draft.build()
    led.link_transfers(sched, kind=kind, instance=inst)
    led.link_payments(sched)
    return inst
