"""The Cypher script: constraints, then batched UNWIND statements of literal rows, run on a real Bolt server."""

import json

import pytest
from fraudgraph.exporters import get_exporter

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
