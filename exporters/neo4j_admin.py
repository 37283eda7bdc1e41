"""Neo4j bulk-import files: ``neo4j-admin database import full`` reads them into an empty database.

The folder ``neo4j-admin/`` holds, per label and per ``(src)-[:TYPE]->(dst)``
triple, a header file and a data file in Neo4j 5's import format (``id:ID(Person)``,
``:LABEL``, ``:START_ID(Person)``, ``:END_ID(Account)``, ``:TYPE``; typed
properties ``:long``, ``:double``, ``:boolean``, ``:datetime`` with an explicit
UTC offset, ``:date``), ``import.sh`` with the exact import command, and
``constraints.cypher`` to run once the database is started. Each label is its
own id space, so ids only need to be unique within a label.

Fields are quoted where needed (commas, quotes, line breaks) with quotes
doubled inside; a missing value is an empty unquoted field (no property), an
empty string is ``""``. Files are UTF-8.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
from fraudgraph.exporters.base import Capabilities, Exporter, WrittenFile
from fraudgraph.exporters.tables import as_text, to_arrow

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

    Options: ``blind`` (leave the truth out, see :func:`fraudgraph.graphdb.graph_model`).
    """

    name = "neo4j-admin"
    extension = "csv"
    capabilities = Capabilities(folder=FOLDER)

    def write(self, dataset, out: Path, **options: Any) -> list[WrittenFile]:
        model = graph_model(dataset.graph, dataset.truth, blind=options.get("blind", False))
        root = Path(out) / FOLDER
        (root / "nodes").mkdir(parents=True, exist_ok=True)
        (root / "relationships").mkdir(parents=True, exist_ok=True)
        written, node_args, rel_args = [], [], []
        for nodes in model.nodes:
            table = to_arrow(nodes, nodes.frame).append_column(":LABEL", pa.array([nodes.label] * len(nodes.frame),
                                                                                  pa.large_string()))
            written += self._pair(out, f"nodes/{nodes.label}", node_header(nodes), table, nodes, "nodes", nodes.label)
            node_args.append(f"--nodes=nodes/{nodes.label}.header.csv,nodes/{nodes.label}.csv")
        for rels in model.relationships:
            table = to_arrow(rels, rels.frame).append_column(":TYPE", pa.array([rels.type] * len(rels.frame),
                                                                               pa.large_string()))
            written += self._pair(out, f"relationships/{rels.name}", relationship_header(rels), table, rels,
                                  "relationships", rels.name)
            rel_args.append(f"--relationships=relationships/{rels.name}.header.csv,relationships/{rels.name}.csv")
        (root / "import.sh").write_text(import_script(node_args + rel_args), encoding="utf-8")
        (root / "import.sh").chmod(0o755)
        (root / "constraints.cypher").write_text(constraints_script(model.labels()), encoding="utf-8")
        written.append(WrittenFile.of(out, f"{FOLDER}/import.sh", "script", "import", None))
        written.append(WrittenFile.of(out, f"{FOLDER}/constraints.cypher", "script", "constraints", None))
        return written

    def _pair(self, out: Path, stem: str, header: list[str], table: pa.Table, spec, kind: str, name: str):
        """The header file (one line) and the data file (no header line) of one node or relationship set."""
        (Path(out) / FOLDER / f"{stem}.header.csv").write_text(",".join(header) + "\n", encoding="utf-8")
        write_csv_rows(as_text(spec, table), Path(out) / FOLDER / f"{stem}.csv")
        return [WrittenFile.of(out, f"{FOLDER}/{stem}.header.csv", "header", name, None),
                WrittenFile.of(out, f"{FOLDER}/{stem}.csv", kind, name, table.num_rows)]


def write_csv_rows(table: pa.Table, path: Path) -> None:
    """Rows of ``table`` as CSV without a header line, quoted where needed."""
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed", delimiter=",")
    with pacsv.CSVWriter(str(path), table.schema, write_options=options) as writer:
        writer.write_table(table)


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
