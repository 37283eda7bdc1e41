"""Live load over Bolt: our loader against the plainest possible driver script, same rows, same server.

Builds a world (not timed), then loads its graph into fresh databases, taking
turns: ``fraudgraph``'s :class:`~fraudgraph.exporters.bolt.BoltLoader`, and a
bare driver script that runs ``UNWIND $rows AS row CREATE (n:Label) SET n = row``
(and ``MATCH``/``MATCH``/``CREATE`` for relationships) over rows it prepared
before its clock started. Both create the same uniqueness constraints first and
use the same batch size. Prints nodes/s and relationships/s of each, the ratio,
and the CPU seconds of the client and (for the server it starts) the server.

Without ``--uri`` it starts ArcadeDB's Bolt server from ``arcadedb-embedded``
(as the tests do); with ``--uri`` it loads into that server's ``--database``
(emptied before each run, so give it a scratch database).

    python benchmarks/neo4j_load.py --persons 100000
    python benchmarks/neo4j_load.py --persons 100000 --uri bolt://localhost:7687 --password secret
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch-size", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=1, help="Runs of each loader (they take turns going first).")
    parser.add_argument("--uri", help="A running Bolt server (default: start ArcadeDB).")
    parser.add_argument("--user", default=os.environ.get("NEO4J_USER", "neo4j"))
    parser.add_argument("--password", default=os.environ.get("NEO4J_PASSWORD"))
    parser.add_argument("--database", default=os.environ.get("NEO4J_DATABASE"))
    parser.add_argument("--heap", default="4g", help="JVM heap of the ArcadeDB server it starts.")
    args = parser.parse_args()

    from fraudgraph.exporters.bolt import node_rows, relationship_rows

    import fraudgraph
    from fraudgraph.graphdb import graph_model

    started = time.perf_counter()
    ds = fraudgraph.generate("default", seed=args.seed, persons=args.persons, days=args.days)
    model = graph_model(ds.graph, ds.truth)
    counts = model.counts()
    n_nodes, n_rels = sum(counts["nodes"].values()), sum(counts["relationships"].values())
    print(f"world: {args.persons:,} persons -> {n_nodes:,} nodes, {n_rels:,} relationships "
          f"(built in {time.perf_counter() - started:.0f} s)", flush=True)
    # the bare script's rows, ready before its clock starts (its best case)
    bare_rows = [(f"UNWIND $rows AS row CREATE (n:{n.label}) SET n = row", _pylist(node_rows(n)), True)
                 for n in model.nodes]
    bare_rows += [(f"UNWIND $rows AS row MATCH (a:{r.src} {{id: row.src}}) MATCH (b:{r.dst} {{id: row.dst}}) "
                   f"CREATE (a)-[x:{r.type}]->(b) SET x = row.props", _pylist(relationship_rows(r)), False)
                  for r in model.relationships]

    with _server(args) as (server, fresh_database):
        runs = {"fraudgraph": [], "bare driver": []}
        for i in range(args.repeat):
            for name in (list(runs) if i % 2 == 0 else list(runs)[::-1]):  # take turns at going first
                database = fresh_database()
                cpu, server_cpu = time.process_time(), _server_cpu(server)
                if name == "fraudgraph":
                    node_s, rel_s = _ours(server, database, model, args.batch_size)
                else:
                    node_s, rel_s = _bare(server, database, model.labels(), bare_rows, args.batch_size)
                run = {"node_s": node_s, "rel_s": rel_s, "cpu": time.process_time() - cpu,
                       "server_cpu": _server_cpu(server) - server_cpu}
                runs[name].append(run)
                print(f"run {i + 1} {name:<11}  {n_nodes / node_s:>9,.0f} nodes/s  {n_rels / rel_s:>9,.0f} rels/s  "
                      f"{(n_nodes + n_rels) / (node_s + rel_s):>9,.0f} rows/s  client CPU {run['cpu']:.0f} s"
                      + (f"  server CPU {run['server_cpu']:.0f} s" if run["server_cpu"] is not None else ""),
                      flush=True)
    med = {name: {k: statistics.median(r[k] for r in rs) for k in ("node_s", "rel_s")} for name, rs in runs.items()}
    ours, bare = med["fraudgraph"], med["bare driver"]
    print(f"median over {args.repeat} run(s), batch {args.batch_size:,}: fraudgraph / bare driver = "
          f"{bare['node_s'] / ours['node_s']:.2f} (nodes/s), {bare['rel_s'] / ours['rel_s']:.2f} (relationships/s), "
          f"{(bare['node_s'] + bare['rel_s']) / (ours['node_s'] + ours['rel_s']):.2f} (all rows/s)")


def _pylist(table) -> list[dict]:
    from fraudgraph.exporters.bolt import batches

    return [row for batch in batches(table, 100_000) for row in batch]


def _ours(server, database, model, batch_size) -> tuple[float, float]:
    """Seconds spent on the nodes (constraints included) and on the relationships."""
    from fraudgraph.exporters.bolt import BoltLoader, Target

    labels = set(model.labels())
    marks = {}

    def progress(what, rows):
        marks["nodes" if what in labels else "rels"] = time.perf_counter()

    loader = BoltLoader(Target(server.uri, server.user, server.password, database), batch_size=batch_size,
                        progress=progress)
    started = time.perf_counter()
    loader.load(model)
    return marks["nodes"] - started, marks["rels"] - marks["nodes"]


def _bare(server, database, labels, rows, batch_size) -> tuple[float, float]:
    from neo4j import GraphDatabase

    with GraphDatabase.driver(server.uri, auth=(server.user, server.password)) as driver, \
            driver.session(database=database) as session:
        started, nodes = time.perf_counter(), None
        for label in labels:
            session.run(f"CREATE CONSTRAINT {label.lower()}_id IF NOT EXISTS FOR (n:{label}) "
                        f"REQUIRE n.id IS UNIQUE").consume()
        for statement, data, is_node in rows:
            if not is_node and nodes is None:
                nodes = time.perf_counter()
            for start in range(0, len(data), batch_size):
                session.run(statement, rows=data[start:start + batch_size]).consume()
        return nodes - started, time.perf_counter() - nodes


class _server:
    """The server to load into, and a way to get a fresh, empty database on it."""

    def __init__(self, args):
        self.args, self.tmp, self.process = args, None, None

    def __enter__(self):
        from types import SimpleNamespace

        args = self.args
        if args.uri:
            if not args.password:
                sys.exit("--password (or NEO4J_PASSWORD) is needed with --uri")
            server = SimpleNamespace(uri=args.uri, user=args.user, password=args.password, process=None)
            return server, lambda: self._emptied(server, args.database)
        sys.path.insert(0, str(ROOT / "tests"))
        from servers.bolt import start

        self.tmp = tempfile.TemporaryDirectory(prefix="fraudgraph-bench-")
        self.server = start(Path(self.tmp.name), heap=args.heap)
        print(f"server: ArcadeDB {self.server.uri} (heap {args.heap})", flush=True)
        return self.server, lambda: self.server.create_database("bench")

    def __exit__(self, *exc):
        if self.tmp is not None:
            from servers.bolt import stop

            stop(self.server)
            self.tmp.cleanup()

    @staticmethod
    def _emptied(server, database):
        from neo4j import GraphDatabase

        with GraphDatabase.driver(server.uri, auth=(server.user, server.password)) as driver, \
                driver.session(database=database) as session:
            session.run("MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
        return database


def _server_cpu(server) -> float | None:
    """CPU seconds the server process has used (user + system), for a server this script started."""
    process = getattr(server, "process", None)
    if process is None:
        return None
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
