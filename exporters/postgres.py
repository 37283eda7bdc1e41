"""PostgreSQL: a written dataset as typed tables in a schema of its own.

One table per node type (``"Person"``, primary key ``id``), per edge type
(``"Person_OWNS_Account"``, foreign keys ``src`` and ``dst`` to its end tables,
indexed), per truth table (``truth_patterns``, ...), per event family
(``events_transactions``, ...: the typed tables of :mod:`fraudgraph.event_tables`,
primary key ``event_id``, indexed by ``timestamp`` and the ids investigators
filter by), the event truth (``event_truth``) and the point-in-time features
(``features_transactions``). Times are ``timestamptz``, amounts ``numeric``.

Rows go in with ``COPY ... FROM STDIN`` (CSV written by Arrow, block by block).
Every table is created and filled in one transaction; with ``create`` and
``replace`` the whole load goes into a staging schema that is renamed into place
in one last transaction, so a reader sees the old schema or the new one, never a
half load, also after a kill (a staging schema left behind is dropped by the
next load).
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.csv as pacsv
from fraudgraph.exporters.tables import to_arrow

from fraudgraph import schema
from fraudgraph.errors import FraudGraphError
from fraudgraph.event_tables import families, family_table

MODES = ("create", "replace", "append")
#: Columns of the event families indexed besides the key and the time, where a family has them.
INDEXED = ("user_id", "account_id", "session_id", "circle_id", "remittance_id", "sender_id", "correlation_id")
#: Text columns of the truth and feature streams that hold ISO-8601 instants.
_INSTANTS = {"timestamp", "fraud_started_at", "fraud_confirmed_at"}
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,47}$")


class PostgresError(FraudGraphError):
    """The server cannot be reached, refused the load, or holds what the mode forbids."""


def _library():
    try:
        import psycopg
    except ImportError:
        raise PostgresError("PostgreSQL needs the psycopg client: pip install 'fraudgraph[postgres]'") from None
    return psycopg


def schema_name(folder) -> str:
    """A schema name for a dataset folder: its name in lower case, other characters as ``_``."""
    name = re.sub(r"[^a-z0-9_]", "_", str(getattr(folder, "name", folder)).lower())[:48] or "fraudgraph"
    return name if re.match(r"^[a-z_]", name) else ("fg_" + name)[:48]


def pg_type(arrow: pa.DataType, column: str = "") -> str:
    """The PostgreSQL type of an Arrow column."""
    if pa.types.is_dictionary(arrow):
        arrow = arrow.value_type
    if pa.types.is_string(arrow) or pa.types.is_large_string(arrow):
        return "timestamptz" if column in _INSTANTS else "text"
    if pa.types.is_boolean(arrow):
        return "boolean"
    if pa.types.is_integer(arrow):
        return "bigint"
    if pa.types.is_floating(arrow):
        return "double precision"
    if pa.types.is_timestamp(arrow):
        return "timestamptz"
    if pa.types.is_date(arrow):
        return "date"
    if pa.types.is_decimal(arrow):
        return f"numeric({arrow.precision},{arrow.scale})"
    raise PostgresError(f"column {column!r}: no PostgreSQL type for Arrow {arrow}")


@dataclass
class TableLoad:
    """One table to create and fill: its name, columns, key and rows (Arrow tables, in order)."""

    name: str
    schema: pa.Schema
    rows: Iterable[pa.Table]
    primary_key: str | None = None
    references: tuple[tuple[str, str], ...] = ()   # (column, referenced table) on its id
    indexes: tuple[str, ...] = ()


class PostgresLoader:
    """Load a dataset into schema ``name`` of the database at ``dsn``.

    Parameters
    ----------
    dsn : str
        ``postgresql://user:password@host:port/database`` (libpq's environment variables fill what it leaves out).
    name : str
        The schema: lower-case letters, digits and ``_``, at most 48 characters.
    mode : {"create", "replace", "append"}
        ``create`` refuses a schema that exists; ``replace`` swaps it for the new load in one transaction;
        ``append`` adds the rows to its tables (the same columns; keys must not repeat).
    """

    def __init__(self, dsn: str, name: str, mode: str = "create", connect_timeout: int = 10):
        if mode not in MODES:
            raise PostgresError(f"--mode: expected one of {', '.join(MODES)}, got {mode!r}")
        if not _NAME.match(name):
            raise PostgresError(f"--schema: expected lower-case letters, digits and _ (at most 48), got {name!r}")
        self.psycopg = _library()
        self.dsn, self.name, self.mode, self.timeout = dsn, name, mode, connect_timeout

    def connect(self):
        try:
            return self.psycopg.connect(self.dsn, connect_timeout=self.timeout, autocommit=True)
        except self.psycopg.Error as exc:
            raise PostgresError(f"cannot connect to PostgreSQL at {_safe(self.dsn)}: {_reason(exc)}") from None

    def check(self) -> None:
        """Connect, and refuse what the mode forbids, before any work."""
        with self.connect() as conn:
            exists = self._schema_exists(conn, self.name)
        if self.mode == "create" and exists:
            raise PostgresError(f"schema {self.name!r} already exists at {_safe(self.dsn)}: pass --mode replace "
                                f"to swap it for this dataset, or --mode append to add to it")
        if self.mode == "append" and not exists:
            raise PostgresError(f"schema {self.name!r} does not exist at {_safe(self.dsn)}: --mode append adds "
                                f"to a schema a previous load created")

    def load(self, tables: Iterable[TableLoad], expected: dict[str, int] | None = None) -> dict[str, int]:
        """Create and fill every table; the rows in each, read back from the server.

        With ``expected`` (rows per table), a table whose count read back differs (whose count grew by
        another number, when appending) fails the load before it is published.
        """
        self.check()
        target = self.name if self.mode == "append" else f"{self.name}__loading"
        with self.connect() as conn:
            before = dict(self._counts(conn, target)) if self.mode == "append" else {}
            try:
                if self.mode != "append":
                    conn.execute(f"DROP SCHEMA IF EXISTS {_q(target)} CASCADE")  # a load killed earlier
                    conn.execute(f"CREATE SCHEMA {_q(target)}")
                for table in tables:
                    if isinstance(table, SplitLoad):
                        self._load_split(target, table)
                    else:
                        self._load_table(conn, target, table)
                counts = {row[0]: row[1] for row in self._counts(conn, target)}
                wrong = {name: (counts.get(name, 0) - before.get(name, 0), rows) for name, rows in (expected or {}).items()
                         if counts.get(name, 0) - before.get(name, 0) != rows}
                if wrong:
                    name, (got, rows) = sorted(wrong.items())[0]
                    raise PostgresError(f"table {name!r} holds {got} rows after the load, the manifest says {rows} "
                                        f"({len(wrong)} table(s) differ)")
                if self.mode != "append":
                    with conn.transaction():
                        conn.execute(f"DROP SCHEMA IF EXISTS {_q(self.name)} CASCADE")
                        conn.execute(f"ALTER SCHEMA {_q(target)} RENAME TO {_q(self.name)}")
            except BaseException as exc:
                if self.mode != "append":
                    try:
                        conn.execute(f"DROP SCHEMA IF EXISTS {_q(target)} CASCADE")
                    except self.psycopg.Error:
                        pass
                if isinstance(exc, self.psycopg.Error):
                    raise PostgresError(f"PostgreSQL at {_safe(self.dsn)} refused the load: {_reason(exc)}") from None
                raise
        return counts

    def _load_table(self, conn, target: str, table: TableLoad) -> None:
        with conn.transaction():
            self._create(conn, target, table)
            with _copy(conn, target, table) as copy:
                for rows in table.rows:
                    _write(copy, table, rows)
            self._index(conn, target, table)

    def _load_split(self, target: str, load: SplitLoad) -> None:
        """Fill several tables from one pass: a connection, a transaction and a COPY each, committed together
        once every part is in (a failure rolls all of them back)."""
        with contextlib.ExitStack() as stack:
            copies = []
            for table in load.tables:
                conn = stack.enter_context(self.connect())
                stack.enter_context(conn.transaction())
                self._create(conn, target, table)
                copies.append(stack.enter_context(_copy(conn, target, table)))
            for part in load.parts:
                for table, copy, rows in zip(load.tables, copies, load.split(part)):
                    _write(copy, table, rows)
        with self.connect() as conn:
            for table in load.tables:
                with conn.transaction():
                    self._index(conn, target, table)

    def _create(self, conn, target: str, table: TableLoad) -> None:
        if self.mode == "append":
            return
        columns = [f"{_q(f.name)} {pg_type(f.type, f.name)}" for f in table.schema]
        conn.execute(f"CREATE TABLE {_q(target)}.{_q(table.name)} ({', '.join(columns)})")

    def _index(self, conn, target: str, table: TableLoad) -> None:
        """Keys, foreign keys and indexes of a new table, once its rows are in (a bulk load's usual order:
        each is built, or checked, once over all rows instead of row by row)."""
        qualified = f"{_q(target)}.{_q(table.name)}"
        if self.mode != "append":
            if table.primary_key:
                conn.execute(f"ALTER TABLE {qualified} ADD PRIMARY KEY ({_q(table.primary_key)})")
            for column, ref in table.references:
                conn.execute(f"ALTER TABLE {qualified} ADD FOREIGN KEY ({_q(column)}) REFERENCES "
                             f"{_q(target)}.{_q(ref)} (id)")
            for column in dict.fromkeys((*(c for c, _ in table.references), *table.indexes)):
                conn.execute(f"CREATE INDEX ON {qualified} ({_q(column)})")
        conn.execute(f"ANALYZE {qualified}")

    @staticmethod
    def _schema_exists(conn, name: str) -> bool:
        return conn.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", (name,)).fetchone() \
            is not None

    @staticmethod
    def _counts(conn, target: str) -> Iterator[tuple[str, int]]:
        names = [r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                                            "ORDER BY table_name", (target,)).fetchall()]
        for name in names:
            yield name, conn.execute(f"SELECT count(*) FROM {_q(target)}.{_q(name)}").fetchone()[0]


def dataset_tables(graph, truth, streams: dict[str, Iterable[pa.Table]], labels: bool = False):
    """The tables of a dataset, nodes first (edges reference them), each with its keys and indexes.

    ``streams`` maps ``events`` (envelope rows), ``event_truth`` and ``features`` to their parts in order;
    the events are read once and spread over the families' typed tables (a :class:`SplitLoad`).
    """
    for label, node_type in schema.NODE_TYPES.items():
        if label in graph.nodes:
            rows = to_arrow(node_type, graph.nodes[label])
            yield TableLoad(label, rows.schema, [rows], primary_key="id")
    for key, edge_type in schema.EDGE_TYPES.items():
        if key in graph.edges:
            rows = to_arrow(edge_type, graph.edges[key])
            yield TableLoad(edge_type.file_stem, rows.schema, [rows], references=(("src", key[0]), ("dst", key[2])))
    for name, (spec, frame) in truth.tables().items():
        rows = to_arrow(spec, frame)
        yield TableLoad(f"truth_{name}", rows.schema, [rows])
    events = streams.get("events")
    if events is not None:
        yield _family_loads(events, labels)
    for stream, name, key in (("event_truth", "event_truth", "event_id"),
                              ("features", "features_transactions", "transaction_id")):
        parts = streams.get(stream)
        if parts is None:
            continue
        first, rest = _peek(parts)
        if first is not None:
            yield TableLoad(name, first.schema, _chain(first, rest), primary_key=key, indexes=("timestamp",))


@dataclass
class SplitLoad:
    """Several tables filled from one pass over parts: ``split(part)`` gives each table's rows of a part."""

    tables: list[TableLoad]
    parts: Iterable[pa.Table]
    split: object


def _family_loads(events: Iterable[pa.Table], labels: bool) -> SplitLoad:
    """The families' typed tables, filled side by side (one connection each) from one pass over the events."""
    from fraudgraph.event_tables import family_schema

    tables = []
    for family in families():
        typed_schema = family_schema(family, labels)
        indexes = ("timestamp",) + tuple(c for c in INDEXED if c in typed_schema.names)
        tables.append(TableLoad(f"events_{family}", typed_schema, (), primary_key="event_id", indexes=indexes))
    return SplitLoad(tables, events, lambda part: [family_table(part, family) for family in families()])


def _copy(conn, target: str, table: TableLoad):
    """A ``COPY ... FROM STDIN`` (CSV) into ``table`` of schema ``target``, as a context manager."""
    names = ", ".join(_q(f.name) for f in table.schema)
    return conn.cursor().copy(f"COPY {_q(target)}.{_q(table.name)} ({names}) FROM STDIN WITH (FORMAT csv)")


def _write(copy, table: TableLoad, rows: pa.Table) -> None:
    if rows.num_rows:
        copy.write(_csv(rows.select(table.schema.names)))


def _csv(rows: pa.Table) -> bytes:
    out = io.BytesIO()
    pacsv.write_csv(rows, out, write_options=pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    return out.getvalue()


def _peek(parts: Iterable[pa.Table]):
    iterator = iter(parts)
    return next(iterator, None), iterator


def _chain(first, rest):
    yield first
    yield from rest


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _safe(dsn: str) -> str:
    """The DSN without its password."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", dsn)


def _reason(exc) -> str:
    return " ".join(str(exc).split())[:300]
