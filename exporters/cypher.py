"""A Cypher script that builds the dataset's graph: ``cypher-shell -f cypher/load.cypher``.

For small and demo datasets (bulk import is the way for large ones). The
script creates a uniqueness constraint on ``id`` per label first, then the
nodes and then the relationships in batched ``UNWIND`` statements whose rows are
map literals, one statement (and transaction) per batch::

    UNWIND [{`id`: 'per_...', `name`: 'O\\'Brien', `created_at`: datetime('2024-01-08T13:46:18Z')}, ...] AS row
    CREATE (n:Person) SET n = row;

With the option ``graph_events`` (see :mod:`fraudgraph.event_graph`) a second
script, ``cypher/events.cypher``, adds the events as TRANSFERRED and LOGGED_IN
relationships or as Transaction and Session nodes; run it after ``load.cypher``.
Its rows are spooled set by set while the streams are simulated, so each
statement holds ``batch_rows`` rows however the stream was cut into windows.

Labels, types and keys come from the schema; every value is a literal,
escaped so that no text can end the string it is in (backslashes, quotes and
line breaks are escaped; a missing value leaves its key out). Literals are
built column by column with Arrow, never row by row in Python.
"""

from __future__ import annotations

import shutil
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from fraudgraph.exporters.base import Capabilities, Exporter, WrittenFile
from fraudgraph.exporters.tables import iso_datetimes, to_arrow

from fraudgraph.event_graph import event_sets
from fraudgraph.graphdb import NodeSet, RelSet, graph_model

FOLDER = "cypher"
SCRIPT = f"{FOLDER}/load.cypher"
EVENTS_SCRIPT = f"{FOLDER}/events.cypher"
#: Rows per UNWIND statement.
BATCH_ROWS = 500

_STR = pa.large_string()
#: Replacements that keep any text inside a single-quoted Cypher string (backslash first).
_ESCAPES = (("\\", "\\\\"), ("'", "\\'"), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))


def quote(values: pa.Array) -> pa.Array:
    """Cypher string literals (``'...'``) for a string array; nulls stay null."""
    text = values.cast(_STR)
    for old, new in _ESCAPES:
        text = pc.replace_substring(text, old, new)
    return _join([_lit("'"), text, _lit("'")])


def literals(values: pa.Array, dtype: str) -> pa.Array:
    """Cypher literals for one column of a schema dtype; nulls stay null."""
    if dtype == "string":
        return quote(values)
    if dtype == "datetime":
        text = iso_datetimes(values)
        text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
        return _join([_lit("datetime('"), text, _lit("')")])
    if dtype == "date":
        return _join([_lit("date('"), values.cast(_STR), _lit("')")])
    if dtype == "bool":
        return pc.if_else(values, _lit("true"), _lit("false"))
    if dtype == "float":  # always a float literal: '2925.0', never '2925' (an integer) or '1e+20'
        text = pc.replace_substring(values.cast(_STR), "e+", "e")
        text = pc.if_else(pc.match_substring_regex(text, "[.eE]"), text, _join([text, _lit(".0")]))
        return pc.if_else(pc.is_finite(values), text, pa.scalar(None, _STR))
    return values.cast(_STR)


def map_literals(table: pa.Table, columns, dtypes) -> pa.Array:
    """``{`key`: literal, ...}`` per row (keys quoted: ``end`` is a keyword), keys of null values left out."""
    parts = [_join([_lit(f"`{name}`: "), literals(table.column(name).combine_chunks(), dtype)])
             for name, dtype in zip(columns, dtypes)]
    inner = pc.binary_join_element_wise(*parts, _lit(", "), null_handling="skip") if parts else None
    if inner is None:
        return pa.array(["{}"] * table.num_rows, _STR)
    return _join([_lit("{"), inner, _lit("}")])


def _lit(text: str) -> pa.Scalar:
    return pa.scalar(text, _STR)


def _join(parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, _lit(""))


class CypherExporter(Exporter):
    """Writes ``cypher/load.cypher`` (and ``cypher/events.cypher``).

    Options: ``blind`` (leave the truth out), ``graph_events``, ``batch_rows``.
    """

    name = "cypher"
    extension = "cypher"
    capabilities = Capabilities(folder=FOLDER, graph_events=True)

    def __init__(self, batch_rows: int = BATCH_ROWS):
        self.batch_rows = batch_rows

    def open_graph_events(self, root: Path, mode: str, blind: bool) -> EventScript:
        return EventScript(root, mode, blind, self.batch_rows)

    def write(self, dataset, out: Path, **options: Any) -> list[WrittenFile]:
        model = graph_model(dataset.graph, dataset.truth, blind=options.get("blind", False))
        batch = int(options.get("batch_rows", self.batch_rows))
        path = Path(out) / SCRIPT
        path.parent.mkdir(parents=True, exist_ok=True)
        statements = 0
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write("// fraudgraph: the dataset's graph. Run on an empty database: cypher-shell -f load.cypher\n")
            statements += _write_constraints(fh, model.labels())
            for spec in model.nodes + model.relationships:
                statements += _write_batches(fh, _rows(spec).to_pylist(), batch, _body(spec))
        return [WrittenFile.of(out, SCRIPT, "script", "load", statements)]


class EventScript:
    """Spools the event sets' rows as literals, then writes ``events.cypher`` (see :meth:`Exporter.open_graph_events`)."""

    def __init__(self, root: Path, mode: str, blind: bool, batch: int):
        nodes, rels = event_sets(mode, blind)
        self.root, self.batch, self.labels = Path(root), batch, [n.label for n in nodes]
        self.spool = self.root / FOLDER / ".spool"
        self.spool.mkdir(parents=True, exist_ok=True)
        self.sets = {spec.name: spec for spec in nodes + rels}   # nodes first: relationships MATCH them
        self.spools = {name: open(self.spool / f"{i}.txt", "wb") for i, name in enumerate(self.sets)}

    def write(self, chunk) -> None:
        for spec in chunk.nodes + chunk.relationships:
            rows = _rows(spec)
            if len(rows):
                self.spools[spec.name].write(_lines(rows))

    def close(self) -> list[WrittenFile]:
        statements = 0
        with open(self.root / EVENTS_SCRIPT, "w", encoding="utf-8", newline="\n") as fh:
            fh.write("// fraudgraph: the dataset's events. Run after load.cypher: cypher-shell -f events.cypher\n")
            statements += _write_constraints(fh, self.labels)
            for name, spec in self.sets.items():
                self.spools[name].close()
                with open(self.spools[name].name, encoding="utf-8", newline="\n") as rows:
                    statements += _write_batches(fh, (line.rstrip("\n") for line in rows), self.batch, _body(spec))
        shutil.rmtree(self.spool)
        return [WrittenFile.of(self.root, EVENTS_SCRIPT, "script", "events", statements)]


def _write_constraints(fh, labels) -> int:
    for label in labels:
        fh.write(f"CREATE CONSTRAINT {label.lower()}_id IF NOT EXISTS FOR (n:{label}) REQUIRE n.id IS UNIQUE;\n")
    return len(labels)


def _body(spec: NodeSet | RelSet) -> str:
    """What each ``UNWIND ... AS row`` statement of a set does with its rows."""
    if isinstance(spec, NodeSet):
        return f"CREATE (n:{spec.label}) SET n = row;\n"
    return (f"MATCH (a:{spec.src} {{id: row.src}}) MATCH (b:{spec.dst} {{id: row.dst}})\n"
            f"CREATE (a)-[r:{spec.type}]->(b) SET r = row.props;\n")


def _rows(spec: NodeSet | RelSet) -> pa.Array:
    return _node_rows(spec) if isinstance(spec, NodeSet) else _relationship_rows(spec)


def _lines(rows: pa.Array) -> bytes:
    """The rows' text, one per line, as bytes (literals hold no line breaks), without a Python loop."""
    text = _join([rows, _lit("\n")])
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[text.offset:text.offset + len(text) + 1]
    return text.buffers()[2].to_pybytes()[offsets[0]:offsets[-1]]


def _node_rows(nodes: NodeSet) -> pa.Array:
    table = to_arrow(nodes, nodes.frame)
    return map_literals(table, nodes.columns, ["string"] + [p.dtype for p in nodes.properties])


def _relationship_rows(rels: RelSet) -> pa.Array:
    table = to_arrow(rels, rels.frame)
    props = map_literals(table, [p.name for p in rels.properties], [p.dtype for p in rels.properties])
    return _join([_lit("{src: "), quote(table.column("src").combine_chunks()), _lit(", dst: "),
                  quote(table.column("dst").combine_chunks()), _lit(", props: "), props, _lit("}")])


def _write_batches(fh, rows, batch: int, body: str) -> int:
    """``UNWIND [rows] AS row`` + ``body`` per batch of ``batch`` row literals; the number of statements."""
    rows = iter(rows)
    statements = 0
    while chunk := list(islice(rows, batch)):
        fh.write("UNWIND [\n  " + ",\n  ".join(chunk) + "\n] AS row\n" + body)
        statements += 1
    return statements
