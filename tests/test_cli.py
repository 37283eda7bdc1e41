"""The command line, run as a real subprocess like a user would."""

import json
import os
import subprocess
import sys

import pytest
import yaml

import fraudgraph
from fraudgraph import schema, truth


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
    assert f"wrote {3 * tables} files" in r.stdout
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


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--persons", "-5"], "'persons.count'"),
        (["--days", "0"], "'days'"),
        (["--format", "csv,xml"], "unknown format 'xml'"),
        (["--scenario", "nope"], "unknown scenario 'nope'"),
        (["--persons", "abc"], "--persons"),
    ],
)
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, args, needle):
    out = tmp_path / "X"
    r = run("generate", *args, "--out", str(out))
    assert r.returncode == 2
    assert needle in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_bad_config_file_and_missing_dirs(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("circles:\n  min_members: 20\n  max_members: 10\n")
    r = run("generate", "--config", str(cfg), "--out", str(tmp_path / "X"))
    assert r.returncode == 2 and "min_members (20)" in r.stderr
    for command in ("validate", "stats"):
        r = run(command, str(tmp_path / "missing"))
        assert r.returncode == 2 and "does not exist" in r.stderr
    r = run("generate", "--scenario", "demo", "--out", str(tmp_path / "a" / "b"))
    assert r.returncode == 2 and "does not exist" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]


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
