"""The pack against a real Bolt server: each typology's detector finds its own instances, and the report scores them."""

import json

import pandas as pd
import pytest
from clirun import cli, one_line_exit_2

import fraudgraph
from fraudgraph.queries import load_pack


@pytest.fixture(scope="module")
def loaded(bolt_server, tmp_path_factory):
    """A fraud-heavy world with every typology, loaded in Neo4j's transaction model, and its report."""
    out = tmp_path_factory.mktemp("queries") / "ds"
    fraudgraph.generate("fraud_heavy", seed=4, persons=1500, days=60).write(out, formats=["parquet"])
    database = bolt_server.create_database("pack")
    server = ["--uri", bolt_server.uri, "--user", bolt_server.user, "--password", bolt_server.password,
              "--database", database]
    code, _, err = cli("load", "neo4j", out, *server, "--events", "nodes")
    assert code == 0, err
    report = tmp_path_factory.mktemp("report") / "scores.json"
    code, text, err = cli("report", "queries", out, *server, "--top", "20", "--json", report)
    assert code == 0, err
    return out, server, text, json.loads(report.read_text())


def test_each_typology_query_finds_its_own_instances(loaded):
    out, _, _, report = loaded
    patterns = pd.read_parquet(out / "truth" / "patterns.parquet")
    scores = {s["query"]: s for s in report["scores"]}
    for typology, rows in patterns[patterns["is_fraud"]].groupby("typology"):
        own = scores[typology]
        # most: three in four or more, on this world's 1 to 5 instances per typology
        assert own["recall"][typology] >= 0.75, (typology, own["recall"])
        assert own["hits"] > 0 and own["precision_at_k"] > 0, own


def test_the_report_scores_every_detector_and_records_the_decoys(loaded):
    _, _, text, report = loaded
    detectors = [q.name for q in load_pack() if q.scored]
    assert [s["query"] for s in report["scores"]] == detectors and report["failed"] == []
    assert report["k"] == 20
    for s in report["scores"]:
        assert s["flagged"] >= s["hits"] >= 0
        assert 0 <= (s["precision_at_k"] or 0) <= 1
        if s["typology"] != "general":
            assert list(s["recall"])[0] == s["typology"] and s["typology"] in s["decoys_flagged"]
    # a detector that flags decoys says so: the device farm's look-alike shares its defining trait
    assert any(s["decoys_flagged"].get(s["typology"], 0) > 0 for s in report["scores"])
    lines = text.splitlines()
    assert lines[0].split()[:4] == ["query", "flagged", "fraud", "P@k"]
    assert {line.split()[0] for line in lines[1:len(detectors) + 1]} == set(detectors)


def test_the_dataset_carries_the_pack(loaded):
    out, _, _, _ = loaded
    manifest = json.loads((out / "manifest.json").read_text())
    copies = sorted(f["path"] for f in manifest["files"] if f["kind"] == "query")
    assert copies == sorted(f"queries/{q.file}" for q in load_pack())
    assert (out / "queries" / "money_mule.cypher").read_text().startswith("// name: money_mule")


def test_bad_input_is_one_line_and_exit_2(loaded, bolt_server):
    out, server, _, _ = loaded
    code, _, err = cli("report", "queries", out, *server, "--param", "money_mule.window=3")
    one_line_exit_2(code, err, "'window'", "window_hours")
    code, _, err = cli("report", "queries", out, *server, "--query", "mules")
    one_line_exit_2(code, err, "'mules'")
    empty = bolt_server.create_database("empty")
    code, _, err = cli("report", "queries", out, *server[:-1], empty)
    one_line_exit_2(code, err, "no Transaction nodes", "--events nodes")
    code, _, err = cli("report", "queries", out, *server, "--json", out / "scores.json")
    one_line_exit_2(code, err, "inside the dataset folder")
    code, _, err = cli("report", "queries", out, *server[:4], "wrong-password", *server[6:])
    assert code == 2 and len(err.strip().splitlines()) == 1, err
