import json
import os
import subprocess
import sys

import numpy as np

import fraudgraph
from fraudgraph.report import auc, hardness_report


def test_auc_basics():
    assert auc(np.array([1, 2, 3, 4]), np.array([0, 0, 1, 1], bool)) == 1.0
    assert auc(np.array([4, 3, 2, 1]), np.array([0, 0, 1, 1], bool)) == 1.0  # better direction
    assert auc(np.array([1, 1, 1, 1]), np.array([0, 0, 1, 1], bool)) == 0.5
    rng = np.random.default_rng(0)
    assert abs(auc(rng.random(4000), rng.random(4000) < 0.5) - 0.5) < 0.03


def test_report_structure_and_detects_a_planted_giveaway():
    s = fraudgraph.Scenario.from_preset("default").override({
        "persons.count": 2000, "fraud.person_share": 0.0, "fraud.hardness": "low",
        "fraud.patterns": {"kiting_cycle": {"count": 8}}})
    ds = fraudgraph.generate(s, seed=3)
    report = hardness_report(ds)
    entry = report["typologies"]["kiting_cycle"]["person"]
    assert entry["members"] >= 24 and 0.5 <= entry["auc"] <= 1.0
    assert entry["best_feature"] in entry["features"]
    # at low hardness kiting amounts are loud: money features must reveal it
    assert entry["features"]["transfer_out"] > 0.75
    assert report["instances"]["kiting_cycle"]["fraud"] == 8


def test_fraud_is_scored_against_its_own_decoys():
    ds = fraudgraph.generate("fraud_heavy", seed=2, persons=1500, days=45)
    report = hardness_report(ds)
    labels, patterns = ds.truth.node_labels, ds.truth.patterns
    scored = 0
    for typology, entry in report["typologies"].items():
        versus = entry["versus_decoy"]["person"]
        if versus is None:
            continue
        scored += 1
        decoy_ids = patterns.loc[(patterns["typology"] == typology) & ~patterns["is_fraud"], "pattern_id"]
        assert versus["decoys"] > 0 and versus["members"] == entry["person"]["members"]
        assert 0.5 <= versus["auc"] <= 1.0 and versus["best_feature"] in versus["features"]
        # the decoys are persons of this typology's decoy instances (or owners of their accounts), no one else
        rows = labels[labels["pattern_id"].isin(decoy_ids)]
        owns = ds.graph.edges[("Person", "OWNS", "Account")]
        in_decoys = set(rows.loc[rows["label"] == "Person", "id"]) | set(
            owns.loc[owns["dst"].isin(rows.loc[rows["label"] == "Account", "id"]), "src"])
        assert versus["decoys"] <= len(in_decoys) < len(ds.graph.nodes["Person"]) / 4
    assert scored >= 5


def test_cli_report_goes_to_stdout_or_a_named_file_never_into_the_dataset(tmp_path):
    out = tmp_path / "X"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    r = subprocess.run([sys.executable, "-m", "fraudgraph", "generate", "--scenario", "demo", "--persons", "1500",
                        "--out", str(out), "--format", "parquet"], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    before = sorted(p.name for p in out.rglob("*"))

    def report(*extra):
        r = subprocess.run([sys.executable, "-m", "fraudgraph", "report", "hardness", str(out), *extra],
                           capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stderr
        return r.stdout

    assert "OVERALL" in report()
    assert json.loads(report("--json", "-"))["overall"]["person"]["auc"] >= 0.5
    assert "OVERALL" in report("--json", str(tmp_path / "hardness.json"))
    data = json.loads((tmp_path / "hardness.json").read_text())
    assert data["overall"]["person"]["auc"] >= 0.5
    assert sorted(p.name for p in out.rglob("*")) == before
    r = subprocess.run([sys.executable, "-m", "fraudgraph", "validate", str(out)], capture_output=True, text=True,
                       env=env)
    assert r.returncode == 0, r.stderr


def test_gnn_activity_is_checked_against_the_decoys_when_the_dataset_has_it(tmp_path):
    ds = fraudgraph.generate("fraud_heavy", seed=2, persons=1500, days=45)
    out = tmp_path / "ds"
    ds.write(out, formats=["gnn", "parquet"], streams=["transactions", "sessions", "circles", "remittances", "markets"])
    report = hardness_report(fraudgraph.read_dataset(out), out)
    names = np.load(out / "gnn" / "activity" / "Account.npz")["names"].tolist()
    scored = [(t, level, e) for t, levels in report["gnn_activity"].items() for level, e in levels.items()]
    assert len({t for t, _, _ in scored}) >= 5 and {level for _, level, _ in scored} == {"person", "account"}
    labels = ds.truth.node_labels.merge(ds.truth.patterns[["pattern_id", "typology"]], on="pattern_id")
    for typology, level, entry in scored:
        mine = labels[(labels["typology"] == typology) & (labels["label"] == level.capitalize())]
        fraud = set(mine.loc[mine["is_fraud"], "id"])
        assert entry["members"] == len(fraud) and entry["decoys"] == len(set(mine.loc[~mine["is_fraud"], "id"]) - fraud)
        assert 0.5 <= entry["auc"] <= 1.0
        if level == "account":
            assert entry["best_feature"] in names
    assert "gnn_activity" not in hardness_report(ds)  # without the folder, only the tables
