"""PropertyGraph: a columnar typed property graph.

One pandas DataFrame per node type (``nodes["Person"]``) and one per edge type
(``edges[("Person", "OWNS", "Account")]``), never a Python object per node.
Column names and types come from :mod:`fraudgraph.schema`.
"""

from __future__ import annotations

import binascii
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fraudgraph import schema
from fraudgraph.errors import GraphIntegrityError

ID_HEX_DIGITS = 12  # 48 random bits: ids reveal neither creation order nor origin
EdgeKey = tuple[str, str, str]

_NUMPY_DTYPES = {"int": "int64", "float": "float64", "bool": "bool"}


def random_ids(prefix: str, n: int, rng: np.random.Generator, taken: np.ndarray | None = None,
               space: tuple[int, int] = (0, 1)) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` unique random ids ``prefix + 12 hex digits``.

    Parameters
    ----------
    prefix : str
        Type prefix such as ``"per_"``.
    n : int
        How many ids to draw.
    rng : numpy.random.Generator
        Source of randomness; the same state gives the same ids.
    taken : numpy.ndarray of uint64, optional
        Integer keys already in use, which the new ids must avoid, sorted
        ascending (checking against them costs O(n log taken), not a sort of both).
    space : (int, int)
        ``(index, count)``: draw only keys congruent to ``index`` modulo
        ``count``, so that the shards of one world never draw the same id.

    Returns
    -------
    ids : numpy.ndarray of str
    keys : numpy.ndarray of uint64
        The integer behind each id, to pass back as ``taken`` later.
    """
    taken = np.empty(0, dtype=np.uint64) if taken is None else taken
    index, count = np.uint64(space[0]), np.uint64(space[1])

    def draw(k: int) -> np.ndarray:
        return rng.integers(0, 2**48 // int(count), size=k, dtype=np.uint64) * count + index

    keys = draw(n)
    while True:
        # a key clashes if it is taken already or repeats an earlier key of this draw
        at = np.searchsorted(taken, keys)
        clash = taken[np.minimum(at, max(taken.size - 1, 0))] == keys if taken.size else np.zeros(n, bool)
        _, first = np.unique(keys, return_index=True)
        repeat = np.ones(n, dtype=bool)
        repeat[first] = False
        clash |= repeat
        if not clash.any():
            break
        keys[clash] = draw(int(clash.sum()))
    raw = keys.astype(">u8").view(np.uint8).reshape(n, 8)[:, 2:]
    hexed = np.frombuffer(binascii.hexlify(raw.tobytes()), dtype=f"S{ID_HEX_DIGITS}").astype(str)
    return np.char.add(prefix, hexed), keys


class PropertyGraph:
    """A typed property graph held as one table per node type and per edge type.

    Attributes
    ----------
    nodes : dict of str to pandas.DataFrame
        Node tables keyed by label; each has a string ``id`` column first.
    edges : dict of (str, str, str) to pandas.DataFrame
        Edge tables keyed by ``(src_label, REL, dst_label)`` with ``src`` and
        ``dst`` id columns first.

    Examples
    --------
    >>> import numpy as np
    >>> from fraudgraph.graph import PropertyGraph
    >>> g = PropertyGraph()
    >>> ids = g.new_ids("Person", 3, np.random.default_rng(0))
    >>> [i[:4] for i in ids]
    ['per_', 'per_', 'per_']
    """

    def __init__(self, id_space: tuple[int, int] = (0, 1)):
        self.id_space = (int(id_space[0]), int(id_space[1]))
        self._nodes: dict[str, pd.DataFrame] = {}
        self._edges: dict[EdgeKey, pd.DataFrame] = {}
        self._pending: dict[object, list[pd.DataFrame]] = {}
        self._id_keys: dict[str, np.ndarray] = {}
        #: Tables the population makes that are not part of the public graph (``trips``), for the truth stage.
        self.records: dict[str, pd.DataFrame] = {}

    # Appends are buffered and concatenated when a table is next read, so that many small
    # additions (one per pattern instance) cost one concatenation, not one each.
    @property
    def nodes(self) -> dict[str, pd.DataFrame]:
        self._flush(self._nodes, lambda k: isinstance(k, str))
        return self._nodes

    @nodes.setter
    def nodes(self, value: dict[str, pd.DataFrame]) -> None:
        self._nodes = dict(value)

    @property
    def edges(self) -> dict[EdgeKey, pd.DataFrame]:
        self._flush(self._edges, lambda k: isinstance(k, tuple))
        return self._edges

    @edges.setter
    def edges(self, value: dict[EdgeKey, pd.DataFrame]) -> None:
        self._edges = dict(value)

    def _flush(self, store: dict, belongs) -> None:
        for key in [k for k in self._pending if belongs(k)]:
            chunks = self._pending.pop(key)
            if key in store:
                chunks = [store[key]] + chunks
            store[key] = chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)

    # -- building ---------------------------------------------------------
    def new_ids(self, label: str, n: int, rng: np.random.Generator) -> pd.api.extensions.ExtensionArray:
        """Reserve ``n`` fresh ids for node type ``label`` (unique within the graph).

        Returns an Arrow-backed string array: indexing it with an integer array
        (to fill an edge table's ``src`` or ``dst``) is an Arrow ``take``,
        with no Python string per row.
        """
        nt = schema.node_type(label)
        taken = self._id_keys.get(label, np.empty(0, np.uint64))
        ids, keys = random_ids(nt.id_prefix, n, rng, taken, self.id_space)
        ordered = np.sort(keys)
        self._id_keys[label] = np.insert(taken, np.searchsorted(taken, ordered), ordered)
        return pd.array(ids, dtype="str")

    def add_nodes(self, label: str, table: pd.DataFrame) -> None:
        """Append rows to the node table ``label``; columns must match the schema."""
        self._pending.setdefault(label, []).append(conform(schema.node_type(label), table))

    def add_edges(self, key: EdgeKey, table: pd.DataFrame) -> None:
        """Append rows to the edge table ``key``; columns must match the schema."""
        et = schema.edge_type(key)
        self._pending.setdefault(et.key, []).append(conform(et, table))

    def finalize(self) -> "PropertyGraph":
        """Sort every table canonically (nodes by id, edges by endpoints) and fill absent types.

        Row order then depends on nothing but the content, so it cannot reveal
        which rows were added last (by a pattern, for instance).
        """
        node_tables = {label: self.nodes.get(label, empty_table(nt)) for label, nt in schema.NODE_TYPES.items()}
        edge_tables = {key: self.edges.get(key, empty_table(et)) for key, et in schema.EDGE_TYPES.items()}
        with _pool() as pool:  # tables are independent; Arrow sorts release the GIL
            nodes = pool.map(lambda item: (item[0], sort_rows(item[1], ["id"])), node_tables.items())
            edges = pool.map(lambda item: (item[0], sort_rows(item[1], ["src", "dst"])), edge_tables.items())
            self.nodes, self.edges = dict(nodes), dict(edges)
        return self

    # -- reading ----------------------------------------------------------
    def metadata(self) -> tuple[list[str], list[EdgeKey]]:
        """Return ``(node_labels, edge_keys)`` present in the graph, as in PyG's HeteroData."""
        return list(self.nodes), list(self.edges)

    def num_nodes(self, label: str | None = None) -> int:
        if label is not None:
            return len(self.nodes.get(label, ()))
        return sum(len(t) for t in self.nodes.values())

    def num_edges(self, key: EdgeKey | None = None) -> int:
        if key is not None:
            return len(self.edges.get(tuple(key), ()))
        return sum(len(t) for t in self.edges.values())

    def counts(self) -> dict[str, dict[str, int]]:
        """Row counts per node type and per edge type (edge types by file stem)."""
        return {
            "nodes": {label: len(t) for label, t in self.nodes.items()},
            "edges": {schema.edge_type(k).file_stem: len(t) for k, t in self.edges.items()},
        }

    def validate(self, raise_on_error: bool = True) -> list[str]:
        """Check every table against the schema and every edge endpoint against the nodes.

        Parameters
        ----------
        raise_on_error : bool, default True
            Raise :class:`~fraudgraph.errors.GraphIntegrityError` listing the
            problems instead of returning them.

        Returns
        -------
        list of str
            One sentence per problem; empty when the graph is sound.
        """
        with _pool() as pool:  # per-table checks are independent; keep their order in the report
            node_problems = pool.map(lambda item: self._node_problems(*item), list(self.nodes.items()))
            edge_problems = pool.map(lambda item: self._edge_problems(*item), list(self.edges.items()))
            problems = [p for ps in node_problems for p in ps] + [p for ps in edge_problems for p in ps]
        if problems and raise_on_error:
            raise GraphIntegrityError(problems)
        return problems

    def _node_problems(self, label: str, table: pd.DataFrame) -> list[str]:
        problems: list[str] = []
        nt = schema.node_type(label)
        problems += _check_columns(nt.label, nt, table)
        if "id" not in table:
            return problems
        ids = table["id"]
        if ids.isna().any():
            problems.append(f"{label}: {int(ids.isna().sum())} rows have no id")
        dup = ids.duplicated()
        if dup.any():
            problems.append(f"{label}: {int(dup.sum())} duplicate ids, e.g. {ids[dup].iloc[0]!r}")
        bad_prefix = ~ids.astype(str).str.startswith(nt.id_prefix)
        if bad_prefix.any():
            problems.append(f"{label}: {int(bad_prefix.sum())} ids lack the prefix {nt.id_prefix!r}, e.g. {ids[bad_prefix].iloc[0]!r}")
        return problems

    def _edge_problems(self, key: EdgeKey, table: pd.DataFrame) -> list[str]:
        problems: list[str] = []
        et = schema.edge_type(key)
        name = et.file_stem
        problems += _check_columns(name, et, table)
        if not {"src", "dst"} <= set(table.columns):
            return problems
        for end, label in (("src", et.src), ("dst", et.dst)):
            missing = int(table[end].isna().sum())
            if missing:
                problems.append(f"{name}: {missing} rows have no {end} id")
            known = self.nodes.get(label)
            known_ids = known["id"] if known is not None and "id" in known else pd.Series([], dtype=str)
            dangling = ~isin(table[end], known_ids)
            if dangling.any():
                problems.append(
                    f"{name}: {int(dangling.sum())} {end} ids are not {label} nodes, e.g. {table[end][dangling].iloc[0]!r}"
                )
        dup = table.duplicated(["src", "dst"])
        if dup.any():
            problems.append(f"{name}: {int(dup.sum())} duplicate (src, dst) pairs")
        if et.src == et.dst:
            loops = table["src"] == table["dst"]
            if loops.any():
                problems.append(f"{name}: {int(loops.sum())} self-loops")
        return problems

    def to_networkx(self):
        """Return a ``networkx.MultiDiGraph`` view (for small graphs and analysis).

        Node attributes are the table's properties plus ``label``; each edge's
        key is its relationship type. ``KNOWS`` is stored once per pair, as in
        the tables.
        """
        import networkx as nx

        g = nx.MultiDiGraph()
        for label, table in self.nodes.items():
            records = table.to_dict("records")
            g.add_nodes_from((r.pop("id"), {"label": label, **r}) for r in records)
        for (src, rel, dst), table in self.edges.items():
            records = table.to_dict("records")
            g.add_edges_from((r.pop("src"), r.pop("dst"), rel, r) for r in records)
        return g

    def __repr__(self) -> str:
        return f"PropertyGraph(nodes={self.num_nodes()}, edges={self.num_edges()}, node_types={len(self.nodes)}, edge_types={len(self.edges)})"


def isin(values: pd.Series, allowed: pd.Series) -> np.ndarray:
    """Vectorised membership test (pandas' own ``isin`` loops in Python over arrow strings)."""
    found = pc.is_in(_arrow_strings(values), value_set=_arrow_strings(allowed))
    return found.fill_null(False).to_numpy(zero_copy_only=False)


def _arrow_strings(values: pd.Series) -> pa.Array:
    arr = pa.Array.from_pandas(values if values.dtype == "str" else values.astype("str"))
    return arr.cast(pa.large_string()) if arr.type != pa.large_string() else arr


def sort_rows(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Rows ordered by the string columns ``columns`` (ascending), with a fresh index."""
    keys = pa.table({c: _arrow_strings(table[c]) for c in columns})
    order = pc.sort_indices(keys, sort_keys=[(c, "ascending") for c in columns]).to_numpy()
    return table.take(order).reset_index(drop=True)


def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)))


def empty_table(table_type) -> pd.DataFrame:
    """An empty table with the schema's columns and dtypes."""
    return conform(table_type, pd.DataFrame({c: [] for c in table_type.columns}))


def conform(table_type, table: pd.DataFrame) -> pd.DataFrame:
    """Order ``table``'s columns as the schema does and cast them to the schema's dtypes.

    Raises
    ------
    GraphIntegrityError
        If columns are missing or unexpected.
    """
    expected = list(table_type.columns)
    got = list(table.columns)
    if set(got) != set(expected):
        missing = [c for c in expected if c not in got]
        extra = [c for c in got if c not in expected]
        name = getattr(table_type, "label", None) or table_type.file_stem
        raise GraphIntegrityError([f"{name}: missing columns {missing}, unexpected columns {extra}"])
    out = table[expected].copy()
    props = {p.name: p for p in table_type.properties}
    for col in expected:
        p = props.get(col)
        kind = p.dtype if p else "string"
        out[col] = _cast(out[col], kind)
    return out.reset_index(drop=True)


def _cast(col: pd.Series, kind: str) -> pd.Series:
    if kind in _NUMPY_DTYPES:
        return col.astype(_NUMPY_DTYPES[kind])
    if kind in ("datetime", "date"):
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            col = col.dt.tz_convert("UTC").dt.tz_localize(None)
        col = col.astype("datetime64[s]")
        return col.dt.normalize() if kind == "date" else col
    return col.astype("str")


def _check_columns(name: str, table_type, table: pd.DataFrame) -> Iterable[str]:
    problems = []
    expected = list(table_type.columns)
    if list(table.columns) != expected:
        problems.append(f"{name}: columns {list(table.columns)} differ from the schema's {expected}")
    for p in table_type.properties:
        if p.name not in table:
            continue
        col = table[p.name]
        nulls = int(col.isna().sum())
        if nulls and not p.nullable:
            problems.append(f"{name}.{p.name}: {nulls} missing values in a required column")
        if p.values:
            bad = col.notna() & ~isin(col, pd.Series(p.values, dtype=str))
            if bad.any():
                problems.append(f"{name}.{p.name}: {int(bad.sum())} values outside {list(p.values)}, e.g. {col[bad].iloc[0]!r}")
        if p.dtype in ("int", "float") and not pd.api.types.is_numeric_dtype(col):
            problems.append(f"{name}.{p.name}: expected {p.dtype} values, found dtype {col.dtype}")
        if p.dtype in ("datetime", "date") and not pd.api.types.is_datetime64_any_dtype(col):
            problems.append(f"{name}.{p.name}: expected {p.dtype} values, found dtype {col.dtype}")
        if p.dtype == "bool" and not pd.api.types.is_bool_dtype(col):
            problems.append(f"{name}.{p.name}: expected bool values, found dtype {col.dtype}")
    return problems
