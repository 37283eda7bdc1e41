"""A sharded dataset loads into a real Bolt server (ArcadeDB) and verifies, like a one-world dataset."""

from clirun import cli


def test_a_sharded_dataset_loads_and_verifies(sharded, bolt_server):
    out, manifest = sharded
    database = bolt_server.create_database("shards")
    auth = ["--uri", bolt_server.uri, "--user", bolt_server.user, "--password", bolt_server.password,
            "--database", database]
    code, stdout, err = cli("load", "neo4j", out, *auth, "--batch-size", "5000")
    assert code == 0, err
    code, stdout, err = cli("verify", "neo4j", out, *auth)
    assert code == 0, stdout + err
    assert "DIFFERS" not in stdout
    with bolt_server.driver() as driver, driver.session(database=database) as session:
        persons = session.run("MATCH (p:Person) RETURN count(p) AS n").single()["n"]
        shards = session.run("MATCH (p:Person) RETURN p.id AS id").value()
    assert persons == manifest["counts"]["nodes"]["Person"]
    assert len({int(i.rsplit("_", 1)[1], 16) % 3 for i in shards}) == 3
