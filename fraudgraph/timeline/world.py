"""TimelineWorld: the graph as integer-indexed arrays for the temporal processes.

Built once per run from the finished graph. Every family reads the same
arrays: positions instead of string ids, times as int64 epoch seconds, and
CSR-style adjacency (``order``/``starts``) from persons to their devices, IPs
and accounts.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fraudgraph.graph import PropertyGraph
from fraudgraph.units import to_seconds


def arrow_ids(values) -> pa.Array:
    """A column of ids as one contiguous ``large_string`` Arrow array."""
    if isinstance(values, pd.Series):
        values = values.array
    if isinstance(values, pd.api.extensions.ExtensionArray):
        values = pa.array(values) if hasattr(values, "__arrow_array__") else pa.array(np.asarray(values, dtype=object))
    elif isinstance(values, (np.ndarray, list)):
        values = pa.array(np.asarray(values, dtype=object), pa.large_string())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return values.cast(pa.large_string())


def positions(ids: pa.Array, values) -> np.ndarray:
    """Row positions of ``values`` in ``ids`` (-1 where absent)."""
    found = pc.index_in(arrow_ids(values), value_set=ids)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


@dataclass
class Adjacency:
    """Neighbours of each source row: ``targets[starts[i]:starts[i+1]]`` (sorted by source)."""

    starts: np.ndarray
    targets: np.ndarray
    rows: np.ndarray  # edge-table row of each entry

    @classmethod
    def build(cls, src: np.ndarray, dst: np.ndarray, n_src: int) -> Adjacency:
        order = np.argsort(src, kind="stable")
        starts = np.searchsorted(src[order], np.arange(n_src + 1))
        return cls(starts=starts, targets=dst[order], rows=order)

    def degree(self) -> np.ndarray:
        return np.diff(self.starts)

    def entries(self, sources: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every neighbour of each query source: (query row of each entry, neighbour)."""
        lo = self.starts[sources]
        counts = self.starts[sources + 1] - lo
        owner = np.repeat(np.arange(len(sources)), counts)
        offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        return owner, self.targets[lo[owner] + offset]

    def pick(self, rng: np.random.Generator, sources: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """One neighbour per query source (-1 for sources without neighbours); ``weights`` per entry."""
        lo, hi = self.starts[sources], self.starts[sources + 1]
        size = hi - lo
        out = np.full(len(sources), -1, dtype=np.int64)
        has = size > 0
        if weights is None:
            offs = (rng.random(len(sources)) * size).astype(np.int64)
            out[has] = self.targets[lo[has] + offs[has]]
            return out
        cum = np.cumsum(weights, dtype=np.float64)
        base = np.where(lo > 0, cum[np.maximum(lo - 1, 0)], 0.0)
        total = np.where(has, cum[np.maximum(hi - 1, 0)] - base, 0.0)
        target = base + rng.random(len(sources)) * total
        idx = np.searchsorted(cum, target, side="right")
        idx = np.minimum(np.maximum(idx, lo), np.maximum(hi - 1, 0))
        out[has] = self.targets[idx[has]]
        return out


class TimelineWorld:
    """Integer view of a finished :class:`~fraudgraph.graph.PropertyGraph`.

    Parameters
    ----------
    graph : PropertyGraph
        The finalized graph (fraud included).
    start, end : int
        The simulated span in epoch seconds.
    """

    def __init__(self, graph: PropertyGraph, start: int, end: int):
        self.graph = graph
        self.start, self.end = int(start), int(end)
        nodes, edges = graph.nodes, graph.edges
        self.ids = {label: arrow_ids(frame["id"]) for label, frame in nodes.items()}
        self._indexes: dict[str, pd.Index] = {}
        self._index_lock = threading.Lock()
        self.n = {label: len(frame) for label, frame in nodes.items()}

        persons = nodes["Person"]
        self.person_created = to_seconds(persons["created_at"])

        dev = nodes["Device"]
        self.device_type = dev["device_type"].to_numpy(dtype=object)
        self.device_first_seen = to_seconds(dev["first_seen"])
        self.device_user_agent = arrow_ids(dev["user_agent"])

        ips = nodes["IP"]
        self.ip_address = arrow_ids(ips["address"])
        self.ip_kind = ips["kind"].to_numpy(dtype=object)
        self.ip_lat = ips["lat"].to_numpy(dtype=np.float64)
        self.ip_lon = ips["lon"].to_numpy(dtype=np.float64)
        self.ip_city = arrow_ids(ips["city"])
        self.ip_country = arrow_ids(ips["country"])
        self.ip_first_seen = to_seconds(ips["first_seen"])

        acc = nodes["Account"]
        self.account_type = acc["account_type"].to_numpy(dtype=object)
        self.account_currency = arrow_ids(acc["currency"])
        self.account_status = acc["status"].to_numpy(dtype=object)
        self.account_opened = to_seconds(acc["opened_at"])
        self.opening_balance = acc["opening_balance"].to_numpy(dtype=np.float64)
        self.credit_limit = acc["credit_limit"].to_numpy(dtype=np.float64)
        self.is_credit = self.account_type == "credit_card"

        comp = nodes["Company"]
        self.company_name = arrow_ids(comp["name"])
        self.company_listed = comp["is_listed"].to_numpy(dtype=bool)
        self.company_ticker = arrow_ids(comp["ticker"])

        # persons -> devices / IPs / accounts
        ud = edges[("Person", "USES_DEVICE", "Device")]
        self.uses_device = Adjacency.build(self.pos("Person", ud["src"]), self.pos("Device", ud["dst"]), self.n["Person"])
        self.uses_device_primary = ud["is_primary"].to_numpy(dtype=bool)[self.uses_device.rows]
        self.uses_device_since = to_seconds(ud["first_seen"])[self.uses_device.rows]
        ui = edges[("Person", "USES_IP", "IP")]
        self.uses_ip = Adjacency.build(self.pos("Person", ui["src"]), self.pos("IP", ui["dst"]), self.n["Person"])
        self.uses_ip_context = ui["context"].to_numpy(dtype=object)[self.uses_ip.rows]
        self.uses_ip_since = to_seconds(ui["first_seen"])[self.uses_ip.rows]
        seen = edges[("Device", "SEEN_AT", "IP")]
        self.seen_at = Adjacency.build(self.pos("Device", seen["src"]), self.pos("IP", seen["dst"]), self.n["Device"])

        owns = edges[("Person", "OWNS", "Account")]
        o_src, o_dst = self.pos("Person", owns["src"]), self.pos("Account", owns["dst"])
        primary = owns["role"].to_numpy(dtype=object) == "primary"
        self.account_holder = np.full(self.n["Account"], -1, dtype=np.int64)
        self.account_holder[o_dst[~primary]] = o_src[~primary]
        self.account_holder[o_dst[primary]] = o_src[primary]
        self.person_accounts = Adjacency.build(o_src, o_dst, self.n["Person"])
        cown = edges[("Company", "OWNS", "Account")]
        self.account_company = np.full(self.n["Account"], -1, dtype=np.int64)
        c_src, c_dst = self.pos("Company", cown["src"]), self.pos("Account", cown["dst"])
        self.account_company[c_dst] = c_src
        self.company_account = np.full(self.n["Company"], -1, dtype=np.int64)
        # a company's operating account; companies whose accounts are all frozen or closed
        # settle through an outside acquirer (-1)
        usable = np.isin(self.account_status[c_dst], ["active", "dormant"])
        self.company_account[c_src[usable][::-1]] = c_dst[usable][::-1]

        self.primary_device = self._primary_device()
        self.home_ip = self._home_ip()

    # -- lookups --------------------------------------------------------------
    def pos(self, label: str, values) -> np.ndarray:
        """Positions of ``values`` among ``label`` ids (-1 where absent)."""
        index = self._indexes.get(label)
        if index is None:
            with self._index_lock:  # the day planner and the renderer ask from two threads
                index = self._indexes.get(label)
                if index is None:
                    # a hash index built once: Arrow's index_in would hash every id again on each call
                    index = pd.Index(pd.array(self.ids[label], dtype="str"))
                    index.get_indexer(index[:1])
                    self._indexes[label] = index
        return index.get_indexer(pd.array(arrow_ids(values), dtype="str")).astype(np.int64)

    def take(self, label: str, positions: np.ndarray) -> pa.Array:
        """Ids at ``positions`` (null where a position is -1)."""
        positions = np.asarray(positions, dtype=np.int64)
        mask = positions < 0
        idx = pa.array(np.where(mask, 0, positions), mask=mask if mask.any() else None)
        if self.n[label] == 0:
            return pa.nulls(len(positions), pa.large_string())
        return self.ids[label].take(idx)

    def _primary_device(self) -> np.ndarray:
        ud = self.uses_device
        out = np.full(self.n["Person"], -1, dtype=np.int64)
        owner = np.repeat(np.arange(self.n["Person"]), ud.degree())
        out[owner[::-1]] = ud.targets[::-1]                    # any device, first listed
        prim = self.uses_device_primary
        out[owner[prim][::-1]] = ud.targets[prim][::-1]        # the primary one where there is one
        return out

    def _home_ip(self) -> np.ndarray:
        ui = self.uses_ip
        owner = np.repeat(np.arange(self.n["Person"]), ui.degree())
        out = np.full(self.n["Person"], -1, dtype=np.int64)
        rank = {"travel": -1, "hosting": 0, "vpn": 1, "public": 2, "work": 3, "mobile": 4, "home": 5}
        score = np.vectorize(rank.get, otypes=[np.int64])(self.uses_ip_context) if len(owner) else np.zeros(0, np.int64)
        order = np.lexsort((score, owner))                       # best context last within each person
        out[owner[order]] = ui.targets[order]
        return out

    def geo(self, ip: np.ndarray):
        """(lat, lon, city, country) of each IP position."""
        return self.ip_lat[ip], self.ip_lon[ip], self.ip_city.take(pa.array(ip)), self.ip_country.take(pa.array(ip))
