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
from typing import Callable

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
    """The parameterised batch statement for one relationship triple."""
    verb, assign = ("MERGE", "+=") if mode == "merge" else ("CREATE", "=")
    return (f"UNWIND $rows AS row MATCH (a:{rels.src} {{id: row.src}}) MATCH (b:{rels.dst} {{id: row.dst}}) "
            f"{verb} (a)-[r:{rels.type}]->(b) SET r {assign} row.props")


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

    def load(self, model: GraphModel) -> dict[str, dict[str, int]]:
        """Load every node and relationship; the counts the server holds afterwards (per label and type)."""
        neo4j = _driver_module()
        with self._driver(neo4j) as driver, _errors(self.target, neo4j):
            self._check(driver)
            if self.wipe:
                self._wipe(driver)
            self._refuse_data(driver)
            with self._session(driver) as session:
                for label in model.labels():
                    session.run(constraint_statement(label)).consume()
            for nodes in model.nodes:
                self._batches(driver, node_statement(nodes, self.mode), node_rows(nodes), nodes.label)
            for rels in model.relationships:
                self._batches(driver, relationship_statement(rels, self.mode), relationship_rows(rels), rels.name)
            return server_counts(driver, self.target.database, model.labels(), model.types())

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
