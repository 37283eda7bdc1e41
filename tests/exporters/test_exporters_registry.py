import pytest
from fraudgraph.exporters import (
    available_formats,
    get_exporter,
    register_exporter,
    registry,
)
from fraudgraph.exporters.base import Exporter

from fraudgraph.errors import FraudGraphError, UnknownNameError


def test_builtin_formats():
    assert available_formats() == ["csv", "cypher", "gnn", "jsonl", "neo4j-admin", "parquet", "report"]
    for name in available_formats():
        exporter = get_exporter(name)
        assert isinstance(exporter, Exporter) and exporter.name == name


def test_unknown_format_lists_valid_names():
    with pytest.raises(UnknownNameError, match="expected one of: csv, cypher, gnn, jsonl, neo4j-admin, parquet, report"):
        get_exporter("xml")


def test_registry_is_read_only_and_no_silent_clobber():
    with pytest.raises(TypeError):
        registry["csv"] = ("x.Y", None)
    with pytest.raises(ValueError, match="already registered"):
        register_exporter("csv", "somewhere.Else")


def test_missing_dependency_gives_install_hint():
    register_exporter("broken_fmt", "fraudgraph_missing_module.Exporter", install_hint="fraudgraph-broken")
    with pytest.raises(FraudGraphError, match="pip install fraudgraph-broken"):
        get_exporter("broken_fmt")
