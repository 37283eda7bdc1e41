"""What the typologies read of the graph: snapshots of node tables, lookups and edge pairs, cached per graph."""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd
from fraudgraph.patterns.base import (
    InjectionContext,
)
from fraudgraph.patterns.kit.keys import KNOWS, EdgeKey

from fraudgraph import schema
from fraudgraph.graph import PropertyGraph, isin
from fraudgraph.units import to_seconds

#: Per graph, what the lookups computed (dropped with the graph, or by release_caches).
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


def rows_by_value(column: pd.Series) -> tuple[dict, np.ndarray, np.ndarray]:
    """``(code of each value, row numbers grouped by code in table order, group bounds)``."""
    codes, values = pd.factorize(column)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(values) + 1))
    return dict(zip(values.tolist(), range(len(values)))), order, bounds


class Pairs:
    """The ``"src|dst"`` pairs of an edge table, answering ``"a|b" in pairs``.

    The rows there are when it is built are held as sorted integer keys over the endpoints
    codes (16 bytes a row with its row number, where a set of strings takes about a hundred:
    millions of pairs at a million persons); rows appended later are a small dict of strings.
    """

    def __init__(self):
        self.code: dict[str, int] | None = None
        self.keys = np.zeros(0, np.int64)
        self.rows = np.zeros(0, np.int64)
        self.width = 1
        self.later: dict[str, int] = {}
        self.seen = 0

    def add(self, rows: pd.DataFrame) -> None:
        if self.code is None:
            n = len(rows)
            codes, uniques = pd.factorize(pd.concat([rows["src"], rows["dst"]], ignore_index=True))
            self.width = max(len(uniques), 1)
            keys = codes[:n].astype(np.int64) * self.width + codes[n:]
            self.rows = np.argsort(keys, kind="stable")  # equal pairs keep their table order
            self.keys = keys[self.rows]
            self.code = dict(zip(uniques.tolist(), range(len(uniques))))
        else:
            self.later.update(zip((rows["src"] + "|" + rows["dst"]).tolist(), range(self.seen, self.seen + len(rows))))
        self.seen += len(rows)

    def __contains__(self, pair: str) -> bool:
        return self.row_of(pair) is not None

    def row_of(self, pair: str) -> int | None:
        """The table row of the last ``pair`` edge (None if there is none)."""
        if pair in self.later:
            return self.later[pair]
        if self.code is None or not self.keys.size:
            return None
        src, _, dst = pair.partition("|")
        a, b = self.code.get(src), self.code.get(dst)
        if a is None or b is None:
            return None
        key = a * self.width + b
        i = int(self.keys.searchsorted(key, side="right")) - 1
        return int(self.rows[i]) if i >= 0 and int(self.keys[i]) == key else None


class Ties:
    """KNOWS rows by person in table order: the ties a person starts, then those it receives.

    The rows there are when it is first built are grouped in one vectorised pass; rows that
    patterns append later are kept as ``(row, acquaintance)`` lists (see ``_synced``), so a
    growing edge table is never read again in full.
    """

    def __init__(self):
        self.base: tuple | None = None
        self.out: dict[str, list] = {}
        self.into: dict[str, list] = {}
        self.rows = 0

    def add(self, rows: pd.DataFrame) -> None:
        if self.base is None:
            # both ends coded over one set of persons: two integer columns, one name per person
            n = len(rows)
            codes, names = pd.factorize(pd.concat([rows["src"], rows["dst"]], ignore_index=True))
            where = dict(zip(names.tolist(), range(len(names))))
            self.base = (np.asarray(names, dtype=object), where, codes[:n], codes[n:],
                         _grouped(codes[:n], len(names)), _grouped(codes[n:], len(names)))
        else:
            for row, (a, b) in enumerate(zip(rows["src"].tolist(), rows["dst"].tolist()), self.rows):
                self.out.setdefault(a, []).append((row, b))
                self.into.setdefault(b, []).append((row, a))
        self.rows += len(rows)

    def of(self, person: str, rows: int) -> list[str]:
        """Acquaintances of ``person`` through the first ``rows`` rows of the table."""
        starts, receives = self.sides(person, rows)
        return starts + receives

    def sides(self, person: str, rows: int) -> tuple[list[str], list[str]]:
        """``(dst of the ties person starts, src of those it receives)`` through the first ``rows`` rows."""
        names, where, src, dst, out, into = self.base
        k = where.get(person)
        found = ([], [])
        for side, ends, (order, bounds), tail in ((0, dst, out, self.out), (1, src, into, self.into)):
            if k is not None:
                at = order[bounds[k]:bounds[k + 1]]
                found[side].extend(names[ends[at[at < rows]]].tolist())
            found[side].extend(other for row, other in tail.get(person, ()) if row < rows)
        return found


def _grouped(codes: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers grouped by code in table order, and each code's bounds in them."""
    order = np.argsort(codes, kind="stable")
    return order, np.searchsorted(codes[order], np.arange(n + 1))


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


class GraphView():
    """One graph, RNG and injection context, and what the typologies look up in the graph."""

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

    def account_rows(self, ids) -> pd.DataFrame:
        """Rows of :meth:`accounts` for account ``ids``, in that order, indexed by id (all must exist)."""
        view = self.accounts()
        rows = _synced(self.graph, ("account_row",), view, dict,
                       lambda new, store: store.update(zip(new["id"].tolist(), range(len(view) - len(new), len(view)))))
        return view.iloc[[rows[i] for i in ids]].set_index("id")

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

    def ties(self) -> Ties:
        """Who knows whom (KNOWS, either way), kept in step with the edge table (shared per graph)."""
        return _synced(self.graph, ("knows_ties",), self.graph.edges[KNOWS], Ties, lambda rows, t: t.add(rows))

    def pairs(self, key: EdgeKey) -> Pairs:
        """Existing ``"src|dst"`` pairs of an edge type, for ``in`` tests (shared per graph, synced on use)."""
        table = self.graph.edges.get(key)
        if table is None:
            return Pairs()
        return _synced(self.graph, ("pairs", key), table, Pairs, lambda rows, store: store.add(rows))

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
        owners = _synced(self.graph, ("account_owner",), self.accounts(), dict,
                         lambda rows, store: store.update(zip(rows["id"].tolist(), rows["owner"].tolist())))
        return np.array([owners.get(a) for a in account_ids], dtype=object)

    def acquaintances_in_city(self, persons) -> dict[str, list[str]]:
        """For each of ``persons``, the persons they know (KNOWS) who live in the same city, sorted."""
        knows = self.graph.edges[KNOWS][["src", "dst"]]
        wanted = set(persons)
        ids = pd.Series(sorted(wanted), dtype="str")
        knows = knows[np.asarray(isin(knows["src"], ids), dtype=bool) | np.asarray(isin(knows["dst"], ids), dtype=bool)]
        city = self.snapshot("Person").set_index("id")["city"]
        out: dict[str, list[str]] = {}
        for a, b in zip(knows["src"].tolist(), knows["dst"].tolist()):
            for me, other in ((a, b), (b, a)):
                if me in wanted and city.get(me) == city.get(other):
                    out.setdefault(me, []).append(other)
        return {k: sorted(v) for k, v in out.items()}
