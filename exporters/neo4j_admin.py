"""Neo4j bulk-import files: ``neo4j-admin database import full`` reads them into an empty database.

The folder ``neo4j-admin/`` holds, per label and per ``(src)-[:TYPE]->(dst)``
triple, a header file and a data file in Neo4j 5's import format (``id:ID(Person)``,
``:LABEL``, ``:START_ID(Person)``, ``:END_ID(Account)``, ``:TYPE``; typed
properties ``:long``, ``:double``, ``:boolean``, ``:datetime`` with an explicit
UTC offset, ``:date``), ``import.sh`` with the exact import command, and
``constraints.cypher`` to run once the database is started. Each label is its
own id space, so ids only need to be unique within a label.

The events come in as graph elements too (option ``graph_events``, see
:mod:`fraudgraph.event_graph`): TRANSFERRED and LOGGED_IN relationship files, or
Transaction and Session node files with their PERFORMS, BENEFITS_TO, NEXT,
STARTED, FROM and VIA relationships, appended window by window while the
streams are simulated. ``import.sh`` lists them alongside the graph's files.

Fields are quoted where needed (commas, quotes, line breaks) with quotes
doubled inside; a missing value is an empty unquoted field (no property), an
empty string is ``""``. Files are UTF-8.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
from fraudgraph.exporters.base import Capabilities, Exporter, WrittenFile
from fraudgraph.exporters.tables import as_text, to_arrow

from fraudgraph.event_graph import event_sets
from fraudgraph.graphdb import NEO4J_TYPES, NodeSet, RelSet, graph_model

FOLDER = "neo4j-admin"
#: Options of the import command that the files need.
IMPORT_OPTIONS = ("--overwrite-destination", "--multiline-fields=true", "--id-type=string",
                  "--skip-duplicate-nodes=false", "--bad-tolerance=0")


def header_field(prop) -> str:
    """``name:type`` for a property (strings carry no type: it is the default)."""
    kind = NEO4J_TYPES[prop.dtype]
    return prop.name if kind == "string" else f"{prop.name}:{kind}"


def node_header(nodes: NodeSet) -> list[str]:
    return [f"id:ID({nodes.label})"] + [header_field(p) for p in nodes.properties] + [":LABEL"]


def relationship_header(rels: RelSet) -> list[str]:
    return ([f":START_ID({rels.src})", f":END_ID({rels.dst})"] + [header_field(p) for p in rels.properties]
            + [":TYPE"])


class Neo4jAdminExporter(Exporter):
    """Writes ``neo4j-admin/``: header and data files, ``import.sh`` and ``constraints.cypher``.

    Options: ``blind`` (leave the truth out, see :func:`fraudgraph.graphdb.graph_model`) and
    ``graph_events`` (``"relationships"``, ``"nodes"`` or ``"none"``).
    """

    name = "neo4j-admin"
    extension = "csv"
    capabilities = Capabilities(folder=FOLDER, graph_events=True)

    def write(self, dataset, out: Path, **options: Any) -> list[WrittenFile]:
        blind = options.get("blind", False)
        model = graph_model(dataset.graph, dataset.truth, blind=blind)
        event_nodes, event_rels = event_sets(options.get("graph_events", "none"), blind)
        root = Path(out) / FOLDER
        (root / "nodes").mkdir(parents=True, exist_ok=True)
        (root / "relationships").mkdir(parents=True, exist_ok=True)
        written = []
        for spec in model.nodes + model.relationships:
            with SetFile(out, spec) as data:
                data.write(spec)
            written += data.files
        args = [SetFile.argument(spec) for spec in model.nodes + event_nodes + model.relationships + event_rels]
        (root / "import.sh").write_text(import_script(args), encoding="utf-8")
        (root / "import.sh").chmod(0o755)
        (root / "constraints.cypher").write_text(constraints_script(model.labels() + [n.label for n in event_nodes]),
                                                 encoding="utf-8")
        written.append(WrittenFile.of(out, f"{FOLDER}/import.sh", "script", "import", None))
        written.append(WrittenFile.of(out, f"{FOLDER}/constraints.cypher", "script", "constraints", None))
        return written

    def open_graph_events(self, root: Path, mode: str, blind: bool) -> EventFiles:
        return EventFiles(root, mode, blind)


class SetFile:
    """The header file (one line) and the data file (no header line) of one node or relationship set.

    A context manager: rows are appended with :meth:`write`, batch by batch;
    :attr:`files` lists both files once it is closed.
    """

    def __init__(self, out: Path, spec: NodeSet | RelSet):
        self.out, self.spec = Path(out), spec
        self.nodes = isinstance(spec, NodeSet)
        self.stem = f"nodes/{spec.label}" if self.nodes else f"relationships/{spec.name}"
        header = node_header(spec) if self.nodes else relationship_header(spec)
        (self.out / FOLDER / f"{self.stem}.header.csv").write_text(",".join(header) + "\n", encoding="utf-8")
        schema = self._table(replace(spec, frame=spec.frame.iloc[:0])).schema
        options = pacsv.WriteOptions(include_header=False, quoting_style="needed", delimiter=",")
        self.writer = pacsv.CSVWriter(str(self.out / FOLDER / f"{self.stem}.csv"), schema, write_options=options)
        self.rows = 0
        self.files: list[WrittenFile] = []

    @staticmethod
    def argument(spec: NodeSet | RelSet) -> str:
        """The import command's ``--nodes=`` or ``--relationships=`` argument for the set."""
        if isinstance(spec, NodeSet):
            return f"--nodes=nodes/{spec.label}.header.csv,nodes/{spec.label}.csv"
        return f"--relationships=relationships/{spec.name}.header.csv,relationships/{spec.name}.csv"

    def _table(self, spec) -> pa.Table:
        """The set's rows as the data file spells them, with the ``:LABEL`` or ``:TYPE`` column last."""
        table = to_arrow(spec, spec.frame)
        name, value = (":LABEL", spec.label) if self.nodes else (":TYPE", spec.type)
        return as_text(spec, table).append_column(name, pa.array([value] * table.num_rows, pa.large_string()))

    def write(self, spec: NodeSet | RelSet) -> None:
        table = self._table(spec)
        self.writer.write_table(table)
        self.rows += table.num_rows

    def __enter__(self) -> SetFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> list[WrittenFile]:
        self.writer.close()
        kind, name = ("nodes", self.spec.label) if self.nodes else ("relationships", self.spec.name)
        self.files = [WrittenFile.of(self.out, f"{FOLDER}/{self.stem}.header.csv", "header", name, None),
                      WrittenFile.of(self.out, f"{FOLDER}/{self.stem}.csv", kind, name, self.rows)]
        return self.files


class EventFiles:
    """The event sets' files, appended chunk by chunk (see :meth:`Exporter.open_graph_events`)."""

    def __init__(self, root: Path, mode: str, blind: bool):
        nodes, rels = event_sets(mode, blind)
        for sub in ("nodes", "relationships"):
            (Path(root) / FOLDER / sub).mkdir(parents=True, exist_ok=True)
        self.files = {spec.name: SetFile(root, spec) for spec in nodes + rels}

    def write(self, chunk) -> None:
        for spec in chunk.nodes + chunk.relationships:
            self.files[spec.name].write(spec)

    def close(self) -> list[WrittenFile]:
        return [f for data in self.files.values() for f in data.close()]


def import_script(arguments: list[str]) -> str:
    """``import.sh``: the import command for this folder, into the database named by its first argument."""
    lines = ["#!/bin/sh",
             "# Bulk-import this dataset into Neo4j 5 (the database must not be running; it is replaced).",
             "#   ./import.sh [DATABASE]      default: neo4j",
             "# Then start the database (neo4j start, or START DATABASE in Neo4j Enterprise) and create the",
             "# constraints: cypher-shell -d DATABASE -f constraints.cypher",
             "set -eu",
             'cd "$(dirname "$0")"',
             'DATABASE="${1:-neo4j}"',
             'neo4j-admin database import full "$DATABASE" \\']
    lines += [f"  {option} \\" for option in IMPORT_OPTIONS]
    lines += [f"  {arg} \\" for arg in arguments[:-1]] + [f"  {arguments[-1]}"]
    return "\n".join(lines) + "\n"


def constraints_script(labels: list[str]) -> str:
    """One uniqueness constraint on ``id`` per label, idempotent."""
    return "".join(f"CREATE CONSTRAINT {label.lower()}_id IF NOT EXISTS FOR (n:{label}) REQUIRE n.id IS UNIQUE;\n"
                   for label in labels)
