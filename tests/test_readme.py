"""The README cannot drift from the code or from CI."""

import re
from pathlib import Path

import yaml

import fraudgraph
from fraudgraph import schema

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_schema_section_is_generated_from_schema_py():
    section = README.split(schema.README_BEGIN, 1)[1].split(schema.README_END, 1)[0]
    assert section.strip() == schema.markdown().strip(), "run: python -m fraudgraph.schema --update README.md"


def test_quick_start_has_two_commands_and_ci_runs_the_test_one():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)\n```", quick, flags=re.S)
    assert len(commands) == 2
    install_and_generate, install_and_test = commands
    assert "fraudgraph generate" in install_and_generate and "--scenario" not in install_and_generate
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == install_and_test


def test_docker_compose_neo4j():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    neo4j = compose["services"]["neo4j"]
    assert neo4j["image"].startswith("neo4j:5") and "community" in neo4j["image"]
    ports = " ".join(neo4j["ports"])
    assert ":7474" in ports and ":7687" in ports
    assert "${NEO4J_PASSWORD" in neo4j["environment"]["NEO4J_AUTH"]
    assert neo4j["healthcheck"]["test"] and neo4j["volumes"]
    assert set(compose["volumes"]) >= {"neo4j-data"}
    kafka = compose["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:") and ":9092" in " ".join(kafka["ports"])


def test_the_typed_table_queries_run_as_written(tmp_path, monkeypatch, capsys):
    """The DuckDB and pandas examples of "Typed event tables", run on a dataset written as ``out``."""
    section = README.split("### Typed event tables", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)\n```", section, flags=re.S)
    assert len(blocks) == 2
    scenario = fraudgraph.Scenario.from_preset("demo").override({"output.typed_events": True})
    fraudgraph.generate(scenario, seed=7, persons=300, days=14).write(tmp_path / "out", formats="parquet")
    monkeypatch.chdir(tmp_path)
    names = {}
    for block in blocks:
        exec(block, names)  # noqa: S102 - the README's own example
    shown = capsys.readouterr().out
    assert "transaction-initiated" not in shown and "payments" in shown and "payroll" in shown
    assert len(names["logins"]) and names["failed"].sum() == (names["logins"]["event_type"] == "login-failed").sum()
    assert names["logins"]["timestamp"].dt.strftime("%Y-%m-%d").between("2025-01-06", "2025-01-12").all()
