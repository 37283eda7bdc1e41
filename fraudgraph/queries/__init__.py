"""The Cypher investigation pack: one query per typology and a set of general ones (see :mod:`.pack`).

Written for Neo4j 5 and for the Bolt test server, on a database loaded with
``fraudgraph load neo4j DIR --events nodes`` (Neo4j's published transaction
model: every movement, cash and fees included, is a ``Transaction`` node, and
sessions carry their device and IP). :mod:`.scoring` runs the detectors and
scores them against a dataset's truth.
"""

from __future__ import annotations

from pathlib import Path

from fraudgraph.queries.pack import COLUMNS, Parameter, Query, load_pack, parse, query

#: Folder of a written dataset that holds a copy of the pack.
FOLDER = "queries"

__all__ = ["COLUMNS", "FOLDER", "Parameter", "Query", "copy_pack", "load_pack", "parse", "query"]


def copy_pack(root: Path) -> list[str]:
    """Copy every query file into ``root/queries/``; the paths written, relative to ``root``, sorted."""
    target = Path(root) / FOLDER
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for q in load_pack():
        source = Path(__file__).with_name(q.file)
        (target / q.file).write_bytes(source.read_bytes())
        written.append(f"{FOLDER}/{q.file}")
    return sorted(written)
