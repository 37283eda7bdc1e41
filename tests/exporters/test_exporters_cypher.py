"""The Cypher script: constraints, then batched UNWIND statements of literal rows, run on a real Bolt server."""

import json

import pandas as pd
import pytest
from fraudgraph.exporters import get_exporter
from fraudgraph.exporters.cypher import BATCH_ROWS

import fraudgraph
from fraudgraph.graphdb import graph_model

TRICKY = ["O'Brien\"}) DETACH DELETE n //", "back\\slash \\' and \\n", "Smith, John; DROP", "Line\nbreak\r\n\ttab",
          "Zoë Ångström-Łukasz 李", "", "end"]


@pytest.fixture(scope="module")
def dataset():
    ds = fraudgraph.generate("demo", seed=5, persons=200, days=30)
    people = ds.graph.nodes["Person"]
    people.loc[people.index[: len(TRICKY)], "name"] = TRICKY
    return ds


@pytest.fixture(scope="module")
def script(dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("cypher")
    written = get_exporter("cypher").write(dataset, out, batch_rows=97)
    assert [f.path for f in written] == ["cypher/load.cypher"]
    return (out / "cypher" / "load.cypher").read_text(encoding="utf-8")


def statements(text: str) -> list[str]:
    """The script's statements as cypher-shell runs them (every literal line break is escaped)."""
    body = "\n".join(line for line in text.splitlines() if not line.startswith("//"))
    return [s.strip() for s in body.split(";\n") if s.strip()]


@pytest.fixture(scope="module")
def loaded(script, bolt_server):
    database = bolt_server.create_database("cypher")
    with bolt_server.driver() as driver, driver.session(database=database) as session:
        for statement in statements(script):
            session.run(statement).consume()
    return database


def test_constraints_come_first_then_nodes_then_relationships(script):
    kinds = [s.split(None, 1)[0] if not s.startswith("UNWIND") else ("MATCH" if "MATCH (a:" in s else "NODES")
             for s in statements(script)]
    assert kinds == sorted(kinds, key=["CREATE", "NODES", "MATCH"].index)
    assert kinds.count("CREATE") == 7


def test_every_node_and_relationship_arrives(loaded, dataset, bolt_server):
    counts = graph_model(dataset.graph, dataset.truth).counts()
    with bolt_server.driver() as driver, driver.session(database=loaded) as session:
        for label, n in counts["nodes"].items():
            assert session.run(f"MATCH (n:{label}) RETURN count(n) AS c").single()["c"] == n, label
        for rel, n in counts["relationships"].items():
            assert session.run(f"MATCH ()-[r:{rel}]->() RETURN count(r) AS c").single()["c"] == n, rel


def test_a_name_stays_a_name(loaded, dataset, bolt_server):
    ids = dataset.graph.nodes["Person"]["id"][: len(TRICKY)].tolist()
    with bolt_server.driver() as driver, driver.session(database=loaded) as session:
        got = {r["id"]: r["name"] for r in session.run("MATCH (n:Person) WHERE n.id IN $ids RETURN n.id AS id, "
                                                          "n.name AS name", ids=ids)}
    assert got == dict(zip(ids, TRICKY))


def test_values_keep_their_types(loaded, dataset, bolt_server):
    account = dataset.graph.nodes["Account"].iloc[0]
    with bolt_server.driver() as driver, driver.session(database=loaded) as session:
        row = session.run("MATCH (a:Account {id: $id}) RETURN a.opened_at AS t, a.opening_balance AS b",
                          id=account["id"]).single()
        pattern = session.run("MATCH (p:Pattern) RETURN p LIMIT 1").single()["p"]
    assert row["t"].to_native().replace(tzinfo=None) == account["opened_at"].to_pydatetime()
    assert isinstance(row["b"], float) and row["b"] == pytest.approx(float(account["opening_balance"]))
    assert isinstance(pattern["is_fraud"], bool) and isinstance(pattern["n_members"], int)
    json.loads(pattern["parameters"])


def test_blind_script_has_no_truth(dataset, tmp_path):
    get_exporter("cypher").write(dataset, tmp_path, blind=True)
    text = (tmp_path / "cypher" / "load.cypher").read_text()
    assert "Pattern" not in text and "IN_PATTERN" not in text and "is_fraud" not in text


def test_same_seed_same_bytes(dataset, script, tmp_path):
    get_exporter("cypher").write(dataset, tmp_path, batch_rows=97)
    assert (tmp_path / "cypher" / "load.cypher").read_text(encoding="utf-8") == script


# -- events in the script ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def events_written(event_world, tmp_path_factory):
    out = tmp_path_factory.mktemp("cypher-events") / "ds"
    event_world.write(out, formats=["cypher", "csv"], streams=["transactions", "sessions"], graph_events="nodes")
    return out


def test_events_script_loads_after_the_graph(events_written, event_world, bolt_server, payloads):
    database = bolt_server.create_database("cypherev")
    scripts = [(events_written / "cypher" / name).read_text(encoding="utf-8") for name in ("load.cypher",
                                                                                           "events.cypher")]
    with bolt_server.driver() as driver, driver.session(database=database) as session:
        for text in scripts:
            for statement in statements(text):
                session.run(statement).consume()
        count = {what: session.run(f"MATCH {pattern} RETURN count(*) AS c").single()["c"] for what, pattern in (
            ("tx", "(t:Transaction)"), ("performs", "(:Account)-[:PERFORMS]->(:Transaction)"),
            ("benefits", "(:Transaction)-[:BENEFITS_TO]->(:Account)"), ("next", "()-[:NEXT]->()"),
            ("sessions", "(:Person)-[:STARTED]->(:Session)-[:FROM]->(:Device)"),
            ("fraud", "(t:Transaction {is_fraud: true})"))}
    started = payloads(events_written, "transaction-initiated")
    performed = pd.Series([p["account_id"] for p in started if p["account_id"]])
    assert count["tx"] == len(started) > BATCH_ROWS
    assert count["performs"] == len(performed)
    assert count["benefits"] == sum(1 for p in started if p["counterparty_account_id"])
    assert count["next"] == int((performed.value_counts() - 1).sum())
    assert count["sessions"] == len(payloads(events_written, "session-started"))
    assert count["fraud"] > 0


def test_events_script_batches_do_not_depend_on_the_window(events_written, event_world, tmp_path):
    text = (events_written / "cypher" / "events.cypher").read_text(encoding="utf-8")
    sizes = [sum(line.startswith("  {") for line in s.splitlines()) for s in statements(text) if s.startswith("UNWIND")]
    assert max(sizes) == BATCH_ROWS and sizes.count(BATCH_ROWS) >= len(sizes) - 9  # one short batch per set at most
    days = event_world.scenario.events.window_days
    try:
        event_world.scenario.events.window_days = 1 if days != 1 else 5
        event_world.write(tmp_path / "again", formats=["cypher"], streams=["transactions", "sessions"],
                          graph_events="nodes")
    finally:
        event_world.scenario.events.window_days = days
    assert (tmp_path / "again" / "cypher" / "events.cypher").read_text(encoding="utf-8") == text
    assert not (tmp_path / "again" / "cypher" / ".spool").exists()


def test_events_as_relationships_in_the_script(event_world, tmp_path, payloads):
    event_world.write(tmp_path / "rel", formats=["cypher", "csv"], streams=["transactions"])
    text = (tmp_path / "rel" / "cypher" / "events.cypher").read_text(encoding="utf-8")
    rows = [line for s in statements(text) if "TRANSFERRED" in s for line in s.splitlines() if line.startswith("  {")]
    both = [p for p in payloads(tmp_path / "rel", "transaction-initiated")
            if p["account_id"] and p["counterparty_account_id"]]
    assert len(rows) == len(both) > 0
    assert all(f"`transaction_id`: '{p['transaction_id']}'" in row for p, row in zip(both, rows))
