"""neo4j-admin bulk-import files: Neo4j 5's header grammar, quoting that survives any name, and the import script.

There is no neo4j-admin on these machines: the files are read back with real CSV
parsers (Python's csv module and pandas) and held to Neo4j's documented header
grammar, and every reference is checked against the node files.
"""

import csv
import json
import re
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fraudgraph.exporters import get_exporter

import fraudgraph
from fraudgraph import schema
from fraudgraph.event_graph import event_labels
from fraudgraph.graphdb import PATTERN
from fraudgraph.loading import validate_folder

#: Neo4j 5 import header grammar: ``name:type``, ``name`` (string), ``id:ID(group)``, ``:LABEL``,
#: ``:START_ID(group)``, ``:END_ID(group)``, ``:TYPE``; types with ``[]`` are arrays.
FIELD = re.compile(r"^(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<type>int|long|float|double|boolean|byte|short|char|"
                   r"string|point|date|localtime|time|localdatetime|datetime|duration)(?P<array>\[\])?)?"
                   r"|(?P<idname>[A-Za-z_][A-Za-z0-9_]*)?:ID\((?P<idgroup>[A-Za-z]+)\)"
                   r"|:(?P<special>LABEL|TYPE)"
                   r"|:(?P<end>START_ID|END_ID)\((?P<group>[A-Za-z]+)\))$")
TRICKY = ["O'Brien\"}) DETACH DELETE n //", "Smith, John", "Line\nbreak", "Zoë Ångström-Łukasz 李", "",
          'say "hi", then\r\nleave']
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@pytest.fixture(scope="module")
def dataset():
    ds = fraudgraph.generate("demo", seed=3)
    people = ds.graph.nodes["Person"]
    people.loc[people.index[: len(TRICKY)], "name"] = TRICKY
    return ds


@pytest.fixture(scope="module")
def folder(dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("neo4j-admin") / "ds"
    dataset.write(out, formats=["neo4j-admin", "parquet"], streams=[])
    return out


def header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == 1
    return rows[0]


def data(path: Path, names: list[str]) -> pd.DataFrame:
    """The data file as text, nulls (empty unquoted fields) as NaN and ``""`` as the empty string."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    frame = pd.read_csv(path, header=None, names=names, dtype=str, keep_default_na=False, na_values=[""],
                        quoting=csv.QUOTE_MINIMAL)
    assert len(frame) == len(rows)
    return frame


def test_every_header_follows_the_grammar(folder):
    headers = sorted((folder / "neo4j-admin").rglob("*.header.csv"))
    assert len(headers) > 20
    for path in headers:
        fields = header(path)
        matches = [FIELD.match(f) for f in fields]
        assert all(matches), (path.name, [f for f, m in zip(fields, matches) if not m])
        if path.parent.name == "nodes":
            assert fields[0] == f"id:ID({path.name.split('.')[0]})" and fields[-1] == ":LABEL"
        else:
            stem = path.name.split(".")[0]
            src, dst = stem.split("_")[0], stem.rsplit("_", 1)[1]
            assert fields[0] == f":START_ID({src})" and fields[1] == f":END_ID({dst})" and fields[-1] == ":TYPE"


def test_types_come_from_the_schema(folder):
    fields = header(folder / "neo4j-admin" / "nodes" / "Account.header.csv")
    assert "opened_at:datetime" in fields and "opening_balance:double" in fields
    fields = header(folder / "neo4j-admin" / "nodes" / "Person.header.csv")
    assert "date_of_birth:date" in fields and "name" in fields
    fields = header(folder / "neo4j-admin" / "relationships" / "Account_TRANSFERS_TO_Account.header.csv")
    assert "is_fraud:boolean" in fields and "typical_amount:double" in fields
    fields = header(folder / "neo4j-admin" / "nodes" / "Pattern.header.csv")
    assert "n_members:long" in fields and "is_fraud:boolean" in fields


def test_names_survive_commas_quotes_newlines_and_any_script(folder, dataset):
    root = folder / "neo4j-admin" / "nodes"
    fields = header(root / "Person.header.csv")
    people = data(root / "Person.csv", fields)
    names = dict(zip(people["id:ID(Person)"], people["name"]))
    expected = dataset.graph.nodes["Person"]
    for pid, name in zip(expected["id"][: len(TRICKY)], TRICKY):
        assert names[pid] == name if name else names[pid] in ("", None) or pd.isna(names[pid])
    raw = (root / "Person.csv").read_text(encoding="utf-8")
    assert '"O\'Brien""}) DETACH DELETE n //"' in raw  # quotes doubled inside a quoted field
    assert len(people) == len(expected)


def test_values_read_back_as_the_dataset_holds_them(folder, dataset):
    root = folder / "neo4j-admin"
    fields = header(root / "nodes" / "Account.header.csv")
    accounts = data(root / "nodes" / "Account.csv", fields).set_index("id:ID(Account)")
    expected = dataset.graph.nodes["Account"].set_index("id")
    assert set(accounts.index) == set(expected.index)
    opened = pd.to_datetime(accounts["opened_at:datetime"], format="%Y-%m-%dT%H:%M:%SZ")
    assert (opened.reindex(expected.index).to_numpy() == expected["opened_at"].to_numpy()).all()
    assert accounts["opened_at:datetime"].str.match(DATETIME).all()
    balance = accounts["opening_balance:double"].astype(float).reindex(expected.index)
    assert np.allclose(balance.to_numpy(), expected["opening_balance"].to_numpy())
    assert set(accounts[":LABEL"]) == {"Account"}
    rels = data(root / "relationships" / "Account_TRANSFERS_TO_Account.csv",
                header(root / "relationships" / "Account_TRANSFERS_TO_Account.header.csv"))
    assert set(rels["is_fraud:boolean"].dropna()) <= {"true", "false"}
    assert rels["is_fraud:boolean"].isna().any() and (rels["is_fraud:boolean"] == "true").any()
    assert set(rels[":TYPE"]) == {"TRANSFERS_TO"}


def test_every_relationship_points_at_written_nodes(folder, dataset):
    root = folder / "neo4j-admin"
    ids = {}
    for path in (root / "nodes").glob("*.csv"):
        if not path.name.endswith(".header.csv"):
            label = path.name.split(".")[0]
            ids[label] = set(data(path, header(root / "nodes" / f"{label}.header.csv")).iloc[:, 0])
    assert set(ids) == set(dataset.graph.nodes) | {PATTERN} | set(event_labels("relationships"))
    total = 0
    for path in (root / "relationships").glob("*.csv"):
        if path.name.endswith(".header.csv"):
            continue
        fields = header(root / "relationships" / path.name.replace(".csv", ".header.csv"))
        rels = data(path, fields)
        src, dst = fields[0][len(":START_ID("):-1], fields[1][len(":END_ID("):-1]
        assert set(rels.iloc[:, 0]) <= ids[src] and set(rels.iloc[:, 1]) <= ids[dst], path.name
        total += len(rels)
    truth = dataset.truth
    assert total == sum(len(f) for f in dataset.graph.edges.values()) + len(
        truth.node_labels.drop_duplicates(["label", "id", "pattern_id"]))


def test_the_truth_is_a_subgraph(folder, dataset):
    root = folder / "neo4j-admin"
    patterns = data(root / "nodes" / "Pattern.csv", header(root / "nodes" / "Pattern.header.csv"))
    assert set(patterns["id:ID(Pattern)"]) == set(dataset.truth.patterns["pattern_id"])
    for params in patterns["parameters"]:
        json.loads(params)
    members = sorted((root / "relationships").glob("*_IN_PATTERN_Pattern.csv"))
    assert {p.name.split("_")[0] for p in members} >= {"Person", "Account", "Device"}


def test_blind_files_carry_no_truth(dataset, tmp_path):
    written = get_exporter("neo4j-admin").write(dataset, tmp_path, blind=True)
    paths = [f.path for f in written]
    assert not any("Pattern" in p for p in paths)
    for path in (tmp_path / "neo4j-admin").rglob("*.header.csv"):
        assert not any(f.startswith("is_fraud") for f in header(path)), path.name
    assert "Pattern" not in (tmp_path / "neo4j-admin" / "constraints.cypher").read_text()


def test_import_script_names_every_file_and_the_full_command(folder):
    root = folder / "neo4j-admin"
    script = (root / "import.sh").read_text()
    words = shlex.split(script.split("neo4j-admin database import full", 1)[1].replace("\\\n", " "), comments=True)
    assert words[0] == "$DATABASE" and "--overwrite-destination" in words and "--multiline-fields=true" in words
    listed = set()
    for word in words:
        if word.startswith(("--nodes=", "--relationships=")):
            head, body = word.split("=", 1)[1].split(",")
            assert head.endswith(".header.csv") and body == head.replace(".header.csv", ".csv")
            listed |= {head, body}
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*.csv")}
    assert listed == on_disk
    assert (root / "import.sh").stat().st_mode & 0o111
    labels = set(schema.NODE_TYPES) | {PATTERN} | set(event_labels("relationships"))
    constraints = (root / "constraints.cypher").read_text().splitlines()
    assert len(constraints) == len(labels)
    assert all(re.fullmatch(r"CREATE CONSTRAINT \w+ IF NOT EXISTS FOR \(n:(\w+)\) REQUIRE n\.id IS UNIQUE;", c)
               for c in constraints)


def test_the_folder_is_in_the_manifest_and_validates(folder):
    manifest = json.loads((folder / "manifest.json").read_text())
    mine = [f for f in manifest["files"] if f["format"] == "neo4j-admin"]
    assert {f["kind"] for f in mine} == {"header", "nodes", "relationships", "script"}
    assert all(f["path"].startswith("neo4j-admin/") for f in mine)
    problems, _ = validate_folder(folder)
    assert problems == []


def test_same_seed_same_bytes(dataset, folder, tmp_path):
    again = tmp_path / "again"
    dataset.write(again, formats=["neo4j-admin"], streams=[])
    for path in (folder / "neo4j-admin").rglob("*"):
        if path.is_file():
            assert (again / path.relative_to(folder)).read_bytes() == path.read_bytes(), path.name


# -- events in the files ----------------------------------------------------------------------------------
@pytest.fixture(scope="module", params=["relationships", "nodes"])
def with_events(event_world, request, tmp_path_factory):
    """The fraud-heavy world's files with its transactions and sessions in the graph, both ways."""
    out = tmp_path_factory.mktemp(f"admin-events-{request.param}") / "ds"
    event_world.write(out, formats=["neo4j-admin", "csv"], streams=["transactions", "sessions"],
                      graph_events=request.param)
    return request.param, out


def read_set(root: Path, stem: str) -> pd.DataFrame:
    return data(root / f"{stem}.csv", header(root / f"{stem}.header.csv"))


def test_events_become_the_chosen_elements(with_events, payloads, fraud_transactions):
    mode, folder = with_events
    root = folder / "neo4j-admin"
    started = payloads(folder, "transaction-initiated")
    accounts = set(read_set(root / "nodes", "Account").iloc[:, 0])
    if mode == "relationships":
        moved = read_set(root / "relationships", "Account_TRANSFERRED_Account")
        both = [p for p in started if p["account_id"] and p["counterparty_account_id"]]
        assert sorted(moved["transaction_id"]) == sorted(p["transaction_id"] for p in both) and len(both) > 0
        assert set(moved.iloc[:, 0]) | set(moved.iloc[:, 1]) <= accounts
        assert moved["at:datetime"].str.match(DATETIME).all()
        flagged = set(moved.loc[moved["is_fraud:boolean"] == "true", "transaction_id"])
        assert flagged == fraud_transactions(folder) & set(moved["transaction_id"]) and flagged
        logins = read_set(root / "relationships", "Person_LOGGED_IN_Device")
        assert len(logins) == len(payloads(folder, "login-attempt")) > 0
        assert not (root / "nodes" / "Transaction.csv").exists()
    else:
        tx = read_set(root / "nodes", "Transaction")
        assert sorted(tx["id:ID(Transaction)"]) == sorted(p["transaction_id"] for p in started)
        assert set(tx.loc[tx["is_fraud:boolean"] == "true", "id:ID(Transaction)"]) == fraud_transactions(folder)
        performs = read_set(root / "relationships", "Account_PERFORMS_Transaction")
        assert len(performs) == sum(1 for p in started if p["account_id"])
        assert set(performs.iloc[:, 0]) <= accounts and set(performs.iloc[:, 1]) <= set(tx.iloc[:, 0])
        chain = read_set(root / "relationships", "Transaction_NEXT_Transaction")
        at = dict(zip(tx.iloc[:, 0], tx["at:datetime"]))
        assert all(at[a] <= at[b] for a, b in zip(chain.iloc[:, 0], chain.iloc[:, 1]))
        per_account = performs.iloc[:, 0].value_counts()
        assert len(chain) == int((per_account - 1).sum()) > 0
        sessions = read_set(root / "nodes", "Session")
        assert len(sessions) == len(payloads(folder, "session-started")) > 0
        assert sessions["duration_seconds:long"].dropna().str.fullmatch(r"\d+").all()
        assert len(read_set(root / "relationships", "Person_STARTED_Session")) == len(sessions)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["graph_database"] == {"events": mode, "blind": False}


def test_event_files_follow_the_grammar_and_the_import_script_lists_them(with_events):
    mode, folder = with_events
    root = folder / "neo4j-admin"
    script = (root / "import.sh").read_text()
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*.csv")}
    assert all(name in script for name in on_disk)
    event_stems = ({"relationships/Account_TRANSFERRED_Account", "relationships/Person_LOGGED_IN_Device"}
                   if mode == "relationships" else
                   {"nodes/Transaction", "nodes/Session", "relationships/Transaction_NEXT_Transaction",
                    "relationships/Session_VIA_IP"})
    for stem in event_stems:
        fields = header(root / f"{stem}.header.csv")
        assert all(FIELD.match(f) for f in fields), fields
    constraints = (root / "constraints.cypher").read_text()
    assert ("(n:Transaction)" in constraints) == (mode == "nodes")
    manifest = json.loads((folder / "manifest.json").read_text())
    listed = {f["path"] for f in manifest["files"] if f["format"] == "neo4j-admin"}
    assert {f"neo4j-admin/{p}" for p in on_disk} <= listed


def test_event_files_do_not_depend_on_the_window(event_world, with_events, tmp_path):
    mode, folder = with_events
    days = event_world.scenario.events.window_days
    try:
        event_world.scenario.events.window_days = 1 if days != 1 else 5
        event_world.write(tmp_path / "again", formats=["neo4j-admin"], streams=["transactions", "sessions"],
                          graph_events=mode)
    finally:
        event_world.scenario.events.window_days = days
    for path in (folder / "neo4j-admin").rglob("*"):
        if path.is_file():
            assert (tmp_path / "again" / path.relative_to(folder)).read_bytes() == path.read_bytes(), path.name


def test_blind_event_files_carry_no_truth(event_world, tmp_path):
    event_world.write(tmp_path / "blind", formats=["neo4j-admin"], streams=["transactions", "sessions"],
                      graph_events="nodes", blind=True)
    for path in (tmp_path / "blind" / "neo4j-admin").rglob("*.header.csv"):
        assert not any(f.startswith("is_fraud") for f in header(path)), path.name
