"""The command line, run as a real subprocess like a user would."""

import json
import os
import subprocess
import sys

import yaml

import fraudgraph
from fraudgraph import schema, truth
from fraudgraph.queries import load_pack


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "fraudgraph", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})


def test_generate_validate_stats(tmp_path):
    out = tmp_path / "X"
    r = run("generate", "--scenario", "demo", "--seed", "7", "--persons", "400", "--out", str(out),
            "--format", "jsonl,csv,parquet")
    assert r.returncode == 0, r.stderr
    tables = len(schema.NODE_TYPES) + len(schema.EDGE_TYPES) + len(truth.TABLES) + 3  # + events, their truth, features
    assert "Person" in r.stdout and "Account_PAYS_Company" in r.stdout
    persons = json.loads((out / "manifest.json").read_text())["counts"]["nodes"]["Person"]
    assert persons > 400  # the fraud patterns' synthetic identities come on top, and the summary says so
    assert f"{persons:,}  (400 + {persons - 400} synthetic identities of fraud patterns)" in r.stdout
    assert f"wrote {3 * tables + len(load_pack())} files" in r.stdout  # and the investigation pack's copy
    r = run("validate", str(out))
    assert r.returncode == 0 and "OK" in r.stdout
    r = run("stats", str(out))
    assert r.returncode == 0
    assert "Person_KNOWS_Person" in r.stdout and "median" in r.stdout


def test_validate_exits_1_listing_problems(tmp_path):
    out = tmp_path / "X"
    assert run("generate", "--scenario", "demo", "--persons", "100", "--out", str(out), "--format", "csv").returncode == 0
    (out / "nodes" / "Account.csv").write_text("id\n")
    r = run("validate", str(out))
    assert r.returncode == 1
    assert "Account.csv" in r.stderr and "problem" in r.stderr


def test_non_empty_out_needs_force(tmp_path):
    out = tmp_path / "X"
    assert run("generate", "--scenario", "demo", "--persons", "80", "--out", str(out), "--format", "csv").returncode == 0
    r = run("generate", "--scenario", "demo", "--persons", "80", "--out", str(out), "--format", "csv")
    assert r.returncode == 2 and "--force" in r.stderr
    r = run("generate", "--scenario", "demo", "--persons", "90", "--out", str(out), "--format", "csv", "--force")
    assert r.returncode == 0
    assert json.loads((out / "manifest.json").read_text())["counts"]["nodes"]["Person"] == 90


def test_scenarios_and_show_roundtrip_through_config(tmp_path):
    r = run("scenarios")
    assert r.returncode == 0
    for name in ("default", "demo", "fraud_heavy", "stress"):
        assert name in r.stdout
    r = run("scenario", "show", "demo")
    data = yaml.safe_load(r.stdout)
    data["persons"]["count"] = 150
    cfg = tmp_path / "mine.yaml"
    cfg.write_text(yaml.safe_dump(data))
    out = tmp_path / "X"
    r = run("generate", "--config", str(cfg), "--out", str(out), "--format", "parquet")
    assert r.returncode == 0, r.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["nodes"]["Person"] == 150 and manifest["scenario"]["name"] == "demo"


def test_version():
    r = run("--version")
    assert r.returncode == 0 and fraudgraph.__version__ in r.stdout


def test_progress_moves_with_the_simulated_days(tmp_path):
    from fraudgraph.pipeline import plan, prepare

    scenario = prepare("demo", persons=120, days=5, formats="csv", streams="transactions,sessions")
    steps = plan(scenario.output.formats, scenario)
    seen = []
    dataset = fraudgraph.generate(scenario, progress=seen.append)
    manifest = dataset.write(tmp_path / "X", progress=seen.append)
    assert len(seen) == len(steps)
    assert [s.split(" · ")[0] for s in seen] == steps
    days = [s for s in seen if s.startswith("events ")]
    assert [d.split(" · ")[0] for d in days] == [f"events 2025-01-0{i}" for i in range(1, 6)]
    written = [int(d.split(" · ")[1].split()[0].replace(",", "")) for d in days]
    assert written == sorted(written) and written[-1] == sum(manifest.event_counts.values())


def test_typed_events_flag_writes_the_typed_tables(tmp_path):
    out = tmp_path / "T"
    r = run("generate", "--scenario", "demo", "--persons", "200", "--days", "4", "--format", "parquet",
            "--typed-events", "--out", str(out))
    assert r.returncode == 0, r.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"]["output"]["typed_events"] is True
    typed = [f for f in manifest["files"] if f["kind"] == "event_table"]
    assert {f["table"] for f in typed} >= {"transactions", "sessions", "identity"}
    assert sum(f["rows"] for f in typed) == sum(manifest["counts"]["events"].values())
    r = run("validate", str(out))
    assert r.returncode == 0, r.stderr
