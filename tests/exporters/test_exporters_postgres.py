"""Loading a written dataset into a real PostgreSQL (a throwaway cluster of Debian's server)."""
import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal

import psycopg
import pyarrow.parquet as pq
import pytest
from clirun import cli, one_line_exit_2

import fraudgraph
from fraudgraph import schema, truth
from fraudgraph.loading import postgres_load


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("pg") / "world"
    fraudgraph.generate("fraud_heavy", seed=4, persons=1500, days=12).write(out, formats=["csv", "parquet"])
    return out


@pytest.fixture(scope="module")
def loaded(dataset, postgres_server):
    counts = postgres_load(dataset, postgres_server.dsn(), "world")
    return counts, json.loads((dataset / "manifest.json").read_text())


def query(server, sql, *params):
    with psycopg.connect(server.dsn()) as conn:
        return conn.execute(sql, params or None).fetchall()


def test_row_counts_equal_the_manifest(loaded, postgres_server):
    counts, manifest = loaded
    for label, n in manifest["counts"]["nodes"].items():
        assert counts[label] == n and query(postgres_server, f'SELECT count(*) FROM world."{label}"')[0][0] == n
    for stem, n in manifest["counts"]["edges"].items():
        assert counts[stem] == n
    for name, n in manifest["counts"]["truth"].items():
        assert counts[f"truth_{name}"] == n
    per_family = {}
    for event_type, n in manifest["counts"]["events"].items():
        family = schema.EVENT_TYPES[event_type].family
        per_family[family] = per_family.get(family, 0) + n
    assert {f"events_{f}": n for f, n in per_family.items()} == {k: v for k, v in counts.items() if k.startswith("events_")}
    assert counts["event_truth"] > 0 and counts["features_transactions"] > 0
    assert len(counts) == len(schema.NODE_TYPES) + len(schema.EDGE_TYPES) + len(truth.TABLES) + len(per_family) + 2


def test_keys_foreign_keys_and_indexes(loaded, postgres_server):
    constraints = query(postgres_server, "SELECT table_name, constraint_type, count(*) FROM "
                        "information_schema.table_constraints WHERE table_schema = 'world' "
                        "AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY') GROUP BY 1, 2")
    kinds = {(t, k): n for t, k, n in constraints}
    for label in schema.NODE_TYPES:
        assert kinds[(label, "PRIMARY KEY")] == 1
    for edge in schema.EDGE_TYPES.values():
        assert kinds[(edge.file_stem, "FOREIGN KEY")] == 2
    assert kinds[("events_transactions", "PRIMARY KEY")] == 1
    indexed = {(t, d) for t, d in query(postgres_server, "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'world'")}
    assert any(t == "events_transactions" and "(\"timestamp\")" in d for t, d in indexed)
    assert any(t == "events_transactions" and "(account_id)" in d for t, d in indexed)
    # the foreign keys hold: no edge without its end nodes (the server checked them on COPY, and still does)
    orphans = query(postgres_server, 'SELECT count(*) FROM world."Person_OWNS_Account" e LEFT JOIN world."Account" a '
                    "ON a.id = e.dst WHERE a.id IS NULL")
    assert orphans == [(0,)]


def test_columns_are_typed_and_values_equal_the_files(loaded, dataset, postgres_server):
    types = dict(query(postgres_server, "SELECT column_name, data_type FROM information_schema.columns WHERE "
                       "table_schema = 'world' AND table_name = 'events_transactions'"))
    assert types["amount"] == "numeric" and types["timestamp"] == "timestamp with time zone"
    assert types["retry_eligible"] == "boolean" and types["geo_location_latitude"] == "double precision"
    total = query(postgres_server, "SELECT sum(amount) FROM world.events_transactions "
                  "WHERE event_type = 'transaction-initiated'")[0][0]
    want = Decimal(0)
    for part in sorted((dataset / "events").glob("part-*.parquet")):
        t = pq.read_table(part, columns=["event_type", "payload"])
        want += sum(Decimal(json.loads(p)["amount"]) for e, p in zip(t["event_type"].to_pylist(), t["payload"].to_pylist())
                    if e == "transaction-initiated")
    assert total == want
    person = query(postgres_server, 'SELECT id, created_at FROM world."Person" ORDER BY id LIMIT 1')[0]
    assert person[1].tzinfo is not None


def test_create_refuses_an_existing_schema_and_replace_swaps_it(loaded, dataset, postgres_server):
    code, _, err = cli("load", "postgres", dataset, "--dsn", postgres_server.dsn(), "--schema", "world")
    one_line_exit_2(code, err, "'world' already exists", "--mode replace")
    before = query(postgres_server, "SELECT count(*) FROM world.events_sessions")[0][0]
    code, out, err = cli("load", "postgres", dataset, "--dsn", postgres_server.dsn(), "--schema", "world",
                         "--mode", "replace")
    assert code == 0, err
    assert "rows into" in out
    assert query(postgres_server, "SELECT count(*) FROM world.events_sessions")[0][0] == before
    assert query(postgres_server, "SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE "
                 "'world%'") == [(1,)]  # no staging schema left


def test_append_adds_another_world_and_refuses_the_same_one_whole(tmp_path, postgres_server):
    first, second = tmp_path / "a", tmp_path / "b"
    fraudgraph.generate("demo", seed=1, persons=200, days=3).write(first, formats="parquet")
    fraudgraph.generate("demo", seed=2, persons=200, days=3).write(second, formats="parquet")
    a = postgres_load(first, postgres_server.dsn(), "appended")
    b = postgres_load(second, postgres_server.dsn(), "appended", mode="append")
    assert b["Person"] > a["Person"]
    code, _, err = cli("load", "postgres", second, "--dsn", postgres_server.dsn(), "--schema", "appended",
                       "--mode", "append")
    one_line_exit_2(code, err, "refused the load")   # its keys are there already: the table's transaction rolls back
    assert query(postgres_server, 'SELECT count(*) FROM appended."Person"')[0][0] == b["Person"]


def test_csv_datasets_load_the_same(dataset, postgres_server, tmp_path):
    import shutil

    only_csv = tmp_path / "csvonly"
    shutil.copytree(dataset, only_csv)
    manifest = json.loads((only_csv / "manifest.json").read_text())
    manifest["files"] = [f for f in manifest["files"] if f["format"] != "parquet"]
    for path in only_csv.rglob("*.parquet"):
        path.unlink()
    (only_csv / "manifest.json").write_text(json.dumps(manifest))
    counts = postgres_load(only_csv, postgres_server.dsn(), "world_csv")
    parquet = postgres_load(dataset, postgres_server.dsn(), "world_pq")
    assert counts == parquet
    same = query(postgres_server, "SELECT count(*) FROM (SELECT * FROM world_csv.events_transactions EXCEPT "
                 "SELECT * FROM world_pq.events_transactions) d")
    assert same == [(0,)]


def test_wrong_password_and_unreachable_server_are_one_line(dataset, postgres_server):
    from servers.process import free_port

    code, _, err = cli("load", "postgres", dataset, "--dsn", postgres_server.dsn(password="not-it"))
    one_line_exit_2(code, err, "cannot connect to PostgreSQL", "postgres:***@")
    assert "not-it" not in err
    code, _, err = cli("load", "postgres", dataset, "--dsn", f"postgresql://postgres@127.0.0.1:{free_port()}/x")
    one_line_exit_2(code, err, "cannot connect to PostgreSQL")
    code, _, err = cli("load", "postgres", dataset, "--dsn", postgres_server.dsn(), "--schema", "Bad-Name")
    one_line_exit_2(code, err, "--schema", "Bad-Name")


def test_a_killed_load_publishes_nothing(postgres_server, tmp_path):
    out = tmp_path / "big"
    fraudgraph.generate("default", seed=9, persons=6000, days=20).write(out, formats="parquet")
    process = subprocess.Popen([sys.executable, "-m", "fraudgraph", "load", "postgres", str(out), "--dsn",
                                postgres_server.dsn(), "--schema", "killed"], stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONWARNINGS": "ignore"})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # kill it once it is loading the events
        if query(postgres_server, "SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                 "'killed__loading' AND table_name LIKE 'events_%'")[0][0]:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert query(postgres_server, "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'killed'") == [(0,)]
    counts = postgres_load(out, postgres_server.dsn(), "killed")   # the next load clears what was left
    assert counts["Person"] > 6000
    assert query(postgres_server, "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE "
                 "'killed%'") == [("killed",)]


def test_the_readme_query_runs(loaded, postgres_server):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### Loading into PostgreSQL", 1)[1].split("\n## ", 1)[0]
    sql = section.split("```sql\n", 1)[1].split("```", 1)[0]
    rows = query(postgres_server, sql)
    assert all(payers > 5 for _, _, payers in rows)


def test_generate_also_loads(postgres_server, tmp_path):
    out = tmp_path / "fresh_world"
    code, stdout, err = cli("generate", "--scenario", "demo", "--seed", "5", "--persons", "200", "--days", "3",
                            "--format", "parquet", "--postgres", postgres_server.dsn(), "--out", out)
    assert code == 0, err
    manifest = json.loads((out / "manifest.json").read_text())
    assert "schema 'fresh_world'" in stdout
    assert query(postgres_server, 'SELECT count(*) FROM fresh_world."Person"')[0][0] == manifest["counts"]["nodes"]["Person"]
    (tmp_path / "other").mkdir()
    code, _, err = cli("generate", "--scenario", "demo", "--persons", "100", "--days", "2", "--format", "parquet",
                       "--postgres", postgres_server.dsn(), "--out", tmp_path / "other" / "fresh_world")
    one_line_exit_2(code, err, "'fresh_world' already exists")   # refused before any work
    assert not (tmp_path / "other" / "fresh_world").exists()
