"""Live load over Bolt into a real server (ArcadeDB's Bolt plugin, started by the tests on loopback ports)."""

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from clirun import cli, one_line_exit_2

import fraudgraph
from fraudgraph.graphdb import graph_model

TRICKY = "O'Brien\"}) DETACH DELETE n //"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A fraud-heavy world with a name made of Cypher, written as Parquet."""
    ds = fraudgraph.generate("fraud_heavy", seed=4, persons=1500, days=45)
    people = ds.graph.nodes["Person"]
    people.loc[people.index[0], "name"] = TRICKY
    out = tmp_path_factory.mktemp("bolt") / "ds"
    ds.write(out, formats=["parquet"], streams=[])
    return out, ds


def connect(server, database):
    driver = server.driver()
    return driver, driver.session(database=database)


def counts(server, database) -> dict:
    driver, session = connect(server, database)
    with driver, session:
        nodes = {r["label"]: r["c"] for r in session.run("MATCH (n) RETURN labels(n)[0] AS label, count(*) AS c")}
        rels = {r["t"]: r["c"] for r in session.run("MATCH ()-[r]->() RETURN type(r) AS t, count(*) AS c")}
    return {"nodes": nodes, "relationships": rels}


def expected_counts(ds, blind=False) -> dict:
    """What the server should count (a label or type without rows is not there at all)."""
    model = graph_model(ds.graph, None if blind else ds.truth, blind=blind).counts()
    return {kind: {k: v for k, v in c.items() if v} for kind, c in model.items()}


def load(server, folder, database, *extra):
    return cli("load", "neo4j", folder, "--uri", server.uri, "--user", server.user, "--password", server.password,
               "--database", database, *extra)


@pytest.fixture(scope="module")
def loaded(written, bolt_server):
    folder, _ = written
    database = bolt_server.create_database("load")
    code, out, err = load(bolt_server, folder, database, "--batch-size", "2000")
    assert code == 0, err
    return database, out


def test_counts_by_label_and_type_equal_the_dataset(loaded, written, bolt_server):
    database, out = loaded
    folder, ds = written
    expected = expected_counts(ds)
    assert counts(bolt_server, database) == expected
    manifest = json.loads((folder / "manifest.json").read_text())
    for label, n in manifest["counts"]["nodes"].items():
        assert expected["nodes"][label] == n
    assert expected["nodes"]["Pattern"] == manifest["counts"]["truth"]["patterns"]
    assert "in database" in out and "mode create" in out


def test_the_pattern_subgraph_holds_every_instance(loaded, written, bolt_server):
    database, _ = loaded
    _, ds = written
    driver, session = connect(bolt_server, database)
    with driver, session:
        members = {r["id"]: r["n"] for r in session.run(
            "MATCH (p:Pattern) OPTIONAL MATCH (m)-[:IN_PATTERN]->(p) RETURN p.id AS id, count(m) AS n")}
        fraud = session.run("MATCH (p:Pattern {is_fraud: true}) RETURN count(p) AS c").single()["c"]
        flagged = session.run("MATCH ()-[r:TRANSFERS_TO {is_fraud: true}]->() RETURN count(r) AS c").single()["c"]
    patterns = ds.truth.patterns
    assert members == dict(zip(patterns["pattern_id"], patterns["n_members"]))
    assert fraud == int(patterns["is_fraud"].sum())
    edge_labels = ds.truth.edge_labels
    used = edge_labels[(edge_labels["edge_type"] == "Account_TRANSFERS_TO_Account") & edge_labels["is_fraud"]]
    assert flagged == len(used.drop_duplicates(["src", "dst"])) > 0


def test_values_keep_their_types_and_a_name_stays_a_name(loaded, written, bolt_server):
    database, _ = loaded
    _, ds = written
    person = ds.graph.nodes["Person"].iloc[0]
    driver, session = connect(bolt_server, database)
    with driver, session:
        row = session.run("MATCH (p:Person {id: $id}) RETURN p.name AS name, p.created_at AS t, p.date_of_birth AS d",
                          id=person["id"]).single()
        account = session.run("MATCH (a:Account) RETURN a.opening_balance AS b, a.opened_at AS t LIMIT 1").single()
        people = session.run("MATCH (p:Person) RETURN count(p) AS c").single()["c"]
    assert row["name"] == TRICKY and people == len(ds.graph.nodes["Person"])
    # ArcadeDB returns a zoned datetime without its zone; Neo4j keeps UTC: compare the instant
    assert row["t"].to_native().replace(tzinfo=None) == person["created_at"].to_pydatetime()
    assert row["d"].to_native() == person["date_of_birth"].date()
    assert isinstance(account["b"], float)


def test_merge_again_changes_nothing(loaded, written, bolt_server):
    database, _ = loaded
    folder, _ = written
    before = counts(bolt_server, database)
    code, out, err = load(bolt_server, folder, database, "--mode", "merge", "--batch-size", "2000")
    assert code == 0, err
    assert counts(bolt_server, database) == before


def test_create_refuses_a_database_with_data_and_wipe_starts_over(loaded, written, bolt_server):
    database, _ = loaded
    folder, _ = written
    code, _, err = load(bolt_server, folder, database)
    one_line_exit_2(code, err, "already holds data", "--mode merge", "--wipe", database)
    before = counts(bolt_server, database)
    code, _, err = load(bolt_server, folder, database, "--wipe", "--batch-size", "2000")
    assert code == 0, err
    assert counts(bolt_server, database) == before


def test_a_killed_load_is_finished_by_merge(written, bolt_server, tmp_path):
    folder, ds = written
    database = bolt_server.create_database("killed")
    expected = expected_counts(ds)
    command = [sys.executable, "-m", "fraudgraph", "load", "neo4j", str(folder), "--uri", bolt_server.uri,
               "--user", bolt_server.user, "--database", database, "--batch-size", "300"]
    process = subprocess.Popen(command, env={**os.environ, "NEO4J_PASSWORD": bolt_server.password},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # kill it once relationships are arriving
        if counts(bolt_server, database)["relationships"]:
            break
        time.sleep(0.3)
    process.send_signal(signal.SIGKILL)
    process.wait()
    partial = counts(bolt_server, database)
    assert partial != expected and partial["relationships"]
    code, _, err = load(bolt_server, folder, database, "--mode", "merge", "--batch-size", "2000")
    assert code == 0, err
    assert counts(bolt_server, database) == expected
    driver, session = connect(bolt_server, database)
    with driver, session:
        twice = session.run("MATCH (n:Account) WITH n.id AS id, count(*) AS c WHERE c > 1 RETURN count(*) AS c")
        assert twice.single()["c"] == 0


def test_blind_leaves_no_truth(written, bolt_server):
    folder, ds = written
    database = bolt_server.create_database("blind")
    code, out, err = load(bolt_server, folder, database, "--blind", "--batch-size", "2000")
    assert code == 0, err
    got = counts(bolt_server, database)
    assert "Pattern" not in got["nodes"] and "IN_PATTERN" not in got["relationships"]
    assert got == expected_counts(ds, blind=True)
    driver, session = connect(bolt_server, database)
    with driver, session:
        flagged = session.run("MATCH ()-[r]->() WHERE r.is_fraud IS NOT NULL RETURN count(r) AS c").single()["c"]
        labelled = session.run("MATCH (n) WHERE n.is_fraud IS NOT NULL OR n.fraud_type IS NOT NULL "
                               "RETURN count(n) AS c").single()["c"]
    assert flagged == 0 and labelled == 0


def test_generate_and_load_in_one_go(bolt_server, tmp_path):
    database = bolt_server.create_database("oneshot")
    env = {"NEO4J_USER": bolt_server.user, "NEO4J_PASSWORD": bolt_server.password, "NEO4J_DATABASE": database}
    code, out, err = cli("generate", "--scenario", "demo", "--persons", "150", "--days", "4", "--format",
                         "parquet,neo4j-admin", "--streams", "transactions", "--graph-events", "nodes", "--blind",
                         "--out", tmp_path / "ds", "--neo4j", bolt_server.uri, env=env)
    assert code == 0, err
    ds = fraudgraph.read_dataset(tmp_path / "ds")
    expected = expected_counts(ds, blind=True)
    got = counts(bolt_server, database)
    started = json.loads((tmp_path / "ds" / "manifest.json").read_text())["counts"]["events"]["transaction-initiated"]
    assert got["nodes"].pop("Transaction") == started > 0 and got["relationships"].pop("PERFORMS") > 0
    for rel in ("BENEFITS_TO", "NEXT"):
        got["relationships"].pop(rel)
    got["relationships"].pop("RETURNED", None)   # an event relationship too, when a payment came back
    assert got == expected
    assert "wrote" in out and "loaded" in out
    rows = (tmp_path / "ds" / "neo4j-admin" / "nodes" / "Transaction.csv").read_text().count("\n")
    assert rows == started


def test_generate_refuses_to_load_events_it_cannot_read_back(bolt_server, tmp_path):
    env = {"NEO4J_PASSWORD": bolt_server.password}
    code, _, err = cli("generate", "--scenario", "demo", "--persons", "50", "--format", "neo4j-admin",
                       "--out", tmp_path / "ds", "--neo4j", bolt_server.uri, env=env)
    one_line_exit_2(code, err, "--format neo4j-admin", "--graph-events none")
    assert not (tmp_path / "ds").exists()


@pytest.mark.parametrize("change, needles", [
    ({"--password": "not-the-password"}, ["refused user 'root'", "wrong user or password"]),
    ({"--uri": "bolt://127.0.0.1:{closed}"}, ["cannot reach a Bolt server at bolt://127.0.0.1:", "Connection refused"]),
    ({"--database": "no_such_database"}, ["has no database 'no_such_database'"]),
    ({"--uri": "http://127.0.0.1:7474"}, ["'http://127.0.0.1:7474' is not a Bolt URI"]),
    ({"--batch-size": "0"}, ["'batch_size'", "0"]),
    ({"--mode": "upsert"}, ["--mode", "upsert"]),
], ids=["password", "port", "database", "scheme", "batch", "mode"])
def test_bad_servers_and_options_are_one_line_and_exit_2(written, bolt_server, change, needles):
    from servers.process import free_port

    folder, _ = written
    options = {"--uri": bolt_server.uri, "--user": bolt_server.user, "--password": bolt_server.password,
               "--database": "fraudgraph"}
    options.update({k: v.format(closed=free_port()) for k, v in change.items()})
    code, _, err = cli("load", "neo4j", folder, *[x for kv in options.items() for x in kv])
    one_line_exit_2(code, err, *needles)


def test_a_missing_password_or_dataset_is_one_line(written, bolt_server, tmp_path):
    folder, _ = written
    code, _, err = cli("load", "neo4j", folder, "--uri", bolt_server.uri, env={"NEO4J_PASSWORD": ""})
    one_line_exit_2(code, err, "NEO4J_PASSWORD")
    code, _, err = cli("load", "neo4j", tmp_path / "nothing", "--uri", bolt_server.uri, "--user", bolt_server.user,
                       "--password", bolt_server.password, "--database", "fraudgraph")
    one_line_exit_2(code, err, "nothing")


def test_a_generate_that_cannot_load_fails_before_generating(bolt_server, tmp_path):
    from servers.process import free_port

    code, _, err = cli("generate", "--scenario", "demo", "--out", tmp_path / "ds", "--neo4j",
                       f"bolt://127.0.0.1:{free_port()}", env={"NEO4J_PASSWORD": "x"})
    one_line_exit_2(code, err, "cannot reach")
    assert not (tmp_path / "ds").exists()


def verify(server, folder, database, *extra):
    return cli("verify", "neo4j", folder, "--uri", server.uri, "--user", server.user, "--password", server.password,
               "--database", database, *extra)


def test_verify_agrees_after_a_load(loaded, written, bolt_server):
    database, _ = loaded
    folder, _ = written
    code, out, err = verify(bolt_server, folder, database)
    assert code == 0, out + err
    lines = out.strip().splitlines()
    assert "DIFFERS" not in out and lines[-1].startswith(f"{len(lines) - 1} of {len(lines) - 1} checks agree")
    assert any("sampled :Person nodes" in line for line in lines)
    assert any("uniqueness constraints" in line for line in lines)


def test_verify_finds_every_kind_of_difference(written, bolt_server):
    folder, ds = written
    database = bolt_server.create_database("tampered")
    assert load(bolt_server, folder, database, "--batch-size", "2000")[0] == 0
    first = ds.graph.nodes["Person"].iloc[0]["id"]
    account = ds.graph.nodes["Account"].iloc[0]["id"]
    driver, session = connect(bolt_server, database)
    with driver, session:
        session.run("MATCH (p:Person {id: $id}) SET p.name = 'someone else'", id=first).consume()
        session.run("MATCH (a:Account {id: $id}) SET a.opened_at = '2020-01-01'", id=account).consume()
        session.run("MATCH ()-[r:KNOWS]->() WITH r LIMIT 1 DELETE r").consume()
        session.run("MATCH (p:Pattern) WITH p LIMIT 1 MATCH (m)-[r:IN_PATTERN]->(p) WITH r LIMIT 1 DELETE r").consume()
    code, out, err = verify(bolt_server, folder, database)
    assert code == 1, out + err
    differs = [line for line in out.splitlines() if "DIFFERS" in line]
    assert any("relationships :KNOWS" in line for line in differs)
    assert any("sampled :Person nodes" in line and first in line for line in differs)
    assert any("sampled :Account nodes" in line and account in line for line in differs)
    assert any("Pattern nodes with all their members" in line for line in differs)


def test_verify_a_blind_database(written, bolt_server):
    folder, _ = written
    database = bolt_server.create_database("vblind")
    assert load(bolt_server, folder, database, "--blind", "--batch-size", "2000")[0] == 0
    assert verify(bolt_server, folder, database, "--blind")[0] == 0
    code, out, _ = verify(bolt_server, folder, database)
    assert code == 1 and "nodes :Pattern" in out


# -- events in the graph ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def with_events(event_world, tmp_path_factory):
    """A small world with its transactions and sessions written as CSV (text read back), in several parts."""
    out = tmp_path_factory.mktemp("bolt-events") / "ds"
    rows = event_world.scenario.events.part_rows
    try:
        event_world.scenario.events.part_rows = 4_000  # the truth's parts do not line up with the events'
        event_world.write(out, formats=["csv"], streams=["transactions", "sessions"])
    finally:
        event_world.scenario.events.part_rows = rows
    assert len(list((out / "events").glob("part-*.csv"))) > len(list((out / "truth" / "events").glob("part-*.csv")))
    return out


def test_events_as_relationships(with_events, bolt_server, payloads, fraud_transactions):
    database = bolt_server.create_database("evrel")
    code, out, err = load(bolt_server, with_events, database, "--events", "relationships")
    assert code == 0, err
    started = payloads(with_events, "transaction-initiated")
    both = [p for p in started if p["account_id"] and p["counterparty_account_id"]]
    got = counts(bolt_server, database)["relationships"]
    assert got["TRANSFERRED"] == len(both) > 0
    assert got["LOGGED_IN"] == len(payloads(with_events, "login-attempt")) > 0
    outcome = {p["transaction_id"]: "completed" for p in payloads(with_events, "transaction-completed")}
    outcome.update({p["transaction_id"]: "failed" for p in payloads(with_events, "transaction-failed")})
    driver, session = connect(bolt_server, database)
    with driver, session:
        rows = {r["id"]: r for r in session.run(
            "MATCH (a:Account)-[t:TRANSFERRED]->(b:Account) RETURN t.transaction_id AS id, a.id AS a, b.id AS b, "
            "t.amount AS amount, t.status AS status, t.is_fraud AS fraud")}
        frauds = {r["id"] for r in session.run("MATCH ()-[t:TRANSFERRED {is_fraud: true}]->() "
                                                "RETURN t.transaction_id AS id")}
    for p in both:
        row = rows[p["transaction_id"]]
        assert (row["a"], row["b"]) == (p["account_id"], p["counterparty_account_id"])
        assert row["amount"] == float(p["amount"]) and row["status"] == outcome.get(p["transaction_id"], "pending")
    assert frauds == fraud_transactions(with_events) & {p["transaction_id"] for p in both} and frauds
    code, out, err = verify(bolt_server, with_events, database)
    assert code == 0, out
    code, _, err = load(bolt_server, with_events, database, "--mode", "merge")
    assert code == 0, err
    assert counts(bolt_server, database)["relationships"] == got


def test_events_as_nodes_with_each_accounts_history_chained(with_events, bolt_server, payloads):
    database = bolt_server.create_database("evnodes")
    code, out, err = load(bolt_server, with_events, database, "--events", "nodes")
    assert code == 0, err
    started = payloads(with_events, "transaction-initiated")
    performed = [p for p in started if p["account_id"]]
    per_account = pd.Series([p["account_id"] for p in performed]).value_counts()
    got = counts(bolt_server, database)
    assert got["nodes"]["Transaction"] == len(started)
    assert got["nodes"]["Session"] == len(payloads(with_events, "session-started"))
    assert got["relationships"]["PERFORMS"] == len(performed)
    assert got["relationships"]["BENEFITS_TO"] == sum(1 for p in started if p["counterparty_account_id"])
    assert got["relationships"]["NEXT"] == int((per_account - 1).sum())
    driver, session = connect(bolt_server, database)
    with driver, session:
        backwards = session.run("MATCH (a:Transaction)-[:NEXT]->(b:Transaction) WHERE b.at < a.at "
                                "RETURN count(*) AS c").single()["c"]
        forks = session.run("MATCH (a:Transaction)-[:NEXT]->(b:Transaction) WITH a, count(b) AS n WHERE n > 1 "
                            "RETURN count(a) AS c").single()["c"]
        foreign = session.run("MATCH (x:Account)-[:PERFORMS]->(a:Transaction)-[:NEXT]->(b:Transaction)"
                              "<-[:PERFORMS]-(y:Account) WHERE x <> y RETURN count(*) AS c").single()["c"]
        sessions = session.run("MATCH (p:Person)-[:STARTED]->(s:Session)-[:FROM]->(d:Device) "
                               "RETURN count(s) AS c").single()["c"]
    assert backwards == forks == foreign == 0
    assert sessions == got["nodes"]["Session"]
    assert verify(bolt_server, with_events, database, "--events", "nodes")[0] == 0


def test_blind_events_carry_no_truth(with_events, bolt_server):
    database = bolt_server.create_database("evblind")
    assert load(bolt_server, with_events, database, "--events", "nodes", "--blind")[0] == 0
    driver, session = connect(bolt_server, database)
    with driver, session:
        flagged = session.run("MATCH (n) WHERE n.is_fraud IS NOT NULL RETURN count(n) AS c").single()["c"]
    assert flagged == 0
    assert verify(bolt_server, with_events, database, "--events", "nodes", "--blind")[0] == 0
