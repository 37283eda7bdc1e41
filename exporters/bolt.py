"""Live load into Neo4j, or any Bolt server, with the official driver.

Uniqueness constraints first, then every label's nodes, then every
relationship triple, in parameterised ``UNWIND`` batches: one transaction per
batch, retried with backoff by the driver on transient errors. Labels, types and
property keys come from the schema (:mod:`fraudgraph.graphdb`); values travel
only as query parameters.

``mode="create"`` refuses a database that already holds data unless ``wipe``
empties it first; ``mode="merge"`` matches nodes on ``id`` and relationships on
their endpoints (a pair has at most one relationship of a triple), so running
the same load again changes nothing and a load cut short at any point is
finished by loading again in merge mode.

The code is written for Neo4j 5 and runs as well on ArcadeDB's Bolt server,
whose differences it avoids: no ``db.awaitIndexes`` (constraints are created
before any data, so there is nothing to wait for), no ``CREATE DATABASE``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable

import pyarrow as pa
from fraudgraph.exporters.base import Capabilities
from fraudgraph.exporters.tables import to_arrow

from fraudgraph.errors import ConfigError, FraudGraphError, ServerError
from fraudgraph.graphdb import GraphModel, NodeSet, RelSet

MODES = ("create", "merge")
#: URI schemes of the Bolt protocol (``neo4j`` routes through a cluster, ``+s`` and ``+ssc`` encrypt).
SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
DEFAULT_BATCH = 5_000
INSTALL_HINT = "the Neo4j loader needs the neo4j driver: pip install 'fraudgraph[neo4j]'"

#: What the loader does, in the exporter contract's terms.
CAPABILITIES = Capabilities(server=True)


@dataclass(frozen=True)
class Target:
    """Where to load: a Bolt URI, credentials and a database (``None``: the server's default)."""

    uri: str
    user: str = "neo4j"
    password: str = field(default="", repr=False)
    database: str | None = None

    def describe(self) -> str:
        return self.uri + (f" (database {self.database!r})" if self.database else "")


def node_statement(nodes: NodeSet, mode: str) -> str:
    """The parameterised batch statement for one label."""
    if mode == "merge":
        return f"UNWIND $rows AS row MERGE (n:{nodes.label} {{id: row.id}}) SET n += row"
    return f"UNWIND $rows AS row CREATE (n:{nodes.label}) SET n = row"


def relationship_statement(rels: RelSet, mode: str) -> str:
    """The parameterised batch statement for one relationship triple (merged on its key property if it has one)."""
    verb, assign = ("MERGE", "+=") if mode == "merge" else ("CREATE", "=")
    key = f" {{{rels.key}: row.props.{rels.key}}}" if mode == "merge" and rels.key else ""
    return (f"UNWIND $rows AS row MATCH (a:{rels.src} {{id: row.src}}) MATCH (b:{rels.dst} {{id: row.dst}}) "
            f"{verb} (a)-[r:{rels.type}{key}]->(b) SET r {assign} row.props")


def constraint_statement(label: str) -> str:
    return f"CREATE CONSTRAINT {label.lower()}_id IF NOT EXISTS FOR (n:{label}) REQUIRE n.id IS UNIQUE"


def node_rows(nodes: NodeSet) -> pa.Table:
    """The label's rows as the parameters carry them (datetimes zoned in UTC, dates, floats, booleans)."""
    return to_arrow(nodes, nodes.frame)


def relationship_rows(rels: RelSet) -> pa.Table:
    """``src``, ``dst`` and ``props`` (a map of the properties) per relationship."""
    table = to_arrow(rels, rels.frame)
    names = [p.name for p in rels.properties]
    props = (pa.StructArray.from_arrays([table.column(n).combine_chunks() for n in names], names=names) if names
             else pa.array([{}] * table.num_rows, pa.struct([])))
    return pa.table({"src": table.column("src"), "dst": table.column("dst"), "props": props})


def batches(table: pa.Table, size: int):
    """Lists of row dicts of at most ``size`` rows (nulls are left out: a null property is no property)."""
    for start in range(0, table.num_rows, size):
        rows = table.slice(start, size).to_pylist()
        yield [_without_nulls(r) for r in rows]


def _without_nulls(row: dict) -> dict:
    out = {}
    for k, v in row.items():
        if isinstance(v, dict):
            out[k] = {a: b for a, b in v.items() if b is not None}
        elif v is not None:
            out[k] = v
    return out


class BoltLoader:
    """Loads a :class:`~fraudgraph.graphdb.GraphModel` into a Bolt server.

    Parameters
    ----------
    target : Target
        URI, user, password and database.
    mode : {"create", "merge"}
        ``create`` refuses a database holding data (unless ``wipe``); ``merge`` adds to it without duplicates.
    wipe : bool
        Delete every node and relationship of the database first.
    batch_size : int
        Rows per ``UNWIND`` transaction.
    progress : callable, optional
        Called with ``(what, rows)`` after every batch.
    """

    def __init__(self, target: Target, *, mode: str = "create", wipe: bool = False, batch_size: int = DEFAULT_BATCH,
                 progress: Callable[[str, int], None] | None = None):
        if mode not in MODES:
            raise ConfigError(f"The 'mode' parameter of load must be one of {', '.join(MODES)}. Got {mode!r} instead.")
        scheme = target.uri.split("://", 1)[0] if "://" in target.uri else ""
        if scheme not in SCHEMES:
            raise ServerError(f"{target.uri!r} is not a Bolt URI: expected {'://, '.join(SCHEMES)}://HOST:PORT")
        if not 1 <= int(batch_size) <= 1_000_000:
            raise ConfigError(f"The 'batch_size' parameter of load must be in [1, 1000000]. Got {batch_size!r} instead.")
        self.target, self.mode, self.wipe, self.batch_size = target, mode, wipe, int(batch_size)
        self.progress = progress or (lambda what, rows: None)

    def check(self) -> None:
        """Fail now, with one line, if the server cannot be reached, refuses the credentials or the database,
        or (in create mode, without ``wipe``) already holds data."""
        neo4j = _driver_module()
        with self._driver(neo4j) as driver, _errors(self.target, neo4j):
            self._check(driver)
            self._refuse_data(driver)

    def check_reachable(self) -> None:
        """Fail now, with one line, if the server cannot be reached or refuses the credentials or the database."""
        neo4j = _driver_module()
        with self._driver(neo4j) as driver, _errors(self.target, neo4j):
            self._check(driver)

    def load(self, model: GraphModel, events: Iterable | None = None,
             event_labels: list[str] = ()) -> dict[str, dict[str, int]]:
        """Load every node and relationship, then the event elements (chunks of
        :class:`~fraudgraph.event_graph.EventChunk`, in time order); the counts the server holds afterwards.

        What the event chunks held is counted in :attr:`event_counts`.
        """
        neo4j = _driver_module()
        self.event_counts = {"nodes": {}, "relationships": {}}
        with self._driver(neo4j) as driver, _errors(self.target, neo4j):
            self._check(driver)
            if self.wipe:
                self._wipe(driver)
            self._refuse_data(driver)
            with self._session(driver) as session:
                for label in model.labels() + list(event_labels):
                    session.run(constraint_statement(label)).consume()
            for nodes in model.nodes:
                self._batches(driver, node_statement(nodes, self.mode), node_rows(nodes), nodes.label)
            for rels in model.relationships:
                self._batches(driver, relationship_statement(rels, self.mode), relationship_rows(rels), rels.name)
            for chunk in events or ():
                self._event_chunk(driver, chunk)
            labels = model.labels() + [x for x in self.event_counts["nodes"] if x not in model.labels()]
            types = sorted(set(model.types()) | set(self.event_counts["relationships"]))
            return server_counts(driver, self.target.database, labels, types)

    def _event_chunk(self, driver, chunk) -> None:
        for nodes in chunk.nodes:
            self._batches(driver, node_statement(nodes, self.mode), node_rows(nodes), nodes.label)
            _add(self.event_counts["nodes"], nodes.label, len(nodes.frame))
        for rels in chunk.relationships:
            self._batches(driver, relationship_statement(rels, self.mode), relationship_rows(rels), rels.name)
            _add(self.event_counts["relationships"], rels.type, len(rels.frame))

    # -- steps --------------------------------------------------------------------------------------
    def _driver(self, neo4j):
        try:
            return neo4j.GraphDatabase.driver(self.target.uri, auth=(self.target.user, self.target.password),
                                              connection_timeout=15.0, max_transaction_retry_time=60.0)
        except (ValueError, neo4j.exceptions.ConfigurationError) as exc:
            raise ServerError(f"{self.target.uri!r} is not a Bolt URI (bolt://HOST:PORT or neo4j://HOST:PORT): "
                              f"{_first_line(exc)}") from None

    def _session(self, driver):
        return driver.session(database=self.target.database) if self.target.database else driver.session()

    def _check(self, driver) -> None:
        driver.verify_connectivity()
        with self._session(driver) as session:
            session.run("RETURN 1").consume()

    def _refuse_data(self, driver) -> None:
        if self.mode == "create" and not self.wipe and self._holds_data(driver):
            raise ServerError(f"the database at {self.target.describe()} already holds data; pass --mode merge "
                              f"to add to it or --wipe to empty it first")

    def _holds_data(self, driver) -> bool:
        with self._session(driver) as session:
            return session.run("MATCH (n) RETURN n.id AS id LIMIT 1").single() is not None

    def _wipe(self, driver) -> None:
        with self._session(driver) as session:  # auto-commit: CALL ... IN TRANSACTIONS needs it
            session.run("MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()

    def _batches(self, driver, statement: str, table: pa.Table, what: str) -> None:
        with self._session(driver) as session:
            for rows in batches(table, self.batch_size):
                session.execute_write(_run, statement, rows)
                self.progress(what, len(rows))


def _add(counts: dict, name: str, n: int) -> None:
    counts[name] = counts.get(name, 0) + n


def _run(tx, statement: str, rows: list[dict]) -> None:
    tx.run(statement, rows=rows).consume()


def server_counts(driver, database: str | None, labels, types) -> dict[str, dict[str, int]]:
    """Nodes per label and relationships per type as the server counts them."""
    session = driver.session(database=database) if database else driver.session()
    with session:
        nodes = {label: session.run(f"MATCH (n:{label}) RETURN count(n) AS c").single()["c"] for label in labels}
        rels = {t: session.run(f"MATCH ()-[r:{t}]->() RETURN count(r) AS c").single()["c"] for t in types}
    return {"nodes": nodes, "relationships": rels}


def _driver_module():
    try:
        import neo4j
    except ImportError:
        raise FraudGraphError(INSTALL_HINT) from None
    return neo4j


class _errors:
    """Turn the driver's failures into one line naming the server and the cause."""

    def __init__(self, target: Target, neo4j):
        self.target, self.neo4j = target, neo4j

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is None or isinstance(exc, FraudGraphError):
            return False
        e, where = self.neo4j.exceptions, self.target.describe()
        if isinstance(exc, e.AuthError):
            raise ServerError(f"the Bolt server at {where} refused user {self.target.user!r}: "
                              f"wrong user or password") from None
        if isinstance(exc, e.ServiceUnavailable):
            raise ServerError(f"cannot reach a Bolt server at {where}: {_unreachable(exc)}") from None
        if isinstance(exc, e.Neo4jError) and "DatabaseNotFound" in (exc.code or ""):
            raise ServerError(f"the Bolt server at {self.target.uri} has no database "
                              f"{self.target.database!r}") from None
        if isinstance(exc, e.Neo4jError):
            raise ServerError(f"the Bolt server at {where} refused the load: {_first_line(exc)}") from None
        return False


def _unreachable(exc: BaseException) -> str:
    """The socket's reason (``[Errno 111] Connection refused``) where the driver's message holds one."""
    found = re.search(r"reason (\[Errno [^)]*)\)", str(exc))
    return found.group(1) if found else _first_line(exc).rstrip(":")


def _first_line(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return text.strip().splitlines()[0]


# -- reading back -------------------------------------------------------------------------------------
@dataclass
class Check:
    """One comparison of the verifier: what was checked, what the dataset says, what the server holds."""

    what: str
    expected: object
    found: object
    examples: tuple = ()

    @property
    def ok(self) -> bool:
        return self.expected == self.found


def verify(target: Target, model: GraphModel, *, sample: int = 20, events: Iterable | None = None) -> list[Check]:
    """Read a loaded database back and compare it with ``model``.

    Counts per label and per relationship type, a uniqueness constraint on ``id`` per label, ``sample``
    nodes per label and relationships per triple with every property and its type, and the truth
    subgraph (members per Pattern, relationships flagged ``is_fraud``); with ``events`` (event chunks),
    their counts too and a sample of the first chunk's. A check whose ``expected`` and ``found`` differ is a
    difference.
    """
    neo4j = _driver_module()
    loader = BoltLoader(target)
    expected = model.counts()
    first = None
    for chunk in events or ():
        first = first or chunk
        for nodes in chunk.nodes:
            _add(expected["nodes"], nodes.label, len(nodes.frame))
        for rels in chunk.relationships:
            _add(expected["relationships"], rels.type, len(rels.frame))
    with loader._driver(neo4j) as driver, _errors(target, neo4j):
        loader._check(driver)
        with loader._session(driver) as session:
            checks = _count_checks(session, expected)
            if first is not None:
                checks += [_node_sample_check(session, n, sample) for n in first.nodes]
                checks += [_relationship_sample_check(session, r, sample) for r in first.relationships]
            checks.append(_constraint_check(session, model))
            for nodes in model.nodes:
                checks.append(_node_sample_check(session, nodes, sample))
            for rels in model.relationships:
                checks.append(_relationship_sample_check(session, rels, sample))
            checks += _truth_checks(session, model)
    return checks


def _count_checks(session, expected: dict) -> list[Check]:
    checks = []
    for label, n in expected["nodes"].items():
        found = session.run(f"MATCH (n:{label}) RETURN count(n) AS c").single()["c"]
        checks.append(Check(f"nodes :{label}", n, found))
    for rel, n in expected["relationships"].items():
        found = session.run(f"MATCH ()-[r:{rel}]->() RETURN count(r) AS c").single()["c"]
        checks.append(Check(f"relationships :{rel}", n, found))
    return checks


def _constraint_check(session, model: GraphModel) -> Check:
    unique = set()
    for row in session.run("SHOW CONSTRAINTS"):
        record = dict(row)
        if "UNIQUE" in str(record.get("type", "")).upper() and list(record.get("properties") or []) == ["id"]:
            unique.update(record.get("labelsOrTypes") or [])
    labels = sorted(model.labels())
    return Check("uniqueness constraints on id", labels, sorted(set(labels) & unique))


def _sample_rows(table: pa.Table, sample: int) -> list[dict]:
    """``sample`` rows spread evenly over the table (the same ones every time)."""
    if table.num_rows == 0:
        return []
    step = max(1, table.num_rows // sample)
    return table.take(pa.array(range(0, table.num_rows, step))[:sample]).to_pylist()


def _node_sample_check(session, nodes: NodeSet, sample: int) -> Check:
    rows = _sample_rows(node_rows(nodes), sample)
    found = {r["id"]: dict(r["n"]) for r in session.run(
        f"UNWIND $ids AS id MATCH (n:{nodes.label} {{id: id}}) RETURN id, n", ids=[r["id"] for r in rows])}
    wrong = [row["id"] for row in rows if not _same_properties(row, found.get(row["id"]), nodes.properties)]
    return Check(f"sampled :{nodes.label} nodes equal in every property and type", len(rows),
                 len(rows) - len(wrong), tuple(wrong[:3]))


def _relationship_sample_check(session, rels: RelSet, sample: int) -> Check:
    rows = _sample_rows(relationship_rows(rels), sample)
    pairs = [{"src": r["src"], "dst": r["dst"], "key": r["props"].get(rels.key) if rels.key else None} for r in rows]
    keyed = f" {{{rels.key}: p.key}}" if rels.key else ""
    found = {(r["src"], r["dst"], r["key"]): dict(r["r"]) for r in session.run(
        f"UNWIND $pairs AS p MATCH (a:{rels.src} {{id: p.src}})-[r:{rels.type}{keyed}]->(b:{rels.dst} {{id: p.dst}}) "
        f"RETURN p.src AS src, p.dst AS dst, p.key AS key, r", pairs=pairs)}
    wrong = [f"{p['src']}->{p['dst']}" for p, row in zip(pairs, rows)
             if not _same_properties(row["props"], found.get((p["src"], p["dst"], p["key"])), rels.properties)]
    return Check(f"sampled :{rels.type} relationships ({rels.src} to {rels.dst}) equal", len(rows),
                 len(rows) - len(wrong), tuple(wrong[:3]))


def _same_properties(expected: dict, found: dict | None, properties) -> bool:
    if found is None:
        return False
    for prop in properties:
        want, got = expected.get(prop.name), found.get(prop.name)
        if want is None or (isinstance(want, float) and want != want):
            if got is not None:
                return False
            continue
        if not _same_value(prop.dtype, want, got):
            return False
    return True


def _same_value(dtype: str, want, got) -> bool:
    if dtype == "datetime":
        # Neo4j keeps the UTC zone; ArcadeDB returns the instant without it
        native = getattr(got, "to_native", lambda: None)()
        return native is not None and native.replace(tzinfo=None) == want.replace(tzinfo=None)
    if dtype == "date":
        native = getattr(got, "to_native", lambda: None)()
        return native == want
    if dtype == "float":
        return isinstance(got, float) and abs(got - want) <= 1e-9 * max(1.0, abs(want))
    if dtype == "bool":
        return isinstance(got, bool) and got == want
    if dtype == "int":
        return isinstance(got, int) and not isinstance(got, bool) and got == want
    return isinstance(got, str) and got == want


def _truth_checks(session, model: GraphModel) -> list[Check]:
    patterns = next((n for n in model.nodes if n.label == "Pattern"), None)
    if patterns is None:
        found = session.run("MATCH (p:Pattern) RETURN count(p) AS c").single()["c"]
        flagged = session.run("MATCH ()-[r]->() WHERE r.is_fraud IS NOT NULL RETURN count(r) AS c").single()["c"]
        return [Check("no truth (blind): Pattern nodes and is_fraud relationships", 0, found + flagged)]
    expected = dict(zip(patterns.frame["id"], patterns.frame["n_members"].astype(int)))
    got = {r["id"]: r["n"] for r in session.run(
        "MATCH (p:Pattern) OPTIONAL MATCH (m)-[:IN_PATTERN]->(p) RETURN p.id AS id, count(m) AS n")}
    differing = sorted(k for k in set(expected) | set(got) if expected.get(k) != got.get(k))
    flags = sum(int((r.frame["is_fraud"] == True).sum()) for r in model.relationships  # noqa: E712
                if "is_fraud" in r.frame.columns)
    found = session.run("MATCH ()-[r]->() WHERE r.is_fraud = true AND type(r) IN $types RETURN count(r) AS c",
                        types=model.types()).single()["c"]
    return [Check("Pattern nodes with all their members", len(expected), len(expected) - len(differing),
                  tuple(differing[:3])),
            Check("graph relationships flagged is_fraud", flags, found)]
